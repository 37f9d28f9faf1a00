"""The result cache on Redis (``MAMS_REDIS_URL``, several web nodes share it), against a real
``redis-server``: the same hits and misses as on disk, what is stored (prefixed keys with a
time to live, no oversized entries), a clear that leaves other keys alone, and a Redis that is
down serving uncached with one warning, then used again once it is back."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from cube import cache, connection, engine
from cube.api import Query, Scope
from tests.redis_server import _free_port

Q = Query("customers", ("customers.aum", "customers.customers"), ("customers.month", "customers.branch"))


@pytest.fixture
def on_redis(served, redis_server, tmp_path, monkeypatch):
    """The cube on the tiny warehouse, its cache on a fresh Redis database (db 1), nothing
    cached or faulted before; returns a client of that database."""
    monkeypatch.setenv("MAMS_HOME", str(tmp_path))
    monkeypatch.setenv("MAMS_REDIS_URL", redis_server.url(1))
    monkeypatch.delenv("MAMS_CACHE", raising=False)
    monkeypatch.setattr(connection, "data_version", lambda: "v1")
    client = redis_server.client(1)
    client.flushdb()
    saved = dict(cache._caches)
    cache._caches.clear()
    cache.reset_faults()
    yield client
    cache._caches.clear()
    cache._caches.update(saved)
    cache.reset_faults()


def test_hits_come_from_redis_under_prefixed_keys_with_a_time_to_live(on_redis, tmp_path):
    first = engine.execute(Q, Scope.all())
    assert not first.cached
    hit = engine.execute(Q, Scope.all())
    assert hit.cached and hit.served_by == first.served_by and hit.columns == first.columns
    pd.testing.assert_frame_equal(hit.frame, first.frame, check_dtype=False)
    names = on_redis.keys("*")
    assert len(names) == 1 and names[0].startswith(cache.REDIS_PREFIX.encode())
    assert 0 < on_redis.ttl(names[0]) <= cache.REDIS_TTL_SECONDS
    assert not (tmp_path / "cache").exists()  # nothing on this node's disk

    # another node (another process: a fresh store object) sees the same entry
    cache._caches.clear()
    assert engine.execute(Q, Scope.all()).cached
    assert not engine.execute(Q, Scope.of("branch", 2)).cached  # scopes still apart


def test_a_disk_cache_can_still_be_chosen_beside_redis_jobs(on_redis, tmp_path, monkeypatch):
    monkeypatch.setenv("MAMS_CACHE", "disk")
    engine.execute(Q, Scope.all())
    assert engine.execute(Q, Scope.all()).cached
    assert on_redis.keys("*") == [] and (tmp_path / "cache").is_dir()


def test_oversized_results_are_not_cached(on_redis, monkeypatch):
    monkeypatch.setattr(cache, "REDIS_MAX_ENTRY_BYTES", 16)
    engine.execute(Q, Scope.all())
    assert not engine.execute(Q, Scope.all()).cached
    assert on_redis.keys("*") == []


def test_clear_removes_the_cache_keys_only(on_redis):
    engine.execute(Q, Scope.all())
    engine.execute(Q, Scope.of("branch", 2))
    on_redis.set("celery-task-meta-x", b"{}")  # what the jobs' result store keeps beside it
    cache.clear()
    assert on_redis.keys("*") == [b"celery-task-meta-x"]
    assert not engine.execute(Q, Scope.all()).cached


def test_a_redis_that_is_down_serves_uncached_with_one_warning_then_is_used_again(
    on_redis, monkeypatch, caplog
):
    expected = engine.execute(Q, Scope.all(), use_cache=False).frame
    nobody = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    monkeypatch.setenv("MAMS_REDIS_URL", nobody)
    caplog.set_level(logging.WARNING, logger="cube.cache")
    for scope in (Scope.all(), Scope.all(), Scope.of("branch", 2)):
        result = engine.execute(Q, scope)
        assert not result.cached
    pd.testing.assert_frame_equal(engine.execute(Q, Scope.all()).frame, expected, check_dtype=False)
    warnings = [r.getMessage() for r in caplog.records if r.name == "cube.cache"]
    assert len(warnings) == 1 and "serving without it" in warnings[0] and "Redis at" in warnings[0]

    monkeypatch.setenv("MAMS_REDIS_URL", _url(on_redis))
    cache.reset_faults()  # as when the retry interval has passed (not monkeypatched: undone too late)
    engine.execute(Q, Scope.all())
    assert engine.execute(Q, Scope.all()).cached


def _url(client) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"


def test_messages_never_carry_the_password():
    assert cache.redacted("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert cache.redacted("rediss://mams:s3cret@cache:6380/2") == "rediss://mams:***@cache:6380/2"
    assert cache.redacted("redis://cache:6379/0") == "redis://cache:6379/0"
