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


def open_readonly(threads: int = 2, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    """Open the current warehouse read-only (any number of processes may do this at once).

    Parameters
    ----------
    threads, memory_limit
        DuckDB limits for this connection; set them per worker process.

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
