"""The Customers view's figures against an independent pandas computation over the generated
Parquet files, on the demo bank and on a second bank.

The expected side never calls the cube: customer_month is recomputed in pandas from the source
files (``tests.data.test_derive.pandas_customer_month``); AUM tiers, deciles (DuckDB's ntile:
the first n % 10 groups one row larger), earlier tiers and cohorts are worked out here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube.api import Scope
from cube.views import customers as cv
from cube.views.options import months
from cube.views.state import ViewState, shift_month
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
BANKS = ["demo", "second"]
BOUNDS = [("private", 6e6), ("diamond", 1e6), ("platinum", 3e5), ("gold", 5e4)]


def _tier(aum: float) -> str:
    for name, low in BOUNDS:
        if aum >= low:
            return name
    return "mass"


def _ntile(n: int) -> np.ndarray:
    q, rem = divmod(n, 10)
    r = np.arange(n)
    big = rem * (q + 1)
    return np.where(r < big, r // (q + 1) if q + 1 else 0, rem + (r - big) // max(q, 1)) + 1


_CACHE: dict[str, dict] = {}


def _bank(request, name: str) -> dict:
    src: Path = request.getfixturevalue("demo_source" if name == "demo" else "second_bank")
    key = str(src)
    if key not in _CACHE:
        cm = pandas_customer_month(src)
        cust = pd.read_parquet(src / "customers.parquet")[
            ["customer_id", "open_date", "city", "credit_grade"]
        ]
        cm = cm.merge(cust, on="customer_id")
        cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
        cm["cohort"] = pd.to_datetime(cm["open_date"]).dt.strftime("%Y-%m")
        cm["aum_tier"] = [_tier(a) for a in cm["aum"]]
        cm = cm.sort_values(["customer_id", "month_date"]).reset_index(drop=True)
        g = cm.groupby("customer_id")["aum_tier"]
        cm["aum_tier_before"] = g.shift(1).fillna("none")
        cm["aum_tier_year_before"] = g.shift(12).fillna("none")
        for col in ("aum", "contribution"):
            cm[f"{col}_decile"] = 0
            for _, idx in cm.groupby("m").groups.items():
                part = cm.loc[idx].sort_values([col, "customer_id"], ascending=[False, True])
                cm.loc[part.index, f"{col}_decile"] = _ntile(len(part))
        txn = pd.read_parquet(src / "transactions.parquet", columns=["txn_at", "txn_type"])
        txn["m"] = pd.to_datetime(txn["txn_at"]).dt.strftime("%Y-%m")
        _CACHE[key] = {"cm": cm, "txn": txn}
    data = _CACHE[key]
    scope = Scope.all()
    state = ViewState().resolve(months(scope))
    return {**data, "state": state, "scope": scope, "period": state.period}


@pytest.fixture(params=BANKS)
def bank(request):
    return _bank(request, request.param)


def _close(a, b):
    assert a == pytest.approx(b, rel=REL, abs=1e-6)


@pytest.mark.parametrize(
    ("rows", "cols", "measure"),
    [
        ("age_band", "gender", "customers"),
        ("city", "credit_grade", "aum"),
        ("occupation", "tenure_band", "contribution"),
    ],
)
def test_pivot_cells_and_subtotals(bank, rows, cols, measure):
    state = bank["state"].with_param("rows", rows).with_param("cols", cols).with_param("measure", measure)
    got = cv.pivot(state, bank["scope"])
    now = bank["cm"][bank["cm"]["m"] == bank["period"]]
    value = (lambda f: float(len(f))) if measure == "customers" else (lambda f: float(f[measure].sum()))
    table = got["table"]
    body = table[table["key"].notna()]
    assert sorted(str(k) for k in body["key"]) == sorted(str(k) for k in now[rows].unique())
    for row in body.itertuples(index=False):
        part = now[now[rows].astype(str) == str(row.key)]
        _close(row.total, value(part))
        for ck, _label in got["columns"]:
            cell = part[part[cols].astype(str) == ck]
            expected = value(cell) if len(cell) else None
            shown = table.loc[table["key"] == row.key, ck].iloc[0]
            if expected is None:
                assert shown is None or pd.isna(shown)
            else:
                _close(shown, expected)
    totals = table[table["key"].isna()].iloc[0]
    _close(totals["total"], value(now))
    for ck, _label in got["columns"]:
        _close(totals[ck], value(now[now[cols].astype(str) == ck]))


def test_channels_per_customer(bank, no_published_scores):
    got = cv.channels(bank["state"], bank["scope"])
    now = bank["cm"][bank["cm"]["m"] == bank["period"]]
    for code in cv.CHANNEL_CODES:
        value = got.loc[got["channel"] == code, "per_customer"].sum()  # one segment: not scored
        _close(value, now[f"txn_count_{code}"].sum() / len(now))


def test_types_per_customer(bank):
    got = cv.types(bank["state"], bank["scope"]).set_index("key")
    txn = bank["txn"][bank["txn"]["m"] == bank["period"]]
    customers = (bank["cm"]["m"] == bank["period"]).sum()
    expected = txn.groupby("txn_type").size()
    assert set(got.index) == set(expected.index)
    for kind, n in expected.items():
        assert got.at[kind, "txn_count"] == n
        _close(got.at[kind, "per_customer"], n / customers)


def test_segments_not_scored(bank, no_published_scores):
    got = cv.segments(bank["state"], bank["scope"])
    now = bank["cm"][bank["cm"]["m"] == bank["period"]]
    assert not got.frame.attrs["scored"]
    row = got.frame.iloc[0]
    assert row["customers.customers"] == len(now)
    assert row["customers.active_customers"] == now["is_active"].sum()
    assert row["inactive_customers"] == len(now) - now["is_active"].sum()
    assert row["customers.dormant_customers"] == now["is_dormant"].sum()
    _close(row["customers.products_per_customer"], now["product_count"].sum() / len(now))
    _close(row["customers.txn_per_customer"], now["txn_count"].sum() / len(now))
    assert cv.dormant(bank["state"], bank["scope"])["dormant"] == now["is_dormant"].sum()


def test_deciles_and_pareto(bank):
    now = bank["cm"][bank["cm"]["m"] == bank["period"]]
    for by in ("aum", "contribution"):
        got = cv.deciles(bank["state"], bank["scope"], by)
        exp = now.groupby(f"{by}_decile").agg(customers=("customer_id", "size"), total=(by, "sum"))
        assert list(got["decile"]) == list(exp.index)
        assert list(got["customers"]) == list(exp["customers"])
        for a, b in zip(got[by], exp["total"], strict=True):
            _close(a, b)
    curve = cv.pareto(bank["state"], bank["scope"])
    # the point at decile k is the share of AUM held by the top k tenths of the customers
    ranked = now.sort_values(["aum", "customer_id"], ascending=[False, True])
    top2 = (ranked["aum_decile"] <= 2).sum()
    _close(
        curve.loc[curve["decile"] == 2, "cum_aum"].iloc[0], ranked["aum"].head(top2).sum() / now["aum"].sum()
    )
    _close(curve.loc[curve["decile"] == 2, "cum_customers"].iloc[0], top2 / len(now))


def test_pareto_points_exact_within_a_branch(bank):
    now = bank["cm"][bank["cm"]["m"] == bank["period"]]
    branch = int(now["branch_id"].mode().iloc[0])
    region = int(now.loc[now["branch_id"] == branch, "region_id"].iloc[0])
    state = bank["state"].with_(region=region, branch=branch)
    got = cv.deciles(state, bank["scope"], "aum")
    mine = now[now["branch_id"] == branch].sort_values("aum", ascending=False)
    for row in got.itertuples(index=False):
        n = int(round(row.cum_customers * len(mine)))
        _close(row.cum_aum, mine["aum"].head(n).sum() / mine["aum"].sum())


def test_flows(bank):
    got = cv.flows(bank["state"], bank["scope"]).set_index("key")
    cm = bank["cm"]
    for m in cv.flow_months(bank["state"]):
        part = cm[cm["m"] == m]
        if part.empty:
            continue
        row = got.loc[f"{m}-01"]
        assert row["new"] == part["is_new"].sum()
        assert row["lost"] == part["is_churned"].sum()
        assert row["net"] == part["is_new"].sum() - part["is_churned"].sum()
        assert row["customers"] == len(part)


def test_cohorts(bank):
    got = cv.cohorts(bank["state"], bank["scope"]).set_index("cohort")
    cm = bank["cm"]
    for c in cv.cohort_months(bank["state"]):
        opened = ((cm["cohort"] == c) & (cm["m"] == c)).sum()
        if not opened:
            assert c not in got.index
            continue
        assert got.at[c, "opened"] == opened
        for n in range(cv.COHORTS):
            m = shift_month(c, n)
            if m > bank["period"]:
                assert got.at[c, f"m{n}"] is None or pd.isna(got.at[c, f"m{n}"])
                continue
            part = cm[(cm["cohort"] == c) & (cm["m"] == m)]
            _close(got.at[c, f"m{n}"], (len(part) - part["is_churned"].sum()) / opened)


@pytest.mark.parametrize("compare", ["previous_month", "last_year"])
def test_migration(bank, compare):
    state = bank["state"].with_(compare=compare)
    got = cv.migration(state, bank["scope"])
    other = state.comparison()
    cm = bank["cm"]
    if other is None or other not in set(cm["m"]):
        return
    before = "aum_tier_before" if compare == "previous_month" else "aum_tier_year_before"
    now = cm[cm["m"] == bank["period"]]
    then = cm[cm["m"] == other]
    table = got["table"].set_index("key")
    for (a, b), n in now.groupby([before, "aum_tier"]).size().items():
        assert table.at[a, b] == n
    for tier in cv.AUM_TIERS:
        if tier in table.index:
            assert table.at[tier, "gone"] == (then["aum_tier"] == tier).sum() - (now[before] == tier).sum()
    assert got["same"] == (now[before] == now["aum_tier"]).sum()


def test_free_comparison_month_has_no_matrix(bank):
    state = bank["state"].with_(compare="month", compare_to=shift_month(bank["period"], -3))
    assert cv.migration(state, bank["scope"]) is None
    assert cv.migration_queries(state) is None


def test_value_not_run_then_published(demo_home, demo_source, monkeypatch, tmp_path, request):
    from cube import connection
    from data import scores

    b = _bank(request, "demo")
    monkeypatch.setattr(scores, "current", lambda v: {})
    assert cv.pyramid(b["state"], b["scope"]).empty  # nothing published: the "not run" state

    now = b["cm"][b["cm"]["m"] == b["period"]]
    ids = np.sort(now["customer_id"].unique())
    tiers = np.array(cv.VALUE_TIERS)[ids % 5]
    path = tmp_path / "value.parquet"
    pd.DataFrame({"customer_id": ids, "value_tier": tiers}).to_parquet(path)
    version = connection.warehouse_version()
    pub = scores.Publication("value", version, "test-value-run", path)
    monkeypatch.setattr(scores, "current", lambda v: {"value": pub} if v == version else {})
    monkeypatch.setattr(scores, "rollup_file", lambda v, r: None)
    got = cv.pyramid(b["state"], b["scope"]).set_index("key")
    frame = now.assign(tier=np.array(cv.VALUE_TIERS)[now["customer_id"].to_numpy() % 5])
    for tier, part in frame.groupby("tier"):
        assert got.at[tier, "customers"] == len(part)
        _close(got.at[tier, "aum"], part["aum"].sum())
        _close(got.at[tier, "aum_share"], part["aum"].sum() / now["aum"].sum())
    assert list(got.index) == [t for t in cv.VALUE_TIERS if t in got.index]
    big = cv.big_customers(b["state"], b["scope"])
    assert big.total_rows == frame["tier"].isin(cv.BIG_TIERS).sum()


def test_queries_and_render_cover_each_other(bank):
    qs = cv.queries(bank["state"])
    assert {
        "pivot_cells",
        "pivot_rows",
        "pivot_cols",
        "pivot_total",
        "aum_deciles",
        "cohorts",
        "flows",
    } <= set(qs)
    out = cv.render(bank["state"], bank["scope"])
    assert set(out) >= {"pivot", "channels", "pyramid", "pareto", "flows", "cohorts", "migration"}
