"""The result cache: hits return the same frame, keys separate scopes, a new version misses."""

from __future__ import annotations

import pandas as pd

from cube import connection, engine
from cube.api import Query, Scope

Q = Query("customers", ("customers.aum", "customers.customers"), ("customers.month", "customers.branch"))


def test_cache_hits_and_invalidation(served, tmp_path, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(tmp_path))
    version = {"v": "v1"}
    monkeypatch.setattr(connection, "data_version", lambda: version["v"])
    first = engine.execute(Q, Scope.all())
    assert not first.cached
    hit = engine.execute(Q, Scope.all())
    assert hit.cached and hit.served_by == first.served_by and hit.columns == first.columns
    pd.testing.assert_frame_equal(hit.frame, first.frame, check_dtype=False)
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0  # private directory

    other_scope = engine.execute(Q, Scope.of("branch", 2))
    assert not other_scope.cached and set(other_scope.frame["customers.branch"]) == {2}
    assert not engine.execute(Q, Scope.all(), lang="zh").cached

    version["v"] = "v2"  # a reload
    assert not engine.execute(Q, Scope.all()).cached
    assert not engine.execute(Q, Scope.all(), use_cache=False).cached


def test_no_cache_without_a_data_version(served):
    engine.execute(Q, Scope.all())
    assert not engine.execute(Q, Scope.all()).cached
