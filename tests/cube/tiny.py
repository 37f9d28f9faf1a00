"""A tiny, self-made warehouse in an in-memory DuckDB for the cube's fast tests.

Source tables follow data/contract.py; the derived layer (data/derive.py) builds calendar,
customer_month, transactions_enriched and the rollups exactly as in a real load.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from data import contract, derive

MONTHS = [dt.date(2024, m, 1) for m in range(1, 13)] + [dt.date(2025, m, 1) for m in range(1, 7)]


def _frame(table: contract.Table, data: dict) -> pd.DataFrame:
    # optional columns left out take their default in build(), as the importer fills them
    return pd.DataFrame({c: data[c] for c in table.column_names if c in data})


def source_frames(customers: int = 300, txns: int = 6000, seed: int = 3) -> dict[str, pd.DataFrame]:
    """Random but consistent source tables (foreign keys hold)."""
    rng = np.random.default_rng(seed)
    regions = _frame(
        contract.REGIONS,
        {"region_id": [1, 2, 3], "name_zh": ["华东", "华南", "华北"], "name_en": ["East", "South", "North"]},
    )
    nb = 8
    branches = _frame(
        contract.BRANCHES,
        {
            "branch_id": np.arange(1, nb + 1),
            "region_id": (np.arange(nb) % 3) + 1,
            "name_zh": [f"支行{i}" for i in range(1, nb + 1)],
            "name_en": [f"Branch {i}" for i in range(1, nb + 1)],
            "branch_type": ["branch"] * nb,
            "city": ["Hangzhou"] * nb,
            "opened_date": [dt.date(2010, 1, 1)] * nb,
        },
    )
    nm = 20
    managers = _frame(
        contract.MANAGERS,
        {
            "manager_id": np.arange(1, nm + 1),
            "branch_id": (np.arange(nm) % nb) + 1,
            "name": [f"Manager {i}" for i in range(1, nm + 1)],
            "grade": ["junior"] * nm,
            "hired_date": [dt.date(2015, 1, 1)] * nm,
        },
    )
    cats = contract.PRODUCT_CATEGORIES[:6]
    balance = {
        "demand_deposit": "deposit",
        "time_deposit": "deposit",
        "debit_card": "none",
        "credit_card": "loan",
        "consumer_loan": "loan",
        "mortgage": "loan",
    }
    np_ = 12
    pcat = [cats[i % len(cats)] for i in range(np_)]
    products = _frame(
        contract.PRODUCTS,
        {
            "product_id": np.arange(1, np_ + 1),
            "product_code": [f"P{i}" for i in range(np_)],
            "name_zh": [f"产品{i}" for i in range(np_)],
            "name_en": [f"Product {i}" for i in range(np_)],
            "category": pcat,
            "category_name_zh": [f"类{c}" for c in pcat],
            "category_name_en": [c.title() for c in pcat],
            "balance_type": [balance[c] for c in pcat],
            "margin_rate": [0.01] * np_,
            "fee_rate": [0.001] * np_,
        },
    )
    ch_types = [
        "branch",
        "self_service",
        "self_service",
        "remote",
        "digital",
        "digital",
        "merchant",
        "branch",
        "remote",
    ]
    channels = _frame(
        contract.CHANNELS,
        {
            "channel_id": np.arange(1, 10),
            "channel_code": list(contract.CHANNEL_CODES),
            "name_zh": [f"渠道{c}" for c in contract.CHANNEL_CODES],
            "name_en": list(contract.CHANNEL_CODES),
            "channel_type": ch_types,
            "type_name_zh": [f"类型{t}" for t in ch_types],
            "type_name_en": [t.title() for t in ch_types],
        },
    )
    cid = np.arange(1, customers + 1, dtype=np.int64)
    mgr = rng.integers(1, nm + 1, customers)
    open_offsets = rng.integers(-800, 400, customers)
    open_date = [dt.date(2024, 1, 1) + dt.timedelta(days=int(o)) for o in open_offsets]
    closed = rng.random(customers) < 0.1
    close_date = [
        (od + dt.timedelta(days=int(rng.integers(30, 300)))) if c else None
        for od, c in zip(open_date, closed, strict=True)
    ]
    close_date = [d if (d is None or d <= dt.date(2025, 6, 30)) else None for d in close_date]
    closed = np.array([d is not None for d in close_date])
    custs = _frame(
        contract.CUSTOMERS,
        {
            "customer_id": cid,
            "name": [f"客户{i}" for i in cid],
            "phone": [f"138{i:08d}" for i in cid],
            "id_card_no": [f"330102199001{i:06d}" for i in cid],
            "gender": rng.choice(contract.GENDERS, customers),
            "birth_date": [
                dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 18000, customers)
            ],
            "occupation": rng.choice(contract.OCCUPATIONS, customers),
            "income_band": rng.choice(contract.INCOME_BANDS, customers),
            "city": ["Hangzhou"] * customers,
            "home_branch_id": managers.set_index("manager_id").loc[mgr, "branch_id"].to_numpy(),
            "manager_id": mgr,
            "open_date": open_date,
            "is_signed": rng.random(customers) < 0.5,
            "credit_grade": rng.choice(contract.CREDIT_GRADES, customers),
            "status": np.where(closed, "closed", "active"),
            "close_date": close_date,
        },
    )
    tc = rng.integers(1, customers + 1, txns)
    start = dt.datetime(2024, 1, 1)
    txn_at = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 546 * 24 * 60, txns)]
    transactions = _frame(
        contract.TRANSACTIONS,
        {
            "txn_id": np.arange(1, txns + 1, dtype=np.int64),
            "txn_at": txn_at,
            "customer_id": tc,
            "product_id": rng.integers(1, np_ + 1, txns),
            "channel_id": rng.integers(1, 10, txns),
            "branch_id": custs.set_index("customer_id").loc[tc, "home_branch_id"].to_numpy(),
            "txn_type": rng.choice(contract.TXN_TYPES, txns),
            "amount": np.round(rng.gamma(2, 500, txns), 2),
            "fee": np.round(rng.random(txns) * 5, 2),
        },
    )
    hold_rows = []
    for m in MONTHS:
        for c in rng.choice(cid, customers // 2, replace=False):
            for p in rng.choice(np.arange(1, np_ + 1), 2, replace=False):
                bal = round(float(rng.gamma(2, 20000)), 2)
                hold_rows.append((m, int(c), int(p), bal, round(bal * 0.9, 2)))
    holdings = pd.DataFrame(hold_rows, columns=list(contract.HOLDINGS.column_names))
    campaigns = _frame(
        contract.CAMPAIGNS,
        {
            "campaign_id": [1, 2, 3],
            "name_zh": ["活动一", "活动二", "活动三"],
            "name_en": ["Camp A", "Camp B", "Camp C"],
            "product_id": [1, 2, 3],
            "channel_id": [4, 5, 6],
            "start_date": [dt.date(2024, 3, 1), dt.date(2024, 9, 1), dt.date(2025, 2, 1)],
            "end_date": [dt.date(2024, 3, 31), dt.date(2024, 9, 30), dt.date(2025, 2, 28)],
            "cost": [10000.0, 20000.0, 15000.0],
        },
    )
    cc_rows = []
    for camp in (1, 2, 3):
        for c in rng.choice(cid, 80, replace=False):
            contacted = bool(rng.random() < 0.7)
            responded = contacted and bool(rng.random() < 0.3)
            amount = round(float(rng.random() * 1000), 2) if responded else 0.0
            response_date = dt.date(2024, 3, 9) if responded else None
            cc_rows.append(
                (camp, int(c), camp + 3, dt.date(2024, 3, 5), contacted, responded, response_date, amount)
            )
    contacts = pd.DataFrame(cc_rows, columns=list(contract.CAMPAIGN_CONTACTS.column_names))
    bt = [
        (m, b, met, round(float(rng.random() * 1e6), 2))
        for m in MONTHS
        for b in range(1, nb + 1)
        for met in contract.TARGET_METRICS
    ]
    mt = [
        (m, k, met, round(float(rng.random() * 1e5), 2))
        for m in MONTHS
        for k in range(1, nm + 1)
        for met in contract.TARGET_METRICS
    ]
    return {
        "regions": regions,
        "branches": branches,
        "managers": managers,
        "products": products,
        "channels": channels,
        "customers": custs,
        "transactions": transactions,
        "holdings": holdings,
        "campaigns": campaigns,
        "campaign_contacts": contacts,
        "branch_targets": pd.DataFrame(bt, columns=list(contract.BRANCH_TARGETS.column_names)),
        "manager_targets": pd.DataFrame(mt, columns=list(contract.MANAGER_TARGETS.column_names)),
    }


def build(frames: dict[str, pd.DataFrame] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse: contract-typed source tables plus the derived layer."""
    frames = frames or source_frames()
    con = duckdb.connect(
        config={"threads": 1, "autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    for table in contract.SOURCE_TABLES:
        df = frames[table.name]
        con.register("_src", df)
        # Optional columns the frames lack take their contract default, as the importer fills them.
        values = {
            c.name: f'"{c.name}"' if c.name in df.columns else c.default or "NULL" for c in table.columns
        }
        cols = ", ".join(f'CAST({values[c.name]} AS {c.dtype}) AS "{c.name}"' for c in table.columns)
        con.execute(f'CREATE TABLE "{table.name}" AS SELECT {cols} FROM _src')
        con.unregister("_src")
    derive.build_derived(con)
    return con


SEGMENT_NAMES = {
    0: ("high aum", "高资产"),
    1: ("high mobile banking", "高手机银行使用"),
    2: ("average", "均衡型"),
}
VALUE_TIERS = ("private", "vip", "gold", "silver", "mass")


def publish_scores(
    folder, version: str, frames: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection
) -> dict[str, pd.DataFrame]:
    """Publish segmentation and value scores for all but the 20 newest customers (who are not
    scored yet), as model runs would; returns the published frames by kind."""
    from data import scores

    ids = np.sort(frames["customers"]["customer_id"].to_numpy())[:-20]
    seg = pd.DataFrame({"customer_id": ids, "segment": (ids % 3).astype(np.int32)})
    seg["segment_name"] = seg["segment"].map(lambda s: SEGMENT_NAMES[s][0])
    seg["segment_name_zh"] = seg["segment"].map(lambda s: SEGMENT_NAMES[s][1])
    half = ids[::2]
    val = pd.DataFrame({"customer_id": half, "value_tier": [VALUE_TIERS[i % 5] for i in range(len(half))]})
    val["value_score"] = (half * 37 % 101).astype(float)  # distinct enough to sort lists by
    val["is_potential"] = half % 7 == 0
    published = {"segmentation": seg, "value": val}
    for kind, frame in published.items():
        path = folder / f"{kind}-{version}.parquet"
        frame.to_parquet(path)
        scores.publish(kind, version, f"run-{kind}", path, con)
    return published
