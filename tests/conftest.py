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
