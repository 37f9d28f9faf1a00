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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data import paths

BUSY_TIMEOUT_SECONDS = 10.0
_SCHEMAS: dict[str, str] = {}
# (store path, schema owner) pairs this process has already applied: the WAL switch and the DDL
# run once per process under a lock, so concurrent first connections never race on them
_APPLIED: set[tuple[str, str]] = set()
_INIT_LOCK = threading.Lock()


def register_schema(owner: str, ddl: str) -> None:
    """Declare tables (``CREATE TABLE IF NOT EXISTS ...``) that ``owner`` keeps here."""
    _SCHEMAS[owner] = ddl


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open the store with WAL, a busy timeout and foreign keys on; create missing tables."""
    path = path or paths.ops_db_path()
    if not path.exists():  # a new (or removed) store file: its tables are to be made again
        _APPLIED.difference_update({key for key in _APPLIED if key[0] == str(path)})
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    con.execute("PRAGMA foreign_keys=ON")
    missing = [owner for owner in _SCHEMAS if (str(path), owner) not in _APPLIED]
    if missing:
        _initialise(con, path, missing)
    return con


def _initialise(con: sqlite3.Connection, path: Path, owners: list[str]) -> None:
    with _INIT_LOCK:
        owners = [owner for owner in owners if (str(path), owner) not in _APPLIED]
        if not owners:
            return
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")
        try:
            for owner in owners:
                for statement in _statements(_SCHEMAS[owner]):
                    con.execute(statement)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        path.chmod(0o600)
        _APPLIED.update((str(path), owner) for owner in owners)


def _statements(ddl: str) -> list[str]:
    """Split a DDL script into statements (ours hold no semicolons inside literals)."""
    return [part.strip() for part in ddl.split(";") if part.strip()]


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
