"""The operational store on SQLAlchemy: the same code on SQLite and PostgreSQL (``ops_engine``),
write transactions serialised (user creates and counted sign-in attempts under races), the
Alembic head on a fresh store, and a store made by the release before SQLAlchemy adopted with
nothing lost."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from auth import audit, saved_views, sessions, throttle, users
from data import ops_schema, ops_store, paths

OLD_DDL = Path(__file__).with_name("fixtures") / "ops_store_pre_sqlalchemy.sql"
PASSWORD = "a-long-enough-pass-2026"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ops_engine: str) -> str:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return ops_engine


def _at_once(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together; each result or raised error."""
    gate = threading.Barrier(count)
    out: list = [None] * count

    def run(i: int) -> None:
        gate.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each one got
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _revision(store_url: str) -> str:
    with ops_store.engine(store_url).connect() as con:
        return con.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ops_store.MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_a_fresh_store_is_at_the_newest_revision_with_every_table(store: str) -> None:
    ops_store.check_writable()
    url = ops_store.url()
    assert sa.make_url(url).get_backend_name() == store
    assert _revision(url) == _head()
    with ops_store.engine(url).connect() as con:
        have = set(sa.inspect(con).get_table_names())
    assert have == {*ops_schema.metadata.tables, "alembic_version"}


def test_the_revisions_make_exactly_the_tables_of_ops_schema(store: str) -> None:
    """What the migrations built compared with data/ops_schema.py: no difference (a change made
    there without a revision, or the other way round, fails here)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    ops_store.check_writable()
    with ops_store.engine().connect() as con:
        context = MigrationContext.configure(con, opts={"compare_type": True})
        assert compare_metadata(context, ops_schema.metadata) == []


def test_rows_read_by_name_and_position_and_a_failed_transaction_leaves_nothing(store: str) -> None:
    with pytest.raises(RuntimeError), ops_store.transaction() as con:
        con.execute("INSERT INTO store_checks (id, checked_at) VALUES (1, :at)", {"at": "x"})
        raise RuntimeError("stop")
    con = ops_store.connect()
    try:
        assert con.execute("SELECT count(*) AS n FROM store_checks").fetchone()["n"] == 0
        ops_store.check_writable()
        row = con.execute("SELECT id, checked_at FROM store_checks").fetchone()
        assert row[0] == row["id"] == 1 and dict(row).keys() == {"id", "checked_at"}
    finally:
        con.close()


def test_users_audit_sessions_and_saved_views_round_trip(store: str) -> None:
    users.create_user("ann", PASSWORD, "analyst")
    assert users.authenticate("ann", PASSWORD).username == "ann"
    assert users.update_user("ann", "analyst", active=False, expected_version=0)
    with pytest.raises(users.StaleEdit):
        users.update_user("ann", "analyst", active=True, expected_version=0)
    assert users.authenticate("ann", PASSWORD) is None  # inactive
    assert sessions.current_epoch("ann") == 1  # the update ended her sessions
    audit.record("ann", "export", "a detail with 50% and a ? in it")
    assert audit.recent(1)[0]["detail"] == "a detail with 50% and a ? in it"
    saved_views.save("ann", "mine", "/sales", "?month=2026-01")
    saved_views.save("ann", "mine", "/sales", "?month=2026-02")  # replaced, not doubled
    assert [v.search for v in saved_views.list_views("ann")] == ["?month=2026-02"]
    assert saved_views.delete("ann", "mine") and not saved_views.delete("ann", "mine")


def test_of_many_creates_of_one_name_at_once_exactly_one_succeeds(store: str) -> None:
    got = _at_once(6, lambda _i: users.create_user("race", PASSWORD, "analyst"))
    assert sum(isinstance(g, users.User) for g in got) == 1
    assert all(
        isinstance(g, users.UserError) and g.key == "exists" for g in got if not isinstance(g, users.User)
    )
    assert [u.username for u in users.list_users()] == ["race"]


def test_attempts_counted_at_once_are_each_counted(store: str) -> None:
    """Read-then-write under the write lock: no attempt's count overwrites another's."""
    got = _at_once(8, lambda _i: throttle.begin_attempt("bob", "10.0.0.1", now=1000.0))
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT username, failures FROM signin_attempts WHERE address = :a", {"a": "10.0.0.1"}
        ).fetchall()
    finally:
        con.close()
    counted = dict((r["username"], r["failures"]) for r in rows)  # noqa: C402
    assert counted["bob"] == sum(1 for g in got if g == 0)  # the ones let through were counted
    assert counted["bob"] >= throttle.FREE_FAILURES  # and the lock then held the rest back
    assert throttle.locked_for("bob", "10.0.0.1", now=1000.0) > 0


def test_first_connections_at_once_upgrade_the_store_once(store: str) -> None:
    ops_store._APPLIED.clear()
    got = _at_once(5, lambda _i: users.has_users())
    assert got == [False] * 5
    assert _revision(ops_store.url()) == _head()


# --- a store made by the release before SQLAlchemy -----------------------------------------------


def _old_store(path: Path, with_version_column: bool = True) -> None:
    ddl = OLD_DDL.read_text()
    if not with_version_column:  # the release before that: users without the version column
        ddl = ddl.replace(",\n        version INTEGER NOT NULL DEFAULT 0", "")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.executescript(ddl)
    con.execute(
        "INSERT INTO users (username, password_hash, role, active, created_at) "
        "VALUES ('old', 'h', 'admin', 1, 'c')"
    )
    con.executemany(
        "INSERT INTO audit_log (at, username, action, detail) VALUES (?, 'old', ?, '')",
        [("2026-01-01", "sign_in"), ("2026-01-02", "export")],
    )
    con.execute(
        "INSERT INTO mining_runs (run_id, kind, status, params, started_at) "
        "VALUES ('r1', 'churn', 'succeeded', '{}', '2026-01-01T00:00:00')"
    )
    con.execute(
        "INSERT INTO decks (owner, name, pinned_at, created_at, updated_at) "
        "VALUES ('old', 'd', 'p', 'c', 'u')"
    )
    con.commit()
    con.close()


@pytest.mark.parametrize("with_version_column", [True, False])
def test_a_store_of_the_release_before_is_adopted_with_nothing_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_version_column: bool
) -> None:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MAMS_OPS_URL", raising=False)
    path = paths.ops_db_path()
    _old_store(path, with_version_column)
    assert users.get_user("old").role == "admin"  # the first connection adopts it
    assert _revision(ops_store.url()) == _head()
    assert [e["action"] for e in audit.recent()] == ["export", "sign_in"]
    con = ops_store.connect()
    try:
        assert con.execute("SELECT status FROM mining_runs WHERE run_id = 'r1'").scalar() == "succeeded"
        new = con.execute("SELECT count(*) FROM decks").scalar()
    finally:
        con.close()
    assert new == 1
    tables = set(sa.inspect(ops_store.engine()).get_table_names())
    assert {"campaigns", "campaign_contacts", "customer_groups"} <= tables  # the revisions after it ran
    users.update_user("old", "analyst", expected_version=0)  # the version column works
    assert users.get_user("old").version == 1
    audit.record("old", "after")
    assert [e["action"] for e in audit.recent()][0] == "after"
    ops_store._APPLIED.clear()  # a restart: already at head, nothing is done again
    assert users.get_user("old").role == "analyst"


def test_a_store_with_a_table_that_lacks_a_column_is_refused_not_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MAMS_OPS_URL", raising=False)
    path = paths.ops_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (username TEXT PRIMARY KEY)")
    con.close()
    with pytest.raises(RuntimeError, match="lacks column password_hash"):
        users.has_users()
    con = sqlite3.connect(path)
    assert con.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is None
    con.close()


def test_a_database_server_that_cannot_be_reached_is_named_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = "postgresql://mams:s3cret-pass@127.0.0.1:1/mams"  # port 1: connection refused
    monkeypatch.setenv("MAMS_OPS_URL", dead)
    try:
        with pytest.raises(ops_store.StoreUnavailable) as raised:
            ops_store.connect()
        with pytest.raises(ops_store.StoreUnavailable):
            users.get_user("anyone")
    finally:
        ops_store.dispose(ops_store.url())
    message = str(raised.value)
    assert "127.0.0.1:1/mams" in message and "MAMS_OPS_URL" in message
    assert "s3cret-pass" not in message
