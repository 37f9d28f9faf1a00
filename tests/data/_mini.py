"""A tiny, hand-made, valid dataset in the contract, for broken-fixture and derived-layer tests.

Small enough to reason about by hand: 3 customers over 6 months (2025-01 .. 2025-06).
Tests take :func:`mini_tables`, break one cell, and write it with :func:`write_csv` or
:func:`write_parquet`.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data import contract

D = dt.date
T = dt.datetime

Rows = list[dict[str, object]]


def mini_tables() -> dict[str, Rows]:
    """A fresh copy of the valid mini dataset: table name -> rows (dicts in contract order)."""
    t: dict[str, Rows] = {}
    t["regions"] = [{"region_id": 1, "name_zh": "华东区", "name_en": "East"}]
    t["branches"] = [
        _branch(10, "上海分行", "Shanghai Branch", "branch"),
        _branch(11, "浦东网点", "Pudong Outlet", "outlet"),
    ]
    t["managers"] = [
        {"manager_id": 100, "branch_id": 10, "name": "王芳", "grade": "senior", "hired_date": D(2015, 3, 1)},
        {"manager_id": 101, "branch_id": 11, "name": "李强", "grade": "junior", "hired_date": D(2021, 7, 1)},
    ]
    t["products"] = [
        _product(1, "demand_deposit", "deposit", 0.02, 0.0),
        _product(2, "fund", "investment", 0.012, 0.005),
        _product(3, "credit_card", "loan", 0.06, 0.01),
    ]
    t["channels"] = [
        _channel(1, "counter", "branch"),
        _channel(2, "mobile_banking", "digital"),
    ]
    t["customers"] = [
        _customer(1000, 10, 100, D(1980, 6, 15), D(2018, 1, 20), "active", None),
        _customer(1001, 11, 101, D(2001, 12, 31), D(2025, 2, 10), "closed", D(2025, 5, 20)),
        _customer(1002, 10, 100, D(1955, 1, 1), D(2024, 8, 1), "dormant", None),
    ]
    txns = [
        (T(2025, 1, 5, 9, 30), 1000, 1, 1, 10, "deposit", 5000.0, 0.0),
        (T(2025, 1, 31, 20, 15), 1000, 2, 2, 10, "investment", 20000.0, 100.0),
        (T(2025, 2, 12, 11, 0), 1001, 1, 1, 11, "deposit", 800.5, 0.0),
        (T(2025, 3, 3, 8, 5), 1001, 3, 2, 11, "purchase", 120.25, 1.2),
        (T(2025, 3, 18, 14, 45), 1000, 3, 2, 10, "purchase", 300.0, 3.0),
        (T(2025, 6, 30, 23, 59), 1000, 1, 2, 11, "withdrawal", 1000.0, 0.0),
    ]
    t["transactions"] = [
        dict(zip(contract.TRANSACTIONS.columns_in("1"), (i + 1, *row), strict=True))
        for i, row in enumerate(txns)
    ]
    hold = []
    for m in range(1, 7):
        month = D(2025, m, 1)
        hold.append((month, 1000, 1, 10000.0 + m * 100, 9800.0 + m * 100))
        hold.append((month, 1000, 2, 20000.0, 19000.0 if m > 1 else 500.0))
        hold.append((month, 1002, 1, 300.0, 300.0))
        if 2 <= m <= 5:
            hold.append((month, 1001, 1, 800.5, 700.0))
            hold.append((month, 1001, 3, 120.25, 60.0))
    t["holdings"] = [dict(zip(contract.HOLDINGS.columns_in("1"), row, strict=True)) for row in hold]
    t["campaigns"] = [
        {
            "campaign_id": 1,
            "name_zh": "春季理财",
            "name_en": "Spring wealth",
            "product_id": 2,
            "channel_id": 2,
            "start_date": D(2025, 3, 1),
            "end_date": D(2025, 3, 31),
            "cost": 5000.0,
        }
    ]
    t["campaign_contacts"] = [
        _contact(1000, D(2025, 3, 2), True, True, D(2025, 3, 10), 20000.0),
        _contact(1002, D(2025, 3, 2), True, False, None, 0.0),
    ]
    t["branch_targets"] = [
        {"month_date": D(2025, m, 1), "branch_id": b, "metric": "aum", "target_value": 1e6}
        for m in range(1, 7)
        for b in (10, 11)
    ]
    t["manager_targets"] = [
        {"month_date": D(2025, m, 1), "manager_id": mgr, "metric": "new_customers", "target_value": 3.0}
        for m in range(1, 7)
        for mgr in (100, 101)
    ]
    return t


def _branch(bid: int, zh: str, en: str, kind: str) -> dict[str, object]:
    return {
        "branch_id": bid,
        "region_id": 1,
        "name_zh": zh,
        "name_en": en,
        "branch_type": kind,
        "city": "上海",
        "opened_date": D(2000, 1, 1),
    }


def _product(pid: int, category: str, balance_type: str, margin: float, fee: float) -> dict[str, object]:
    return {
        "product_id": pid,
        "product_code": f"P{pid:03d}",
        "name_zh": f"产品{pid}",
        "name_en": f"Product {pid}",
        "category": category,
        "category_name_zh": f"类别{pid}",
        "category_name_en": category.replace("_", " "),
        "balance_type": balance_type,
        "margin_rate": margin,
        "fee_rate": fee,
    }


def _channel(cid: int, code: str, kind: str) -> dict[str, object]:
    return {
        "channel_id": cid,
        "channel_code": code,
        "name_zh": f"渠道{cid}",
        "name_en": code,
        "channel_type": kind,
        "type_name_zh": f"类型{cid}",
        "type_name_en": kind,
    }


def _customer(
    cid: int, branch: int, manager: int, birth: dt.date, opened: dt.date, status: str, closed: dt.date | None
) -> dict[str, object]:
    return {
        "customer_id": cid,
        "name": "张三",
        "phone": "13800138000",
        "id_card_no": "310101198006150011",
        "gender": "M" if cid % 2 == 0 else "F",
        "birth_date": birth,
        "occupation": "professional",
        "income_band": "middle",
        "city": "上海",
        "home_branch_id": branch,
        "manager_id": manager,
        "open_date": opened,
        "is_signed": True,
        "credit_grade": "AA",
        "status": status,
        "close_date": closed,
    }


def _contact(
    cid: int, when: dt.date, contacted: bool, responded: bool, resp: dt.date | None, amount: float
) -> dict[str, object]:
    return {
        "campaign_id": 1,
        "customer_id": cid,
        "channel_id": 2,
        "contacted_date": when,
        "contacted": contacted,
        "responded": responded,
        "response_date": resp,
        "response_amount": amount,
    }


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def write_csv(tables: dict[str, Rows], out_dir: Path, encoding: str = "utf-8") -> Path:
    """Write each table as ``<table>.csv`` (header from the first row's keys) in ``encoding``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        header = list(rows[0]) if rows else list(contract.TABLES[name].column_names)
        with open(out_dir / f"{name}.csv", "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_text(row.get(c)) for c in header])
    return out_dir


_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}


def write_parquet(tables: dict[str, Rows], out_dir: Path) -> Path:
    """Write each table as ``<table>.parquet`` with the contract's types."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        table = contract.TABLES[name]
        schema = pa.schema([(c.name, _ARROW[c.dtype]) for c in table.columns])
        data = {c.name: [r.get(c.name) for r in rows] for c in table.columns}
        pq.write_table(pa.table(data, schema=schema), out_dir / f"{name}.parquet")
    return out_dir
