"""Concurrent queries from several threads each use their own cursor and all succeed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cube import engine
from cube.api import Scope
from cube.standard_queries import STANDARD_QUERIES


def test_parallel_queries_agree_with_serial(served):
    queries = [s.query for s in STANDARD_QUERIES]
    serial = [engine.execute(q, Scope.all(), use_cache=False).frame for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(
            pool.map(lambda q: engine.execute(q, Scope.all(), use_cache=False).frame, queries * 2)
        )
    for i, frame in enumerate(parallel):
        assert frame.equals(serial[i % len(queries)])
