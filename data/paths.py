"""Where the product keeps its files, in one place.

Everything lives under one home folder: ``$MAMS_HOME`` if set, else ``var/`` beside the code.
Tests point ``MAMS_HOME`` at a temporary folder, so they never touch a user's data.
"""

from __future__ import annotations

import functools
from pathlib import Path

from settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """The product's home folder (created on first use)."""
    return _existing(_resolved(get_settings().home))


@functools.lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    return Path(folder).resolve()  # asked on every query: resolving costs syscalls


def _existing(path: Path) -> Path:
    if not path.is_dir():  # one stat, instead of a mkdir on every call
        path.mkdir(parents=True, exist_ok=True)
    return path


def warehouse_dir() -> Path:
    """Folder of versioned warehouse files and the CURRENT pointer."""
    return _sub("warehouse")


def ops_db_path() -> Path:
    """The operational store (SQLite): users, audit log, model runs, marketing loop."""
    return home() / "ops.sqlite"


def cache_dir() -> Path:
    """Query result cache (diskcache); private to the owner."""
    return _sub("cache", private=True)


def jobs_cache_dir() -> Path:
    """Dash background-callback manager's diskcache; private to the owner."""
    return _sub("jobs", private=True)


def mining_dir() -> Path:
    """Versioned Parquet outputs of mining runs."""
    return _sub("mining")


def demo_source_dir() -> Path:
    """Where the demo generator writes its Parquet before it is loaded."""
    return _sub("demo_source")


def _sub(name: str, private: bool = False) -> Path:
    path = _existing(home() / name)
    if private:
        path.chmod(0o700)
    return path
