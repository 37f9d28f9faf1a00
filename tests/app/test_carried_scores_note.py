"""After an incremental append carried the model scores over (``data.scores.carry_forward``),
every page that shows them says they are as of the previous month, in English and Chinese:
segmentation, cross-sell, customers (segments, value tiers, churn bands), Customer 360 and the
groups builder; with scores computed on the served data, no page says so.

Layouts are rendered by calling the pages' functions in a request context, signed in as the
analyst. The carried state is the served version's own record carried onto itself (the runs
stay the ones the other tests see; the record is put back after each test).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import flask
import flask_login
import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from auth import users
from components.scores_note import carried_text
from cube import connection
from data import paths, scores
from tests.app.test_overview_page import nodes, text

MONTH = "2019-03-01"  # a month the demo data does not hold: the note can only have it from the record
SHOWN = {"en": "Scores as of 2019-03 (computed before the latest month was loaded)"}
SHOWN["zh"] = "评分截至2019年3月（在最新月份数据加载前计算）"
# page -> the ids of its notes
NOTES = {
    "segmentation": ("segmentation--scores-carried",),
    "cross_sell": ("cross-sell--scores-carried",),
    "customers": ("customers--segments-carried", "customers--value-carried", "customers--churn-carried"),
    "customer360": ("c360--scores-carried",),
    "groups": ("groups--scores-carried",),
}


def _page(name: str):
    # Dash imported the pages as it registered them: take those very modules
    return importlib.import_module(f"pages.{name}")


def _tree(layout) -> list | dict:
    return json.loads(json.dumps(layout, cls=PlotlyJSONEncoder))


def _render(mams_app, name: str, lang: str, customer: int) -> list | dict:
    """The page's layout (Customer 360: the customer's sections) as the browser receives it."""
    with mams_app.server.test_request_context("/"):
        flask_login.login_user(users.get_user("analyst"))
        flask.session["lang"] = lang
        page = _page(name)
        layout = page.show_customer(str(customer)) if name == "customer360" else page.layout()
        return _tree(layout)


def _notes(tree) -> dict[str, str]:
    """Text of every carried-scores note in the tree, by id (any id ending "-carried")."""
    return {
        n["props"]["id"]: text(n)
        for n in nodes(tree)
        if isinstance(n["props"].get("id"), str) and n["props"]["id"].endswith("-carried")
    }


@pytest.fixture(scope="module")
def runs(mams_app, segmentation_and_value_runs, crosssell_and_churn_runs) -> None:
    """All four kinds of scores published on the served data."""
    assert set(scores.current(connection.warehouse_version())) == set(scores.ATTRIBUTES)


@pytest.fixture(scope="module")
def customer(demo_source: Path) -> int:
    ids = pd.read_parquet(demo_source / "customers.parquet", columns=["customer_id"])["customer_id"]
    return int(ids.iloc[0])


@pytest.fixture
def carried(runs):
    """The served version's scores marked as carried over from MONTH by an append."""
    version = connection.warehouse_version()
    record = paths.mining_dir() / "published.json"
    saved = record.read_bytes()
    try:
        found = scores.carry_forward(version, version, MONTH)
        assert {k: p.scored_month for k, p in found.items()} == dict.fromkeys(scores.ATTRIBUTES, MONTH)
        yield found
    finally:
        record.write_bytes(saved)
    assert all(p.scored_month is None for p in scores.current(version).values())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_showing_scores_says_they_are_the_previous_months(mams_app, carried, customer, lang):
    from cube import api

    assert api.scored_months() == dict.fromkeys(scores.ATTRIBUTES, MONTH)
    for name, ids in NOTES.items():
        shown = _notes(_render(mams_app, name, lang, customer))
        assert shown == dict.fromkeys(ids, SHOWN[lang]), name
    # Customer 360's score cards name the month the scores describe, not the run's
    tree = _render(mams_app, "customer360", lang, customer)
    segment = next(n for n in nodes(tree) if n["props"].get("id") == "c360--kpi-segment")
    assert "2019-03" in text(segment)


def test_without_carried_scores_no_page_says_so(mams_app, runs, customer):
    from cube import api

    assert set(api.scored_months().values()) == {None}
    for lang in ("en", "zh"):
        for name in NOTES:
            tree = _render(mams_app, name, lang, customer)
            assert _notes(tree) == {}, name
            assert SHOWN[lang] not in json.dumps(tree, ensure_ascii=False)


def test_the_view_cache_key_changes_once_scores_are_carried(mams_app, runs):
    from pages import _view_cache

    def key() -> str | None:
        with mams_app.server.test_request_context("/"):
            flask_login.login_user(users.get_user("analyst"))
            return _view_cache.view_key("overview", {})

    before = key()
    version = connection.warehouse_version()
    record = paths.mining_dir() / "published.json"
    saved = record.read_bytes()
    try:
        scores.carry_forward(version, version, MONTH)
        during = key()
    finally:
        record.write_bytes(saved)
    assert before is not None and during is not None and during != before
    assert key() == before


def test_the_note_names_the_month_and_only_the_kinds_a_page_shows() -> None:
    months = {"segmentation": "2026-09-01", "value": None, "churn": "2026-08-01"}
    assert carried_text(months, ("segmentation", "value"), "en") == (
        "Scores as of 2026-09 (computed before the latest month was loaded)"
    )
    assert carried_text(months, ("segmentation",), "zh") == "评分截至2026年9月（在最新月份数据加载前计算）"
    assert carried_text(months, ("value", "crosssell"), "en") is None
    assert carried_text({}, ("segmentation",), "en") is None
    assert carried_text(months, ("segmentation", "churn"), "en") == (
        "Scores as of 2026-08 for churn and dormancy, 2026-09 for segmentation "
        "(computed before the latest month was loaded)"
    )
    assert carried_text(months, ("segmentation", "churn"), "zh") == (
        "评分截至流失与休眠2026年8月、客户细分2026年9月（在最新月份数据加载前计算）"
    )
