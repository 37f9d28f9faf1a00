"""The importer: encodings, data versions, atomic switch, and survival of failed or killed loads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from data import demo, load, paths, warehouse
from tests.data._mini import mini_tables, write_csv, write_parquet

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _figures() -> dict[str, float]:
    """Row counts and money sums of the current warehouse, for comparing loads."""
    con = warehouse.open_readonly()
    try:
        (n_txn, amount, fee) = con.execute(
            "SELECT count(*), sum(amount), sum(fee) FROM transactions"
        ).fetchone()
        (n_cm, aum, contribution) = con.execute(
            "SELECT count(*), sum(aum), sum(contribution) FROM customer_month"
        ).fetchone()
        names = con.execute("SELECT string_agg(name_zh, '|' ORDER BY branch_id) FROM branches").fetchone()[0]
    finally:
        con.close()
    return {
        "txn": n_txn,
        "amount": amount,
        "fee": fee,
        "cm": n_cm,
        "aum": aum,
        "contrib": contribution,
        "zh": names,
    }


def test_no_warehouse_gives_a_clear_error(home: Path) -> None:
    assert warehouse.current_path() is None and warehouse.data_version() is None
    with pytest.raises(warehouse.NoWarehouse, match="python -m data.load"):
        warehouse.open_readonly()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_loads_like_parquet(home: Path, tmp_path: Path, encoding: str) -> None:
    load.load(write_parquet(mini_tables(), tmp_path / "pq"))
    expected = _figures()
    src = write_csv(mini_tables(), tmp_path / encoding, encoding=encoding)
    if encoding == "gbk":
        assert load.detect_encoding(src / "regions.csv") == "gb18030"
    result = load.load(src)
    assert _figures() == expected
    assert result.row_counts["transactions"] == 6 and result.row_counts["holdings"] == len(
        mini_tables()["holdings"]
    )


def test_each_load_gets_a_new_version_and_old_files_are_pruned(home: Path, tmp_path: Path) -> None:
    src = write_parquet(mini_tables(), tmp_path / "src")
    versions = []
    for _ in range(load.KEEP_FILES + 2):
        result = load.load(src)
        assert warehouse.data_version() == result.data_version
        assert warehouse.current_path() == result.path
        with warehouse.open_readonly() as con:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert meta["data_version"] == result.data_version
        assert (meta["first_month"], meta["last_month"]) == ("2025-01-01", "2025-06-01")
        versions.append(result.data_version)
    assert len(set(versions)) == len(versions)
    kept = sorted(p.name for p in paths.warehouse_dir().glob("wh-*.duckdb"))
    assert kept == sorted(f"wh-{v}.duckdb" for v in versions[-load.KEEP_FILES :])


def test_extra_columns_are_ignored_with_a_warning(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    for row in tables["regions"]:
        row["note"] = "x"
    result = load.load(write_csv(tables, tmp_path / "src"))
    assert any("regions.csv" in w and "note" in w for w in result.warnings)
    with warehouse.open_readonly() as con:
        assert "note" not in [r[0] for r in con.execute("DESCRIBE regions").fetchall()]


def test_failed_load_leaves_the_previous_warehouse_untouched(home: Path, tmp_path: Path) -> None:
    good = load.load(write_parquet(mini_tables(), tmp_path / "good"))
    before = _figures()
    reader = warehouse.open_readonly()  # a serving process keeps reading throughout
    broken = mini_tables()
    broken["transactions"][0]["customer_id"] = 999999
    with pytest.raises(load.ValidationFailed):
        load.load(write_parquet(broken, tmp_path / "bad"))
    assert warehouse.current_path() == good.path and warehouse.data_version() == good.data_version
    assert _figures() == before
    assert reader.execute("SELECT count(*) FROM transactions").fetchone()[0] == 6
    reader.close()
    assert not [p for p in paths.warehouse_dir().iterdir() if ".tmp" in p.name]


_KILLABLE = """
import sys, time
from data import load

def progress(msg):
    if msg.startswith("Building customer_month"):
        print("BUILDING", flush=True)
        time.sleep(120)

load.load(sys.argv[1], progress=progress)
"""


def test_a_load_killed_mid_build_changes_nothing(home: Path, tmp_path: Path) -> None:
    good = load.load(write_parquet(mini_tables(), tmp_path / "good"))
    before = _figures()
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(write_csv(mini_tables(), tmp_path / "next"))],
        stdout=subprocess.PIPE,
        env=env,
        cwd=REPO,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "BUILDING"
        assert [p for p in paths.warehouse_dir().iterdir() if p.name.endswith(".duckdb.tmp")]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert warehouse.current_path() == good.path
    assert _figures() == before
    # The next load clears the debris and succeeds.
    time.sleep(0.01)
    result = load.load(write_parquet(mini_tables(), tmp_path / "good"))
    assert result.data_version != good.data_version
    assert _figures() == before
    leftovers = [p.name for p in paths.warehouse_dir().iterdir() if ".tmp" in p.name]
    assert leftovers == []


def test_cli_exits_non_zero_and_names_file_row_column(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    tables["customers"][2]["income_band"] = "rich"
    src = write_csv(tables, tmp_path / "src", encoding="gbk")
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "data.load", str(src)], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.returncode == 1
    assert "customers.csv, row 3, column income_band: 'rich' is not an allowed value" in done.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "data.load", str(write_csv(mini_tables(), tmp_path / "ok"))],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert ok.returncode == 0, ok.stderr


def test_ensure_demo_warehouse_builds_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_generate(out_dir: Path, **kwargs: object) -> None:
        calls.append(kwargs)
        write_parquet(mini_tables(), Path(out_dir))

    monkeypatch.setattr(demo, "generate", fake_generate)
    lines: list[str] = []
    path = demo.ensure_demo_warehouse(customers=10, months=6, seed=1, log=lines.append)
    assert path == warehouse.current_path() and path.exists()
    assert calls == [{"customers": 10, "months": 6, "seed": 1}]
    assert any("generating demo data" in line for line in lines)
    assert demo.ensure_demo_warehouse(log=lines.append) == path
    assert len(calls) == 1
