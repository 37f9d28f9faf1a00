"""Incremental monthly loads (data.append): a full load of months 1..N-1 plus an append of month N
equals a full load of months 1..N, table by table; bad or out-of-order appends change nothing."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from benchmarks.append_bench import split_last_month
from data import append, generator, load, scores, warehouse
from tests.data._mini import mini_tables, write_csv, write_parquet

# meta facts that name the build, not the data
BUILD_FACTS = ("data_version", "built_at", "source", "extract_version")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def assert_same_warehouse(a: Path, b: Path) -> None:
    """Every table and view of the two warehouse files holds the same rows (doubles to 1e-9)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")

    def relations(db: str) -> list[str]:
        return [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? ORDER BY 1", [db]
            ).fetchall()
        ]

    assert relations("a") == relations("b")
    for name in relations("a"):
        cols_a = con.execute(f'DESCRIBE a."{name}"').fetchall()
        cols_b = con.execute(f'DESCRIBE b."{name}"').fetchall()
        assert [c[:2] for c in cols_a] == [c[:2] for c in cols_b], name
        exact = [f'"{c[0]}"' for c in cols_a if c[1] not in ("DOUBLE", "FLOAT")]
        floats = [f'"{c[0]}"' for c in cols_a if c[1] in ("DOUBLE", "FLOAT")]
        where = (
            "WHERE key NOT IN ({})".format(", ".join(f"'{k}'" for k in BUILD_FACTS)) if name == "meta" else ""
        )
        order = ", ".join(exact + floats)
        rows = [
            con.execute(
                f'SELECT {", ".join(exact + floats)} FROM {db}."{name}" {where} ORDER BY {order}'
            ).fetchall()
            for db in ("a", "b")
        ]
        assert len(rows[0]) == len(rows[1]), f"{name}: {len(rows[0])} rows vs {len(rows[1])}"
        n = len(exact)
        for ra, rb in zip(*rows, strict=True):
            assert ra[:n] == rb[:n], f"{name}: {ra[:n]} != {rb[:n]}"
            for x, y in zip(ra[n:], rb[n:], strict=True):
                assert (x is None and y is None) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6), name
    con.close()


def _full_then_split(tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch, changed: int | None):
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "full"))
    full = load.load(src)
    split_last_month(src, tmp_path / "base", tmp_path / "month", changed)
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "inc"))
    return full


def test_append_equals_a_full_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "gen"
    generator.generate(src, customers=300, months=14, seed=11)
    # a customer open from the start, not closed: their income band and branch change
    (changed,) = duckdb.sql(
        f"SELECT min(customer_id) FROM '{src}/customers.parquet' WHERE open_date < DATE '2024-01-01' "
        "AND close_date IS NULL"
    ).fetchone()
    full = _full_then_split(tmp_path, src, monkeypatch, changed)
    base = load.load(tmp_path / "base")
    steps: list[str] = []
    result = append.append(tmp_path / "month", progress=steps.append)
    assert "Extending customer_month" in steps and not any("in full" in s for s in steps)
    assert result.path == warehouse.current_path() and result.path != base.path
    assert result.row_counts["transactions"] > 0 and result.row_counts["customers"] > 1
    assert_same_warehouse(full.path, result.path)


def test_append_on_the_mini_dataset_applies_a_changed_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_parquet(mini_tables(), tmp_path / "src")
    full = _full_then_split(tmp_path, src, monkeypatch, changed=1000)
    load.load(tmp_path / "base")
    con = warehouse.open_readonly()
    before = con.execute(
        "SELECT DISTINCT income_band, branch_id FROM customer_month WHERE customer_id = 1000"
    ).fetchall()
    con.close()
    assert before == [("high", 11)]
    result = append.append(tmp_path / "month")
    con = warehouse.open_readonly()
    after = con.execute(
        "SELECT DISTINCT income_band, branch_id FROM customer_month WHERE customer_id = 1000"
    ).fetchall()
    last = con.execute("SELECT value FROM meta WHERE key = 'last_month'").fetchone()[0]
    con.close()
    assert after == [("middle", 10)] and last == "2025-06-01"
    assert_same_warehouse(full.path, result.path)


def test_a_bad_append_file_is_refused_and_nothing_changes(tmp_path: Path, home: Path) -> None:
    tables = mini_tables()
    load.load(write_parquet(tables, tmp_path / "full"))
    before = warehouse.current_path()
    files = sorted(p.name for p in before.parent.iterdir())
    month = {
        "transactions": [
            {
                **tables["transactions"][0],
                "txn_id": 99,
                "txn_at": dt.datetime(2025, 7, 2, 10),
                "amount": "abc",
            },
            {**tables["transactions"][0], "txn_id": 98, "txn_at": dt.datetime(2025, 7, 3, 10)},
        ],
        "holdings": [{**tables["holdings"][0], "month_date": dt.date(2025, 7, 1)}],
    }
    with pytest.raises(load.ValidationFailed) as failed:
        append.append(write_csv(month, tmp_path / "bad"))
    problems = [(p.file, p.row, p.column) for p in failed.value.problems]
    assert ("transactions.csv", 1, "amount") in problems
    assert warehouse.current_path() == before
    assert sorted(p.name for p in before.parent.iterdir()) == files


def test_a_month_that_is_not_the_next_is_refused(tmp_path: Path, home: Path) -> None:
    tables = mini_tables()
    load.load(write_parquet(tables, tmp_path / "full"))
    before = warehouse.current_path()
    month = {
        "transactions": [{**tables["transactions"][0], "txn_id": 99, "txn_at": dt.datetime(2025, 8, 2, 10)}],
        "holdings": [{**tables["holdings"][0], "month_date": dt.date(2025, 8, 1)}],
    }
    with pytest.raises(load.ValidationFailed, match="an append adds exactly the next month, 2025-07"):
        append.append(write_parquet(month, tmp_path / "late"))
    again = {"transactions": tables["transactions"][-1:], "holdings": tables["holdings"][-5:]}
    with pytest.raises(load.ValidationFailed, match="warehouse ends with 2025-06") as failed:
        append.append(write_parquet(again, tmp_path / "again"))
    assert any("already in the warehouse" in p.message for p in failed.value.problems)
    assert warehouse.current_path() == before


def test_scores_are_carried_over_marked_with_the_previous_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_parquet(mini_tables(), tmp_path / "src")
    _full_then_split(tmp_path, src, monkeypatch, changed=None)
    base = load.load(tmp_path / "base")
    out = tmp_path / "seg.parquet"
    duckdb.sql(
        "SELECT 1000 AS customer_id, 1 AS segment, 'a' AS segment_name, '甲' AS segment_name_zh"
    ).write_parquet(str(out))
    scores.publish("segmentation", base.data_version, "run-1", out)
    result = append.append(tmp_path / "month")
    carried = scores.current(result.data_version)
    assert carried["segmentation"].run_id == "run-1"
    assert carried["segmentation"].scored_month == "2025-05-01"
    assert scores.current(base.data_version)["segmentation"].scored_month is None


def test_a_changed_reference_row_or_earlier_month_rebuilds_the_derived_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = mini_tables()
    tables["branches"][1]["name_en"] = "Pudong Sub-branch"  # in the month's extract only
    # a customer the bank reports late: opened in April, first sent with June
    late = {**tables["customers"][0], "customer_id": 1003, "open_date": dt.date(2025, 4, 2)}
    tables["customers"].append(late)
    src = write_parquet(tables, tmp_path / "src")
    full = _full_then_split(tmp_path, src, monkeypatch, changed=None)
    base_dir = tmp_path / "base"
    old = mini_tables()["branches"]
    write_parquet({"branches": old}, base_dir)  # the base had the old branch name
    write_parquet({"customers": [c for c in tables["customers"] if c["customer_id"] != 1003]}, base_dir)
    write_parquet({"branches": tables["branches"]}, tmp_path / "month")
    duckdb.sql(f"SELECT * FROM '{src}/customers.parquet' WHERE customer_id = 1003").write_parquet(
        str(tmp_path / "month" / "customers.parquet")
    )
    load.load(base_dir)
    steps: list[str] = []
    result = append.append(tmp_path / "month", progress=steps.append)
    assert any("in full" in s for s in steps)
    assert_same_warehouse(full.path, result.path)


def test_the_command_line_appends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    src = write_parquet(mini_tables(), tmp_path / "src")
    _full_then_split(tmp_path, src, monkeypatch, changed=None)
    assert load.main([str(tmp_path / "month"), "--append"]) == 1  # nothing loaded yet
    assert "load the full extract first" in capsys.readouterr().err
    assert load.main([str(tmp_path / "base")]) == 0
    assert load.main([str(tmp_path / "month"), "--append"]) == 0
    con = warehouse.open_readonly()
    assert con.execute("SELECT max(month_date) FROM customer_month").fetchone()[0] == dt.date(2025, 6, 1)
    con.close()
