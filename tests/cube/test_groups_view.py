"""The customer-group filter engine against pandas over the generated source files (the expected
side never calls the cube): the customers of the latest month, their AUM from the holdings,
products held, demographics, a branch manager's scope, published score conditions (the top
decile over the scope), the refusals, and the DuckDB fast path against the Ibis relation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube import connection
from cube.api import CubeError, Filter, Scope
from cube.engine import _ibis_quiet
from cube.views import groups as view
from cube.views.groups import Condition, ConditionError, GroupDefinition
from data import scores

REL = 1e-9


@pytest.fixture(scope="module")
def latest(demo_source: Path) -> pd.DataFrame:
    """One row per customer open at the data's last month: branch, manager, gender, AUM
    (deposits + investments held at month end), categories held (a set)."""
    cust = pd.read_parquet(demo_source / "customers.parquet")
    hold = pd.read_parquet(demo_source / "holdings.parquet")
    products = pd.read_parquet(demo_source / "products.parquet")
    hold["month"] = pd.to_datetime(hold["month_date"])
    last = hold["month"].max()
    opened = pd.to_datetime(cust["open_date"]).dt.to_period("M").dt.to_timestamp()
    closed = pd.to_datetime(cust["close_date"]).dt.to_period("M").dt.to_timestamp()
    open_ = cust[(opened <= last) & (closed.isna() | (closed >= last))].copy()
    h = hold[hold["month"] == last].merge(products[["product_id", "category", "balance_type"]])
    aum = h[h["balance_type"].isin(["deposit", "investment"])].groupby("customer_id")["balance"].sum()
    held = h.groupby("customer_id")["category"].agg(set)
    out = pd.DataFrame(
        {
            "customer_id": open_["customer_id"].astype("int64").to_numpy(),
            "branch_id": open_["home_branch_id"].astype("int64").to_numpy(),
            "manager_id": open_["manager_id"].astype("int64").to_numpy(),
            "gender": open_["gender"].to_numpy(),
        }
    )
    out["aum"] = out["customer_id"].map(aum).fillna(0.0)
    out["held"] = out["customer_id"].map(held).apply(lambda s: s if isinstance(s, set) else set())
    return out


@pytest.fixture(scope="module")
def branch(latest: pd.DataFrame) -> int:
    return int(latest["branch_id"].value_counts().index[0])


def _fund_free_rich(latest: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return latest[(latest["aum"] >= threshold) & ~latest["held"].apply(lambda s: "fund" in s)]


def test_count_aum_and_members_equal_pandas(latest: pd.DataFrame) -> None:
    threshold = float(latest["aum"].quantile(0.6))
    definition = GroupDefinition(
        (
            Condition("aum", "gte", (threshold,)),
            Condition("category", "not_holds", ("fund",)),
            Condition("gender", "in", ("F",)),
        )
    )
    expected = _fund_free_rich(latest, threshold)
    expected = expected[expected["gender"] == "F"]
    assert 50 < len(expected) < len(latest) / 2
    got = view.live(definition, Scope.all(identities=False))
    assert got.customers == len(expected)
    assert got.aum == pytest.approx(expected["aum"].sum(), rel=REL)
    members = view.member_frame(definition, Scope.all(identities=False))
    assert members["customer_id"].tolist() == sorted(expected["customer_id"])
    assert list(members.columns) == list(view.MEMBER_COLUMNS)
    merged = members.merge(expected, on="customer_id", suffixes=("", "_pd"))
    assert (merged["branch_id"] == merged["branch_id_pd"]).all()
    np.testing.assert_allclose(merged["aum"], merged["aum_pd"], rtol=REL)
    assert members.attrs["data_version"] == connection.data_version()


def test_branch_manager_sees_only_their_branch(latest: pd.DataFrame, branch: int) -> None:
    threshold = float(latest["aum"].quantile(0.3))
    definition = GroupDefinition(
        (
            Condition("aum", "between", (threshold, 10**12)),
            Condition("category", "holds", ("fund", "insurance")),
        )
    )
    scoped = view.live(definition, Scope.of("branch", branch))
    expected = latest[
        (latest["branch_id"] == branch)
        & (latest["aum"] >= threshold)
        & latest["held"].apply(lambda s: bool(s & {"fund", "insurance"}))
    ]
    assert 0 < scoped.customers == len(expected)
    assert scoped.customers < view.live(definition, Scope.all(identities=False)).customers
    # a condition naming another branch cannot widen the scope
    other = int(latest.loc[latest["branch_id"] != branch, "branch_id"].iloc[0])
    widened = GroupDefinition((Condition("branch", "in", (other,)),))
    assert view.live(widened, Scope.of("branch", branch)).customers == 0
    # describe keeps only the customers the scope shows (and existing ones)
    ids = [*latest["customer_id"].head(300), 1, 2]
    shown = view.describe(ids, Scope.of("branch", branch))
    assert set(shown["customer_id"]) == set(
        latest.loc[latest["customer_id"].isin(ids) & (latest["branch_id"] == branch), "customer_id"]
    )
    assert set(shown["branch_id"]) <= {branch}
    offered = {o["value"] for o in view.options("branch", Scope.of("branch", branch))}
    assert offered == {branch}


def test_score_conditions_top_decile_over_the_scope(latest, branch, segmentation_and_value_runs) -> None:
    published = scores.current(connection.warehouse_version())
    seg = pd.read_parquet(published["segmentation"].path, columns=["customer_id", "segment"])
    val = pd.read_parquet(published["value"].path, columns=["customer_id", "value_score"])
    frame = latest.merge(seg, on="customer_id", how="left").merge(val, on="customer_id", how="left")
    mine = frame[frame["branch_id"] == branch]
    cut = mine["value_score"].quantile(view.TOP_DECILE)  # over the branch's customers
    top_segment = int(mine.loc[mine["value_score"] >= cut, "segment"].value_counts().index[0])
    expected = mine[(mine["value_score"] >= cut) & (mine["segment"] == top_segment)]
    definition = GroupDefinition(
        (Condition("value_score", "top_decile"), Condition("segment", "in", (top_segment,)))
    )
    got = view.member_frame(definition, Scope.of("branch", branch))
    assert len(expected) > 0
    assert got["customer_id"].tolist() == sorted(expected["customer_id"])
    assert set(got["segment"].astype(int)) == {top_segment}
    assert view.live(definition, Scope.of("branch", branch)).customers == len(expected)
    # not_in keeps the unscored and everyone outside the segment
    others = GroupDefinition((Condition("segment", "not_in", (top_segment,)),))
    assert view.live(others, Scope.all(identities=False)).customers == int(
        (frame["segment"] != top_segment).sum()
    )


def test_both_duckdb_paths_equal_the_ibis_relation(latest, branch) -> None:
    definition = view.check(
        GroupDefinition(
            (
                Condition("main_channel", "not_in", ("atm",)),
                Condition("loans", "lte", (500000,)),
                Condition("category", "not_holds", ("fund",)),
                Condition("aum", "gte", (1000,)),
                Condition("age_band", "in", ("25-34", "35-44", "45-54")),
            )
        )
    )
    assert view.snapshot(connection.backend(), wait=True) is not None  # the latest-month file
    for scope in (Scope.all(identities=False), Scope.of("branch", branch)):
        with _ibis_quiet():
            ibis_count = int(view.relation(definition, scope).count().execute())
        assert view.live(definition, scope, use_cache=False).customers == ibis_count > 0
        # and the path that joins the holdings (while the file is being built)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(view, "snapshot", lambda _con, wait=True: None)
            assert view.live(definition, scope, use_cache=False).customers == ibis_count
            joined = view.member_frame(definition, scope)["customer_id"].tolist()
        assert view.member_frame(definition, scope)["customer_id"].tolist() == joined


def test_bad_conditions_name_their_field(no_published_scores) -> None:
    scope = Scope.all(identities=False)
    cases = [
        (Condition("nonsense", "in", ("x",)), "nonsense"),
        (Condition("aum", "in", ("x",)), "aum"),
        (Condition("aum", "gte", ("lots",)), "aum"),
        (Condition("aum", "gte", (-5,)), "aum"),
        (Condition("aum", "between", (10, 5)), "aum"),
        (Condition("age_band", "in", ("ninety",)), "age_band"),
        (Condition("branch", "in", ()), "branch"),
        (Condition("txn_count", "gte", (2.5,)), "txn_count"),
        (Condition("churn_score", "top_decile"), "churn_score"),  # no churn model published
        (Condition("segment", "in", (1,)), "segment"),
    ]
    for condition, field in cases:
        with pytest.raises(ConditionError) as err:
            view.live(GroupDefinition((Condition("aum", "gte", (0,)), condition)), scope)
        assert err.value.field == field and err.value.index == 1, condition


def test_presenters_get_no_groups_at_all() -> None:
    presenter = Scope.for_role("presenter")
    with pytest.raises(CubeError, match="aggregates only"):
        view.live(GroupDefinition(), presenter)
    with pytest.raises(CubeError, match="aggregates only"):
        view.describe([1], presenter)
    with pytest.raises(CubeError, match="aggregates only"):
        view.customers_matching("customers", (), presenter)


def test_customers_of_drill_through_rows_equal_pandas(latest, branch) -> None:
    month = view.latest_month()
    filters = (Filter("customers.month", "eq", (month,)), Filter("customers.gender", "eq", ("M",)))
    got = view.customers_matching("customers", filters, Scope.of("branch", branch))
    expected = latest[(latest["branch_id"] == branch) & (latest["gender"] == "M")]["customer_id"]
    assert got.tolist() == sorted(expected)


def test_definition_round_trips_through_json() -> None:
    definition = GroupDefinition(
        (Condition("aum", "gte", (500000,)), Condition("category", "not_holds", ("fund",))),
        {"kind": "drill_through", "cube": "customers"},
    )
    again = GroupDefinition.from_json(definition.to_json())
    assert again == definition
    assert again.source_dict == {"kind": "drill_through", "cube": "customers"}
    with pytest.raises(ConditionError):
        GroupDefinition.from_json("[1, 2")
