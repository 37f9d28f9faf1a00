"""Customer 360's figures for one customer against pandas over the generated Parquet files (the
expected side never calls the cube): balances by month, transactions by channel, holdings by
category, campaign history; the scope (out of scope reads exactly like no such customer), the
presenter's refusal (by the view and by the cube itself) and the masking of identities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube import api
from cube.api import CubeError, Query, Scope
from cube.views import customer360 as view
from cube.views import menu

REL = 1e-9


def read(src: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(src / f"{name}.parquet")


@pytest.fixture(scope="module")
def picked(demo_source) -> dict:
    """A customer open in the last month with campaign contacts (a response if any), holdings in
    several categories and transactions; another customer of another branch; another manager's
    customer of the same branch."""
    cust = read(demo_source, "customers")
    contacts = read(demo_source, "campaign_contacts")
    txn = read(demo_source, "transactions")
    open_ = cust[cust["close_date"].isna()]
    score = (
        contacts.groupby("customer_id")
        .agg(n=("campaign_id", "size"), r=("responded", "sum"))
        .join(txn.groupby("customer_id").size().rename("t"))
        .fillna(0)
    )
    managers = cust.groupby("home_branch_id")["manager_id"].transform("nunique")
    shared = cust.loc[managers.to_numpy() > 1, "customer_id"]  # a branch with several managers
    score = score[score.index.isin(open_["customer_id"]) & score.index.isin(shared)]
    cid = int(score.sort_values(["r", "n", "t"], ascending=False).index[0])
    me = cust.set_index("customer_id").loc[cid]
    other = cust[(cust["home_branch_id"] != me["home_branch_id"])]
    colleague = cust[
        (cust["home_branch_id"] == me["home_branch_id"]) & (cust["manager_id"] != me["manager_id"])
    ]
    return {
        "id": cid,
        "row": me,
        "branch": int(me["home_branch_id"]),
        "manager": int(me["manager_id"]),
        "other": int(other["customer_id"].iloc[0]),
        "colleague": int(colleague["customer_id"].iloc[0]),
        "missing": int(cust["customer_id"].max()) + 7919,
    }


def test_balances_by_month_equal_pandas(demo_source, picked):
    cid = picked["id"]
    got = view.customer360(cid, Scope.of("branch", picked["branch"]), "en").balances.set_index("month")
    h = read(demo_source, "holdings")
    h = h[h["customer_id"] == cid].merge(read(demo_source, "products")[["product_id", "balance_type"]])
    h["month"] = pd.to_datetime(h["month_date"])
    by = h.pivot_table(index="month", columns="balance_type", values="balance", aggfunc="sum").fillna(0.0)
    for t in ("deposit", "investment", "loan"):
        if t not in by:
            by[t] = 0.0
    expected = pd.DataFrame(
        {
            "deposits": by["deposit"],
            "investments": by["investment"],
            "loans": by["loan"],
            "aum": by["deposit"] + by["investment"],
        }
    ).reindex(got.index, fill_value=0.0)
    assert len(got) >= 12
    for column in ("aum", "deposits", "investments", "loans"):
        np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=REL, atol=1e-6)
    # products held at month end
    held = h[h["balance"].notna()].groupby("month")["product_id"].nunique().reindex(got.index, fill_value=0)
    assert got["products"].astype(int).tolist() == held.astype(int).tolist()


def test_transactions_by_channel_equal_pandas(demo_source, picked):
    cid = picked["id"]
    got = view.customer360(cid, Scope.all(identities=False), "en").channels
    txn = read(demo_source, "transactions")
    txn = txn[txn["customer_id"] == cid].merge(read(demo_source, "channels")[["channel_id", "channel_code"]])
    txn["month"] = pd.to_datetime(txn["txn_at"]).dt.to_period("M").dt.to_timestamp()
    expected = txn.groupby(["month", "channel_code"]).size()
    assert expected.sum() > 0
    shown = got.set_index(["month", "channel"])["txn_count"]
    assert set(got["channel"]) == set(txn["channel_code"])  # channels never used have no series
    for (month, code), n in shown.items():
        assert n == expected.get((month, code), 0), (month, code)
    assert shown.sum() == expected.sum()


def test_holdings_and_positions_equal_pandas(demo_source, picked):
    cid = picked["id"]
    found = view.customer360(cid, Scope.all(identities=False), "en")
    h = read(demo_source, "holdings")
    products = read(demo_source, "products")
    h = h[h["customer_id"] == cid].merge(products[["product_id", "category", "product_code", "name_en"]])
    h["month"] = pd.to_datetime(h["month_date"])
    expected = h.groupby(["month", "category"])["balance"].sum()
    got = found.holdings.set_index(["month", "category"])["balance"]
    assert set(got.index) == set(expected.index)
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=REL)
    last = h[h["month"] == h["month"].max()]
    assert sorted(found.positions["product_code"]) == sorted(last["product_code"])
    assert set(found.positions["product_label"]) == set(last["name_en"])


def test_campaign_history_equals_pandas(demo_source, picked):
    cid = picked["id"]
    got = view.customer360(cid, Scope.of("branch", picked["branch"]), "zh").campaigns
    cc = read(demo_source, "campaign_contacts")
    cc = cc[cc["customer_id"] == cid].merge(read(demo_source, "campaigns")[["campaign_id", "name_zh"]])
    assert len(got) == len(cc) > 0
    expected = {
        (
            r.name_zh,
            pd.Timestamp(r.contacted_date),
            bool(r.contacted),
            bool(r.responded),
            round(float(r.response_amount or 0.0), 2),
        )
        for r in cc.itertuples()
    }
    shown = {
        (
            r.campaign_label,
            pd.Timestamp(r.contacted_date),
            bool(r.contacted),
            bool(r.responded),
            round(r.response_amount, 2),
        )
        for r in got.itertuples()
    }
    assert shown == expected
    assert list(got["contacted_date"]) == sorted(got["contacted_date"], reverse=True)  # latest first


def test_out_of_scope_reads_like_no_such_customer(picked):
    branch = Scope.of("branch", picked["branch"])
    rm = Scope.of("manager", picked["manager"])
    answers = []
    for scope, cid in (
        (branch, picked["other"]),
        (branch, picked["missing"]),
        (rm, picked["colleague"]),
        (rm, picked["missing"]),
        (Scope.none(), picked["id"]),
    ):
        with pytest.raises(view.NotFound) as caught:
            view.customer360(cid, scope, "en")
        answers.append(type(caught.value))
    assert set(answers) == {view.NotFound}
    # the same customers are there for whoever may see them
    assert view.customer360(picked["id"], rm, "en").customer_id == picked["id"]
    assert view.customer360(picked["other"], Scope.all(False), "en").customer_id == picked["other"]
    # and each query is empty under the narrower scope, not just the first one
    for query in (view.months_query(picked["other"]), view.campaigns_query(picked["other"])):
        assert api.execute(query, branch).frame.empty


@pytest.mark.parametrize("value", ["abc", "-5", "1.5", "", None, "1" * 19, True])
def test_not_a_customer_number(value):
    assert view.parse_customer(value) is None
    with pytest.raises(view.NotFound):
        view.customer360(value, Scope.all(False), "en")


def test_presenter_is_refused_by_the_view_and_by_the_cube(picked):
    presenter = Scope.for_role("presenter")
    with pytest.raises(view.Refused):
        view.customer360(picked["id"], presenter, "en")
    for query in (
        view.months_query(picked["id"]),
        view.holdings_query(picked["id"]),
        view.campaigns_query(picked["id"]),
        Query("customers", ("customers.aum",), ("customers.customer",)),  # one row per customer
    ):
        with pytest.raises(CubeError, match="aggregates only"):
            api.execute(query, presenter)
    with pytest.raises(CubeError, match="aggregates only"):
        api.drill_through("customers", (view.customer_filter("customers", picked["id"]),), presenter)
    # aggregates stay open to presenters
    assert len(api.execute(Query("customers", ("customers.aum",), ("customers.branch",)), presenter).frame)


def test_identities_masked_for_analyst_shown_in_own_scope(picked):
    row = picked["row"]
    masked = view.customer360(picked["id"], Scope.all(identities=False), "en").profile
    assert masked["customer_name"] == row["name"][0] + "**"
    assert masked["customer_phone"] == row["phone"][:3] + "****" + row["phone"][-4:]
    assert masked["customer_id_card_no"] == row["id_card_no"][:6] + "********" + row["id_card_no"][-4:]
    for scope in (Scope.all(), Scope.of("branch", picked["branch"]), Scope.of("manager", picked["manager"])):
        shown = view.customer360(picked["id"], scope, "en").profile
        assert (shown["customer_name"], shown["customer_phone"], shown["customer_id_card_no"]) == (
            row["name"],
            row["phone"],
            row["id_card_no"],
        )
        assert shown["branch"] == picked["branch"] and shown["manager"] == picked["manager"]


def test_published_scores_come_from_the_publication(picked, tmp_path, monkeypatch, demo_source):
    """Churn and cross-sell scores, as published for the served data, reach the profile."""
    from cube import connection
    from data import scores

    cid = picked["id"]
    ids = np.sort(read(demo_source, "customers")["customer_id"].to_numpy())
    pubs = {}
    version = connection.warehouse_version()
    churn = pd.DataFrame(
        {
            "customer_id": ids,
            "churn_score": (ids % 97) / 97.0,
            "churn_band": np.where(ids % 3 == 0, "high", "low"),
            "value_at_risk": (ids % 50) * 1.5,
            "churn_driver": "recency",
            "activation_value": np.nan,
            "activation_band": None,
        }
    )
    offers = pd.DataFrame(
        {
            "customer_id": ids,
            "best_offer": "FD01",
            "offer_score": 0.42,
            "offer_value": 12.5,
            "propensity_band": "medium",
        }
    )
    for kind, frame in (("churn", churn), ("crosssell", offers)):
        path = tmp_path / f"{kind}.parquet"
        frame.to_parquet(path)
        pubs[kind] = scores.Publication(kind, version, f"test-c360-{kind}", path)
    monkeypatch.setattr(scores, "current", lambda v: pubs if v == version else {})
    monkeypatch.setattr(scores, "rollup_file", lambda v, r: None)
    found = view.customer360(cid, Scope.of("branch", picked["branch"]), "en")
    mine = churn.set_index("customer_id").loc[cid]
    assert found.model["churn"]["churn_band"] == mine["churn_band"]
    assert found.model["churn"]["churn_score"] == pytest.approx(mine["churn_score"], rel=REL)
    assert found.model["churn"]["value_at_risk"] == pytest.approx(mine["value_at_risk"], rel=REL)
    assert found.offers["product"] == "FD01" and found.offers["propensity_band"] == "medium"
    assert found.offers["offer_value"] == pytest.approx(12.5)
    assert "segmentation" not in found.model  # not published: the page says "not run"


def test_the_customer_is_no_break_down_of_a_chart():
    q = Query("customers", ("customers.aum",), ("customers.branch",))
    assert "customers.customer" not in menu.break_down_options(menu.Clicked("c", q, "customers.branch", 1))
