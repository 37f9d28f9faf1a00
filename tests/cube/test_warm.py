"""The background warm of a new data version: after it, users of every kind of scope compile
no plan, head office's figures come from the cache, and it waits while its process serves."""

from __future__ import annotations

import threading
import time

import pytest

from cube import connection, engine, warm
from cube.api import Scope, execute
from cube.views import options
from cube.views.state import ViewState


@pytest.mark.slow
def test_after_a_warm_no_scope_compiles_a_plan_for_its_first_views(demo_home, monkeypatch):
    monkeypatch.setattr(engine, "_plans", type(engine._plans)())
    report = warm.warm(yield_to_requests=False)
    assert report.complete and report.scopes == ["bank", "branch", "manager", "region"]
    assert report.renders == 5 * 2 + 5 * 3 and report.plans_compiled > 50
    warmed_branch = warm.representative_scopes()["branch"].rows[0].ids[0]
    bank = Scope.all(identities=False)
    state = ViewState().resolve(options.months(bank))
    other_region = state.with_(region=options.org_options("region", state, bank, "en")[-1]["value"])
    other_branch = options.org_options("branch", other_region, bank, "en")[-1]["value"]
    assert other_branch != warmed_branch
    compiled = engine.stats["plans_compiled"]
    for scope in (Scope.of("branch", other_branch), Scope.all(identities=True), Scope.of("region", 2)):
        for view in warm.VIEWS:
            view.render(ViewState().resolve(options.months(scope)), scope, "en")
    assert engine.stats["plans_compiled"] == compiled  # every plan was ready
    for lang in warm.LANGS:  # head office's figures are kept, in both languages
        assert execute(options.org_query("region", state), bank, lang).cached


def test_a_warm_that_sees_a_new_version_stops(demo_home, monkeypatch):
    real = connection.data_version
    calls = {"n": 0}

    def changing():
        calls["n"] += 1
        return real() if calls["n"] < 40 else "another-version"

    monkeypatch.setattr(connection, "data_version", changing)
    report = warm.warm(yield_to_requests=False)
    assert not report.complete and report.version == real()


def test_the_warm_waits_while_its_process_serves_a_request():
    warm.request_started()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (warm.wait_for_quiet(), done.set()))
    thread.start()
    try:
        assert not done.wait(warm.QUIET_SECONDS + 0.3)  # a request is being served
    finally:
        warm.request_finished()
    assert done.wait(warm.QUIET_SECONDS + 2)
    thread.join()


def test_the_app_counts_each_request_it_serves(demo_home):
    import app

    before = warm._activity["last_end"]
    time.sleep(0.01)
    assert app.server.test_client().get("/login").status_code == 200
    assert warm._activity["serving"] == 0 and warm._activity["last_end"] > before


@pytest.mark.parametrize("env", [{"MAMS_WARM": "0"}, {"MAMS_WARM": "1", "MAMS_ENGINE": "spark"}])
def test_no_warm_when_turned_off_or_on_spark(env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert warm.start() is None
