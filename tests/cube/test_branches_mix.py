"""The Branches view's mix of the unit (from the other views' own queries) and a branch
manager's rank among the region's branches, against pandas over the generated Parquet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cube.api import Scope
from cube.views import branches as bv
from cube.views.state import ViewState
from tests.cube.test_branches_view import (
    KPI_COLUMNS,
    attainment_expected,
    latest,  # noqa: F401 - fixture
    score_expected,
    src,  # noqa: F401 - fixture
    units_of,  # noqa: F401 - fixture
)


class _RegionCase:
    """What ``attainment_expected`` needs: the region's rows, by branch."""

    def __init__(self, region: int, period: str):
        self.state = ViewState(period=period, region=region)
        self.scope_cut = None
        self.region = region

    def by_manager(self, by_child: bool) -> bool:
        return False

    def rows(self, frame, _chart=None, org_only=False):
        return frame[frame["region_id"] == self.region]


def test_mix_of_a_region_matches_pandas(src, units_of, latest, demo_source):  # noqa: F811
    region = units_of["region"]
    got = bv.mix(ViewState(period=latest, region=region), Scope.all(False), "en")
    cm = src["cm"]
    now = cm[(cm["m"] == latest) & (cm["region_id"] == region)]
    ages = got["customers"].frame.set_index("customers.age_band")["customers.customers"]
    assert ages.to_dict() == now.groupby("age_band").size().to_dict()
    assert list(ages.index) == [b for b in ("<25", "25-34", "35-44", "45-54", "55-64", "65+") if b in ages]

    holdings = pd.read_parquet(demo_source / "holdings.parquet")
    products = pd.read_parquet(demo_source / "products.parquet")[["product_id", "category"]]
    h = holdings[pd.to_datetime(holdings["month_date"]).dt.strftime("%Y-%m") == latest]
    h = h.merge(products, on="product_id").merge(now[["customer_id", "region_id"]], on="customer_id")
    balances = got["products"].frame.set_index("holdings.category")["holdings.balance"]
    want = h.groupby("category")["balance"].sum()
    assert set(balances.index) == set(want.index)
    np.testing.assert_allclose(balances[want.index], want, rtol=1e-9)

    txn = pd.read_parquet(demo_source / "transactions.parquet", columns=["txn_at", "branch_id", "channel_id"])
    channels = pd.read_parquet(demo_source / "channels.parquet")[["channel_id", "channel_type"]]
    branches = pd.read_parquet(demo_source / "branches.parquet")[["branch_id", "region_id"]]
    t = txn[pd.to_datetime(txn["txn_at"]).dt.strftime("%Y-%m") == latest]
    t = t.merge(channels, on="channel_id").merge(branches, on="branch_id")
    counts = got["channels"].frame.set_index("transactions.channel_type")["transactions.txn_count"]
    assert counts.to_dict() == t[t["region_id"] == region].groupby("channel_type").size().to_dict()


def test_a_branch_manager_sees_rank_and_medians_only(src, units_of, latest):  # noqa: F811
    branch, region = units_of["branch"], units_of["region"]
    own_scope = Scope.of("branch", branch)
    state = ViewState(period=latest).at_unit("region", region).at_unit("branch", branch)
    got = bv.peer_rank(state, own_scope, "en")

    rows = src["cm"][(src["cm"]["m"] == latest) & (src["cm"]["region_id"] == region)]
    groups = rows.groupby("branch_id")
    want = pd.DataFrame({"customers": groups.size().astype(float)})
    for key, col in KPI_COLUMNS.items():
        want[key] = groups[col].sum().astype(float)
    actual, target = attainment_expected(src, _RegionCase(region, latest), latest, by_child=True)
    want["attainment"] = (actual / target.where(target != 0)).reindex(want.index).mean(axis=1).fillna(0.0)
    want["score"] = score_expected(want)
    rank = int(want["score"].rank(ascending=False, method="min")[branch])

    assert (got["rank"], got["of"], got["branch"], got["region"]) == (rank, len(want), branch, region)
    for key in (*KPI_COLUMNS, "customers", "attainment", "score"):
        assert got["median"][key] == pytest.approx(want[key].median(), rel=1e-9, abs=1e-9), key
        assert got["own"][key] == pytest.approx(want.loc[branch, key], rel=1e-9, abs=1e-9), key
    assert set(got) == {"branch", "region", "rank", "of", "own", "median"}  # no other branch's row


def test_peer_rank_follows_the_scope_never_the_url(src, units_of, latest):  # noqa: F811
    branch = units_of["branch"]
    forged = ViewState(period=latest, region=units_of["other_region"], branch=branch)
    got = bv.peer_rank(forged, Scope.of("branch", branch), "en")
    assert got["region"] == units_of["region"]  # the branch's own region, whatever the URL says
    assert bv.peer_rank(ViewState(period=latest), Scope.all(False), "en") is None  # not one branch
    assert bv.peer_rank(ViewState(period=latest), Scope.none(), "en") is None
