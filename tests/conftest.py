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
