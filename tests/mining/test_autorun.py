"""The models missing on the served data run at start, in order, through the registry."""

from __future__ import annotations

from mining import autorun, runs
from mining.errors import RunRefused, RunUnderWay


def test_runs_only_the_missing_kinds_in_order_and_goes_on_past_refusals(monkeypatch):
    have = {"value"}
    monkeypatch.setattr(runs, "latest_run", lambda kind, version: object() if kind in have else None)
    started = []

    def fake_run(kind, params=None, created_by=None):
        started.append((kind, created_by))
        if kind == "churn":
            raise RunRefused(
                "churn.no_closures", "no customers closed in the data, so churn cannot be trained"
            )
        if kind == "crosssell":
            raise RunUnderWay("run.under_way", "a crosssell run is already under way", kind="crosssell")
        if kind == "response":
            raise ZeroDivisionError("boom")

    monkeypatch.setattr(runs, "run", fake_run)
    lines = []
    outcome = autorun.run_missing(log=lines.append)
    assert [k for k, _ in started] == ["segmentation", "crosssell", "churn", "response"]
    assert {by for _, by in started} == {autorun.STARTED_BY}
    assert outcome["segmentation"] == "succeeded"
    assert "cannot be trained" in outcome["churn"] and "under way" in outcome["crosssell"]
    assert outcome["response"].startswith("failed:") and "boom" in outcome["response"]
    assert len(lines) == 4


def test_nothing_starts_when_every_model_has_run(monkeypatch):
    monkeypatch.setattr(runs, "latest_run", lambda kind, version: object())
    assert autorun.missing_kinds("v") == []
    assert autorun.start_in_background() is None
