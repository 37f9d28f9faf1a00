"""The operational store: a SQLite file for everything users write.

Users, roles, scopes, the audit log, sign-in throttling, the model-run registry and (later)
the marketing loop live here, never in the read-only warehouse. WAL mode lets several
processes read while one writes; the busy timeout makes concurrent writers wait instead of
failing with "database is locked".

Modules that own tables register their DDL with :func:`register_schema`; :func:`connect`
creates whatever is missing (and adds columns a later release declared to tables an older
store already holds), so a fresh machine needs no migration step.

A store that cannot be written (read-only file or folder, wrong owner, full disk) raises
:class:`StoreUnwritable`, whose message names the file and what to do, instead of SQLite's
bare "attempt to write a readonly database" (or, worse, the "cannot rollback" that used to
hide it).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from data import paths

BUSY_TIMEOUT_SECONDS = 10.0
_SCHEMAS: dict[str, str] = {}
# owner -> (table, column, definition) added to tables that stores of earlier releases hold
_ADDED_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {}
# (store path, schema owner) pairs this process has already applied: the WAL switch and the DDL
# run once per process under a lock, so concurrent first connections never race on them
_APPLIED: set[tuple[str, str]] = set()
_INIT_LOCK = threading.Lock()
# SQLite's primary result codes that mean "this file cannot be written here"
_UNWRITABLE_CODES = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL", "SQLITE_PERM", "SQLITE_IOERR")


class StoreUnwritable(RuntimeError):
    """The operational store cannot be written: read-only file or folder, wrong owner, full disk.

    Attributes
    ----------
    path : Path
        The store file.
    reason : str
        What SQLite (or the OS) said.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"The operational store {self.path} cannot be written ({reason}). Make the file, its "
            "-wal and -shm companions and its folder writable by the user the app runs as (owner "
            "and permissions), free disk space if the disk is full, then start the app again."
        )


def register_schema(owner: str, ddl: str, added_columns: Sequence[tuple[str, str, str]] = ()) -> None:
    """Declare tables (``CREATE TABLE IF NOT EXISTS ...``) that ``owner`` keeps here.

    ``added_columns`` lists ``(table, column, definition)`` for columns a later release added to
    one of these tables: a store made before gets them by ``ALTER TABLE ... ADD COLUMN`` (once,
    in the same transaction as the DDL; idempotent).
    """
    _SCHEMAS[owner] = ddl
    _ADDED_COLUMNS[owner] = tuple(added_columns)


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open the store with WAL, a busy timeout and foreign keys on; create missing tables.

    Raises
    ------
    StoreUnwritable
        If the file cannot be opened or its tables cannot be made.
    """
    path = path or paths.ops_db_path()
    if not path.exists():  # a new (or removed) store file: its tables are to be made again
        _APPLIED.difference_update({key for key in _APPLIED if key[0] == str(path)})
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise _translated(exc, path) from exc
    try:
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
        con.execute("PRAGMA foreign_keys=ON")
        missing = [owner for owner in _SCHEMAS if (str(path), owner) not in _APPLIED]
        if missing:
            _initialise(con, path, missing)
    except BaseException as exc:
        con.close()
        if isinstance(exc, sqlite3.OperationalError):
            raise _translated(exc, path) from exc
        raise
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
                for table, column, definition in _ADDED_COLUMNS.get(owner, ()):
                    _add_column(con, table, column, definition)
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        with contextlib.suppress(OSError):  # a store owned by another user may stay as it is
            path.chmod(0o600)
        _APPLIED.update((str(path), owner) for owner in owners)


def _add_column(con: sqlite3.Connection, table: str, column: str, definition: str) -> None:
    have = {row["name"] for row in con.execute(f'PRAGMA table_info("{table}")')}
    if column not in have:
        con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {definition}')


def _statements(ddl: str) -> list[str]:
    """Split a DDL script into statements (ours hold no semicolons inside literals)."""
    return [part.strip() for part in ddl.split(";") if part.strip()]


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back if a transaction is open; never let a failed rollback hide the first error."""
    if con.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")


def _unwritable(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_UNWRITABLE_CODES):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("readonly", "read-only", "unable to open", "disk is full", "disk i/o"))


def _translated(exc: sqlite3.Error, path: Path | None) -> Exception:
    """StoreUnwritable for an error that means the file cannot be written, else ``exc`` itself."""
    if isinstance(exc, sqlite3.OperationalError) and _unwritable(exc):
        return StoreUnwritable(path or paths.ops_db_path(), str(exc))
    return exc


@contextmanager
def transaction(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A short write transaction: committed on success, rolled back on any error.

    Raises
    ------
    StoreUnwritable
        If the store cannot be written (the transaction cannot begin, a write or the commit
        fails because the file is read-only or the disk is full).
    """
    path = path or paths.ops_db_path()
    con = connect(path)
    try:
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)  # a failed BEGIN left no transaction: no second error on top
            if isinstance(exc, sqlite3.OperationalError):
                translated = _translated(exc, path)
                if translated is not exc:
                    raise translated from exc
            raise
    finally:
        con.close()


register_schema(
    "data.ops_store",
    """
    CREATE TABLE IF NOT EXISTS store_checks (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        checked_at TEXT NOT NULL
    );
    """,
)


def check_writable(path: Path | None = None) -> None:
    """Write one small row, so a store that cannot be written is found at start, not at sign-in.

    Raises
    ------
    StoreUnwritable
        With the file and what to do.
    """
    try:
        path = path or paths.ops_db_path()
        with transaction(path) as con:
            con.execute(
                "INSERT OR REPLACE INTO store_checks (id, checked_at) VALUES (1, ?)",
                (datetime.now(UTC).isoformat(timespec="seconds"),),
            )
    except OSError as exc:  # the home folder itself cannot be made
        raise StoreUnwritable(path or paths.home_path() / paths.OPS_DB_NAME, str(exc)) from exc
