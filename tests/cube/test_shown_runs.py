"""Which run the views show (cube.views.shown_runs): the one the cube serves, fitted on the served
data or carried over to it by a monthly append; a newer run awaiting approval is not shown; with
nothing published, the latest succeeded run on the served data; runs of other data never."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cube.views.shown_runs import shown_run
from data import paths, scores, warehouse
from mining import runs


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty home whose served data version the test sets (``served["version"]``)."""
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    served = {"version": "v1"}
    monkeypatch.setattr(warehouse, "data_version", lambda: served["version"])
    return served


def _succeeded(kind: str) -> str:
    """A succeeded run of ``kind`` on the served version, with a one-customer scores file."""
    run_id = runs.claim(kind, created_by="analyst")
    out = paths.mining_dir() / "runs" / run_id / "scores.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql("SELECT 1000 AS customer_id, 'gold' AS value_tier, 0.5 AS value_score").write_parquet(str(out))
    runs._finish(run_id, "succeeded", {"month": "2026-09-01"}, {"customers": str(out)}, None)
    return run_id


def _publish(kind: str, version: str, run_id: str) -> None:
    scores.publish(kind, version, run_id, paths.mining_dir() / "runs" / run_id / "scores.parquet")


def test_the_served_run_then_the_carried_one_then_the_new_one(home: dict) -> None:
    assert shown_run("value", "v1") is None
    first = _succeeded("value")
    assert shown_run("value", "v1").run_id == first  # nothing published: the latest succeeded
    _publish("value", "v1", first)
    assert shown_run("value", "v1").run_id == first
    # an append: v2 is served, v1's scores carried over; no run on v2 yet
    home["version"] = "v2"
    scores.carry_forward("v1", "v2", "2026-09-01")
    assert runs.latest_run("value", "v2") is None
    shown = shown_run("value", "v2")
    assert shown is not None and shown.run_id == first and shown.data_version == "v1"
    # the models run on v2; its scores replace the carried ones
    second = _succeeded("value")
    _publish("value", "v2", second)
    assert shown_run("value", "v2").run_id == second
    assert shown_run("value", "v3") is None  # other data: never another version's run


def test_a_newer_run_awaiting_approval_is_not_shown(home: dict) -> None:
    first = _succeeded("value")
    _publish("value", "v1", first)
    runs.set_approval_required(True, "admin")
    newer = _succeeded("value")
    runs._ask_approval(newer)
    assert shown_run("value", "v1").run_id == first


def test_published_scores_of_a_run_fitted_on_other_data_are_not_shown_as_this_datas(home: dict) -> None:
    first = _succeeded("value")
    # published under v2 without an append (no scored month): not a run of v2's data
    _publish("value", "v2", first)
    assert shown_run("value", "v2") is None
