"""Engine backends: one read-only DuckDB root connection per process, one Ibis backend per
thread over its own cursor (DuckDB refuses one connection shared across threads). A Spark (or
other Ibis) backend can be installed with :func:`use_backend`; ``MAMS_ENGINE=spark`` makes
:func:`backend` create a local Spark session over the warehouse tables."""

from __future__ import annotations

import threading
from typing import Any

import ibis

from cube import spark  # cheap: pyspark itself is imported only when a Spark session starts
from data import scores, warehouse
from settings import get_settings

_lock = threading.Lock()
_root: dict[str, Any] = {"version": None, "con": None}
_local = threading.local()
_override: dict[str, Any] = {"con": None, "backend": None, "version": None}


def use_connection(con: Any | None, version: str | None = None) -> None:
    """Serve from this DuckDB connection instead of the current warehouse (tests, tools).
    ``None`` goes back to the warehouse. Results are cached only if a ``version`` is given."""
    _override["con"] = con
    _override["backend"] = None
    _override["version"] = version
    _local.__dict__.clear()


def use_backend(backend: Any | None, version: str | None = None) -> None:
    """Serve from this Ibis backend (e.g. a pyspark backend) for every thread; None resets.
    ``version`` names the data it holds (for published scores and caching), if known."""
    _override["backend"] = backend
    _override["backend_version"] = version if backend is not None else None
    _local.__dict__.clear()


def warehouse_version() -> str | None:
    """Version of the warehouse being served; None when serving an override without one."""
    if _override["backend"] is not None:
        return _override.get("backend_version")
    if _override["con"] is not None:
        return _override["version"]
    return warehouse.data_version()


def data_version() -> str | None:
    """Version of everything a result depends on: the warehouse, and the customer scores
    published for it (a new segmentation changes results without a reload). None when serving
    an override without a version (not cacheable)."""
    version = warehouse_version()
    if version is None:
        return None
    sig = scores.signature(version)
    return f"{version}+{sig}" if sig else version


def engine_name() -> str:
    b = backend()
    return getattr(b, "name", "duckdb")


def _root_connection() -> tuple[str | None, Any]:
    version = warehouse.data_version()
    with _lock:
        if _root["con"] is None or _root["version"] != version:
            if _root["con"] is not None:
                _root["con"].close()
            settings = get_settings()
            _root["con"] = warehouse.open_readonly(
                threads=settings.duckdb_threads, memory_limit=settings.duckdb_memory
            )
            _root["version"] = version
        return _root["version"], _root["con"]


def backend() -> Any:
    """The Ibis backend for the calling thread."""
    if _override["backend"] is not None:
        return _override["backend"]
    if get_settings().engine == "spark" and _override["con"] is None:
        version = warehouse.data_version()  # of the tables copied into Spark just below
        _override["backend"] = spark.warehouse_backend()
        _override["backend_version"] = version
        return _override["backend"]
    if _override["con"] is not None:
        key, con = "override", _override["con"]
    else:
        key, con = _root_connection()
    if getattr(_local, "key", None) != key or getattr(_local, "root", None) is not con:
        _local.backend = ibis.duckdb.from_connection(con.cursor())
        _local.key = key
        _local.root = con
    return _local.backend
