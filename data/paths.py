"""Where the product keeps its files, in one place.

Everything lives under one home folder: ``$MAMS_HOME`` if set, else ``var/`` beside the code.
Tests point ``MAMS_HOME`` at a temporary folder, so they never touch a user's data.

What every node of a several-machine setup must see alike (the warehouse files, model run
outputs with the published scores and rollups, made exports) lives under the *shared* folder,
``$MAMS_SHARED_DIR``: by default the home folder itself, so one machine notices no difference.
What stays per node: the ops store's SQLite file (PostgreSQL by URL for several nodes), the
result cache and the background-job folder (Redis for several nodes), the generated secret key
(``MAMS_SECRET_KEY`` for several nodes) and logs.
"""

from __future__ import annotations

import functools
from pathlib import Path

from settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
OPS_DB_NAME = "ops.sqlite"


def home() -> Path:
    """The product's home folder (created on first use)."""
    return _existing(home_path())


def home_path() -> Path:
    """The home folder's path, without creating it (for messages about a home that cannot be made)."""
    return _resolved(get_settings().home)


@functools.lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    return Path(folder).resolve()  # asked on every query: resolving costs syscalls


def _existing(path: Path) -> Path:
    if not path.is_dir():  # one stat, instead of a mkdir on every call
        path.mkdir(parents=True, exist_ok=True)
    return path


def shared() -> Path:
    """The folder every node reads alike (``$MAMS_SHARED_DIR``, else the home folder), created
    on first use."""
    return _existing(shared_path())


def shared_path() -> Path:
    """The shared folder's path, without creating it."""
    folder = get_settings().shared_dir
    return home_path() if folder is None else _resolved(folder)


def warehouse_dir() -> Path:
    """Folder of versioned warehouse files and the CURRENT pointer (shared by every node)."""
    return _shared_sub("warehouse")


def ops_db_path() -> Path:
    """The operational store (SQLite): users, audit log, model runs, marketing loop."""
    return home() / OPS_DB_NAME


def cache_dir() -> Path:
    """Query result cache (diskcache); private to the owner."""
    return _sub("cache", private=True)


def jobs_cache_dir() -> Path:
    """Dash background-callback manager's diskcache; private to the owner."""
    return _sub("jobs", private=True)


def mining_dir() -> Path:
    """Versioned Parquet outputs of mining runs, the published scores and their rollups
    (shared by every node and by Spark's executors)."""
    return _shared_sub("mining")


def demo_source_dir() -> Path:
    """Where the demo generator writes its Parquet before it is loaded (shared: the node that
    rebuilds the demo warehouse after an upgrade reads it)."""
    return _shared_sub("demo_source")


def _sub(name: str, private: bool = False, base: Path | None = None) -> Path:
    """``home()/name`` (or ``base/name``), created if missing; ``private`` folders are kept 0700.

    Raises OSError (PermissionError, a full disk, a regular file in the way) when the folder
    cannot be made or made private; callers that can work without it (the result cache, the
    background-job manager) catch it and degrade.
    """
    path = _existing((home() if base is None else base) / name)
    if private and path.stat().st_mode & 0o777 != 0o700:  # a stat, not a chmod, on every call
        path.chmod(0o700)
    return path


def _shared_sub(name: str, private: bool = False) -> Path:
    return _sub(name, private, base=shared())
