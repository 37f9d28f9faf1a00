"""Published customer scores: the model outputs the cube joins as customer dimensions.

A succeeded segmentation or value run publishes its per-customer file here, for the warehouse
version it was fitted on; the cube then offers ``segment`` and ``value_tier`` as customer
dimensions. Only publications for the warehouse version being served are used: after a reload
the old scores could belong to other customers (a bank's own data replacing the demo), so
customers show as "not scored" until the models run again.

Publishing also builds the rollups declared ``published_by`` the kind (customer_month by
segment, by value tier), so that segment queries are as fast as the other customer queries.

The record is one small JSON file (``published.json`` in the mining folder), replaced
atomically; readers cache it by modification time, so checking it costs a ``stat`` per query.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from data import derive, paths, rollups, warehouse

# kind of model run -> columns of its customers file that become customer dimensions
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "segmentation": ("segment", "segment_name", "segment_name_zh"),
    "value": ("value_tier",),
}
# each attribute column's DuckDB type, for a null column when nothing is published
ATTRIBUTE_TYPES: dict[str, str] = {
    "segment": "int32",
    "segment_name": "string",
    "segment_name_zh": "string",
    "value_tier": "string",
}
KEEP_VERSIONS = 5


@dataclass(frozen=True)
class Publication:
    kind: str
    data_version: str
    run_id: str
    path: Path
    rollups: dict[str, Path] = field(default_factory=dict)  # rollup name -> Parquet file


def _record_path() -> Path:
    return paths.mining_dir() / "published.json"


_lock = threading.Lock()
_cache: dict[str, object] = {"stamp": None, "record": {}}


def _read() -> dict:
    """The record {data_version: {kind: {run_id, path}}}, cached by the file's mtime and size."""
    path = _record_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (str(path), st.st_mtime_ns, st.st_size)
    with _lock:
        if _cache["stamp"] == stamp:
            return _cache["record"]  # type: ignore[return-value]
    record = json.loads(path.read_text(encoding="utf-8"))
    with _lock:
        _cache.update(stamp=stamp, record=record)
    return record


def build_rollups(kind: str, scores_path: Path, con: duckdb.DuckDBPyConnection) -> dict[str, Path]:
    """Build the rollups declared ``published_by`` this kind over the warehouse ``con`` joined
    with the scores file; each is written as Parquet beside the scores. Customers without a
    score fall into a null group, as they do in the cube's base query."""
    built = {}
    cur = con.cursor()
    try:
        # registered, not a view: a view cannot be created in a read-only warehouse
        cur.register(
            "_published_scores", pq.read_table(scores_path, columns=["customer_id", *ATTRIBUTES[kind]])
        )
        columns = ", ".join(f's."{c}"' for c in ATTRIBUTES[kind])
        for rollup in (r for r in rollups.ROLLUPS if r.published_by == kind):
            source = (
                f'(SELECT src.*, {columns} FROM "{rollup.source}" src '
                "LEFT JOIN _published_scores s ON s.customer_id = src.customer_id)"
            )
            types = {r[0]: r[1] for r in cur.execute(f'DESCRIBE "{rollup.source}"').fetchall()}
            out = scores_path.with_name(f"{scores_path.stem}.{rollup.name}.parquet")
            cur.sql(derive.rollup_select(rollup, source, types)).write_parquet(str(out))
            built[rollup.name] = out
    finally:
        cur.close()
    return built


def publish(
    kind: str, data_version: str, run_id: str, path: Path, con: duckdb.DuckDBPyConnection | None = None
) -> Publication:
    """Make ``path`` (a run's customers file) the ``kind`` scores for ``data_version``, with the
    rollups over them built from ``con`` (default: that version's warehouse file, if kept)."""
    if kind not in ATTRIBUTES:
        raise ValueError(f"{kind!r} outputs are not customer dimensions; publishable: {sorted(ATTRIBUTES)}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cannot publish {kind} scores: {path} does not exist")
    built: dict[str, Path] = {}
    if con is not None:
        built = build_rollups(kind, path, con)
    elif warehouse.file_for_version(data_version).is_file():
        file = str(warehouse.file_for_version(data_version))
        own = duckdb.connect(file, read_only=True, config=warehouse.connect_config())
        try:
            built = build_rollups(kind, path, own)
        finally:
            own.close()
    record = dict(_read())
    versions = dict(record.get(data_version, {}))
    versions[kind] = {"run_id": run_id, "path": str(path), "rollups": {k: str(v) for k, v in built.items()}}
    record.pop(data_version, None)
    record[data_version] = versions  # newest last; the oldest versions are dropped
    record = dict(list(record.items())[-KEEP_VERSIONS:])
    target = _record_path()
    tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, target)
    return Publication(kind, data_version, run_id, path, built)


def current(data_version: str | None) -> dict[str, Publication]:
    """The publications (kind -> Publication) for ``data_version`` whose files still exist."""
    if data_version is None:
        return {}
    found = {}
    for kind, entry in _read().get(data_version, {}).items():
        path = Path(entry["path"])
        built = {name: Path(p) for name, p in entry.get("rollups", {}).items() if Path(p).is_file()}
        if kind in ATTRIBUTES and path.is_file():
            found[kind] = Publication(kind, data_version, entry["run_id"], path, built)
    return found


def signature(data_version: str | None) -> str:
    """A short token that changes whenever what is published for ``data_version`` changes."""
    pubs = current(data_version)
    if not pubs:
        return ""
    text = ";".join(f"{k}={p.run_id}" for k, p in sorted(pubs.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:12]
