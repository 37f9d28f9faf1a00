"""The click menu on the demo warehouse: drilling along the cube's hierarchies, breaking a
figure down by another dimension (under the user's scope), and clicked values the browser sent
coerced or refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cube import api
from cube.api import Filter, Query, Scope
from cube.views import branches as bv
from cube.views import menu
from cube.views.options import months
from cube.views.state import ViewState
from tests.data.test_derive import pandas_customer_month


@pytest.fixture(scope="module")
def cm(demo_home: Path, demo_source: Path) -> pd.DataFrame:
    frame = pandas_customer_month(demo_source)
    frame["m"] = pd.to_datetime(frame["month_date"]).dt.strftime("%Y-%m")
    return frame


@pytest.fixture(scope="module")
def latest(cm) -> str:
    return max(cm["m"])


@pytest.fixture(scope="module")
def org(demo_source: Path) -> pd.DataFrame:
    return pd.read_parquet(demo_source / "branches.parquet")[["branch_id", "region_id"]]


def click_on(state: ViewState, value, chart: str = "branches:units") -> menu.Clicked:
    query = bv.units_query(state)
    return menu.Clicked(chart, query, query.dimensions[0], value)


def test_drill_down_from_a_region_goes_to_its_branches(latest, org):
    region = int(org["region_id"].iloc[0])
    state = ViewState(period=latest, age_band=("35-44",))
    step = menu.drill_down(state, click_on(state, region))
    assert step is not None
    level, new = step
    assert level == "branch" and new.region == region and new.branch is None
    assert new.age_band == ("35-44",) and new.period == latest  # other filters kept
    assert bv.units_query(new).dimensions == ("customers.branch",)


def test_drill_down_from_a_branch_goes_to_managers_and_stops_there(latest, org):
    branch, region = (int(v) for v in org.iloc[0][["branch_id", "region_id"]])
    at_region = ViewState(period=latest, region=region)
    level, at_branch = menu.drill_down(at_region, click_on(at_region, branch))
    assert level == "manager" and (at_branch.region, at_branch.branch) == (region, branch)
    manager_click = click_on(at_branch, 1)
    assert manager_click.member == "customers.manager"
    assert menu.drill_down(at_branch, manager_click) is None


def test_drill_down_off_the_filter_bar_or_without_a_finer_level(latest):
    state = ViewState(period=latest)
    by_age = Query("customers", ("customers.customers",), ("customers.age_band",))
    assert menu.drill_down(state, menu.Clicked("c", by_age, "customers.age_band", "35-44")) is None
    by_year = Query("customers", ("customers.customers",), ("customers.year",))
    # year has a finer level (quarter), but the filter bar has no year filter
    assert menu.drill_down(state, menu.Clicked("c", by_year, "customers.year", 2025)) is None
    by_category = Query("holdings", ("holdings.holdings",), ("holdings.category",))
    level, new = menu.drill_down(state, menu.Clicked("c", by_category, "holdings.category", "deposit"))
    assert level == "product" and new.category == ("deposit",)


def test_drill_up(latest, org):
    branch, region = (int(v) for v in org.iloc[0][["branch_id", "region_id"]])
    at_region = ViewState(period=latest, region=region)
    level, up = menu.drill_up(at_region, click_on(at_region, branch))
    assert level == "region" and up == ViewState(period=latest)
    at_branch = at_region.at_unit("branch", branch)
    level, up = menu.drill_up(at_branch, click_on(at_branch, 1))
    assert level == "branch" and up == at_region
    bank = ViewState(period=latest)
    assert menu.drill_up(bank, click_on(bank, region)) is None  # nothing above the regions
    # a branch manager's home view (branch set, no region): the chart of managers goes up
    lone = ViewState(period=latest, branch=branch)
    assert menu.drill_up(lone, click_on(lone, 1)) == ("branch", ViewState(period=latest))
    by_product = Query("holdings", ("holdings.holdings",), ("holdings.product",))
    deposits = ViewState(period=latest, category=("deposit",))
    assert menu.drill_up(deposits, menu.Clicked("c", by_product, "holdings.product", 7)) == (
        "category",
        ViewState(period=latest),
    )


def test_break_down_options_exclude_the_charts_own_dimensions(latest):
    click = click_on(ViewState(period=latest), 1)
    options = menu.break_down_options(click)
    assert "customers.region" not in options
    assert {"customers.branch", "customers.manager", "customers.age_band", "customers.month"} <= set(options)
    assert "customers.year" not in options and "customers.quarter" not in options  # derived
    two = Query(
        "transactions", ("transactions.txn_count",), ("transactions.channel_type", "transactions.day")
    )
    opts = menu.break_down_options(menu.Clicked("c", two, "transactions.channel_type", "mobile"))
    assert "transactions.channel_type" not in opts and "transactions.day" not in opts
    assert "transactions.channel" in opts
    with pytest.raises(ValueError, match="cannot break this figure down by customers.region"):
        menu.break_down_query(click, "customers.region")
    with pytest.raises(ValueError):
        menu.break_down_query(click, "transactions.channel_type")


def test_point_filters_pin_the_clicked_member(latest):
    state = ViewState(period=latest, region=1)
    click = click_on(state, 5)  # a branch of region 1
    filters = menu.point_filters(click)
    assert Filter("customers.branch", "eq", (5,)) in filters
    assert Filter("customers.region", "eq", (1,)) in filters
    pinned_twice = menu.Clicked("c", click.query, "customers.region", 2)
    assert [f for f in menu.point_filters(pinned_twice) if f.member == "customers.region"] == [
        Filter("customers.region", "eq", (2,))
    ]


@pytest.mark.parametrize("which", ["bank", "branch-scope", "other-branch-scope"])
def test_break_down_runs_under_the_scope(cm, org, latest, which):
    region, first = int(org["region_id"].iloc[0]), int(org["branch_id"].iloc[0])
    other = int(org[org["region_id"] != region]["branch_id"].iloc[0])
    scope = {
        "bank": Scope.all(False),
        "branch-scope": Scope.of("branch", first),
        "other-branch-scope": Scope.of("branch", other),
    }[which]
    state = ViewState(period=latest)
    click = click_on(state, region)
    result = api.execute(menu.break_down_query(click, "customers.age_band"), scope)
    got = result.frame.set_index("customers.age_band")["customers.customers"]
    rows = cm[(cm["m"] == latest) & (cm["region_id"] == region)]
    if which == "branch-scope":
        rows = rows[rows["branch_id"] == first]
    elif which == "other-branch-scope":
        rows = rows[rows["branch_id"] == other]  # another region: nothing of the clicked one
    want = rows.groupby("age_band").size()
    assert got.to_dict() == want.to_dict()
    if which == "other-branch-scope":
        assert result.frame.empty


@pytest.mark.parametrize(
    "value", [None, [], [1], {"a": 1}, "abc", "1e3", "9" * 5000, 1.5, "", True], ids=repr
)
def test_coerce_rejects_junk_for_an_id(latest, value):
    query = bv.units_query(ViewState(period=latest))
    with pytest.raises(ValueError):
        menu.coerce(query, "customers.region", value)


def test_coerce():
    query = Query(
        "customers", ("customers.customers",), ("customers.branch", "customers.age_band", "customers.month")
    )
    assert (
        menu.coerce(query, "customers.branch", "12") == 12
        and menu.coerce(query, "customers.branch", 12) == 12
    )
    assert menu.coerce(query, "customers.age_band", "35-44") == "35-44"
    assert menu.coerce(query, "customers.month", "2025-06-01T00:00:00") == "2025-06-01"
    with pytest.raises(ValueError, match="too long"):
        menu.coerce(query, "customers.age_band", "x" * 65)
    with pytest.raises(ValueError, match="not a dimension"):
        menu.coerce(query, "customers.region", "1")
    with pytest.raises(ValueError, match="missing"):
        menu.coerce(query, "customers.age_band", ["35-44"])


def test_with_value_only_where_the_filter_bar_has_the_filter(latest):
    state = ViewState(period=latest, branch=3, manager=4)
    assert menu.with_value(state, "region", 2) == ViewState(period=latest, region=2)
    assert menu.with_value(state, "age_band", "25-34").age_band == ("25-34",)
    assert menu.with_value(state, "gender", "F") is None
    assert menu.with_value(state, "month", "2025-06-01") is None


def test_a_drill_down_lands_on_a_view_with_data(latest, cm):
    """The drilled state runs: the branches of the clicked region are the pandas ones."""
    state = ViewState(period=latest).resolve(months(Scope.all()))
    region = int(cm["region_id"].iloc[0])
    _level, new = menu.drill_down(state, click_on(state, region))
    frame = api.execute(bv.units_query(new), Scope.all(False)).frame
    want = cm[(cm["m"] == latest) & (cm["region_id"] == region)].groupby("branch_id").size()
    assert frame.set_index("customers.branch")["customers.customers"].to_dict() == want.to_dict()
