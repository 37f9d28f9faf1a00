"""The run registry behind the Model runs page: one run of a kind at a time per data version
(checked and claimed atomically, tried with threads), progress and cancel requests kept in the
ops store, runs whose process died recorded as failed, refusals and library errors recorded in
words, guard warnings collected into the run record, and approval before publishing."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import psutil
import pytest

from data import ops_store, paths, scores, warehouse
from mining import preflight, runs
from mining.classifier import Cancelled, ScoringModel
from mining.errors import RunRefused, RunUnderWay


@pytest.fixture
def empty_home(tmp_path, monkeypatch, ops_engine):
    """A private MAMS_HOME without a warehouse (data version None): registry-only tests, with the
    store on SQLite and on PostgreSQL."""
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def probe(demo_home, monkeypatch):
    """Register a model kind "probe" whose body the test gives, on the shared demo warehouse."""

    def install(body):
        monkeypatch.setitem(runs.KINDS, "probe", body)
        monkeypatch.setitem(preflight.CHECKS, "probe", lambda con, month, params: None)

    return install


def _live(run_id: str) -> dict:
    con = ops_store.connect()
    try:
        return dict(con.execute("SELECT * FROM mining_run_live WHERE run_id = ?", (run_id,)).fetchone())
    finally:
        con.close()


def _set_live(run_id: str, **values) -> None:
    with ops_store.transaction() as con:
        for key, value in values.items():
            con.execute(f"UPDATE mining_run_live SET {key} = ? WHERE run_id = ?", (value, run_id))


def _row(run_id: str) -> dict:
    frame = runs.list_runs()
    return frame.set_index("run_id").loc[run_id].to_dict()


# --- one run of a kind at a time ---------------------------------------------------------------


def test_only_one_of_many_simultaneous_requests_claims_the_run(empty_home):
    runs.list_runs()  # tables made before the race (as the app does at its first request)
    barrier = threading.Barrier(8)
    won, refused, errors = [], [], []

    def request(i: int) -> None:
        barrier.wait()
        try:
            won.append((f"user{i}", runs.claim("value", created_by=f"user{i}")))
        except RunUnderWay as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - any other error fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(won) == 1 and len(refused) == 7
    winner, run_id = won[0]
    for exc in refused:
        assert exc.key == "run.under_way"
        assert exc.params["by"] == winner and exc.params["run_id"] == run_id
        assert winner in str(exc)
    frame = runs.list_runs("value")
    assert list(frame["status"]) == ["running"]
    # another kind may run meanwhile
    assert runs.claim("segmentation", {"n_clusters": 3}, created_by="other")


def test_a_claimed_run_starts_once_only(empty_home):
    run_id = runs.claim("value", created_by="ann")
    with pytest.raises(warehouse.NoWarehouse):
        runs.execute(run_id)  # no warehouse here: recorded as failed
    assert _row(run_id)["status"] == "failed"
    with pytest.raises(RunRefused) as caught:
        runs.execute(run_id)
    assert caught.value.key == "run.not_claimed"


def test_invalid_parameters_are_refused_before_anything_is_recorded(empty_home):
    with pytest.raises(RunRefused) as caught:
        runs.claim("segmentation", {"n_clusters": 11})
    assert caught.value.key == "params.k"
    assert runs.list_runs().empty


# --- a process that died -----------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not psutil.pid_exists(child.pid)
    return child.pid


def test_a_running_row_whose_process_died_is_recorded_as_failed(empty_home):
    run_id = runs.claim("churn", created_by="ann")
    _set_live(run_id, pid=_dead_pid(), host=socket.gethostname(), pid_started=time.time())
    row = _row(run_id)
    assert row["status"] == "failed"
    assert "process stopped" in row["message"]
    assert row["metrics"]["error"]["key"] == "run.died"
    # ... and it no longer blocks a new run of its kind
    assert runs.claim("churn", created_by="bob")


def test_a_running_row_of_a_live_process_stays_running(empty_home):
    run_id = runs.claim("churn")
    me = psutil.Process()
    _set_live(run_id, pid=me.pid, host=socket.gethostname(), pid_started=me.create_time())
    assert _row(run_id)["status"] == "running"
    # the same pid with another start time is another process (the pid was reused)
    _set_live(run_id, pid_started=me.create_time() - 3600)
    assert _row(run_id)["status"] == "failed"


def test_a_dead_run_that_was_asked_to_cancel_is_recorded_as_cancelled(empty_home):
    run_id = runs.claim("value")
    (paths.mining_dir() / run_id).mkdir()
    runs.request_cancel(run_id, "carol")
    _set_live(run_id, pid=_dead_pid(), host=socket.gethostname(), pid_started=time.time())
    row = _row(run_id)
    assert row["status"] == "cancelled" and row["message"] == "cancelled by carol"
    assert not (paths.mining_dir() / run_id).exists()
    with pytest.raises(RunRefused) as caught:
        runs.request_cancel(run_id, "carol")
    assert caught.value.key == "run.not_running"


def test_a_claim_whose_process_never_started_expires(empty_home, monkeypatch):
    run_id = runs.claim("value")
    assert _row(run_id)["status"] == "running"
    monkeypatch.setattr(runs, "START_GRACE_SECONDS", -1)
    row = _row(run_id)
    assert row["status"] == "failed" and row["metrics"]["error"]["key"] == "run.never_started"


def test_a_process_on_another_host_is_not_judged(empty_home):
    run_id = runs.claim("value")
    _set_live(run_id, pid=_dead_pid(), host="another-machine", pid_started=time.time())
    assert _row(run_id)["status"] == "running"


# --- progress, cancel, errors and warnings of a run ---------------------------------------------


def test_progress_reaches_the_ops_store_at_most_four_times_a_second(probe, monkeypatch):
    writes: list[float] = []
    seen_midway: dict = {}
    original = runs._Reporter.flush

    def counting(self):
        if self.pending is not None:
            writes.append(time.monotonic())
        original(self)

    monkeypatch.setattr(runs._Reporter, "flush", counting)

    def body(con, ctx):
        for i in range(40):
            ctx.step(i / 80, f"step {i}")
            time.sleep(0.025)
        ctx.step(0.5, "half way")
        time.sleep(0.4)  # the latest value lands within PROGRESS_EVERY_SECONDS
        seen_midway.update(_live(ctx.run_id))
        return {"customers": 1}

    probe(body)
    started = time.monotonic()
    result = runs.run("probe", created_by="ann")
    elapsed = time.monotonic() - started
    assert seen_midway["fraction"] == 0.5 and seen_midway["message"] == "half way"
    assert seen_midway["pid"] == os.getpid() and seen_midway["host"] == socket.gethostname()
    gaps = np.diff(writes[:-1])  # the last write (the run ending) may follow at once
    assert len(writes) <= elapsed / runs.PROGRESS_EVERY_SECONDS + 3
    assert (gaps >= runs.PROGRESS_EVERY_SECONDS - 0.02).all()
    row = _row(result.run_id)
    assert row["status"] == "succeeded" and row["fraction"] == 1.0 and row["progress_message"] == "done"
    assert row["created_by"] == "ann" and row["metrics"]["customers"] == 1


def test_a_cancel_request_in_the_ops_store_stops_the_run(probe):
    def body(con, ctx):
        threading.Timer(0.3, runs.request_cancel, (ctx.run_id, "bob")).start()
        ctx.write("partial", pd.DataFrame({"a": [1]}))
        for i in range(500):
            ctx.step(i / 500, f"step {i}")
            time.sleep(0.01)
        return {}

    probe(body)
    with pytest.raises(Cancelled):
        runs.run("probe")
    row = runs.list_runs("probe").iloc[0]
    assert row["status"] == "cancelled" and row["message"] == "cancelled by bob"
    assert not (paths.mining_dir() / row["run_id"]).exists()


def test_a_refusal_is_recorded_with_its_message_key(probe):
    def body(con, ctx):
        raise RunRefused("data.too_few_rows", "only {count} {what}", count=3, what="customers", minimum=50)

    probe(body)
    with pytest.raises(RunRefused):
        runs.run("probe")
    row = runs.list_runs("probe").iloc[0]
    assert row["status"] == "failed" and row["message"] == "only 3 customers"
    assert row["metrics"]["error"] == {
        "key": "data.too_few_rows",
        "params": {"count": 3, "what": "customers", "minimum": 50},
        "message": "only 3 customers",
    }


def test_a_library_error_is_recorded_with_a_short_reason_and_its_traceback(probe):
    def body(con, ctx):
        raise ZeroDivisionError("float division by zero\nsecond line")

    probe(body)
    with pytest.raises(ZeroDivisionError):
        runs.run("probe")
    row = runs.list_runs("probe").iloc[0]
    assert row["status"] == "failed"
    error = row["metrics"]["error"]
    assert error["key"] == "run.failed"
    assert error["params"]["reason"] == "ZeroDivisionError: float division by zero"
    assert "Traceback" in row["metrics"]["traceback"] and "ZeroDivisionError" in row["message"]


def test_the_models_warnings_end_up_in_the_run_record(probe):
    def body(con, ctx):
        rng = np.random.default_rng(0)
        n = 400
        X = pd.DataFrame({"customer_id": np.arange(n), "z": rng.normal(size=n)})
        ScoringModel(max_iter=10).fit(X, rng.random(n) < 0.3)
        ScoringModel(max_iter=10).fit(X, rng.random(n) < 0.4)  # the same warning: listed once
        return {"rows": n}

    probe(body)
    result = runs.run("probe")
    assert [w["feature"] for w in result.metrics["warnings"]] == ["customer_id"]
    assert runs.get_run(result.run_id).metrics["warnings"][0]["key"] == "identifier"


# --- approval before publishing ------------------------------------------------------------------


def test_with_approval_required_a_run_waits_and_an_admin_publishes_it(approval_on):
    version = approval_on
    assert runs.approval_required()
    result = runs.run("value", created_by="ann")
    assert runs.approval_of(result.run_id) == "awaiting"
    published = scores.current(version).get("value")
    assert published is None or published.run_id != result.run_id
    runs.approve(result.run_id, "admin")
    assert scores.current(version)["value"].run_id == result.run_id
    row = _row(result.run_id)
    assert row["approval"] == "approved" and row["approval_by"] == "admin"
    with pytest.raises(RunRefused) as caught:
        runs.approve(result.run_id, "admin")
    assert caught.value.key == "approval.not_awaiting"


def test_a_rejected_run_is_never_published(approval_on):
    version = approval_on
    result = runs.run("value", created_by="ann")
    runs.reject(result.run_id, "admin", "looks odd")
    assert runs.approval_of(result.run_id) == "rejected"
    assert (
        scores.current(version).get("value") is None
        or scores.current(version)["value"].run_id != result.run_id
    )
    with pytest.raises(RunRefused):
        runs.approve(result.run_id, "admin")


def test_without_approval_publishing_stays_automatic(demo_home):
    assert not runs.approval_required()
    result = runs.run("value")
    assert runs.approval_of(result.run_id) is None
    assert scores.current(warehouse.data_version())["value"].run_id == result.run_id
