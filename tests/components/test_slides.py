"""Deck slides: the figures on a slide are the cube's for the viewer's scope, a branch's slide
holds no other branch's figures, and every part of every page builds in both languages."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from components import slides
from components.formatting import format_value
from cube.api import Query, Scope, execute
from cube.views import branches as branches_view
from cube.views import options
from cube.views import overview as overview_view
from cube.views.state import ViewState


@pytest.fixture(scope="module")
def two_branches(demo_home: Path) -> list[tuple[int, int]]:
    """(region, branch) of the two biggest branches."""
    q = Query("customers", ("customers.customers",), ("customers.region", "customers.branch"))
    frame = execute(q, Scope.all(identities=False)).frame.sort_values("customers.customers", ascending=False)
    return [
        (int(r), int(b)) for r, b in zip(frame["customers.region"], frame["customers.branch"], strict=True)
    ][:2]


def _numbers(content) -> set[float]:
    """Every number a slide shows: KPI values and the chart's plotted values."""
    found = {k.value for k in content.kpis if k.value is not None}
    if content.figure is not None:
        for trace in content.figure.data:
            for axis in ("x", "y"):
                values = getattr(trace, axis, None)
                if values is None:
                    continue
                found |= {float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return {v for v in found if v and not math.isnan(v)}


def test_branch_slide_kpis_equal_the_cube_for_that_branch(two_branches):
    (region, branch), _other = two_branches
    scope = Scope.of("branch", branch, identities=False)
    content = slides.build_slide({"path": "/branches", "search": "", "part": "kpis"}, scope, "en", None)
    state = ViewState(region=region, branch=branch).resolve(options.months(scope))
    want = branches_view.kpis(state, scope)
    meta = branches_view.kpi_meta("en")
    assert [k.label for k in content.kpis] == [meta[k][0] for k in branches_view.KPIS]
    assert [k.value for k in content.kpis] == [want[k] for k in branches_view.KPIS]
    assert [k.text for k in content.kpis] == [
        format_value(want[k], meta[k][1], "en") for k in branches_view.KPIS
    ]
    name = branches_view.unit_name("branch", branch, scope, "en")
    assert content.subtitle == f"{name} · {state.period}"
    assert content.figure is None and content.table is None  # the KPI group alone


def test_a_branch_slide_holds_no_other_branch_figures(two_branches):
    (region, branch), (_r2, other) = two_branches
    scope = Scope.of("branch", branch, identities=False)
    mine = slides.build_slide({"path": "/branches", "part": "view"}, scope, "en", None)
    assert mine.kpis and mine.figure is not None
    period = ViewState().resolve(options.months(scope)).period
    theirs = branches_view.kpis(ViewState(branch=other, period=period), Scope.all(identities=False))
    own = branches_view.kpis(ViewState(branch=branch, period=period), Scope.all(identities=False))
    assert {k.value for k in mine.kpis} >= {own["aum"], own["customers"]}
    leaked = {theirs[k] for k in ("aum", "deposits", "loans", "contribution")} & _numbers(mine)
    assert not leaked
    # a slide made on the other branch (e.g. by an analyst, then shared) shows this viewer nothing
    forged = slides.build_slide({"path": "/branches", "search": f"?branch={other}"}, scope, "en", None)
    assert not forged.kpis and forged.figure is None and forged.message


def test_overview_kpis_are_the_tiles(demo_home):
    scope = Scope.all(identities=False)
    content = slides.build_slide({"path": "/", "part": "kpis"}, scope, "zh", None)
    tiles = overview_view.kpi_tiles(ViewState().resolve(options.months(scope)), scope, "zh")
    assert [(k.label, k.value) for k in content.kpis] == [(t["label"], t["value"]) for t in tiles]
    assert content.subtitle.startswith("全行 · ")


@pytest.mark.parametrize("path", list(slides.PAGES))
def test_every_part_builds_without_customer_rows(demo_home, path):
    presenter = Scope.for_role("presenter")
    parts = slides.parts_for(path, "en")
    assert parts[0][0] == slides.DEFAULT_PART and len(parts) >= 3
    for part, label in parts:
        assert label
        content = slides.build_slide({"path": path, "part": part, "notes": "n"}, presenter, "en", None)
        assert content.kpis or content.figure is not None, (path, part, content.message)
        assert content.notes == "n" and content.data_version
        if content.table is not None:
            assert not {"customer_id", "customer_name"} & set(content.table.columns)


def test_unknown_page_or_part_says_so(demo_home):
    scope = Scope.all(identities=False)
    assert slides.parts_for("/admin") == []
    assert slides.build_slide({"path": "/admin"}, scope, "en", None).message
    assert slides.build_slide({"path": "/branches", "part": "nope"}, scope, "en", None).message
