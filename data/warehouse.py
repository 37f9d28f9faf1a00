"""The built warehouse on disk: which file is current, its data version, read-only access.

Each successful load writes a new file ``wh-<version>.duckdb`` in :func:`data.paths.warehouse_dir`
and then switches the small pointer file ``CURRENT`` (which holds that file name) atomically.
Readers follow the pointer, so they never see a half-built file, and because every version has
its own file name DuckDB's per-path database cache (duckdb issue 15912) can never serve a stale
copy. The data version is the part of the file name after ``wh-``; reading it costs one small
file read, so caches may check it on every request. The importer (:mod:`data.load`) writes
these files; the demo bank is built by :mod:`data.demo`.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from data import paths

POINTER_NAME = "CURRENT"
FILE_PREFIX = "wh-"
FILE_SUFFIX = ".duckdb"


class NoWarehouse(RuntimeError):
    """Raised when the warehouse is opened before any data has been loaded."""


def pointer_path() -> Path:
    """The pointer file naming the current warehouse file."""
    return paths.warehouse_dir() / POINTER_NAME


def file_for_version(version: str) -> Path:
    """The warehouse file that holds ``version``."""
    return paths.warehouse_dir() / f"{FILE_PREFIX}{version}{FILE_SUFFIX}"


def current_path() -> Path | None:
    """The current warehouse file, or ``None`` if nothing has been loaded yet.

    Returns
    -------
    Path or None
        Absolute path of the file ``CURRENT`` points at, if that file exists.
    """
    try:
        name = pointer_path().read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name:
        return None
    path = paths.warehouse_dir() / name
    return path if path.exists() else None


def data_version() -> str | None:
    """The current data version (changes with every successful load), without opening the DB.

    Returns
    -------
    str or None
        The version string, or ``None`` if there is no warehouse yet.
    """
    path = current_path()
    if path is None:
        return None
    return path.name[len(FILE_PREFIX) : -len(FILE_SUFFIX)]


def connect_config(threads: int = 2, memory_limit: str = "4GB") -> dict[str, object]:
    """DuckDB settings every warehouse connection uses: bounded, and no extension downloads."""
    return {
        "threads": threads,
        "memory_limit": memory_limit,
        # An accidental extension use must fail loudly here, not try the network.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }


def open_readonly(threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the current warehouse read-only (any number of processes may do this at once).

    Parameters
    ----------
    threads, memory_limit
        DuckDB limits for this connection; by default the process's settings
        (``MAMS_DUCKDB_THREADS``, ``MAMS_DUCKDB_MEMORY``). DuckDB shares one database per file
        and process and refuses a second open of the same file with another configuration, so
        every read-only open in a serving process should keep the defaults.

    Returns
    -------
    duckdb.DuckDBPyConnection
        Give each thread its own ``cursor()`` of it.

    Raises
    ------
    NoWarehouse
        If no warehouse has been loaded yet.
    """
    path = current_path()
    if path is None:
        raise NoWarehouse(
            f"No warehouse in {paths.warehouse_dir()}. Load the bank's files with "
            "`python -m data.load DIR`, or build the demo with "
            "`python -c 'from data.demo import ensure_demo_warehouse; ensure_demo_warehouse()'`."
        )
    return connect_readonly(path, threads, memory_limit)


def connect_readonly(
    path: Path, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file ``path`` read-only with the process's DuckDB settings (see
    :func:`open_readonly`)."""
    from settings import get_settings  # kept local: settings read the environment

    settings = get_settings()
    threads = threads or settings.duckdb_threads
    memory_limit = memory_limit or settings.duckdb_memory
    return duckdb.connect(str(path), read_only=True, config=connect_config(threads, memory_limit))


def switch_current(path: Path) -> None:
    """Point ``CURRENT`` at ``path`` atomically (write a temp file, then ``os.replace``)."""
    pointer = pointer_path()
    tmp = pointer.with_name(f"{POINTER_NAME}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(path.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, pointer)


NOT_LOADED_KEY = "not_loaded"


def parse_not_loaded(value: str | None) -> tuple[str, ...]:
    """The table names of a meta ``not_loaded`` value (comma-separated; empty: none)."""
    return tuple(name for name in (value or "").split(",") if name)


def missing_tables(con: duckdb.DuckDBPyConnection | None = None) -> tuple[str, ...]:
    """Optional source tables (campaigns, contacts, targets) the served extract did not have or
    had empty, so the views that read them have nothing to show.

    Read from meta ``not_loaded``, recorded at load; for a warehouse built without that key
    (an earlier release, or a test's in-memory one) the optional tables without rows.

    Parameters
    ----------
    con
        A connection to the warehouse; the current one is opened read-only if omitted.
    """
    from data import contract  # kept local: this module is read on every request

    own = con is None
    con = con or open_readonly()
    try:
        try:
            found = con.execute("SELECT value FROM meta WHERE key = ?", [NOT_LOADED_KEY]).fetchone()
        except duckdb.CatalogException:
            found = None
        if found is not None:
            return parse_not_loaded(found[0])
        out = []
        for table in contract.SOURCE_TABLES:
            if table.optional:
                try:
                    empty = con.execute(
                        f'SELECT count(*) = 0 FROM (SELECT 1 FROM "{table.name}" LIMIT 1)'
                    ).fetchone()[0]
                except duckdb.CatalogException:
                    empty = True
                if empty:
                    out.append(table.name)
        return tuple(out)
    finally:
        if own:
            con.close()
