"""The view state carried in the URL: it survives a round trip, never raises on what a hand-edited
(or forged) link holds, and turns into the cube filters each cube can apply."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cube.api import Filter
from cube.views.state import (
    COMPARISONS,
    MAX_VALUES,
    Selection,
    ViewState,
    parse_month,
    shift_month,
)

# --- strategies -------------------------------------------------------------------------------

months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1, 9999), st.integers(1, 12))
ids = st.integers(0, 2**53 - 1)
# Codes as the filter bar writes them: no separators (",", "|", ":") and no surrounding blanks.
codes = st.text(
    st.characters(
        blacklist_characters=",|:", blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), max_codepoint=0x2FFF
    ),
    min_size=1,
    max_size=64,
).filter(lambda s: s == s.strip())
code_lists = st.lists(codes, max_size=8, unique=True).map(tuple)
id_lists = st.lists(ids, max_size=8, unique=True).map(tuple)
# Chart keys as pages register them: "<page>:<chart>" (or a bare name).
charts = st.from_regex(r"[a-z][a-z0-9_-]{0,12}(:[a-z][a-z0-9_-]{0,12})?", fullmatch=True)


@st.composite
def selections(draw) -> Selection:
    dimension = draw(
        st.sampled_from(["region", "branch", "manager", "product", "channel", "segment", "age_band"])
    )
    as_int = dimension in ("region", "branch", "manager", "product", "channel", "segment")
    values = draw(st.lists(ids if as_int else codes, min_size=1, max_size=5, unique=True))
    return Selection(draw(charts), dimension, tuple(values))


@st.composite
def states(draw) -> ViewState:
    compare = draw(st.sampled_from(COMPARISONS))
    return ViewState(
        period=draw(st.none() | months),
        compare=compare,
        compare_to=draw(st.none() | months) if compare == "month" else None,
        region=draw(st.none() | ids),
        branch=draw(st.none() | ids),
        manager=draw(st.none() | ids),
        segment=draw(id_lists),
        value_tier=draw(code_lists),
        age_band=draw(code_lists),
        category=draw(code_lists),
        channel_type=draw(code_lists),
        selection=tuple(draw(st.lists(selections(), max_size=3))),
    )


# --- round trip -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(states())
def test_round_trip_through_params_and_the_query_string(state):
    assert ViewState.from_params(state.to_params()) == state
    assert ViewState.from_params(dict(parse_qsl(state.search().lstrip("?")))) == state


def test_defaults_write_nothing():
    assert ViewState().to_params() == {} and ViewState().search() == ""
    assert ViewState.from_params({}) == ViewState()
    # compare_to only means something when comparing with a chosen month
    assert ViewState(compare="last_year", compare_to="2025-01").to_params() == {"compare": "last_year"}


# --- malformed input --------------------------------------------------------------------------

JUNK = [None, 0, -1, 1.5, True, "", " ", "abc", [], [1, 2], {"a": 1}, 10**30, "9" * 5000, b"x", object()]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["period", "compare", "compare_to", "region", "branch", "manager", "segment", "value_tier",
             "age_band", "category", "channel_type", "sel", "other"]
        ),
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=80),
            st.lists(st.one_of(st.integers(), st.text(max_size=10), st.none()), max_size=10),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
        ),
    )
)  # fmt: skip
def test_any_params_parse_without_raising(params):
    state = ViewState.from_params(params)
    assert state.compare in COMPARISONS
    assert state.period is None or parse_month(state.period) == state.period
    for level in ("region", "branch", "manager"):
        value = getattr(state, level)
        assert value is None or (type(value) is int and 0 <= value < 2**53)
    assert all(type(v) is int for v in state.segment)
    for key in ("value_tier", "age_band", "category", "channel_type"):
        assert all(isinstance(v, str) and 0 < len(v) <= 64 for v in getattr(state, key))
    state.to_params()
    state.search()


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_in_every_key_is_dropped(junk):
    keys = ("period", "compare", "compare_to", "region", "branch", "manager", "segment", "sel")
    state = ViewState.from_params(dict.fromkeys(keys, junk))
    assert state.period is None and state.compare == "previous_month" and state.compare_to is None
    if not (isinstance(junk, int) and not isinstance(junk, bool) and 0 <= junk < 2**53):
        assert (state.region, state.branch, state.manager) == (None, None, None)
    assert state.selection == ()


@pytest.mark.parametrize("params", [None, [], "period=2026-01", 42, [("period", "2026-01")], object()])
def test_non_mapping_input_is_the_default_view(params):
    assert ViewState.from_params(params) == ViewState()


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("2026-01", "2026-01"),
        ("2026-12", "2026-12"),
        ("2026-13", None),
        ("2026-00", None),
        ("2026-1", None),
        ("2026-011", None),
        ("0000-01", None),
        ("abcd-ef", None),
        ("2026/01", None),
        (202601, None),
        (["2026-01"], None),
        (None, None),
    ],
)
def test_months_are_checked(raw, want):
    assert parse_month(raw) == want
    assert ViewState.from_params({"period": raw}).period == want
    assert ViewState.from_params({"compare": "month", "compare_to": raw}).compare_to == want


def test_unknown_compare_and_bad_ids_fall_back():
    state = ViewState.from_params(
        {
            "compare": "next_year",
            "region": "-3",
            "branch": str(2**53),
            "manager": "1e3",
            "segment": "1,x,2,-1,2",
        }
    )
    assert state.compare == "previous_month"
    assert (state.region, state.branch, state.manager) == (None, None, None)
    assert state.segment == (1, 2)  # junk dropped, duplicates once
    assert ViewState.from_params({"region": " 7 ", "branch": ["3"]}).region == 7
    # a list where one id belongs is not an id
    assert ViewState.from_params({"branch": ["3"]}).branch is None
    assert ViewState.from_params({"branch": True}).branch is None


def test_lists_where_scalars_belong_and_scalars_where_lists_belong():
    state = ViewState.from_params(
        {
            "period": ["2026-01"],
            "compare": ["month"],
            "age_band": "25-34",
            "segment": 3,
            "value_tier": ["A", 5],
        }
    )
    assert state.period is None and state.compare == "previous_month"
    assert state.age_band == ("25-34",) and state.segment == (3,) and state.value_tier == ("A", "5")
    odd = ViewState.from_params({"age_band": [None, 1.5, ["x"], {"a": 1}, "", " ", "x" * 65, "ok"]})
    assert odd.age_band == ("ok",)


def test_huge_value_lists_are_cut_and_parse_fast():
    many = [str(i) for i in range(10_000)]
    t0 = time.perf_counter()
    state = ViewState.from_params(
        {
            "segment": ",".join(many),
            "age_band": many,
            "category": ",".join(f"c{i}" for i in range(100_000)),
            "sel": ",".join(f"c{i}:region:" + "|".join(many[:200]) for i in range(500)),
        }
    )
    elapsed = time.perf_counter() - t0
    assert state.segment == tuple(range(MAX_VALUES))
    assert state.age_band == tuple(many[:MAX_VALUES])
    assert len(state.category) == MAX_VALUES
    assert len(state.selection) == MAX_VALUES
    assert all(len(s.values) == MAX_VALUES for s in state.selection)
    # a forged URL must not hold a worker: the parse is linear in its size
    assert elapsed < 2.0, f"parsing took {elapsed:.1f} s"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a:b",
        "a::1",
        "a:b:c:",
        ":region:1",
        "x:re-gion:1",
        "x:region:",
        "x:region:a|b",
        "x" * 41 + ":region:1",
        5,
        None,
    ],
)
def test_bad_selections_are_dropped(text):
    assert Selection.decode(text) is None
    assert ViewState.from_params({"sel": text}).selection == ()


def test_a_selection_on_a_registered_chart_survives_the_url():
    """Chart keys are "<page>:<chart>": the selection made on one must come back from the URL
    (it was dropped, so cross-filtering on a registered chart never held)."""
    state = (
        ViewState()
        .toggle_selection("branches:units", "branch", 3)
        .toggle_selection("branches:units", "branch", 9)
    )
    assert state.to_params() == {"sel": "branches:units:branch:3|9"}
    assert ViewState.from_params(state.to_params()) == state
    assert ViewState.from_params(dict(parse_qsl(state.search()[1:]))).selected("branches:units").values == (
        3,
        9,
    )


def test_selection_keeps_only_good_values():
    s = Selection.decode("branches:units:3|x|3|4")
    assert s == Selection("branches", "units", ("3", "x", "4"))  # "units" is no int dimension
    s = Selection.decode("chart:branch:3|x|3|4")
    assert s == Selection("chart", "branch", (3, 4))
    state = ViewState.from_params({"sel": "a:branch:1,junk,b:age_band:25-34"})
    assert state.selection == (Selection("a", "branch", (1,)), Selection("b", "age_band", ("25-34",)))


# --- filters per cube -------------------------------------------------------------------------


def test_filters_use_only_the_cubes_dimensions_and_name_the_rest():
    state = ViewState(
        branch=12,
        manager=3,
        age_band=("25-34", "35-44"),
        category=("deposit",),
        channel_type=("mobile",),
    )
    assert state.filters("customers") == (
        Filter("customers.branch", "eq", (12,)),
        Filter("customers.manager", "eq", (3,)),
        Filter("customers.age_band", "in", ("25-34", "35-44")),
    )
    assert state.ignored("customers") == ["category", "channel_type"]
    assert state.filters("transactions") == (
        Filter("transactions.branch", "eq", (12,)),
        Filter("transactions.category", "eq", ("deposit",)),
        Filter("transactions.channel_type", "eq", ("mobile",)),
    )
    assert state.ignored("transactions") == ["manager", "age_band"]
    # holdings carry the holder's demographics of the month (the Products view's profile)
    assert [f.member for f in state.filters("holdings")] == [
        "holdings.branch",
        "holdings.manager",
        "holdings.age_band",
        "holdings.category",
    ]
    assert state.ignored("holdings") == ["channel_type"]
    assert [f.member for f in state.filters("customers", org=False)] == ["customers.age_band"]
    assert ViewState().filters("customers") == () and ViewState().ignored("customers") == []


def test_selections_filter_the_other_charts_only():
    state = (
        ViewState()
        .toggle_selection("p:units", "branch", 3)
        .toggle_selection("p:units", "branch", 4)
        .toggle_selection("p:channels", "channel_type", "mobile")
    )
    assert state.selected("p:units") == Selection("p:units", "branch", (3, 4))
    own = state.filters("customers", exclude_chart="p:units")
    assert Filter("customers.branch", "in", (3, 4)) not in own
    others = state.filters("customers", exclude_chart="p:other")
    assert Filter("customers.branch", "in", (3, 4)) in others
    # the customers cube has no channel type: the selection is listed as ignored, not applied
    assert all(f.member != "customers.channel_type" for f in others)
    assert state.ignored("customers") == ["channel_type"]
    assert Filter("transactions.channel_type", "in", ("mobile",)) in state.filters("transactions")
    assert state.filters("transactions", exclude_chart="p:channels") == (
        Filter("transactions.branch", "in", (3, 4)),
    )


def test_toggling_a_selection():
    s = ViewState().toggle_selection("c", "branch", 3)
    assert s.selection == (Selection("c", "branch", (3,)),)
    assert s.toggle_selection("c", "branch", 3).selection == ()  # toggled off: nothing left
    assert s.toggle_selection("c", "branch", 5).selected("c").values == (3, 5)
    # another dimension on the same chart starts over
    assert s.toggle_selection("c", "region", 1).selection == (Selection("c", "region", (1,)),)
    both = s.toggle_selection("d", "region", 1)
    assert both.toggle_selection("c", "branch", 3).selection == (Selection("d", "region", (1,)),)
    assert both.clear_selection().selection == ()
    assert ViewState.from_params(both.to_params()) == both


# --- organisation -----------------------------------------------------------------------------


def test_moving_in_the_organisation_tree():
    bank = ViewState(period="2026-01", age_band=("25-34",))
    assert bank.org_level() is None and bank.child_level() == "region" and bank.up() == bank
    region = bank.at_unit("region", 2)
    assert region.org_level() == "region" and region.child_level() == "branch"
    branch = region.at_unit("branch", 7)
    assert (branch.region, branch.branch, branch.manager) == (2, 7, None)
    assert branch.child_level() == "manager"
    manager = branch.at_unit("manager", 40)
    assert manager.org_level() == "manager" and manager.child_level() is None
    # moving to a coarser unit clears the finer ones and keeps the other filters
    moved = manager.at_unit("region", 5)
    assert (moved.region, moved.branch, moved.manager) == (5, None, None)
    assert moved.age_band == ("25-34",) and moved.period == "2026-01"
    assert manager.at_unit("branch", None) == region
    assert manager.at_unit("region", None) == bank
    assert manager.up() == branch and branch.up() == region and region.up() == bank
    # a branch without a region (a branch manager's link) goes up to the whole scoped bank
    lone = ViewState(branch=7)
    assert lone.org_level() == "branch" and lone.up() == ViewState()


# --- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "months", "want"),
    [
        ("2026-01", -1, "2025-12"),
        ("2026-12", 1, "2027-01"),
        ("2026-03", -12, "2025-03"),
        ("2026-01", -25, "2023-12"),
    ],
)
def test_shift_month(period, months, want):
    assert shift_month(period, months) == want


def test_comparison_months():
    data = [shift_month("2024-01", i) for i in range(24)]  # 2024-01 .. 2025-12
    assert ViewState(period="2025-01").comparison(data) == "2024-12"  # across the year boundary
    assert ViewState(period="2025-01", compare="last_year").comparison(data) == "2024-01"
    assert ViewState(period="2024-12", compare="last_year").comparison(data) is None  # no 2023-12
    assert ViewState(period="2024-01").comparison(data) is None  # first month: nothing before
    assert ViewState(period="2024-01").comparison() == "2023-12"  # unchecked without months
    chosen = ViewState(period="2025-06", compare="month", compare_to="2024-03")
    assert chosen.comparison(data) == "2024-03"
    assert chosen.with_(compare_to="2026-03").comparison(data) is None
    assert ViewState(period="2025-06", compare="month").comparison(data) is None
    assert ViewState().comparison(data) is None


def test_resolve_picks_a_month_with_data():
    data = ["2025-10", "2025-11", "2025-12"]
    assert ViewState().resolve(data).period == "2025-12"
    assert ViewState(period="2025-11").resolve(data).period == "2025-11"
    assert ViewState(period="2030-01").resolve(data).period == "2025-12"
    resolved = ViewState(period="2025-11", compare="month", compare_to="2020-01").resolve(data)
    assert resolved.compare_to is None and resolved.comparison(data) is None
    assert ViewState(period="2025-11").resolve([]) == ViewState(period="2025-11")


def test_period_filter():
    import datetime as dt

    state = ViewState(period="2025-11")
    assert state.period_filter("customers") == Filter("customers.month", "eq", (dt.date(2025, 11, 1),))
    assert state.period_filter("holdings", "2024-02").values == (dt.date(2024, 2, 1),)
