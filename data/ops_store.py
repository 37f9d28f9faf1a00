"""The operational store: everything users write, on SQLAlchemy Core.

Users, roles, scopes, the audit log, sign-in throttling, the model-run registry, decks and the
marketing loop live here, never in the read-only warehouse. The embedded default is a SQLite
file under the home (WAL, so several processes read while one writes; a busy timeout, so
concurrent writers wait instead of failing with "database is locked"). ``MAMS_OPS_URL`` names a
PostgreSQL database instead (``postgresql://user:pass@host/db``, driven by psycopg 3); the same
code runs on both.

The tables are data/ops_schema.py; their versions are Alembic revisions in data/migrations. The
first connection of a process upgrades the store to the newest revision, under a lock, once. A
store made by the release before SQLAlchemy (its tables, no ``alembic_version``) is adopted: the
tables and columns it lacks are added, then it is stamped with the baseline revision.

Write transactions (:func:`transaction`) are serialised store-wide, as SQLite's ``BEGIN
IMMEDIATE`` does: on PostgreSQL with a transaction-scoped advisory lock taken first, so code that
reads then writes (one run of a kind at a time, user creates, the throttle's counted attempts)
sees no other writer between its read and its write, on either engine. Readers never wait (WAL,
MVCC).

Callers pass SQL as ``text()``-style strings with named parameters (``:name`` and a dict) or as
Core statements. During the move, SQL with ``?`` placeholders and a tuple still runs (the
driver's own SQL; on PostgreSQL ``?`` becomes ``%s``); converted modules use named parameters
and SQL both engines take. Errors are the driver's own (``sqlite3.IntegrityError``,
``psycopg.errors.UniqueViolation``); :data:`IntegrityError` and :data:`StoreError` name both.

A store that cannot be written (read-only file or folder, wrong owner, full disk) raises
:class:`StoreUnwritable`, whose message names the file and what to do, instead of SQLite's
bare "attempt to write a readonly database" (or, worse, the "cannot rollback" that used to
hide it).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

from data import ops_schema, paths
from settings import get_settings

BUSY_TIMEOUT_SECONDS = 10.0
READS = "#reads"  # the key of a SQLite store's engine for pooled reads
READ_POOL_SIZE = 4
MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001_baseline"
# the key of PostgreSQL's transaction-scoped advisory lock every write transaction takes first
WRITE_LOCK_KEY = 0x4D414D53  # "MAMS"
IntegrityError = (sqlite3.IntegrityError, psycopg.IntegrityError)
StoreError = (sqlite3.Error, psycopg.Error, sa.exc.SQLAlchemyError)
# store URLs this process has upgraded: the migrations run once per process under a lock
_APPLIED: set[str] = set()
_INIT_LOCK = threading.RLock()  # engine() is called under it by upgrade()
_ENGINES: dict[str, Engine] = {}
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


class StoreUnavailable(RuntimeError):
    """The operational store's database server (``MAMS_OPS_URL``) cannot be reached or refused the
    connection; the message names the server (never the password) and what to check."""

    def __init__(self, store_url: str, reason: str) -> None:
        self.url = sa.make_url(store_url).render_as_string(hide_password=True)
        self.reason = reason.strip().splitlines()[0] if reason.strip() else reason
        super().__init__(
            f"The operational store's database {self.url} cannot be reached ({self.reason}). Check "
            "that the server is running and accepts connections from this machine, and the user, "
            "password and database named in MAMS_OPS_URL; the app retries on the next request."
        )


# --- engines -----------------------------------------------------------------------------------


def url() -> str:
    """The store's SQLAlchemy URL: ``MAMS_OPS_URL`` (psycopg 3 for PostgreSQL) or the home's file."""
    named = get_settings().ops_url
    if not named:
        return f"sqlite:///{paths.ops_db_path()}"
    for plain in ("postgresql://", "postgres://"):
        if named.startswith(plain):
            return "postgresql+psycopg://" + named[len(plain) :]
    return named


def engine(store_url: str | None = None) -> Engine:
    """The (cached) engine of a store URL."""
    store_url = store_url or url()
    made = _ENGINES.get(store_url)
    if made is None:
        with _INIT_LOCK:
            made = _ENGINES.get(store_url) or _make_engine(store_url)
            _ENGINES[store_url] = made
    return made


def _make_engine(store_url: str) -> Engine:
    made_url = sa.make_url(store_url)
    if made_url.get_backend_name() == "sqlite":
        path = made_url.database
        # NullPool: a file opened per use, as before (no handle outlives a test's home or a fork);
        # the creator looks sqlite3.connect up at each call (tests replace it to fake faults)
        made = sa.create_engine(
            store_url,
            poolclass=NullPool,
            creator=lambda: sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None),
        )
        event.listen(made, "connect", _sqlite_connected)
        event.listen(made, "begin", _sqlite_begin)
        return made
    # a server that does not answer fails the request in seconds (StoreUnavailable), not minutes
    return sa.create_engine(
        store_url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 5}
    )


def _read_engine(store_url: str) -> Engine:
    """SQLite reads on pooled connections: every request reads the signed-in user, and opening
    and closing a file per read cost about 2 ms of the 7 ms a cheap request took. Writes keep
    a file opened per transaction (:func:`_make_engine`)."""
    key = store_url + READS
    made = _ENGINES.get(key)
    if made is None:
        with _INIT_LOCK:
            made = _ENGINES.get(key)
            if made is None:
                path = sa.make_url(store_url).database
                made = sa.create_engine(
                    store_url,
                    poolclass=QueuePool,
                    pool_size=READ_POOL_SIZE,
                    max_overflow=2 * READ_POOL_SIZE,
                    # the pool hands a connection to one thread at a time
                    creator=lambda: sqlite3.connect(
                        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
                    ),
                )
                event.listen(made, "connect", _sqlite_connected)
                _ENGINES[key] = made
    return made


def dispose(store_url: str) -> None:
    """Close a store's pooled connections and forget its engine (tests, a store moved away)."""
    with _INIT_LOCK:
        made = [_ENGINES.pop(k, None) for k in (store_url, store_url + READS)]
        _APPLIED.discard(store_url)
    for one in made:
        if one is not None:
            one.dispose()


def _sqlite_connected(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # SQLAlchemy's documented recipe: the driver's own transaction handling off, BEGIN emitted below
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def _sqlite_begin(conn: Connection) -> None:
    # write transactions take the write lock at BEGIN; reads stay in autocommit (no BEGIN at all)
    if conn.get_execution_options().get("ops_write"):
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")


def _forget_engines() -> None:  # a forked worker opens its own connections
    for made in _ENGINES.values():
        made.dispose(close=False)


os.register_at_fork(after_in_child=_forget_engines)


# --- connections and results -------------------------------------------------------------------


class StoreRow(tuple):
    """A row read by position (``row[0]``) or by column name (``row["username"]``, ``dict(row)``)."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> StoreRow:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._index[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._index)


class StoreResult:
    """A statement's result, read at once (the store's results are small): rows, rowcount, lastrowid."""

    def __init__(self, result: sa.CursorResult) -> None:
        if result.returns_rows:  # rows first: lastrowid may close the cursor
            index = {key: i for i, key in enumerate(result.keys())}
            self._rows = [StoreRow(tuple(row), index) for row in result]
        else:
            self._rows = []
        self.rowcount = result.rowcount
        self.lastrowid = None
        if result.dialect.name == "sqlite":  # PostgreSQL has none: INSERT ... RETURNING there
            self.lastrowid = result.lastrowid

    def fetchone(self) -> StoreRow | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[StoreRow]:
        rows, self._rows = self._rows, []
        return rows

    def scalar(self) -> Any:
        row = self.fetchone()
        return None if row is None else row[0]

    def __iter__(self) -> Iterator[StoreRow]:
        return iter(self.fetchall())


class StoreConnection:
    """A connection to the store; ``execute`` takes named-parameter SQL, Core statements or (during
    the move) ``?`` SQL with a tuple."""

    def __init__(self, conn: Connection, autocommit: bool) -> None:
        self.connection = conn
        self.dialect = conn.dialect.name  # "sqlite" or "postgresql"
        self._autocommit = autocommit

    def execute(self, statement: Any, params: Mapping[str, Any] | Sequence[Any] | None = None) -> StoreResult:
        try:
            if isinstance(statement, str) and not isinstance(params, Mapping):
                result = self.connection.exec_driver_sql(self._driver_sql(statement), tuple(params or ()))
            else:
                if isinstance(statement, str):
                    statement = sa.text(statement)
                result = self.connection.execute(statement, dict(params or {}))
            out = StoreResult(result)
            if self._autocommit:
                self.connection.commit()
            return out
        except sa.exc.DBAPIError as exc:  # the driver's own error, as callers catch it
            if isinstance(exc.orig, psycopg.OperationalError) and _unreachable(exc.orig):
                raise StoreUnavailable(self.connection.engine.url.render_as_string(), str(exc.orig)) from exc
            raise exc.orig from exc

    def _driver_sql(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        return sql.replace("%", "%%").replace("?", "%s")

    def close(self) -> None:
        self.connection.close()


def connect(path: Path | None = None) -> StoreConnection:
    """A connection for reads (each statement on its own, autocommit); the store is upgraded first.

    Raises
    ------
    StoreUnwritable
        If the file cannot be opened or its tables cannot be made.
    """
    store_url = _url_of(path)
    upgrade(store_url)
    sqlite = sa.make_url(store_url).get_backend_name() == "sqlite"
    try:
        conn = (_read_engine(store_url) if sqlite else engine(store_url)).connect()
    except sa.exc.DBAPIError as exc:
        raise _translated(exc.orig, store_url) from exc.orig
    if not sqlite:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    return StoreConnection(conn, autocommit=True)


@contextmanager
def transaction(path: Path | None = None) -> Iterator[StoreConnection]:
    """A short write transaction: committed on success, rolled back on any error.

    Writers are serialised store-wide (SQLite ``BEGIN IMMEDIATE``; PostgreSQL an advisory lock
    taken first), so what the body read stays true until it commits.

    Raises
    ------
    StoreUnwritable
        If the store cannot be written (the transaction cannot begin, a write or the commit
        fails because the file is read-only or the disk is full).
    """
    store_url = _url_of(path)
    upgrade(store_url)
    try:
        conn = engine(store_url).connect()
    except sa.exc.DBAPIError as exc:
        raise _translated(exc.orig, store_url) from exc.orig
    try:
        with _translating(store_url):
            conn.execution_options(ops_write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
                yield StoreConnection(conn, autocommit=False)
    finally:
        conn.close()


@contextmanager
def _translating(store_url: str) -> Iterator[None]:
    try:
        yield
    except sa.exc.DBAPIError as exc:
        translated = _translated(exc.orig, store_url)
        raise translated from exc.orig
    except (sqlite3.OperationalError, psycopg.OperationalError) as exc:
        translated = _translated(exc, store_url)
        if translated is exc:
            raise
        raise translated from exc


def _url_of(path: Path | None) -> str:
    return f"sqlite:///{path}" if path is not None else url()


def _sqlite_path(store_url: str) -> Path | None:
    made = sa.make_url(store_url)
    return Path(made.database) if made.get_backend_name() == "sqlite" and made.database else None


def _unwritable(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_UNWRITABLE_CODES):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("readonly", "read-only", "unable to open", "disk is full", "disk i/o"))


def _translated(exc: BaseException, store_url: str) -> BaseException:
    """StoreUnwritable for an error that means the file cannot be written, StoreUnavailable for a
    database server that cannot be reached, else ``exc`` itself."""
    path = _sqlite_path(store_url)
    if path is not None and _unwritable(exc):
        return StoreUnwritable(path, str(exc))
    if isinstance(exc, psycopg.OperationalError) and _unreachable(exc):
        return StoreUnavailable(store_url, str(exc))
    return exc


def _unreachable(exc: psycopg.OperationalError) -> bool:
    """A connection that could not be made or was lost (not a query's own error)."""
    text = str(exc).lower()
    return any(
        s in text
        for s in (
            "connection refused",
            "could not connect",
            "connection failed",
            "server closed",
            "timeout",
            "no such file or directory",
            "password authentication failed",
            "does not exist",
            "terminating connection",
            "connection is lost",
            "the connection is closed",
        )
    )


# --- migrations --------------------------------------------------------------------------------


def upgrade(store_url: str | None = None) -> None:
    """Bring the store to the newest revision (once per process; adopts a store of the release
    before SQLAlchemy). Runs in one write transaction, so concurrent processes do it one by one."""
    store_url = store_url or url()
    path = _sqlite_path(store_url)
    if path is not None and not path.exists():  # a new (or removed) store file: made again
        _APPLIED.discard(store_url)
    if store_url in _APPLIED:
        return
    with _INIT_LOCK:
        if store_url in _APPLIED:
            return
        made = engine(store_url)
        try:
            conn = made.connect()
        except sa.exc.DBAPIError as exc:
            raise _translated(exc.orig, store_url) from exc.orig
        try:
            with _translating(store_url):
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                    conn.commit()  # autobegun (no BEGIN emitted: reads are autocommit)
                conn.execution_options(ops_write=True)
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
                    _migrate(conn)
        finally:
            conn.close()
        if path is not None:
            with contextlib.suppress(OSError):  # a store owned by another user may stay as it is
                path.chmod(0o600)
        _APPLIED.add(store_url)


def _alembic_config(conn: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _migrate(conn: Connection) -> None:
    from alembic import command

    have = set(sa.inspect(conn).get_table_names())
    config = _alembic_config(conn)
    if "alembic_version" not in have and have & set(ops_schema.metadata.tables):
        _adopt(conn, have)
        command.stamp(config, BASELINE)
    command.upgrade(config, "head")


def _adopt(conn: Connection, have: set[str]) -> None:
    """A store of the release before SQLAlchemy: add what it lacks of the baseline, keep its rows."""
    inspector = sa.inspect(conn)
    added = set(ops_schema.ADDED_COLUMNS)
    for name, table in ops_schema.metadata.tables.items():
        if table.info.get("since"):  # made by the revision after the baseline that names it
            continue
        if name not in have:
            table.create(conn)
            continue
        present = {col["name"] for col in inspector.get_columns(name)}
        for column in table.columns:
            if column.name in present:
                continue
            if (name, column.name) not in added:
                raise RuntimeError(
                    f"The operational store's table {name} lacks column {column.name}: not a store "
                    "this app made. Restore it from a backup or point MAMS_HOME/MAMS_OPS_URL elsewhere."
                )
            kind = column.type.compile(conn.dialect)
            default = (
                f" DEFAULT {column.server_default.arg.text}" if column.server_default is not None else ""
            )
            null = "" if column.nullable else " NOT NULL"
            conn.exec_driver_sql(f'ALTER TABLE "{name}" ADD COLUMN "{column.name}" {kind}{null}{default}')


def check_writable(path: Path | None = None) -> None:
    """Write one small row, so a store that cannot be written is found at start, not at sign-in.

    Raises
    ------
    StoreUnwritable
        With the file and what to do.
    """
    try:
        with transaction(path) as con:
            con.execute(
                "INSERT INTO store_checks (id, checked_at) VALUES (1, :at) "
                "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                {"at": datetime.now(UTC).isoformat(timespec="seconds")},
            )
    except OSError as exc:  # the home folder itself cannot be made
        raise StoreUnwritable(path or paths.home_path() / paths.OPS_DB_NAME, str(exc)) from exc
