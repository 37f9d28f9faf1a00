"""Each class of contract violation, planted in the mini dataset, is reported by file, row and column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from data import load, warehouse
from tests.data._mini import Rows, mini_tables, write_csv, write_parquet

Tables = dict[str, Rows]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _set(table: str, index: int, column: str, value: object) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table][index][column] = value

    return mutate


def _drop_column(table: str, column: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        for row in t[table]:
            del row[column]

    return mutate


def _duplicate_txn_id(t: Tables) -> None:
    t["transactions"][4]["txn_id"] = t["transactions"][1]["txn_id"]


# (case, mutation, file, row, column, words the message must contain)
CASES = [
    ("type", _set("transactions", 2, "amount", "12,5x"), "transactions.csv", 3, "amount", "cannot read"),
    (
        "type-date",
        _set("customers", 2, "open_date", "2024/13/01"),
        "customers.csv",
        3,
        "open_date",
        "YYYY-MM-DD",
    ),
    (
        "type-bool",
        _set("customers", 0, "is_signed", "maybe"),
        "customers.csv",
        1,
        "is_signed",
        "true or false",
    ),
    # (an empty gender reads as "unknown": see test_import_real.py)
    ("null", _set("customers", 1, "city", None), "customers.csv", 2, "city", "missing"),
    ("blank-key", _set("products", 2, "product_id", None), "products.csv", 3, "product_id", "missing"),
    ("duplicate", _duplicate_txn_id, "transactions.csv", 5, "txn_id", "duplicate primary key"),
    (
        "reference",
        _set("holdings", 3, "product_id", 99),
        "holdings.csv",
        4,
        "product_id",
        "products.product_id",
    ),
    (
        "allowed",
        _set("channels", 0, "channel_code", "fax"),
        "channels.csv",
        1,
        "channel_code",
        "not an allowed",
    ),
    (
        "minimum",
        _set("transactions", 0, "amount", -5.0),
        "transactions.csv",
        1,
        "amount",
        "below the minimum",
    ),
    (
        "early",
        _set("customers", 0, "birth_date", dt.date(1850, 1, 1)),
        "customers.csv",
        1,
        "birth_date",
        "early",
    ),
    (
        "future",
        _set("customers", 0, "open_date", dt.date(2026, 1, 1)),
        "customers.csv",
        1,
        "open_date",
        "after",
    ),
    (
        "close-before-open",
        _set("customers", 1, "close_date", dt.date(2025, 1, 1)),
        "customers.csv",
        2,
        "close_date",
        "before open_date",
    ),
    (
        "close-iff-closed",
        _set("customers", 0, "status", "closed"),
        "customers.csv",
        1,
        "close_date",
        "status",
    ),
    (
        "response-iff-responded",
        _set("campaign_contacts", 1, "response_date", dt.date(2025, 3, 5)),
        "campaign_contacts.csv",
        2,
        "response_date",
        "responded",
    ),
    (
        "month-first-day",
        _set("holdings", 0, "month_date", dt.date(2025, 1, 15)),
        "holdings.csv",
        1,
        "month_date",
        "first day",
    ),
    ("missing-column", _drop_column("transactions", "fee"), "transactions.csv", None, "fee", "missing"),
]


@pytest.mark.parametrize(
    ("case", "mutate", "file", "row", "column", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_each_violation_is_reported_with_file_row_and_column(
    home: Path, tmp_path: Path, case: str, mutate, file: str, row: int | None, column: str, words: str
) -> None:
    tables = mini_tables()
    mutate(tables)
    src = write_csv(tables, tmp_path / "src")
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    hits = [p for p in info.value.problems if p.file == file and p.row == row and p.column == column]
    assert hits, f"{case}: not reported at {file} row {row} column {column}:\n{info.value}"
    assert words in hits[0].message, hits[0]
    assert f"{file}" in str(hits[0]) and column in str(hits[0])
    assert warehouse.current_path() is None  # nothing was built


def test_missing_file_is_reported(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    del tables["holdings"]  # a required table (optional ones: test_import_real.py)
    with pytest.raises(load.ValidationFailed) as info:
        load.load(write_csv(tables, tmp_path / "src"))
    assert any("holdings" in p.file and "missing" in p.message for p in info.value.problems)


def test_row_with_wrong_field_count_is_reported_by_row(home: Path, tmp_path: Path) -> None:
    src = write_csv(mini_tables(), tmp_path / "src")
    with open(src / "regions.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("2,华南区,South,surplus\r\n")  # data row 2
    with pytest.raises(load.ValidationFailed) as info:
        load.load(src)
    assert any(p.file == "regions.csv" and p.row == 2 and "parse" in p.message for p in info.value.problems)


def test_parquet_rows_are_numbered_from_one(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    tables["holdings"][5]["customer_id"] = 4242
    with pytest.raises(load.ValidationFailed) as info:
        load.load(write_parquet(tables, tmp_path / "src"))
    [problem] = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("holdings.parquet", 6, "customer_id")
    assert "4242" in problem.message


def test_all_problems_are_reported_at_once_and_capped(home: Path, tmp_path: Path) -> None:
    tables = mini_tables()
    tables["customers"][1]["gender"] = "X"
    tables["transactions"][0]["amount"] = "abc"
    tables["branch_targets"] += [
        {"month_date": dt.date(2025, 1, 1), "branch_id": 10, "metric": f"bad{i}", "target_value": 1.0}
        for i in range(120)
    ]
    with pytest.raises(load.ValidationFailed) as info:
        load.load(write_csv(tables, tmp_path / "src"))
    problems = info.value.problems
    assert any(p.file == "customers.csv" and p.column == "gender" for p in problems)
    assert any(p.file == "transactions.csv" and p.column == "amount" for p in problems)
    bad_metric = [p for p in problems if p.file == "branch_targets.csv" and p.column == "metric"]
    assert len(bad_metric) == 50
    assert info.value.omitted == 70
    assert "and 70 more" in str(info.value)
