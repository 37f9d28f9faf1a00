"""Result cache: diskcache in data.paths.cache_dir(), values as Arrow IPC bytes (no pickle).

Keys hash the canonical query, the scope, the language and the data version, so a reload
(new version) never serves an old answer.

The cache is an optimisation, never a condition of serving: a folder the app cannot write
(wrong owner, read-only files, a regular file in its place) or a full disk turns it off for
``RETRY_SECONDS`` with one logged warning per process, and queries run uncached meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from typing import Any

import diskcache
import pyarrow as pa

from cube.query import ColumnInfo, Result
from data import paths

log = logging.getLogger(__name__)

RETRY_SECONDS = 300.0
# What a cache folder that cannot be written raises: the OS (permissions, ENOSPC, a file in
# the way), diskcache's SQLite index ("readonly database", "database or disk is full") and
# diskcache's own lock timeout.
FAULTS = (OSError, sqlite3.Error, diskcache.Timeout)

_lock = threading.Lock()
_caches: dict[str, Any] = {}
_off_until = 0.0  # monotonic time before which the cache is not tried again
_warned = False  # the one warning of this process has been logged


def _cache():
    d = str(paths.cache_dir())
    with _lock:
        if d not in _caches:
            _caches[d] = diskcache.Cache(d, size_limit=2**30)
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
        log.warning(
            "The result cache in %s cannot be used (%s while %s): serving without it, and "
            "trying again every %d s. Make the folder writable by the user the app runs as, or "
            "free disk space.",
            paths.home_path() / "cache",
            exc,
            doing,
            int(RETRY_SECONDS),
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
    try:
        _cache().set(k, sink.getvalue().to_pybytes())
    except FAULTS as exc:
        _fault(exc, "storing a result")


def get(k: str) -> Result | None:
    """The cached result under ``k``, or None (a miss, or a cache that cannot be used)."""
    if not _available():
        return None
    try:
        raw = _cache().get(k)
    except FAULTS as exc:
        _fault(exc, "reading a result")
        return None
    if raw is None:
        return None
    table = pa.ipc.open_stream(raw).read_all()
    meta = json.loads(table.schema.metadata[b"mams"])
    cols = {n: ColumnInfo(n, *v) for n, v in meta["columns"].items()}
    return Result(
        None, table.to_pandas(), cols, meta["sql"], meta["served_by"], total_rows=meta.get("total_rows")
    )


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
