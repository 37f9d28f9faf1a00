"""Engine backends: one read-only DuckDB root connection per process, one Ibis backend per
thread over its own cursor (DuckDB refuses one connection shared across threads). A Spark (or
other Ibis) backend can be installed with :func:`use_backend`; ``MAMS_ENGINE=spark`` makes
:func:`backend` create a local Spark session over the warehouse tables.

``with at_version(v):`` serves an earlier data version (a review deck pinned to the data it was
made on) to the code inside the block, on this thread or task only: its file is opened
read-only beside the current one (at most :data:`MAX_PINNED_OPEN` such files per process), and
:func:`warehouse_version` / :func:`data_version` name it, so results, label lookups and the
published scores used are those of that version and are cached apart from the current ones."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import ibis
import ibis.backends.duckdb  # noqa: F401 - at start, not in the first user's query (0.4 s)

from cube import spark  # cheap: pyspark itself is imported only when a Spark session starts
from data import scores, warehouse
from settings import get_settings

_lock = threading.Lock()
_root: dict[str, Any] = {"version": None, "con": None}
_local = threading.local()
_override: dict[str, Any] = {"con": None, "backend": None, "version": None}
# An earlier data version served inside ``at_version`` (per thread / task), and the read-only
# connections opened for such versions, least recently used first.
_pinned: ContextVar[str | None] = ContextVar("mams_pinned_version", default=None)
_pinned_roots: OrderedDict[str, Any] = OrderedDict()
MAX_PINNED_OPEN = 3


class VersionUnavailable(LookupError):
    """The data version asked for is no longer kept (its warehouse file was pruned), or cannot
    be served by the configured engine."""

    def __init__(self, version: str, reason: str = "its warehouse file is no longer kept") -> None:
        self.version = version
        super().__init__(f"data version {version} cannot be served: {reason}")


def version_available(version: str | None) -> bool:
    """Whether ``version`` can still be served (the current one, or a kept earlier file)."""
    if not version:
        return False
    return version == warehouse.data_version() or warehouse.file_for_version(version).is_file()


@contextmanager
def at_version(version: str | None) -> Iterator[str | None]:
    """Serve data version ``version`` to the queries run inside the block (this thread or task
    only). ``None``, the current version, or an override installed by :func:`use_connection` /
    :func:`use_backend` serve as usual. Yields the version served.

    Raises
    ------
    VersionUnavailable
        If the version's file is gone, or the engine is Spark (which holds the current tables
        only).
    """
    overridden = _override["con"] is not None or _override["backend"] is not None
    if not version or overridden or version == warehouse.data_version():
        yield warehouse_version()
        return
    if get_settings().engine == "spark":
        raise VersionUnavailable(version, "the Spark engine serves the current data only")
    if not warehouse.file_for_version(version).is_file():
        raise VersionUnavailable(version)
    token = _pinned.set(version)
    try:
        yield version
    finally:
        _pinned.reset(token)


def pinned_version() -> str | None:
    """The earlier version served to this thread or task (``at_version``), if any."""
    return _pinned.get()


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
    return _pinned.get() or warehouse.data_version()


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


def _pinned_connection(version: str) -> tuple[str, Any]:
    """The read-only connection of an earlier version (opened once per process, bounded)."""
    with _lock:
        con = _pinned_roots.get(version)
        if con is None:
            path = warehouse.file_for_version(version)
            if not path.is_file():
                raise VersionUnavailable(version)
            con = warehouse.connect_readonly(path)
            _pinned_roots[version] = con
            while len(_pinned_roots) > MAX_PINNED_OPEN:
                # dropped, not closed: a thread may still run on a cursor of it; DuckDB frees
                # the database when its last cursor goes
                _pinned_roots.popitem(last=False)
        _pinned_roots.move_to_end(version)
        return version, con


def _root_connection() -> tuple[str | None, Any]:
    pinned = _pinned.get()
    if pinned is not None and pinned != warehouse.data_version():
        return _pinned_connection(pinned)
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
    # one backend per thread and served file: a thread moving between a pinned deck and the
    # current data keeps both instead of rebuilding one on every switch
    backends = _local.__dict__.setdefault("backends", {})
    held = backends.get(key)
    if held is None or held[0] is not con:
        live = {id(c) for c in (_root["con"], _override["con"], *_pinned_roots.values())}
        for stale in [k for k, (root, _b) in backends.items() if id(root) not in live]:
            del backends[stale]  # a closed or evicted file: let its cursor go
        held = backends[key] = (con, ibis.duckdb.from_connection(con.cursor()))
    return held[1]
