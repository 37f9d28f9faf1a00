"""The synthetic bank: ``python -m data.generator --customers N --months M --seed S --out DIR``.

Writes ``DIR/<table>.parquet`` for every table of ``contract.SOURCE_TABLES`` and the planted
ground truth to ``DIR/_truth/`` (``ground_truth.json``, ``customer_truth.parquet``), which the
app and the importer never read. Customers are generated in chunks of ``CHUNK`` and their
transactions and holdings streamed into one Parquet writer per table, so 1M customers (~100M
transactions) fit in memory. Every random draw comes from a generator seeded by
``SeedSequence(seed)`` spawned per chunk, and the writer settings are fixed, so a seed gives
byte-identical files.

Planted truth: six behaviour segments, product affinity pairs, churn preceded by 3-6 months of
decline, dormancy, campaign response drivers and channel anomalies (see ``ground_truth.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import data.generator.reference as ref
from data import contract
from data.generator.activity import (
    CH,
    MARGIN_RATE,
    PRODUCT_BALANCE,
    Anomaly,
    Campaign,
    channel_cum,
    contacts,
    day_cum,
    holdings,
    transactions,
    transactions_table,
)
from data.generator.org import Org, build_org
from data.generator.people import (
    ABRUPT_CHURN_SHARE,
    DIP_SHARE,
    RESPONSE_DRIVERS,
    People,
    Period,
    customers_table,
    draw_people,
)
from data.generator.util import round2, schema, to_table

CHUNK = 20_000
FIRST_CUSTOMER_ID = 100_000_001
WRITER_OPTIONS = {"compression": "zstd", "compression_level": 3, "version": "2.6", "use_dictionary": True}
METRICS = contract.TARGET_METRICS  # aum, deposits, loans, contribution, new_customers


def generate(
    out_dir: Path,
    customers: int = 20_000,
    months: int = 24,
    seed: int = 42,
    end_month: str = "2026-10",
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Generate a synthetic bank in the data contract.

    Parameters
    ----------
    out_dir
        Folder to write ``<table>.parquet`` files and ``_truth/`` into (created if missing).
    customers, months
        Scale: number of customers and of months of activity.
    seed
        Random seed; the same seed gives byte-identical files.
    end_month
        Last month of data (``YYYY-MM``); the first is ``months - 1`` before it.
    progress
        Receives a short line per step.

    Returns
    -------
    dict
        Row counts per table, the first and last month, seconds taken and the truth file paths.
    """
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be positive")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    truth_dir = out_dir / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    period = Period.ending(end_month, months)
    root = np.random.SeedSequence(seed)
    org_seq, plan_seq, chunk_root = root.spawn(3)
    org_rng = np.random.default_rng(org_seq)
    plan_rng = np.random.default_rng(plan_seq)
    org = build_org(org_rng, customers, period.as_date(period.end_day))
    campaigns = _plan_campaigns(plan_rng, period)
    anomalies = _plan_anomalies(plan_rng, org, period)
    chan_cum, days_cum = channel_cum(period), day_cum(period)

    counts: dict[str, int] = {}
    for name in ("regions", "branches", "managers", "products", "channels"):
        _write(out_dir / f"{name}.parquet", org.tables[name])
        counts[name] = org.tables[name].num_rows

    n_b, n_m = len(org.branch_ids), len(org.manager_ids)
    branch_actual = np.zeros((n_b, months, len(METRICS)))
    manager_actual = np.zeros((n_m, months, len(METRICS)))
    contacts_per_campaign = np.zeros(len(campaigns), dtype=np.int64)
    truth_parts: list[pa.Table] = []
    writers = {
        t.name: pq.ParquetWriter(out_dir / f"{t.name}.parquet", schema(t), **WRITER_OPTIONS)
        for t in (contract.CUSTOMERS, contract.TRANSACTIONS, contract.HOLDINGS, contract.CAMPAIGN_CONTACTS)
    }
    counts |= {name: 0 for name in writers}
    n_chunks = (customers + CHUNK - 1) // CHUNK
    try:
        for i, seq in enumerate(chunk_root.spawn(n_chunks)):
            rng = np.random.default_rng(seq)
            n = min(CHUNK, customers - i * CHUNK)
            people = draw_people(rng, FIRST_CUSTOMER_ID + i * CHUNK, n, org, period)
            cust_table = customers_table(rng, people, org, period)
            contact_table, per_campaign = contacts(rng, people, period, campaigns)
            contacts_per_campaign += per_campaign
            hold_table, hold = holdings(rng, people, period)
            tx = transactions(rng, people, period, org.branch_weight, anomalies, chan_cum, days_cum)
            tx_table = transactions_table(tx, counts["transactions"] + 1, org.branch_ids)
            for name, table in (
                ("customers", cust_table),
                ("transactions", tx_table),
                ("holdings", hold_table),
                ("campaign_contacts", contact_table),
            ):
                writers[name].write_table(table, row_group_size=max(table.num_rows, 1))
                counts[name] += table.num_rows
            _accumulate_actuals(people, period, hold, tx, branch_actual, manager_actual)
            truth_parts.append(_customer_truth(people, period))
            say(f"chunk {i + 1}/{n_chunks}: {counts['transactions']:,} transactions so far")
            del people, tx, tx_table, hold, hold_table
    finally:
        for w in writers.values():
            w.close()

    _write(out_dir / "campaigns.parquet", _campaigns_table(campaigns, contacts_per_campaign))
    counts["campaigns"] = len(campaigns)
    target_rng = np.random.default_rng(plan_seq.spawn(1)[0])
    for name, ids, actual, table in (
        ("branch_targets", org.branch_ids, branch_actual, contract.BRANCH_TARGETS),
        ("manager_targets", org.manager_ids, manager_actual, contract.MANAGER_TARGETS),
    ):
        t = _targets_table(target_rng, table, ids, actual, period)
        _write(out_dir / f"{name}.parquet", t)
        counts[name] = t.num_rows
    customer_truth = pa.concat_tables(truth_parts)
    _write(truth_dir / "customer_truth.parquet", customer_truth)
    truth = _ground_truth(seed, customers, period, org, campaigns, anomalies, customer_truth, out_dir)
    (truth_dir / "ground_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    seconds = time.perf_counter() - started
    say(f"done in {seconds:.1f} s")
    return {
        "out_dir": str(out_dir),
        "rows": counts,
        "first_month": str(period.first_day),
        "last_month": str(period.month_start[-2]),
        "seconds": round(seconds, 2),
        "truth": str(truth_dir / "ground_truth.json"),
        "customer_truth": str(truth_dir / "customer_truth.parquet"),
    }


def _write(path: Path, table: pa.Table) -> None:
    with pq.ParquetWriter(path, table.schema, **WRITER_OPTIONS) as w:
        w.write_table(table, row_group_size=max(table.num_rows, 1))


# --- plans drawn once for the whole bank ---------------------------------------------------

CAMPAIGN_PRODUCTS = (
    ("CC01", "信用卡新客礼", "Credit card welcome offer"),
    ("FD01", "基金定投节", "Fund savings plan month"),
    ("WM01", "稳健理财季", "Stable wealth season"),
    ("IN01", "家庭保障计划", "Family protection plan"),
    ("CL01", "消费贷优惠", "Consumer loan rate cut"),
    ("TD12", "定期存款加息", "Time deposit bonus rate"),
    ("UP01", "生活缴费返现", "Utility payment cashback"),
    ("FX01", "出境游换汇", "Travel money exchange"),
)
CAMPAIGN_CHANNELS = (
    "mobile_banking",
    "phone_banking",
    "call_centre",
    "counter",
    "wealth_centre",
    "online_banking",
)
UNIT_COST = {"mobile_banking": 1.5, "online_banking": 1.0, "phone_banking": 6.0, "call_centre": 8.0,
             "counter": 15.0, "wealth_centre": 40.0}  # fmt: skip


def _plan_campaigns(rng: np.random.Generator, period: Period) -> list[Campaign]:
    n = int(rng.integers(12, 17))
    span = int((period.end_day - period.first_day).astype(int))
    starts = np.sort(period.first_day + rng.integers(0, max(span - 20, 1), n).astype("timedelta64[D]"))
    codes = [p[0] for p in ref.PRODUCTS]
    out = []
    for i in range(n):
        code = CAMPAIGN_PRODUCTS[i % len(CAMPAIGN_PRODUCTS)][0]
        out.append(
            Campaign(
                campaign_id=i + 1,
                product_id=codes.index(code) + 1,
                channel=CAMPAIGN_CHANNELS[int(rng.integers(0, len(CAMPAIGN_CHANNELS)))],
                start=starts[i],
                end=starts[i] + np.timedelta64(int(rng.integers(14, 46)), "D"),
                target_rate=float(rng.uniform(0.02, 0.05)),
                intercept=float(rng.normal(-2.4, 0.3)),
            )
        )
    return out


def _campaigns_table(campaigns: list[Campaign], contacted: np.ndarray) -> pa.Table:
    names = [CAMPAIGN_PRODUCTS[i % len(CAMPAIGN_PRODUCTS)] for i in range(len(campaigns))]
    rounds = [i // len(CAMPAIGN_PRODUCTS) + 1 for i in range(len(campaigns))]
    return to_table(
        contract.CAMPAIGNS,
        {
            "campaign_id": [c.campaign_id for c in campaigns],
            "name_zh": [
                f"{n[1]}{'' if r == 1 else f'（第{r}期）'}" for n, r in zip(names, rounds, strict=True)
            ],
            "name_en": [
                f"{n[2]}{'' if r == 1 else f' (round {r})'}" for n, r in zip(names, rounds, strict=True)
            ],
            "product_id": [c.product_id for c in campaigns],
            "channel_id": [CH[c.channel] + 1 for c in campaigns],
            "start_date": np.array([c.start for c in campaigns], dtype="datetime64[D]"),
            "end_date": np.array([c.end for c in campaigns], dtype="datetime64[D]"),
            "cost": [
                round(20_000 + UNIT_COST[c.channel] * int(k), 2)
                for c, k in zip(campaigns, contacted, strict=True)
            ],
        },
    )


def _plan_anomalies(rng: np.random.Generator, org: Org, period: Period) -> list[Anomaly]:
    """Two ATM outages at outlets (a week), a mobile surge (x3, three days), a POS surge (x3, three days)."""
    order = np.argsort(-org.branch_weight)
    outlets = [int(b) for b in order if org.branch_is_outlet[b]][:6] or [int(order[-1])]
    big = [int(b) for b in order[:5]]
    span = int((period.end_day - period.first_day).astype(int))
    plans = [
        ("atm_outage", outlets[0], "atm", 7, 0.0),
        ("atm_outage", outlets[min(1, len(outlets) - 1)], "atm", 7, 0.0),
        ("mobile_surge", big[0], "mobile_banking", 3, 3.0),
        ("pos_surge", big[min(1, len(big) - 1)], "pos", 3, 3.0),
    ]
    out = []
    for kind, b, channel, days, factor in plans:
        start = period.first_day + np.timedelta64(int(rng.integers(0, max(span - days, 1))), "D")
        out.append(Anomaly(kind, b, int(org.branch_ids[b]), channel, start, start + days - 1, factor))
    return out


# --- targets -------------------------------------------------------------------------------


def _accumulate_actuals(
    people: People,
    period: Period,
    hold: dict,
    tx: dict,
    branch_actual: np.ndarray,
    manager_actual: np.ndarray,
) -> None:
    """Add a chunk's month-end balances, contribution and new customers to the per-unit actuals."""
    m_count = period.months
    kind = PRODUCT_BALANCE[hold["product"]]
    deposits = np.where(kind == "deposit", hold["balance"], 0.0)
    invest = np.where(kind == "investment", hold["balance"], 0.0)
    loans = np.where(kind == "loan", hold["balance"], 0.0)
    margin = hold["adb"] * MARGIN_RATE[hold["product"]] / 12
    new_m = np.where(people.open_day >= period.first_day, people.open_m, -1)
    new = new_m >= 0
    for actual, unit in ((branch_actual, people.branch), (manager_actual, people.manager)):
        flat = actual.reshape(-1, len(METRICS))
        h = unit[hold["cust"]] * m_count + hold["month"]
        for j, v in enumerate((deposits + invest, deposits, loans, margin)):
            np.add.at(flat[:, j], h, v)
        np.add.at(flat[:, 3], unit[tx["cust"]] * m_count + tx["month"], tx["fee"])
        np.add.at(flat[:, 4], unit[new] * m_count + new_m[new], 1.0)


def _targets_table(
    rng: np.random.Generator, table: contract.Table, ids: np.ndarray, actual: np.ndarray, period: Period
) -> pa.Table:
    """Targets near the actual figures: each unit has a bias, so some beat their targets, some miss."""
    n, m_count, k = actual.shape
    bias = rng.normal(0.0, 0.07, n)[:, None, None]
    noise = rng.normal(0.0, 0.04, actual.shape)
    base = np.maximum(actual, 0.0)
    # Set ahead of the month from a smoothed view of the unit's level, so targets are not exact copies.
    target = base * np.exp(0.02 + bias + noise)
    target[..., 4] = np.maximum(np.round(target[..., 4]), 1.0)  # at least one new customer a month
    target[..., :4] = round2(np.maximum(target[..., :4], 0.0))
    unit, month, metric = np.meshgrid(np.arange(n), np.arange(m_count), np.arange(k), indexing="ij")
    key = table.primary_key[1]
    return to_table(
        table,
        {
            "month_date": period.month_start[month.ravel()],
            key: ids[unit.ravel()],
            "metric": [METRICS[j] for j in metric.ravel()],
            "target_value": target.ravel(),
        },
    )


# --- ground truth --------------------------------------------------------------------------


def _customer_truth(people: People, period: Period) -> pa.Table:
    churn_month = np.where(
        people.churner,
        period.month_start[np.minimum(people.close_m, period.months - 1)],
        np.datetime64("NaT"),
    )
    dormant_since = np.where(
        people.dormant,
        period.month_start[np.minimum(people.dormant_m, period.months - 1)],
        np.datetime64("NaT"),
    )
    return pa.table(
        {
            "customer_id": pa.array(people.ids, pa.int64()),
            "segment_id": pa.array(people.segment, pa.int32()),
            "segment_name": pa.array(list(ref.SEGMENT_NAMES), pa.string()).take(pa.array(people.segment)),
            "churn_month": pa.array(churn_month.astype("datetime64[D]"), pa.date32(), from_pandas=True),
            "churn_lead_months": pa.array(np.where(people.churner, people.lead, 0), pa.int32()),
            "dormant": pa.array(people.dormant, pa.bool_()),
            "dormant_since": pa.array(dormant_since.astype("datetime64[D]"), pa.date32(), from_pandas=True),
            "income_index": pa.array(people.income, pa.int32()),
            "age": pa.array(people.age, pa.int32()),
            "product_count": pa.array(people.prior_products, pa.int32()),  # before campaign take-up
            "response_logit": pa.array(np.round(people.response_logit, 6), pa.float64()),
            "txn_rate": pa.array(np.round(people.rate, 6), pa.float64()),
        }
    )


def _pair_lifts(out_dir: Path, period: Period) -> list[dict]:
    """Observed lift of each planted pair in the final month's holdings (customers holding both)."""
    # Read back only the last month (row-group statistics skip the rest), so 1M customers stay cheap.
    last_month = period.month_start[-2].astype(dt.date)
    last = pq.read_table(
        out_dir / "holdings.parquet",
        columns=["customer_id", "product_id"],
        filters=[("month_date", "=", last_month)],
    )
    cust = last["customer_id"].to_numpy()
    prod = last["product_id"].to_numpy()
    codes = [p[0] for p in ref.PRODUCTS]
    holders = len(np.unique(cust))
    out = []
    for a, b in ref.AFFINITY_PAIRS:
        sa = set(cust[prod == codes.index(a) + 1].tolist())
        sb = set(cust[prod == codes.index(b) + 1].tolist())
        both = len(sa & sb)
        lift = both * holders / (len(sa) * len(sb)) if sa and sb else None
        out.append(
            {"antecedent": a, "consequent": b, "lift_last_month": None if lift is None else round(lift, 3)}
        )
    return out


def _ground_truth(
    seed: int, customers: int, period: Period, org: Org, campaigns: list[Campaign], anomalies: list[Anomaly],
    customer_truth: pa.Table, out_dir: Path,
) -> dict:  # fmt: skip
    seg = customer_truth["segment_id"].to_numpy()
    churn = customer_truth["churn_month"].is_valid().to_numpy(zero_copy_only=False)
    return {
        "generator": {"seed": seed, "customers": customers, "months": period.months,
                      "first_month": str(period.first_day), "last_month": str(period.month_start[-2])},
        "segments": [
            {"segment_id": i, "name": name, "share": round(float((seg == i).mean()), 4),
             "channel_weights": dict(zip(contract.CHANNEL_CODES, ref.SEGMENT_CHANNELS[i], strict=True)),
             "holding_rates": dict(zip(ref.CATEGORIES, ref.SEGMENT_HOLDING[i], strict=True)),
             "log_aum_mean": ref.SEGMENT_AUM[i][0], "txn_per_month": ref.SEGMENT_TXN_RATE[i]}
            for i, name in enumerate(ref.SEGMENT_NAMES)
        ],
        "affinity_pairs": _pair_lifts(out_dir, period),
        "churn": {
            "rate": round(float(churn.mean()), 4),
            "decline_months": [3, 6],
            "abrupt_share": ABRUPT_CHURN_SHARE,
            "false_alarm_dip_share": DIP_SHARE,
            "mechanism": "balances and transaction activity fall linearly to ~10% over the lead months "
            "before "
            "close_date; holdings stop at the month before closing",
        },
        "dormancy": {
            "rate": round(float(customer_truth["dormant"].to_numpy().mean()), 4),
            "mechanism": "no transactions from dormant_since on (>= 6 months before the end); balances decay "
            "12% a month",
        },
        "response_drivers": RESPONSE_DRIVERS,
        "campaigns": [
            {"campaign_id": c.campaign_id, "product_id": c.product_id, "channel_code": c.channel,
             "intercept": round(c.intercept, 4), "target_rate": round(c.target_rate, 4)}
            for c in campaigns
        ],
        "channel_anomalies": [a.as_truth() for a in anomalies],
        "channel_shift": {c: f"x{v} per year" for c, v in ref.CHANNEL_DRIFT.items()},
        "calendar_effects": ["month-end (last two days) x1.6", "Spring Festival: shopping peak in the 9 days "
                             "before the eve; counters and wealth centres mostly closed in the holiday week"],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    p = argparse.ArgumentParser(prog="python -m data.generator", description=__doc__.split("\n\n")[0])
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--end-month", default="2026-10")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    summary = generate(args.out, args.customers, args.months, args.seed, args.end_month, progress=print)
    print(json.dumps(summary, indent=2))
    return 0
