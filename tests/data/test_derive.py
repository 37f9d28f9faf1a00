"""The derived layer against hand-checked values and an independent pandas computation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import contract, derive, load, rollups, warehouse
from tests.data._mini import mini_tables, write_parquet


@pytest.fixture
def mini_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    src = write_parquet(mini_tables(), tmp_path / "src")
    load.load(src)
    return src


def pandas_customer_month(src: Path) -> pd.DataFrame:
    """customer_month computed in pandas straight from the Parquet files (no SQL shared)."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(src / f"{name}.parquet")

    cust, branches, products, channels = (
        read("customers"),
        read("branches"),
        read("products"),
        read("channels"),
    )
    txn, hold = read("transactions"), read("holdings")
    txn["month"] = pd.to_datetime(txn["txn_at"]).dt.to_period("M")
    hold["month"] = pd.to_datetime(hold["month_date"]).dt.to_period("M")
    first = min(txn["month"].min(), hold["month"].min())
    last = max(txn["month"].max(), hold["month"].max())
    months = pd.DataFrame({"month": pd.period_range(first, last, freq="M")})
    cust = cust.merge(branches[["branch_id", "region_id"]], left_on="home_branch_id", right_on="branch_id")
    cust["open_m"] = pd.to_datetime(cust["open_date"]).dt.to_period("M")
    cust["close_m"] = pd.to_datetime(cust["close_date"]).dt.to_period("M")
    s = cust.merge(months, how="cross")
    s = s[(s["month"] >= s["open_m"]) & (s["close_m"].isna() | (s["month"] <= s["close_m"]))].copy()

    h = hold.merge(products[["product_id", "balance_type", "margin_rate"]], on="product_id")
    h["margin"] = h["avg_daily_balance"] * h["margin_rate"] / 12
    for kind in ("deposit", "investment", "loan"):
        h[kind] = np.where(h["balance_type"] == kind, h["balance"], 0.0)
    h["adb_aum"] = np.where(h["balance_type"].isin(["deposit", "investment"]), h["avg_daily_balance"], 0.0)
    hg = h.groupby(["month", "customer_id"]).agg(
        deposit_balance=("deposit", "sum"),
        investment_balance=("investment", "sum"),
        loan_balance=("loan", "sum"),
        aum_adb=("adb_aum", "sum"),
        margin=("margin", "sum"),
        product_count=("product_id", "nunique"),
    )
    t = txn.merge(channels[["channel_id", "channel_code"]], on="channel_id")
    tg = t.groupby(["month", "customer_id"]).agg(
        txn_count=("txn_id", "size"), txn_amount=("amount", "sum"), fee_income=("fee", "sum")
    )
    for code in contract.CHANNEL_CODES:
        sub = t[t["channel_code"] == code].groupby(["month", "customer_id"])
        tg[f"txn_count_{code}"] = sub.size()
        tg[f"txn_amount_{code}"] = sub["amount"].sum()
    out = s.merge(hg, how="left", left_on=["month", "customer_id"], right_index=True)
    out = out.merge(tg, how="left", left_on=["month", "customer_id"], right_index=True)
    filled = [c for c in [*hg.columns, *tg.columns] if c in out]
    out[filled] = out[filled].fillna(0)
    end = out["month"].dt.end_time.dt.normalize()
    birth, opened = pd.to_datetime(out["birth_date"]), pd.to_datetime(out["open_date"])
    before_birthday = (end.dt.month < birth.dt.month) | (
        (end.dt.month == birth.dt.month) & (end.dt.day < birth.dt.day)
    )
    out["age"] = end.dt.year - birth.dt.year - before_birthday.astype(int)
    out["tenure_months"] = (
        (end.dt.year - opened.dt.year) * 12 + end.dt.month - opened.dt.month - (end.dt.day < opened.dt.day)
    )
    out["age_band"] = pd.cut(out["age"], [-1, 24, 34, 44, 54, 64, 999], labels=contract.AGE_BANDS).astype(str)
    out["tenure_band"] = pd.cut(
        out["tenure_months"], [-1, 11, 35, 59, 119, 99999], labels=contract.TENURE_BANDS
    ).astype(str)
    out["aum"] = out["deposit_balance"] + out["investment_balance"]
    out["contribution"] = out["margin"] + out["fee_income"]
    out["is_active"] = out["txn_count"] > 0
    out["is_churned"] = out["month"] == out["close_m"]
    out["is_new"] = out["month"] == out["open_m"]
    out = out.sort_values(["customer_id", "month"])
    recent = out.groupby("customer_id")["txn_count"].transform(lambda x: x.rolling(6, min_periods=1).sum())
    out["is_dormant"] = (recent == 0) & ~out["is_churned"]
    out["month_date"] = out["month"].dt.start_time.dt.date
    out = out.rename(columns={"home_branch_id": "branch_id_home"})
    out["branch_id"] = out["branch_id_home"]
    # main channel: most transactions in the month, ties to the first code; lags by row (rows
    # of a customer are contiguous months, sorted above)
    counts = out[[f"txn_count_{code}" for code in contract.CHANNEL_CODES]].to_numpy()
    main = np.array(contract.CHANNEL_CODES, dtype=object)[counts.argmax(axis=1)]
    out["main_channel"] = pd.Series(np.where(out["txn_count"] > 0, main, None), index=out.index, dtype="str")
    for column, lag in (("main_channel_prev", 1), ("main_channel_ly", 12)):
        out[column] = out.groupby("customer_id")["main_channel"].shift(lag).astype("str")
    return out[list(contract.CUSTOMER_MONTH.column_names)].reset_index(drop=True)


def warehouse_customer_month() -> pd.DataFrame:
    with warehouse.open_readonly() as con:
        table = con.execute("SELECT * FROM customer_month ORDER BY customer_id, month_date").to_arrow_table()
    return table.to_pandas()


def assert_same_customer_month(src: Path) -> None:
    expected, got = pandas_customer_month(src), warehouse_customer_month()
    assert len(got) == len(expected)
    assert list(got.columns) == list(contract.CUSTOMER_MONTH.column_names)
    for col in contract.CUSTOMER_MONTH.columns:
        e, g = expected[col.name].to_numpy(), got[col.name].to_numpy()
        if col.dtype == "DOUBLE":
            np.testing.assert_allclose(g, e.astype(float), rtol=1e-9, atol=1e-6, err_msg=col.name)
        elif col.dtype in ("INTEGER", "BIGINT"):
            np.testing.assert_array_equal(g.astype(np.int64), e.astype(np.int64), err_msg=col.name)
        elif col.dtype == "DATE":
            assert [pd.Timestamp(x).date() for x in g] == list(e), col.name
        else:
            assert [str(x) for x in g] == [str(x) for x in e], col.name


def test_customer_month_matches_pandas_on_the_mini_data(mini_source: Path) -> None:
    assert_same_customer_month(mini_source)


def test_customer_month_hand_checked_values(mini_source: Path) -> None:
    cm = warehouse_customer_month().set_index(["customer_id", "month_date"])
    jan = cm.loc[(1000, dt.date(2025, 1, 1))]
    assert jan["aum"] == pytest.approx(10100 + 20000)
    assert jan["contribution"] == pytest.approx(9900 * 0.02 / 12 + 500 * 0.012 / 12 + 100.0)
    assert (jan["txn_count"], jan["txn_count_counter"], jan["txn_count_mobile_banking"]) == (2, 1, 1)
    assert jan["age"] == 44 and jan["age_band"] == "35-44" and jan["tenure_band"] == "5-10y"
    assert cm.loc[(1000, dt.date(2025, 6, 1))]["age"] == 45  # birthday on 15 June
    closer = cm.loc[1001]
    assert list(closer.index) == [dt.date(2025, m, 1) for m in (2, 3, 4, 5)]  # opening to closing month
    assert list(closer["is_new"]) == [True, False, False, False]
    assert list(closer["is_churned"]) == [False, False, False, True]
    assert closer["loan_balance"].iloc[0] == pytest.approx(120.25)
    assert cm.loc[1002]["is_dormant"].all() and not cm.loc[1000]["is_dormant"].any()


def test_calendar_covers_the_data_months(mini_source: Path) -> None:
    with warehouse.open_readonly() as con:
        cal = con.execute("SELECT * FROM calendar ORDER BY date_day").to_arrow_table().to_pandas()
    assert list(cal.columns) == list(contract.CALENDAR.column_names)
    assert cal["date_day"].iloc[0] == dt.date(2025, 1, 1) and cal["date_day"].iloc[-1] == dt.date(2025, 6, 30)
    assert len(cal) == 181
    day = cal.set_index("date_day")
    assert day.loc[dt.date(2025, 1, 29), "holiday"] == "spring_festival"
    assert day.loc[dt.date(2025, 3, 1), "weekday"] == 6 and day.loc[dt.date(2025, 3, 1), "is_weekend"]
    assert day["is_month_end"].sum() == 6


def test_rollups_are_built_from_their_declarations(mini_source: Path) -> None:
    with warehouse.open_readonly() as con:
        for rollup in rollups.LOAD_ROLLUPS:
            described = con.execute(f"DESCRIBE {rollup.name}").fetchall()
            assert [r[0] for r in described] == [*rollup.dimensions, *(m.name for m in rollup.measures)]
            # The rollup's grand total equals the source's (distinct counts: summed per group).
            dims = ", ".join(rollup.dimensions)
            for m in rollup.measures:
                arg = "*" if m.column is None else f"CAST({m.column} AS DOUBLE)"
                sql = f"SELECT {m.agg}({arg}) FROM {rollup.source}"
                if m.agg == "count_distinct":
                    sql = f"SELECT sum(n) FROM (SELECT count(DISTINCT {m.column}) AS n FROM {rollup.source}"
                    sql += f" GROUP BY {dims})" if dims else ")"
                (want,) = con.execute(sql).fetchone()
                (got,) = con.execute(f"SELECT sum({m.name}) FROM {rollup.name}").fetchone()
                assert got == pytest.approx(want), (rollup.name, m.name)
            kinds = {r[1] for r in described}
            assert not kinds & {"HUGEINT", "DECIMAL(38,0)"}, rollup.name  # Arrow would make decimals
        hours = con.execute(
            "SELECT hour, sum(txn_count) FROM rollup_txn_hour WHERE hour = 23 GROUP BY hour"
        ).fetchall()
        assert hours == [(23, 1)]


def test_enriched_relations_have_their_declared_columns(mini_source: Path) -> None:
    with warehouse.open_readonly() as con:
        for name, columns in rollups.ENRICHED.items():
            described = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            assert sorted(described) == sorted(columns), name
        (orphans,) = con.execute(
            "SELECT count(*) FROM holdings ANTI JOIN holdings_enriched "
            "USING (month_date, customer_id, product_id)"
        ).fetchone()
        assert orphans == 0  # every holding has its holder's month row, so none is lost in the join
        counts = con.execute(
            "SELECT (SELECT count(*) FROM campaign_contacts), "
            "(SELECT count(*) FROM campaign_contacts_enriched)"
        ).fetchone()
        assert counts[0] == counts[1]


def test_declared_source_keys_hold_and_make_distinct_counts_row_counts(mini_source: Path) -> None:
    """The keys ``counts_rows`` relies on are unique in the built tables; the rollups it turns
    into row counts agree with distinct counts (checked above, per group) and exist."""
    with warehouse.open_readonly() as con:
        for source, key in rollups.SOURCE_KEYS.items():
            cols = ", ".join(key)
            distinct = f"(SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {source}))"
            (rows, keys) = con.execute(f"SELECT count(*), {distinct} FROM {source}").fetchone()
            assert rows == keys and rows > 0, source
    by_product = [
        r for r in rollups.ROLLUPS if "product_id" in r.dimensions and r.source == "holdings_enriched"
    ]
    by_category = [
        r for r in rollups.ROLLUPS if "category" in r.dimensions and "product_id" not in r.dimensions
    ]
    holders = [m for r in by_product for m in r.measures if m.name == "holders"]
    assert holders and all(
        rollups.counts_rows(r, m) for r in by_product for m in r.measures if m.name == "holders"
    )
    assert 'count(*) AS "holders"' in derive.rollup_select(by_product[0], by_product[0].source)
    for r in by_category:
        assert not any(rollups.counts_rows(r, m) for m in r.measures if m.agg == "count_distinct"), r.name


def test_rollup_sql_refuses_non_additive_measures() -> None:
    bad = rollups.Rollup("r", "customer_month", ("month_date",), (rollups.RollupMeasure("x", "avg", "aum"),))
    with pytest.raises(ValueError, match="cannot roll up 'avg'"):
        derive.rollup_sql(bad)


@pytest.mark.slow
def test_customer_month_matches_pandas_on_the_demo_data(demo_home: Path, demo_source: Path) -> None:
    assert_same_customer_month(demo_source)
