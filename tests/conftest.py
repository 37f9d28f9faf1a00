"""Shared fixtures: one demo warehouse per test session, in a private temporary home.

Building the warehouse is the slowest step of the suite, so every test that needs data shares
this one (session scope). Tests that must change the warehouse build their own small one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The scale the shared test warehouse is generated at: big enough for the mining tests to
# find the planted truth, small enough to build in seconds.
TEST_CUSTOMERS = 8000
TEST_MONTHS = 24
TEST_SEED = 7

# Servers the tests start (python app.py, gunicorn) do not warm data versions in the background:
# the CPU belongs to the tests. tests/cube/test_warm.py runs the warm itself.
os.environ["MAMS_WARM"] = "0"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder (MAMS_HOME) holding a freshly generated and loaded demo warehouse."""
    from data.demo import ensure_demo_warehouse

    home = tmp_path_factory.mktemp("mams_home")
    os.environ["MAMS_HOME"] = str(home)
    ensure_demo_warehouse(customers=TEST_CUSTOMERS, months=TEST_MONTHS, seed=TEST_SEED)
    return home


@pytest.fixture(scope="session")
def demo_source(demo_home: Path) -> Path:
    """The generated Parquet files the demo warehouse was loaded from (for independent checks)."""
    from data import paths

    return paths.demo_source_dir()


SECOND_CUSTOMERS = 3000
SECOND_MONTHS = 18
SECOND_SEED = 11


@pytest.fixture(scope="session")
def second_bank_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another generated bank (other seed, size and months), for checking that a view's figures
    hold on more than the one warehouse the code was written against. Built once per session;
    use :func:`second_bank` to point the cube at it."""
    from data import demo

    home = tmp_path_factory.mktemp("second_bank")
    os.environ["MAMS_HOME"] = str(home)
    try:
        demo.ensure_demo_warehouse(
            customers=SECOND_CUSTOMERS, months=SECOND_MONTHS, seed=SECOND_SEED, log=lambda _l: None
        )
    finally:
        os.environ["MAMS_HOME"] = str(demo_home)
    return home


@pytest.fixture
def second_bank(second_bank_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """For one test, the cube serves the second bank; returns its generated Parquet folder.
    (The cube follows MAMS_HOME: its caches are keyed by the data version.)"""
    from data import paths

    monkeypatch.setenv("MAMS_HOME", str(second_bank_home))
    return paths.demo_source_dir()


@pytest.fixture()
def no_published_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warehouse as first loaded, whatever model runs other tests published on it: no
    segment, value, cross-sell or churn scores (for tests of the "not run yet" states)."""
    from data import scores

    monkeypatch.setattr(scores, "current", lambda _version: {})


@pytest.fixture(scope="session")
def crosssell_and_churn_runs(demo_home: Path) -> dict:
    """One segmentation, cross-sell, churn and response run on the demo warehouse (in that
    order: cross-sell reads the segmentation of its version), shared by the Cross-sell tests.
    Returns kind -> RunResult."""
    from threadpoolctl import threadpool_limits

    from mining import runs

    with threadpool_limits(limits=1):
        return {
            kind: runs.run(kind, {"train_size": 6000} if kind == "crosssell" else None)
            for kind in ("segmentation", "crosssell", "churn", "response")
        }


@pytest.fixture(scope="session")
def segmentation_and_value_runs(demo_home: Path):
    """A segmentation run and a value run on the demo warehouse, once per session (both publish
    their scores to the cube). Returns (segmentation, value) ``RunResult``s; pages show the
    latest succeeded run of each kind, which later tests may replace."""
    from threadpoolctl import threadpool_limits

    from mining import runs

    with threadpool_limits(limits=1):
        return runs.run("segmentation", {"random_state": 0}), runs.run("value", {"random_state": 0})


@pytest.fixture
def approval_on(demo_home: Path):
    """Approval required for one test (returns the served data version). After it the shared
    demo is as before: the value scores published before are published again, and the runs the
    test started are set aside (marked rejected), so the latest value run the pages show is again
    the one the cube serves (an approved test run left newest would show no value tiers)."""
    from data import ops_store, scores, warehouse
    from mining import runs

    version = warehouse.data_version()
    before = scores.current(version).get("value")
    known = set(runs.list_runs()["run_id"])
    runs.set_approval_required(True, "admin")
    yield version
    runs.set_approval_required(False, "admin")
    started = set(runs.list_runs()["run_id"]) - known
    with ops_store.transaction() as con:
        for run_id in started:
            con.execute(
                "UPDATE mining_approvals SET state = 'rejected', note = 'set aside after a test' "
                "WHERE run_id = ?",
                (run_id,),
            )
    if before is not None:
        scores.publish("value", version, before.run_id, before.path)


# --- the operational store on both engines ------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster for this test session (tests/pg_server.py)."""
    from tests.pg_server import Server

    server = Server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway Redis for this test session (tests/redis_server.py)."""
    from tests.redis_server import Server

    server = Server()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def ops_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Run the test on the SQLite store (the default) and on an empty PostgreSQL database
    (``MAMS_OPS_URL``); the value is the engine's name."""
    from data import ops_store

    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").new_database()
        monkeypatch.setenv("MAMS_OPS_URL", url)
    else:
        monkeypatch.delenv("MAMS_OPS_URL", raising=False)
    yield request.param
    if url is not None:  # close its pooled connections (the cluster allows 100)
        ops_store.dispose(url)
