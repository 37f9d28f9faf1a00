"""Faults of the machine at the data layer: an import killed at any point leaves the previous
warehouse serving with the same figures and no half-written file in use, and what it left
behind is removed at the next start (never the current file, never a running import's files);
an operational store that cannot be written says so, naming the file, instead of hiding the
cause behind "cannot rollback - no transaction is active".

Kills are real (a subprocess stopped by SIGKILL at a marker) where the point can be reached from
outside, and simulated in-process (``os.replace`` raising) where it cannot."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from data import load, ops_store, paths, warehouse
from tests.data._mini import mini_tables, write_csv, write_parquet
from tests.data.test_load import _figures

REPO = Path(__file__).resolve().parents[2]

# Stops at a marker: the progress line a step starts with, or the pointer switch (patched to
# wait), prints "AT <marker>" and waits to be killed.
_KILLABLE = """
import sys, time
from data import load, warehouse

marker = sys.argv[2]

def stop():
    print("AT " + marker, flush=True)
    time.sleep(120)

def progress(msg):
    if msg.startswith(marker):
        stop()

if marker == "switch":
    warehouse.switch_current = lambda path: stop()  # the new file is complete, the pointer not moved
load.load(sys.argv[1], progress=progress)
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One good warehouse, loaded once for the module; returns (its home, its figures)."""
    home = tmp_path_factory.mktemp("faults") / "home"
    saved = os.environ.get("MAMS_HOME")
    os.environ["MAMS_HOME"] = str(home)
    try:
        load.load(write_parquet(mini_tables(), home.parent / "good"))
        return home, _figures()
    finally:
        if saved is None:
            del os.environ["MAMS_HOME"]
        else:
            os.environ["MAMS_HOME"] = saved


@pytest.fixture
def loaded(built, home: Path):
    """A home (a copy of the module's) with one good warehouse; returns (its file, its figures)."""
    shutil.copytree(built[0], home)
    return warehouse.current_path(), built[1]


def _start_killable(home: Path, source: Path, marker: str) -> subprocess.Popen:
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(source), marker],
        stdout=subprocess.PIPE,
        env=env,
        cwd=REPO,
        text=True,
    )
    assert proc.stdout.readline().strip() == f"AT {marker}"
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _debris() -> list[str]:
    """Everything in the warehouse folder but the warehouse files a load keeps, the pointer and the lock."""
    wdir = paths.warehouse_dir()
    return sorted(
        p.name
        for p in wdir.iterdir()
        if p.name not in ("CURRENT", "LOCK") and not (p.name.endswith(".duckdb") and ".tmp" not in p.name)
    )


@pytest.mark.slow  # three subprocess imports, each killed
@pytest.mark.parametrize(
    ("marker", "left_behind"),
    [
        ("Validating against the data contract", ".staging.tmp"),  # staged, before the swap
        ("Building customer_month", ".duckdb.tmp"),  # during the derived-table build
        ("switch", ".duckdb"),  # the new file written and renamed, the pointer not yet switched
    ],
    ids=["staging", "derived-build", "before-pointer-switch"],
)
def test_an_import_killed_at_any_point_leaves_the_previous_warehouse_serving(
    loaded, home: Path, tmp_path: Path, marker: str, left_behind: str
) -> None:
    good, before = loaded
    reader = warehouse.open_readonly()  # a serving process keeps reading throughout
    proc = _start_killable(home, write_csv(mini_tables(), tmp_path / "next"), marker)
    try:
        names = sorted(p.name for p in paths.warehouse_dir().iterdir())
        assert any(n.endswith(left_behind) and n != good.name for n in names), names
        # a start while the import runs touches none of its files (the import holds the lock)
        assert load.remove_leftovers() == []
        assert sorted(p.name for p in paths.warehouse_dir().iterdir()) == names
    finally:
        _kill(proc)
    # the killed import changed nothing that is served
    assert warehouse.current_path() == good and warehouse.data_version() == good.name[3:-7]
    assert _figures() == before
    assert reader.execute("SELECT count(*) FROM transactions").fetchone()[0] == 6
    reader.close()
    # the next start removes what it left, and only that
    removed = load.remove_leftovers()
    assert removed and all(good.name not in n for n in removed)
    assert [p.name for p in paths.warehouse_dir().glob("wh-*")] == [good.name]
    assert warehouse.current_path() == good and _figures() == before


@pytest.mark.slow  # two full loads
@pytest.mark.parametrize("fails", ["file rename", "pointer switch"])
def test_a_failed_swap_keeps_the_previous_warehouse(
    loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """The two renames of a load, each failing as on a full disk (simulated: os.replace raises)."""
    good, before = loaded
    real = os.replace

    def replace(src, dst):
        name = Path(dst).name
        if (fails == "file rename" and name.endswith(".duckdb")) or (
            fails == "pointer switch" and name == "CURRENT"
        ):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        load.load(write_parquet(mini_tables(), tmp_path / "next"))
    monkeypatch.setattr(os, "replace", real)
    assert warehouse.current_path() == good and _figures() == before
    load.remove_leftovers()  # the next start
    assert _debris() == [] and [p.name for p in paths.warehouse_dir().glob("wh-*")] == [good.name]


def test_remove_leftovers_clears_each_kind_and_keeps_the_current_and_older_files(
    loaded, tmp_path: Path
) -> None:
    good, before = loaded
    wdir = paths.warehouse_dir()
    older = wdir / "wh-20200101T000000-000000.duckdb"  # a previous load, which readers may hold
    shutil.copy(good, older)
    os.utime(older, ns=(good.stat().st_mtime_ns - 10**9,) * 2)
    debris = [
        "wh-20990101T000000-aaaaaa.staging.tmp",
        "wh-20990101T000000-aaaaaa.staging.tmp.wal",
        "wh-20990101T000000-aaaaaa.duckdb.tmp",
        "wh-20990101T000000-aaaaaa.duckdb.tmp.wal",
        "CURRENT.4242.tmp",
    ]
    for name in debris:
        (wdir / name).write_bytes(b"x")
    (wdir / "wh-20990101T000000-aaaaaa.work.tmp" / "spill").mkdir(parents=True)
    removed = load.remove_leftovers()
    assert sorted(removed) == sorted([*debris, "wh-20990101T000000-aaaaaa.work.tmp"])
    assert warehouse.current_path() == good and older.exists()
    assert _figures() == before
    assert load.remove_leftovers() == []  # idempotent


def test_the_load_command_removes_leftovers_at_its_start(loaded, home: Path, tmp_path: Path) -> None:
    wdir = paths.warehouse_dir()
    (wdir / "CURRENT.4242.tmp").write_text("wh-gone.duckdb\n")  # a pointer switch cut short
    broken = mini_tables()
    broken["customers"][0]["income_band"] = "rich"
    assert load.main([str(write_csv(broken, tmp_path / "bad"))]) == 1  # refused, and still cleaned
    assert not (wdir / "CURRENT.4242.tmp").exists()


def test_remove_leftovers_reports_a_folder_it_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A home whose warehouse folder cannot be made (a regular file in its place, a real fault)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse").write_text("not a folder")
    monkeypatch.setenv("MAMS_HOME", str(home))
    said: list[str] = []
    assert load.remove_leftovers(log=said.append) == []
    assert len(said) == 1 and "Could not remove" in said[0]


# --- the operational store -------------------------------------------------------------------


class _ReadOnlyBegin(sqlite3.Connection):
    """SQLite on a read-only file in a read-only folder, as seen when run as a user without
    write rights (reproduced by hand with setpriv as ``nobody``): BEGIN IMMEDIATE fails."""

    def execute(self, sql, *args):
        if sql.startswith("BEGIN"):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return super().execute(sql, *args)


def _opened_with(monkeypatch: pytest.MonkeyPatch, **how) -> None:
    real = sqlite3.connect

    def connect(path, *args, **kwargs):
        if how.get("read_only"):  # a real SQLite read-only open: writes fail with SQLITE_READONLY
            return real(f"file:{path}?mode=ro", *args, uri=True, **kwargs)
        return real(path, *args, factory=_ReadOnlyBegin, **kwargs)

    monkeypatch.setattr(ops_store.sqlite3, "connect", connect)


@pytest.mark.parametrize("how", ["begin fails", "write fails"])
def test_a_store_that_cannot_be_written_says_so_with_the_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    ops_store.check_writable()  # a good store first, with its tables
    _opened_with(monkeypatch, read_only=how == "write fails")
    with pytest.raises(ops_store.StoreUnwritable) as caught:
        ops_store.check_writable()
    message = str(caught.value)
    assert str(paths.ops_db_path()) in message and "writable" in message
    assert "readonly" in message and "cannot rollback" not in message
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_a_failed_begin_is_not_hidden_by_a_rollback(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ops_store.check_writable()
    _opened_with(monkeypatch)
    with pytest.raises(ops_store.StoreUnwritable, match="readonly") as caught, ops_store.transaction():
        pass
    assert "no transaction is active" not in repr(caught.value.__cause__)


def test_a_store_whose_folder_cannot_be_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The home's parent is a regular file (a real fault, seen as root too)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv("MAMS_HOME", str(blocker / "home"))
    with pytest.raises(ops_store.StoreUnwritable) as caught:
        ops_store.check_writable()
    assert str(blocker / "home" / "ops.sqlite") in str(caught.value)


def test_other_store_errors_pass_unchanged(home: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="no such table"), ops_store.transaction() as con:
        con.execute("SELECT * FROM no_such_table")


def test_a_column_added_by_a_later_release_is_added_to_an_older_store(home: Path) -> None:
    from auth import users

    home.mkdir(parents=True, exist_ok=True)
    path = paths.ops_db_path()
    con = sqlite3.connect(path)  # a store of the release before the version column
    con.execute(
        "CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, "
        "region_id INTEGER, branch_id INTEGER, manager_id INTEGER, active INTEGER NOT NULL DEFAULT 1, "
        "created_at TEXT NOT NULL)"
    )
    con.execute("INSERT INTO users VALUES ('old', 'x', 'analyst', NULL, NULL, NULL, 1, '2025-01-01')")
    con.commit()
    con.close()
    assert users.get_user("old").version == 0
    ops_store._APPLIED.clear()  # another process (or a restart) opening the same store: idempotent
    assert users.get_user("old").version == 0
    users.update_user("old", "analyst", active=False, expected_version=0)
    assert users.get_user("old").version == 1
