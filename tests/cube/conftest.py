"""Fixtures of the cube tests: a tiny in-memory warehouse served through the cube."""

from __future__ import annotations

import uuid

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


@pytest.fixture()
def scored(tiny_con, tiny_source, tmp_path, monkeypatch):
    """The tiny warehouse served under a version of its own, with segment and value scores
    published for it in a private home; yields (version, published frames by kind)."""
    monkeypatch.setenv("MAMS_HOME", str(tmp_path))
    version = f"tiny-{uuid.uuid4().hex[:8]}"
    published = tiny.publish_scores(tmp_path, version, tiny_source, tiny_con)
    connection.use_connection(tiny_con, version=version)
    yield version, published
    connection.use_connection(None)
