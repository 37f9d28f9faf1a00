"""Result cache: diskcache in data.paths.cache_dir(), values as Arrow IPC bytes (no pickle).

Keys hash the canonical query, the scope, the language and the data version, so a reload
(new version) never serves an old answer.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import diskcache
import pyarrow as pa

from cube.query import ColumnInfo, Result
from data import paths

_lock = threading.Lock()
_caches: dict[str, Any] = {}


def _cache():
    d = str(paths.cache_dir())
    with _lock:
        if d not in _caches:
            _caches[d] = diskcache.Cache(d, size_limit=2**30)
        return _caches[d]


def key(kind: str, *parts: Any) -> str:
    """Stable key from reprs of frozen dataclasses and plain values."""
    return hashlib.sha256(repr((kind, *parts)).encode()).hexdigest()


def put(k: str, result: Result) -> None:
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
    _cache().set(k, sink.getvalue().to_pybytes())


def get(k: str) -> Result | None:
    raw = _cache().get(k)
    if raw is None:
        return None
    table = pa.ipc.open_stream(raw).read_all()
    meta = json.loads(table.schema.metadata[b"mams"])
    cols = {n: ColumnInfo(n, *v) for n, v in meta["columns"].items()}
    return Result(
        None, table.to_pandas(), cols, meta["sql"], meta["served_by"], total_rows=meta.get("total_rows")
    )


def clear() -> None:
    """Drop every cached result."""
    _cache().clear()
