"""Round trips: load -> export CSV (GBK, UTF-8 with BOM) -> load gives identical figures; docs current."""

from __future__ import annotations

from pathlib import Path

import pytest

from data import contract, contract_docs, export, load, warehouse
from tests.data._mini import mini_tables, write_parquet


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def figures() -> dict[str, object]:
    """Row counts and money sums per source table, and customer_month aggregates, of the warehouse."""
    out: dict[str, object] = {}
    with warehouse.open_readonly() as con:
        for table in (*contract.SOURCE_TABLES, contract.CUSTOMER_MONTH):
            parts = ["count(*)"]
            for col in table.columns:
                if col.dtype == "DOUBLE":
                    # Rounded to the fen: sums of the same values in another order differ in the last bits.
                    parts.append(f"round(sum({col.name}), 2)")
                elif col.dtype in ("INTEGER", "BIGINT"):
                    parts.append(f"sum({col.name})")
                elif col.dtype == "BOOLEAN":
                    parts.append(f"count(*) FILTER (WHERE {col.name})")
                else:
                    parts.append(f"count(DISTINCT {col.name})")
            out[table.name] = con.execute(f"SELECT {', '.join(parts)} FROM {table.name}").fetchone()
        out["names"] = con.execute(
            "SELECT string_agg(name_zh, '|' ORDER BY product_id) FROM products"
        ).fetchone()
    return out


def _round_trip(tmp_path: Path, encoding: str) -> None:
    before = figures()
    exported = export.export_csv(tmp_path / f"csv-{encoding}", encoding=encoding)
    assert [p.name for p in exported] == [f"{t.name}.csv" for t in contract.SOURCE_TABLES]
    load.load(exported[0].parent)
    assert figures() == before


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_mini_round_trip(home: Path, tmp_path: Path, encoding: str) -> None:
    load.load(write_parquet(mini_tables(), tmp_path / "src"))
    _round_trip(tmp_path, encoding)
    raw = (tmp_path / f"csv-{encoding}" / "regions.csv").read_bytes()
    if encoding == "gbk":
        assert "华东区".encode("gbk") in raw
    else:
        assert raw.startswith(b"\xef\xbb\xbf")


def test_generated_round_trip_in_gbk(home: Path, tmp_path: Path) -> None:
    from data.generator import generate

    generate(tmp_path / "gen", customers=1500, months=6, seed=3)
    load.load(tmp_path / "gen")
    _round_trip(tmp_path, "gbk")


def test_committed_contract_doc_is_up_to_date() -> None:
    assert contract_docs.DOC_PATH.read_text(encoding="utf-8") == contract_docs.render(), (
        "docs/data-contract.md is stale: run `python -m data.contract_docs`"
    )
