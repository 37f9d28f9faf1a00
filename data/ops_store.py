"""The operational store: a SQLite file for everything users write.

Users, roles, scopes, the audit log, sign-in throttling, the model-run registry and (later)
the marketing loop live here, never in the read-only warehouse. WAL mode lets several
processes read while one writes; the busy timeout makes concurrent writers wait instead of
failing with "database is locked".

Modules that own tables register their DDL with :func:`register_schema`; :func:`connect`
creates whatever is missing, so a fresh machine needs no migration step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data import paths

BUSY_TIMEOUT_SECONDS = 10.0
_SCHEMAS: dict[str, str] = {}


def register_schema(owner: str, ddl: str) -> None:
    """Declare tables (``CREATE TABLE IF NOT EXISTS ...``) that ``owner`` keeps here."""
    _SCHEMAS[owner] = ddl


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open the store with WAL, a busy timeout and foreign keys on; create missing tables."""
    path = path or paths.ops_db_path()
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    for ddl in _SCHEMAS.values():
        con.executescript(ddl)
    path.chmod(0o600)
    return con


@contextmanager
def transaction(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A short write transaction: committed on success, rolled back on any error."""
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
