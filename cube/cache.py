"""Result cache: values as Arrow IPC bytes (no pickle), on disk or on Redis.

Keys hash the canonical query, the scope, the language and the data version, so a reload
(new version) never serves an old answer.

Where it lives (``MAMS_CACHE``, derived from ``MAMS_REDIS_URL`` when unset):

- ``disk`` (one machine, the default): diskcache in ``data.paths.cache_dir()``, at most
  ``DISK_LIMIT_BYTES``; diskcache evicts the least recently stored entries past that.
- ``redis`` (several web nodes share one cache): each entry is the Redis string
  ``mams:cube:<key>`` (the same keys as on disk), written with a time to live of
  ``REDIS_TTL_SECONDS``; an old data version's entries are never asked for again and expire.
  A result over ``REDIS_MAX_ENTRY_BYTES`` is not cached (it would crowd out many small ones).
  The size of the whole cache is Redis's ``maxmemory``; with ``maxmemory-policy volatile-lru``
  Redis evicts only keys that have a time to live (these entries), never the job queue.
  :func:`clear` deletes the ``mams:cube:`` keys only, never the whole database (the jobs'
  broker and results may share it).

The cache is an optimisation, never a condition of serving: a folder the app cannot write
(wrong owner, read-only files, a regular file in its place), a full disk, or a Redis that is
down or refuses the write turns it off for ``RETRY_SECONDS`` with one logged warning per
process, and queries run uncached meanwhile. A Redis that does not answer is given
``REDIS_TIMEOUT_SECONDS``, so a request is never held longer than that by the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import diskcache
import pyarrow as pa
from redis.exceptions import RedisError

from cube.query import ColumnInfo, Result
from data import paths
from settings import get_settings

log = logging.getLogger(__name__)

RETRY_SECONDS = 300.0
DISK_LIMIT_BYTES = 2**30
REDIS_PREFIX = "mams:cube:"
REDIS_TTL_SECONDS = 24 * 3600
REDIS_MAX_ENTRY_BYTES = 16 * 2**20
REDIS_TIMEOUT_SECONDS = 1.0
# What a cache that cannot be used raises: the OS (permissions, ENOSPC, a file in the way),
# diskcache's SQLite index ("readonly database", "database or disk is full"), diskcache's own
# lock timeout, and redis-py (connection refused or timed out, OOM refusals, a read-only replica).
FAULTS = (OSError, sqlite3.Error, diskcache.Timeout, RedisError)

_lock = threading.Lock()
_caches: dict[str, Any] = {}
_off_until = 0.0  # monotonic time before which the cache is not tried again
_warned = False  # the one warning of this process has been logged


class RedisStore:
    """The cache's three operations on Redis, under :data:`REDIS_PREFIX` with a time to live."""

    def __init__(self, url: str) -> None:
        import redis  # only a node configured for Redis needs the client

        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )

    def get(self, k: str) -> bytes | None:
        return self.client.get(REDIS_PREFIX + k)

    def set(self, k: str, value: bytes) -> None:
        if len(value) <= REDIS_MAX_ENTRY_BYTES:
            self.client.set(REDIS_PREFIX + k, value, ex=REDIS_TTL_SECONDS)

    def clear(self) -> int:
        removed = 0
        batch: list[bytes] = []
        for name in self.client.scan_iter(match=REDIS_PREFIX + "*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                removed += self.client.unlink(*batch)
                batch.clear()
        if batch:
            removed += self.client.unlink(*batch)
        return removed


def where() -> str:
    """Where the cache lives, for messages: its folder, or the Redis URL without a password."""
    settings = get_settings()
    if settings.cache_backend == "redis":
        return f"Redis at {redacted(settings.redis_url or '')}"
    return str(paths.home_path() / "cache")


def redacted(url: str) -> str:
    """``url`` without its password (log lines and messages never carry it)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + netloc).geturl()


def _cache():
    settings = get_settings()
    if settings.cache_backend == "redis":
        name = f"redis:{settings.redis_url}"
        with _lock:
            if name not in _caches:
                _caches[name] = RedisStore(settings.redis_url or "")
            return _caches[name]
    d = str(paths.cache_dir())
    with _lock:
        if d not in _caches:
            _caches[d] = diskcache.Cache(d, size_limit=DISK_LIMIT_BYTES)
        return _caches[d]


def _available() -> bool:
    return time.monotonic() >= _off_until


def _fault(exc: BaseException, doing: str) -> None:
    """Turn the cache off for a while; warn once per process, not once per request."""
    global _off_until, _warned
    with _lock:
        _off_until = time.monotonic() + RETRY_SECONDS
        first = not _warned
        _warned = True
    if first:
        fix = (
            "Check that Redis runs and accepts writes (maxmemory, a read-only replica)."
            if get_settings().cache_backend == "redis"
            else "Make the folder writable by the user the app runs as, or free disk space."
        )
        log.warning(
            "The result cache in %s cannot be used (%s while %s): serving without it, and "
            "trying again every %d s. %s",
            where(),
            exc,
            doing,
            int(RETRY_SECONDS),
            fix,
        )
    else:
        log.debug("result cache still unavailable: %s", exc)


def key(kind: str, *parts: Any) -> str:
    """Stable key from reprs of frozen dataclasses and plain values."""
    return hashlib.sha256(repr((kind, *parts)).encode()).hexdigest()


def put(k: str, result: Result) -> None:
    """Store ``result`` under ``k``; does nothing (after one warning) if the cache cannot be written."""
    if not _available():
        return
    table = pa.Table.from_pandas(result.frame, preserve_index=False)
    meta = {
        "columns": {n: [c.role, c.label_en, c.label_zh, c.fmt] for n, c in result.columns.items()},
        "sql": result.sql,
        "served_by": result.served_by,
        "total_rows": result.total_rows,
    }
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"mams": json.dumps(meta).encode()}
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    put_bytes(k, sink.getvalue().to_pybytes(), "storing a result")


def get(k: str) -> Result | None:
    """The cached result under ``k``, or None (a miss, or a cache that cannot be used)."""
    raw = get_bytes(k, "reading a result")
    if raw is None:
        return None
    table = pa.ipc.open_stream(raw).read_all()
    meta = json.loads(table.schema.metadata[b"mams"])
    cols = {n: ColumnInfo(n, *v) for n, v in meta["columns"].items()}
    return Result(
        None, table.to_pandas(), cols, meta["sql"], meta["served_by"], total_rows=meta.get("total_rows")
    )


def put_bytes(k: str, value: bytes, doing: str = "storing an answer") -> None:
    """Store bytes under ``k`` (results, and answers other layers keep); does nothing (after
    one warning) if the cache cannot be written."""
    if not _available():
        return
    try:
        _cache().set(k, value)
    except FAULTS as exc:
        _fault(exc, doing)


def get_bytes(k: str, doing: str = "reading an answer") -> bytes | None:
    """The bytes stored under ``k``, or None (a miss, or a cache that cannot be used)."""
    if not _available():
        return None
    try:
        return _cache().get(k)
    except FAULTS as exc:
        _fault(exc, doing)
        return None


def clear() -> None:
    """Drop every cached result (nothing to drop if the cache cannot be used)."""
    try:
        _cache().clear()
    except FAULTS as exc:
        _fault(exc, "clearing")


def reset_faults() -> None:
    """Forget an earlier fault (tests, or an operator who fixed the folder without a restart)."""
    global _off_until, _warned
    with _lock:
        _off_until = 0.0
        _warned = False
