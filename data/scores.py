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
It names files relative to the mining folder, which is in the shared folder
(``MAMS_SHARED_DIR``): every node, and Spark's executors, read the same files, wherever each
mounts the shared storage. (Records written before held absolute paths; those still work.)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from data import derive, paths, rollups, warehouse

# kind of model run -> the columns of its customers file that become customer dimensions, with
# their Ibis types (for a null column when nothing is published)
ATTRIBUTES: dict[str, dict[str, str]] = {
    "segmentation": {"segment": "int32", "segment_name": "string", "segment_name_zh": "string"},
    "value": {"value_tier": "string", "value_score": "float64", "is_potential": "boolean"},
    # the best next offer (product code) and its band; churn risk and dormant activation
    "crosssell": {
        "best_offer": "string",
        "offer_score": "float64",
        "offer_value": "float64",
        "propensity_band": "string",
    },
    "churn": {
        "churn_score": "float64",
        "churn_band": "string",
        "value_at_risk": "float64",
        "churn_driver": "string",
        "activation_value": "float64",
        "activation_band": "string",
    },
}
# kind -> the name of the run output (one row per customer) that a run of the kind publishes
OUTPUTS: dict[str, str] = {
    "segmentation": "customers",
    "value": "customers",
    "crosssell": "best_offer",
    "churn": "risk",
}
KEEP_VERSIONS = 5


@dataclass(frozen=True)
class Publication:
    kind: str
    data_version: str
    run_id: str
    path: Path
    # set when the scores were carried over by an incremental append: the month (ISO date of its
    # first day) they were scored on, the one before the warehouse's last month
    scored_month: str | None = None


def _record_path() -> Path:
    return paths.mining_dir() / "published.json"


def _stored(path: Path | str) -> str:
    """How the record names a file: relative to the mining folder when it is inside it."""
    path, base = Path(path), paths.mining_dir()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _located(name: str) -> Path:
    """The file a record entry names (relative to this node's mining folder, or absolute)."""
    path = Path(name)
    return path if path.is_absolute() else paths.mining_dir() / path


_lock = threading.Lock()
_cache: dict[str, object] = {"stamp": None, "record": {}}


def _read() -> dict:
    """The record ``{data_version: {"scores": {kind: {run_id, path}}, "rollups": {name: {path,
    inputs: {kind: run_id}}}}}``, cached by the file's modification time and size."""
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


def build_rollups(
    kind: str, published: dict[str, Publication], con: duckdb.DuckDBPyConnection
) -> dict[str, dict]:
    """Build every rollup declared ``published_by`` ``kind`` whose kinds are all in ``published``,
    over the warehouse ``con`` joined with those scores; each is written as Parquet beside the
    ``kind`` scores. Customers without a score fall into a null group, as in the base query.

    Returns {rollup name: {"path", "inputs": {kind: run_id}}}.
    """
    built = {}
    cur = con.cursor()
    try:
        for k, pub in published.items():
            # registered, not a view: a view cannot be created in a read-only warehouse
            cur.register(f"_scores_{k}", pq.read_table(pub.path, columns=["customer_id", *ATTRIBUTES[k]]))
        for rollup in rollups.ROLLUPS:
            kinds = rollup.published_by or ()
            if kind not in kinds or not set(kinds) <= set(published):
                continue
            columns = ", ".join(f'_scores_{k}."{c}"' for k in kinds for c in ATTRIBUTES[k])
            joins = " ".join(
                f"LEFT JOIN _scores_{k} ON _scores_{k}.customer_id = src.customer_id" for k in kinds
            )
            source = f'(SELECT src.*, {columns} FROM "{rollup.source}" src {joins})'
            types = {r[0]: r[1] for r in cur.execute(f'DESCRIBE "{rollup.source}"').fetchall()}
            own = published[kind].path
            out = own.with_name(f"{own.stem}.{rollup.name}.parquet")
            cur.sql(derive.rollup_select(rollup, source, types)).write_parquet(str(out))
            built[rollup.name] = {"path": _stored(out), "inputs": {k: published[k].run_id for k in kinds}}
    finally:
        cur.close()
    return built


def publish(
    kind: str, data_version: str, run_id: str, path: Path, con: duckdb.DuckDBPyConnection | None = None
) -> Publication:
    """Make ``path`` (a run's customers file) the ``kind`` scores for ``data_version``, and build
    the rollups over them from ``con`` (default: that version's warehouse file, if still kept;
    without it, queries by the new dimension read the base tables)."""
    if kind not in ATTRIBUTES:
        raise ValueError(f"{kind!r} outputs are not customer dimensions; publishable: {sorted(ATTRIBUTES)}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cannot publish {kind} scores: {path} does not exist")
    with _publishing():  # one publisher at a time: the record is read, changed and replaced
        return _publish(Publication(kind, data_version, run_id, path), con)


@contextmanager
def _publishing():
    with open(paths.mining_dir() / "published.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _publish(publication: Publication, con: duckdb.DuckDBPyConnection | None) -> Publication:
    kind, data_version = publication.kind, publication.data_version
    published = {**current(data_version), kind: publication}
    built: dict[str, dict] = {}
    if con is not None:
        built = build_rollups(kind, published, con)
    elif warehouse.file_for_version(data_version).is_file():
        own = warehouse.connect_readonly(warehouse.file_for_version(data_version))
        try:
            built = build_rollups(kind, published, own)
        finally:
            own.close()
    record = dict(_read())
    entry = record.pop(data_version, {})
    entry = {
        "scores": {
            **entry.get("scores", {}),
            kind: {"run_id": publication.run_id, "path": _stored(publication.path)},
        },
        "rollups": {**entry.get("rollups", {}), **built},
    }
    record[data_version] = entry  # newest last; the oldest versions are dropped
    record = dict(list(record.items())[-KEEP_VERSIONS:])
    target = _record_path()
    tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, target)
    return publication


def current(data_version: str | None) -> dict[str, Publication]:
    """The publications (kind -> Publication) for ``data_version`` whose files still exist."""
    if data_version is None:
        return {}
    found = {}
    for kind, entry in _read().get(data_version, {}).get("scores", {}).items():
        path = _located(entry["path"])
        if kind in ATTRIBUTES and path.is_file():
            found[kind] = Publication(kind, data_version, entry["run_id"], path, entry.get("scored_month"))
    return found


def carry_forward(from_version: str, to_version: str, scored_month: str) -> dict[str, Publication]:
    """After an incremental append (``data.append``): publish ``from_version``'s scores for
    ``to_version`` too, marked as scored on ``scored_month`` (the previous last month; a score
    already carried keeps its older month). Customers the append added have no score. Their
    rollups are not carried (they lack the new month): queries by score read the base tables
    until the models run again. Returns what was carried."""
    with _publishing():
        record = dict(_read())
        scores = record.get(from_version, {}).get("scores", {})
        carried = {
            kind: {**entry, "scored_month": entry.get("scored_month") or scored_month}
            for kind, entry in scores.items()
            if kind in ATTRIBUTES and _located(entry["path"]).is_file()
        }
        if not carried:
            return {}
        record.pop(to_version, None)
        record[to_version] = {"scores": carried, "rollups": {}}
        record = dict(list(record.items())[-KEEP_VERSIONS:])
        target = _record_path()
        tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, target)
    return current(to_version)


def scored_months(data_version: str | None) -> dict[str, str | None]:
    """Each kind published for ``data_version`` -> the month its scores were computed on when
    an append carried them over (ISO date of its first day), None when they were scored on this
    very data. Pages tell the user that carried scores describe an earlier month."""
    return {kind: pub.scored_month for kind, pub in current(data_version).items()}


def rollup_file(data_version: str | None, rollup: rollups.Rollup) -> Path | None:
    """The file of a ``published_by`` rollup for ``data_version``, if it was built from exactly
    the scores in force now (a rollup over replaced scores would disagree with the base query)."""
    entry = _read().get(data_version or "", {}).get("rollups", {}).get(rollup.name)
    if entry is None:
        return None
    pubs = current(data_version)
    inputs = {k: (pubs[k].run_id if k in pubs else None) for k in rollup.published_by or ()}
    path = _located(entry["path"])
    return path if entry["inputs"] == inputs and path.is_file() else None


def signature(data_version: str | None) -> str:
    """A short token that changes whenever what is published for ``data_version`` changes."""
    pubs = current(data_version)
    if not pubs:
        return ""
    # the month of carried scores too: a page's "scores as of" note follows from it (a key
    # cached without it could show a note, or miss one, for the same runs)
    text = ";".join(
        f"{k}={p.run_id}" + (f"@{p.scored_month}" if p.scored_month else "") for k, p in sorted(pubs.items())
    )
    return hashlib.sha1(text.encode()).hexdigest()[:12]
