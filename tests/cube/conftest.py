"""Fixtures of the cube tests: a tiny in-memory warehouse served through the cube."""

from __future__ import annotations

import pytest

from cube import connection
from tests.cube import tiny


@pytest.fixture(scope="session")
def tiny_source():
    return tiny.source_frames()


@pytest.fixture(scope="session")
def tiny_con(tiny_source):
    con = tiny.build(tiny_source)
    yield con
    con.close()


@pytest.fixture()
def served(tiny_con):
    """Serve the cube from the tiny warehouse for one test."""
    connection.use_connection(tiny_con)
    yield tiny_con
    connection.use_connection(None)
