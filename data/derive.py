"""The derived layer: tables built from the source tables at load time, in DuckDB SQL.

Builds, inside the new warehouse file (the source tables already stored under their contract
names): the ``calendar`` and ``customer_month`` tables of ``contract.DERIVED_TABLES``, the
``transactions_enriched`` view and the enriched tables that ``data.rollups`` describes,
and one table per declared rollup. Column lists are taken from the contract and the rollup
declarations, so a change there changes what is built here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from data import contract, rollups

# Lunar New Year's day; the public holiday runs from its eve for seven days.
SPRING_FESTIVAL = {
    2015: "02-19", 2016: "02-08", 2017: "01-28", 2018: "02-16", 2019: "02-05", 2020: "01-25",
    2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10", 2025: "01-29", 2026: "02-17",
    2027: "02-06", 2028: "01-26", 2029: "02-13", 2030: "02-03", 2031: "01-23", 2032: "02-11",
}  # fmt: skip


def holidays(first_year: int, last_year: int) -> list[tuple[dt.date, str]]:
    """Main Chinese public holidays (day, name) for the years given, as the calendar marks them."""
    days: list[tuple[dt.date, str]] = []
    for year in range(first_year, last_year + 1):
        days.append((dt.date(year, 1, 1), "new_year"))
        if year in SPRING_FESTIVAL:
            month, day = map(int, SPRING_FESTIVAL[year].split("-"))
            eve = dt.date(year, month, day) - dt.timedelta(days=1)
            days += [(eve + dt.timedelta(days=i), "spring_festival") for i in range(7)]
        days += [(dt.date(year, 5, d), "labour_day") for d in range(1, 6)]
        days += [(dt.date(year, 10, d), "national_day") for d in range(1, 8)]
    return days


def data_months(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """First and last month (first days) with transactions or holdings."""
    first, last = con.execute(
        """SELECT min(m), max(m) FROM (
               SELECT CAST(date_trunc('month', min(txn_at)) AS DATE) AS m FROM transactions
               UNION ALL SELECT CAST(date_trunc('month', max(txn_at)) AS DATE) FROM transactions
               UNION ALL SELECT min(month_date) FROM holdings
               UNION ALL SELECT max(month_date) FROM holdings)"""
    ).fetchone()
    if first is None:
        raise ValueError("no transactions or holdings: cannot tell which months the data covers")
    return first, last


def build_calendar(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> None:
    """``calendar``: one row per day from the first data month to the end of the last one."""
    con.execute("CREATE TEMP TABLE _holiday (day DATE, holiday VARCHAR)")
    con.executemany("INSERT INTO _holiday VALUES (?, ?)", holidays(first.year, last.year))
    con.execute(
        f"""CREATE TABLE calendar AS
        SELECT CAST(d AS DATE) AS date_day,
               CAST(year(d) AS INTEGER) AS year,
               CAST(quarter(d) AS INTEGER) AS quarter,
               CAST(month(d) AS INTEGER) AS month,
               CAST(date_trunc('month', d) AS DATE) AS month_date,
               CAST(day(d) AS INTEGER) AS day,
               CAST(isodow(d) AS INTEGER) AS weekday,
               isodow(d) >= 6 AS is_weekend,
               CAST(d AS DATE) = last_day(d) AS is_month_end,
               h.holiday
        FROM generate_series(DATE '{first}', last_day(DATE '{last}'), INTERVAL 1 DAY) AS g(d)
        LEFT JOIN _holiday h ON h.day = CAST(d AS DATE)
        ORDER BY date_day"""
    )
    con.execute("DROP TABLE _holiday")


def _age_band(age: str) -> str:
    return (
        f"CASE WHEN {age} IS NULL THEN '{contract.UNKNOWN}' "
        f"WHEN {age} < 25 THEN '<25' WHEN {age} < 35 THEN '25-34' WHEN {age} < 45 THEN '35-44' "
        f"WHEN {age} < 55 THEN '45-54' WHEN {age} < 65 THEN '55-64' ELSE '65+' END"
    )


def _tenure_band(months: str) -> str:
    return (
        f"CASE WHEN {months} < 12 THEN '<1y' WHEN {months} < 36 THEN '1-3y' WHEN {months} < 60 THEN '3-5y' "
        f"WHEN {months} < 120 THEN '5-10y' ELSE '10y+' END"
    )


def customer_month_expressions() -> dict[str, str]:
    """SQL expression for every customer_month column, over the ``s``/``h``/``t`` inputs below."""
    age = (
        "(year(s.month_end) - year(s.birth_date) - CASE WHEN month(s.month_end) < month(s.birth_date) "
        "OR (month(s.month_end) = month(s.birth_date) AND day(s.month_end) < day(s.birth_date)) "
        "THEN 1 ELSE 0 END)"
    )
    tenure = (
        "((year(s.month_end) * 12 + month(s.month_end)) - (year(s.open_date) * 12 + month(s.open_date)) "
        "- CASE WHEN day(s.month_end) < day(s.open_date) THEN 1 ELSE 0 END)"
    )
    churned = "(s.close_month IS NOT NULL AND s.close_month = s.month_date)"
    expr = {
        "month_date": "s.month_date",
        "customer_id": "s.customer_id",
        "region_id": "s.region_id",
        "branch_id": "s.home_branch_id",
        "manager_id": "s.manager_id",
        "gender": "s.gender",
        "age": age,
        "age_band": _age_band(age),
        "income_band": "s.income_band",
        "occupation": "s.occupation",
        "tenure_months": tenure,
        "tenure_band": _tenure_band(tenure),
        "aum": "coalesce(h.deposit_balance, 0) + coalesce(h.investment_balance, 0)",
        "aum_adb": "coalesce(h.aum_adb, 0)",
        "deposit_balance": "coalesce(h.deposit_balance, 0)",
        "investment_balance": "coalesce(h.investment_balance, 0)",
        "loan_balance": "coalesce(h.loan_balance, 0)",
        "contribution": "coalesce(h.margin, 0) + coalesce(t.fee_income, 0)",
        "fee_income": "coalesce(t.fee_income, 0)",
        "txn_count": "coalesce(t.txn_count, 0)",
        "txn_amount": "coalesce(t.txn_amount, 0)",
    }
    for code in contract.CHANNEL_CODES:
        expr[f"txn_count_{code}"] = f"coalesce(t.txn_count_{code}, 0)"
        expr[f"txn_amount_{code}"] = f"coalesce(t.txn_amount_{code}, 0)"
    expr |= {
        "product_count": "coalesce(h.product_count, 0)",
        # System postings (interest, fees, standing orders) do not make a customer active.
        "is_active": "coalesce(t.own_txn_count, 0) > 0",
        # Counted over the customer's own rows: months before the first data month are unknown.
        "is_dormant": f"NOT {churned} AND coalesce(sum(coalesce(t.own_txn_count, 0)) OVER ("
        "PARTITION BY s.customer_id ORDER BY s.month_date ROWS BETWEEN 5 PRECEDING AND CURRENT ROW), 0) = 0",
        "is_churned": churned,
        "is_new": "s.open_month = s.month_date",
    }
    # Customer rows are contiguous months (opening or first data month to closing), so the
    # customer's row k rows back is the month k months back.
    main = main_channel_expression()
    expr["main_channel"] = main
    for column, lag in (("main_channel_prev", 1), ("main_channel_ly", 12)):
        expr[column] = f"lag({main}, {lag}) OVER (PARTITION BY s.customer_id ORDER BY s.month_date)"
    return expr


def main_channel_expression() -> str:
    """The channel code with most transactions in the month; ties go to the code first in
    ``contract.CHANNEL_CODES``; NULL in a month without transactions."""
    counts = {code: f"coalesce(t.txn_count_{code}, 0)" for code in contract.CHANNEL_CODES}
    top = f"greatest({', '.join(counts.values())})"
    cases = " ".join(f"WHEN {c} = {top} THEN '{code}'" for code, c in counts.items())
    # No customer-initiated transaction (none, or only system postings): no main channel.
    return f"(CASE WHEN {top} = 0 THEN NULL {cases} END)"


def build_customer_month(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> None:
    """``customer_month``: one row per customer per month, opening (or first data) month to close."""
    con.execute(f"CREATE TABLE customer_month AS {customer_month_query(first, last)}")


def customer_month_query(
    first: dt.date,
    last: dt.date,
    *,
    customers: str = "",
    overrides: dict[str, str] | None = None,
    extra: tuple[str, str] = ("", ""),
) -> str:
    """The ``SELECT`` of customer_month rows for months ``first`` .. ``last``.

    ``customers`` (SQL over ``customer_id``) limits the customers; ``overrides`` replace column
    expressions and ``extra`` adds CTEs and joins (the incremental append computes a new month's
    look-back columns from the stored earlier months instead of windows: :mod:`data.append`).
    """
    expr = customer_month_expressions()
    assert tuple(expr) == contract.CUSTOMER_MONTH.column_names, "customer_month columns drifted"
    expr |= overrides or {}
    select = ",\n".join(
        f"CAST({expr[c.name]} AS {c.dtype}) AS {c.name}" for c in contract.CUSTOMER_MONTH.columns
    )
    system = contract.SYSTEM_CHANNEL_TYPE  # postings the bank books itself: not activity
    per_channel = ",\n".join(
        f"count(*) FILTER (WHERE ch.channel_code = '{code}') AS txn_count_{code}, "
        f"sum(x.amount) FILTER (WHERE ch.channel_code = '{code}') AS txn_amount_{code}"
        for code in contract.CHANNEL_CODES
    )
    who_c = f"WHERE {customers.format(id='c.customer_id')}" if customers else ""
    who_h = f"AND {customers.format(id='x.customer_id')}" if customers else ""
    after = f"DATE '{last}' + INTERVAL 1 MONTH"
    extra_ctes, extra_joins = extra
    return f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS month_date
            FROM generate_series(DATE '{first}', DATE '{last}', INTERVAL 1 MONTH) AS g(m)),
        s AS (
            SELECT m.month_date, last_day(m.month_date) AS month_end, c.*, b.region_id,
                   CAST(date_trunc('month', c.open_date) AS DATE) AS open_month,
                   CAST(date_trunc('month', c.close_date) AS DATE) AS close_month
            FROM customers c
            JOIN branches b ON b.branch_id = c.home_branch_id
            JOIN months m ON m.month_date >= date_trunc('month', c.open_date)
                         AND (c.close_date IS NULL OR m.month_date <= date_trunc('month', c.close_date))
            {who_c}),
        h AS (
            SELECT x.month_date, x.customer_id,
                   sum(x.balance) FILTER (WHERE p.balance_type = 'deposit') AS deposit_balance,
                   sum(x.balance) FILTER (WHERE p.balance_type = 'investment') AS investment_balance,
                   sum(x.balance) FILTER (WHERE p.balance_type = 'loan') AS loan_balance,
                   sum(x.avg_daily_balance) FILTER (WHERE p.balance_type IN ('deposit', 'investment'))
                       AS aum_adb,
                   sum(x.avg_daily_balance * p.margin_rate / 12) AS margin,
                   -- (month, customer, product) is the validated key: count(*) is the distinct count.
                   count(*) AS product_count
            FROM holdings x JOIN products p ON p.product_id = x.product_id
            WHERE x.month_date BETWEEN DATE '{first}' AND DATE '{last}' {who_h}
            GROUP BY x.month_date, x.customer_id),
        t AS (
            SELECT CAST(date_trunc('month', x.txn_at) AS DATE) AS month_date, x.customer_id,
                   count(*) AS txn_count, sum(x.amount) AS txn_amount, sum(x.fee) AS fee_income,
                   count(*) FILTER (WHERE ch.channel_type <> '{system}') AS own_txn_count,
                   {per_channel}
            FROM transactions x JOIN channels ch ON ch.channel_id = x.channel_id
            WHERE x.txn_at >= DATE '{first}' AND x.txn_at < {after} {who_h}
            GROUP BY 1, 2){extra_ctes}
        SELECT {select}
        FROM s
        LEFT JOIN h ON h.month_date = s.month_date AND h.customer_id = s.customer_id
        LEFT JOIN t ON t.month_date = s.month_date AND t.customer_id = s.customer_id
        {extra_joins}
        ORDER BY month_date, customer_id"""


def _aum_tier(aum: str) -> str:
    bounds = sorted(contract.AUM_TIER_BOUNDS.items(), key=lambda kv: -kv[1])
    cases = " ".join(f"WHEN {aum} >= {low} THEN '{tier}'" for tier, low in bounds[:-1])
    return f"CASE {cases} ELSE '{bounds[-1][0]}' END"


def build_customer_tiers(con: duckdb.DuckDBPyConnection) -> None:
    """``customer_tiers``: customer_month's rows with AUM tiers (now, a month and a year
    before), bank-wide AUM and contribution deciles of the month and the opening month.

    A customer's rows are consecutive months (opening to closing), so the tier ``n`` rows
    back is the tier ``n`` months back. Deciles order the month's customers by value (ties by
    customer id), so within any subset of customers (a branch, an age band) customers of a
    better decile never hold less: cumulative sums over deciles lie on that subset's own
    Pareto curve.
    """
    con.execute(f"CREATE TABLE customer_tiers AS {customer_tiers_query()}")


def customer_tiers_query(where: str = "", overrides: dict[str, str] | None = None, joins: str = "") -> str:
    """The ``SELECT`` of customer_tiers rows; ``where`` limits the customer_month rows (``cm``)
    read, ``overrides`` replace the expressions of the look-back and decile columns and ``joins``
    adds the relations they read (the incremental append: :mod:`data.append`)."""
    tier = _aum_tier("cm.aum")
    expr = {
        "aum_tier_before": "coalesce(lag(x.aum_tier, 1) OVER w, 'none')",
        "aum_tier_year_before": "coalesce(lag(x.aum_tier, 12) OVER w, 'none')",
        "aum_decile": "CAST(ntile(10) OVER (PARTITION BY x.month_date ORDER BY x.aum DESC, x.customer_id) "
        "AS INTEGER)",
        "contribution_decile": "CAST(ntile(10) OVER (PARTITION BY x.month_date "
        "ORDER BY x.contribution DESC, x.customer_id) AS INTEGER)",
    } | (overrides or {})
    return f"""
        WITH x AS (
            SELECT cm.*, {tier} AS aum_tier,
                   CAST(date_trunc('month', c.open_date) AS DATE) AS open_month,
                   c.city, c.credit_grade
            FROM customer_month cm JOIN customers c ON c.customer_id = cm.customer_id
            {f"WHERE {where}" if where else ""})
        SELECT x.month_date, x.customer_id, x.region_id, x.branch_id, x.manager_id, x.gender,
               x.age_band, x.income_band, x.occupation, x.tenure_band, x.city, x.credit_grade,
               x.open_month, x.aum, x.contribution, x.aum_tier,
               {expr["aum_tier_before"]} AS aum_tier_before,
               {expr["aum_tier_year_before"]} AS aum_tier_year_before,
               {expr["aum_decile"]} AS aum_decile,
               {expr["contribution_decile"]} AS contribution_decile,
               x.is_churned
        FROM x {joins}
        WINDOW w AS (PARTITION BY x.customer_id ORDER BY x.month_date)
        ORDER BY x.month_date, x.customer_id"""


def build_transactions_enriched(con: duckdb.DuckDBPyConnection) -> None:
    """The ``transactions_enriched`` view: transactions plus time parts and dimension attributes."""
    con.execute(
        """CREATE VIEW transactions_enriched AS
        SELECT t.*,
               CAST(t.txn_at AS DATE) AS txn_date,
               CAST(date_trunc('month', t.txn_at) AS DATE) AS month_date,
               CAST(year(t.txn_at) AS INTEGER) AS year,
               CAST(quarter(t.txn_at) AS INTEGER) AS quarter,
               CAST(isodow(t.txn_at) AS INTEGER) AS weekday,
               -- no hour for a transaction whose extract gave only its date
               CASE WHEN t.time_known THEN CAST(hour(t.txn_at) AS INTEGER) END AS hour,
               b.region_id, ch.channel_type, p.category
        FROM transactions t
        JOIN branches b ON b.branch_id = t.branch_id
        JOIN channels ch ON ch.channel_id = t.channel_id
        JOIN products p ON p.product_id = t.product_id"""
    )


def build_holdings_enriched(con: duckdb.DuckDBPyConnection) -> None:
    """``holdings_enriched``: holdings with the product's category and the holder's org that month.

    Stored, not a view: joining customer_month for every holdings query costs seconds at 1M
    customers, and drill-through and uncovered queries read it directly.
    """
    con.execute(f"CREATE TABLE holdings_enriched AS {holdings_enriched_query()}")


def holdings_enriched_query(where: str = "") -> str:
    """The ``SELECT`` of holdings_enriched rows, limited by ``where`` (over holdings ``h``)."""
    return f"""
        SELECT h.month_date, h.customer_id, h.product_id, h.balance, h.avg_daily_balance,
               p.category, p.balance_type, cm.region_id, cm.branch_id, cm.manager_id,
               -- the month's margin on the holding, as customer_month.contribution adds it up
               h.avg_daily_balance * p.margin_rate / 12 AS margin,
               cm.gender, cm.age_band, cm.income_band, cm.occupation, cm.tenure_band
        FROM holdings h
        JOIN products p ON p.product_id = h.product_id
        JOIN customer_month cm ON cm.month_date = h.month_date AND cm.customer_id = h.customer_id
        {f"WHERE {where}" if where else ""}
        ORDER BY h.month_date, cm.region_id, cm.branch_id, h.customer_id, h.product_id"""


def build_product_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """``product_pairs``: per month and holder's org (region, branch, manager), for every two
    products A and B (A = B included), the customers holding both at month end.

    (month, customer, product) is the holdings key, so each customer adds 1 to a cell at most
    and the counts add up over the org levels exactly (a customer has one manager a month).
    Built one month at a time: the self-join of a month's holdings is the largest step
    (~18 pairs per customer), and a month at a time keeps its memory bounded at 1M customers.
    """
    con.execute(
        """CREATE TABLE product_pairs (
            month_date DATE, region_id INTEGER, branch_id INTEGER, manager_id INTEGER,
            category VARCHAR, product_id INTEGER, other_category VARCHAR, other_product_id INTEGER,
            customers BIGINT)"""
    )
    months = [
        r[0] for r in con.execute("SELECT DISTINCT month_date FROM holdings_enriched ORDER BY 1").fetchall()
    ]
    for month in months:
        con.execute(f"INSERT INTO product_pairs {product_pairs_query(month)}")


def product_pairs_query(month: dt.date | None, where: str = "") -> str:
    """The ``SELECT`` of one month's product_pairs rows (every month's if ``month`` is None);
    ``where`` (over the first holding ``a``) limits them to some holders' orgs."""
    also = f"AND {where}" if where else ""
    if month is None:
        return f"""
        SELECT a.month_date, a.region_id, a.branch_id, a.manager_id, a.category, a.product_id,
               b.category, b.product_id, count(*)
        FROM holdings_enriched a
        JOIN holdings_enriched b ON b.month_date = a.month_date AND b.customer_id = a.customer_id
        WHERE true {also}
        GROUP BY ALL
        ORDER BY ALL"""
    return f"""
        SELECT a.month_date, a.region_id, a.branch_id, a.manager_id, a.category, a.product_id,
               b.category, b.product_id, count(*)
        FROM holdings_enriched a
        JOIN holdings_enriched b ON b.month_date = a.month_date AND b.customer_id = a.customer_id
        WHERE a.month_date = DATE '{month}' AND b.month_date = DATE '{month}' {also}
        GROUP BY ALL
        ORDER BY ALL"""


def build_campaign_contacts_enriched(con: duckdb.DuckDBPyConnection) -> None:
    """``campaign_contacts_enriched``: contacts with their campaign and the customer's home org.

    Stored for the same reason as ``holdings_enriched``: the join with a million customers
    dominated every campaign query.
    """
    con.execute(
        """CREATE TABLE campaign_contacts_enriched AS
        SELECT cc.*, c.product_id, c.start_date,
               CAST(date_trunc('month', c.start_date) AS DATE) AS start_month,
               cu.home_branch_id AS branch_id, cu.manager_id, b.region_id
        FROM campaign_contacts cc
        JOIN campaigns c ON c.campaign_id = cc.campaign_id
        JOIN customers cu ON cu.customer_id = cc.customer_id
        JOIN branches b ON b.branch_id = cu.home_branch_id
        ORDER BY cc.campaign_id, b.region_id, cu.home_branch_id, cc.customer_id"""
    )


def rollup_sql(rollup: rollups.Rollup, column_types: dict[str, str] | None = None) -> str:
    """The ``CREATE TABLE`` statement that builds one declared rollup."""
    select = rollup_select(rollup, f'"{rollup.source}"', column_types)
    return f'CREATE TABLE "{rollup.name}" AS {select}'


def rollup_select(rollup: rollups.Rollup, source: str, column_types: dict[str, str] | None = None) -> str:
    """The ``SELECT`` that aggregates ``source`` (a relation name or a parenthesised query) into
    one declared rollup.

    ``column_types`` (source column -> DuckDB type) lets sums of integer and boolean columns be
    stored as BIGINT: DuckDB would otherwise make them HUGEINT, which Arrow turns into decimals.
    """
    types = column_types or {}
    parts = []
    for m in rollup.measures:
        if m.agg not in rollups.AGGREGATIONS:
            raise ValueError(f"{rollup.name}.{m.name}: cannot roll up {m.agg!r}")
        arg = "*" if m.column is None else f'"{m.column}"'
        kind = types.get(m.column or "", "DOUBLE")
        if m.agg == "count_distinct" and rollups.counts_rows(rollup, m):
            expr = "count(*)"
        elif m.agg == "count_distinct":
            expr = f"count(DISTINCT {arg})"
        elif m.agg == "sum" and kind == "BOOLEAN":
            expr = f"CAST(sum(CAST({arg} AS INTEGER)) AS BIGINT)"
        elif m.agg == "sum" and kind in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"):
            expr = f"CAST(sum({arg}) AS BIGINT)"
        else:
            expr = f"{m.agg}({arg})"
        parts.append(f'{expr} AS "{m.name}"')
    dims = ", ".join(f'"{d}"' for d in rollup.dimensions)
    return f"SELECT {dims}, {', '.join(parts)} FROM {source} GROUP BY {dims} ORDER BY {dims}"


def build_derived(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None
) -> tuple[str, str]:
    """Build every derived table, view and rollup in ``con``'s current database.

    Returns
    -------
    tuple of str
        First and last data month (ISO dates of their first days), for the ``meta`` table.
    """
    say = progress or (lambda _msg: None)
    first, last = data_months(con)
    say("Building calendar")
    build_calendar(con, first, last)
    say("Building customer_month")
    build_customer_month(con, first, last)
    say("Building customer_tiers")
    build_customer_tiers(con)
    build_transactions_enriched(con)
    say("Building holdings_enriched")
    build_holdings_enriched(con)
    say("Building product_pairs")
    build_product_pairs(con)
    build_campaign_contacts_enriched(con)
    for rollup in rollups.LOAD_ROLLUPS:
        say(f"Building {rollup.name}")
        types = {r[0]: r[1] for r in con.execute(f'DESCRIBE "{rollup.source}"').fetchall()}
        con.execute(rollup_sql(rollup, types))
    return first.isoformat(), last.isoformat()
