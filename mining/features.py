"""Feature frames for the models, loaded from the warehouse: the only mining code that fetches.

Every function takes an open DuckDB connection (read-only, e.g. ``data.warehouse.open_readonly()``;
pass one ``cursor()`` per thread) and returns a pandas frame with one row per customer, built in
SQL over the contract's tables (``customer_month``, ``holdings``, ``products``, ``customers``,
``campaign_contacts``). Results travel as Arrow; money stays DOUBLE (yuan).

A *reference month* is the month a model looks from: features use months up to and including it,
labels (churn, reactivation) use the months after it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from data import contract

CHANNELS = contract.CHANNEL_CODES
CATEGORIES = contract.PRODUCT_CATEGORIES

# Behaviour features the segmenter clusters on (all computed by behaviour_frame).
BEHAVIOUR_FEATURES = (
    *(f"share_{c}" for c in CHANNELS),
    "log_txn_count",
    "log_txn_amount",
    "active_share",
    "log_aum",
    "log_loan_balance",
    "investment_share",
    "product_count",
    *(f"has_{c}" for c in CATEGORIES),
)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).to_arrow_table().to_pandas()


def months(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """All months of ``customer_month``, oldest first."""
    rows = con.execute("SELECT DISTINCT month_date FROM customer_month ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def last_month(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The latest month of ``customer_month``."""
    return con.execute("SELECT max(month_date) FROM customer_month").fetchone()[0]


def shift_month(month: dt.date, by: int) -> dt.date:
    """``month`` moved by ``by`` months (first day of month in, first day of month out)."""
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def behaviour_frame(
    con: duckdb.DuckDBPyConnection, month: dt.date | None = None, window: int = 6
) -> pd.DataFrame:
    """Behaviour of every customer open at ``month``, over the ``window`` months ending there.

    Returns
    -------
    DataFrame
        ``customer_id``; the clustering features of :data:`BEHAVIOUR_FEATURES` (channel shares
        of transactions, log activity and balances, share of months active, investment share of
        AUM, product count and one 0/1 column per product category held at month end); and in
        original units for profiles and value: ``aum``, ``contribution``, ``loan_balance``,
        ``txn_count``, ``tenure_months``, ``age``, ``branch_id``, ``is_dormant``.
    """
    month = month or last_month(con)
    start = shift_month(month, -(window - 1))
    shares = ",\n".join(f"sum(txn_count_{c}) / greatest(sum(txn_count), 1) AS share_{c}" for c in CHANNELS)
    behaviour = _frame(
        con,
        f"""
        SELECT customer_id,
               {shares},
               ln(1 + avg(txn_count)) AS log_txn_count,
               ln(1 + avg(txn_amount)) AS log_txn_amount,
               avg(CAST(is_active AS DOUBLE)) AS active_share,
               ln(1 + avg(aum)) AS log_aum,
               ln(1 + avg(loan_balance)) AS log_loan_balance,
               avg(investment_balance) / greatest(avg(aum), 1) AS investment_share,
               CAST(arg_max(product_count, month_date) AS DOUBLE) AS product_count,
               avg(aum) AS aum,
               avg(contribution) AS contribution,
               avg(loan_balance) AS loan_balance,
               avg(txn_count) AS txn_count,
               arg_max(tenure_months, month_date) AS tenure_months,
               arg_max(age, month_date) AS age,
               arg_max(branch_id, month_date) AS branch_id,
               arg_max(is_dormant, month_date) AS is_dormant
        FROM customer_month
        WHERE month_date BETWEEN ? AND ?
        GROUP BY customer_id
        HAVING max(month_date) = ? AND NOT bool_or(is_churned AND month_date = ?)
        ORDER BY customer_id
        """,
        [start, month, month, month],
    )
    held = product_matrix(con, month, level="category")
    held = held.reindex(columns=list(CATEGORIES), fill_value=False)
    held.columns = [f"has_{c}" for c in CATEGORIES]
    behaviour = behaviour.merge(held.astype(np.float64), left_on="customer_id", right_index=True, how="left")
    fill = {c: 0.0 for c in held.columns}
    return behaviour.fillna(fill)


# Behaviour columns that a product's own balance feeds, by the product's balance type: a
# propensity model for the product must not see them (they would encode the answer).
# Contribution is margin earned on every balance, so it leaks any balance product.
_BALANCE_FEATURES = {
    "loan": ("log_loan_balance", "loan_balance", "contribution"),
    "deposit": ("log_aum", "aum", "investment_share", "contribution"),
    "investment": ("log_aum", "aum", "investment_share", "contribution"),
}


def own_balance_features(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Per product code, the behaviour columns its own balance feeds (see ``_BALANCE_FEATURES``)."""
    rows = con.execute("SELECT product_code, balance_type FROM products").fetchall()
    return {code: _BALANCE_FEATURES.get(kind, ()) for code, kind in rows}


def product_matrix(con: duckdb.DuckDBPyConnection, month: dt.date | None = None, level: str = "product"):
    """Who holds what at the end of ``month``: a bool frame indexed by ``customer_id``.

    Parameters
    ----------
    level : {"product", "category"}
        Columns are product codes, or product categories.
    """
    month = month or last_month(con)
    if level not in ("product", "category"):
        raise ValueError("level must be 'product' or 'category'")
    key = "p.product_code" if level == "product" else "p.category"
    pairs = _frame(
        con,
        f"""SELECT DISTINCT h.customer_id, {key} AS item
            FROM holdings h JOIN products p USING (product_id)
            WHERE h.month_date = ?""",
        [month],
    )
    customers = np.unique(pairs["customer_id"].to_numpy())
    items = sorted(pairs["item"].unique().tolist())
    rows = np.searchsorted(customers, pairs["customer_id"].to_numpy())
    cols = pd.Categorical(pairs["item"], categories=items).codes
    matrix = np.zeros((len(customers), len(items)), dtype=bool)
    matrix[rows, cols] = True
    return pd.DataFrame(matrix, index=pd.Index(customers, name="customer_id"), columns=items)


def profile_frame(con: duckdb.DuckDBPyConnection, month: dt.date | None = None) -> pd.DataFrame:
    """Slow-moving profile of every customer open at ``month`` (demographics, tenure, grade).

    Returns
    -------
    DataFrame
        ``customer_id``, ``gender``, ``age``, ``income_band``, ``occupation``, ``tenure_months``,
        ``credit_grade``, ``is_signed``, ``branch_id``.
    """
    month = month or last_month(con)
    return _frame(
        con,
        """SELECT cm.customer_id, cm.gender, cm.age, cm.income_band, cm.occupation, cm.tenure_months,
                  c.credit_grade, CAST(c.is_signed AS INTEGER) AS is_signed, cm.branch_id
           FROM customer_month cm JOIN customers c USING (customer_id)
           WHERE cm.month_date = ? AND NOT cm.is_churned
           ORDER BY cm.customer_id""",
        [month],
    )


def trend_frame(con: duckdb.DuckDBPyConnection, month: dt.date, window: int = 6) -> pd.DataFrame:
    """Level and trend features at ``month`` for churn and reactivation models.

    Compares the last three months with the three before (ratios of averages), so a customer
    whose balance and activity are declining stands out.

    Returns
    -------
    DataFrame
        ``customer_id`` plus numeric features (levels, ratios, months inactive, product count...)
        and ``aum`` and ``contribution`` in yuan for valuing the customer.
    """
    start = shift_month(month, -(window - 1))
    recent = shift_month(month, -2)
    digital = " + ".join(f"txn_count_{c}" for c in ("online_banking", "mobile_banking", "phone_banking"))
    return _frame(
        con,
        f"""
        SELECT customer_id,
               arg_max(aum, month_date) AS aum_now,
               ln(1 + avg(aum) FILTER (month_date >= ?)) AS log_aum_recent,
               ln(1 + coalesce(avg(aum) FILTER (month_date < ?), 0)) AS log_aum_before,
               (1 + avg(aum) FILTER (month_date >= ?))
                 / (1 + coalesce(avg(aum) FILTER (month_date < ?), avg(aum))) AS aum_ratio,
               avg(txn_count) FILTER (month_date >= ?) AS txn_recent,
               coalesce(avg(txn_count) FILTER (month_date < ?), 0) AS txn_before,
               (1 + avg(txn_count) FILTER (month_date >= ?))
                 / (1 + coalesce(avg(txn_count) FILTER (month_date < ?), avg(txn_count))) AS txn_ratio,
               sum(CAST(NOT is_active AS INTEGER)) AS inactive_months,
               arg_max(CAST(is_dormant AS INTEGER), month_date) AS is_dormant,
               arg_max(product_count, month_date) AS product_count,
               min(product_count) - arg_max(product_count, month_date) AS products_dropped,
               ln(1 + avg(loan_balance)) AS log_loan_balance,
               sum({digital}) / greatest(sum(txn_count), 1) AS digital_share,
               avg(contribution) AS contribution,
               avg(aum) AS aum,
               arg_max(tenure_months, month_date) AS tenure_months,
               arg_max(age, month_date) AS age,
               arg_max(income_band, month_date) AS income_band,
               arg_max(occupation, month_date) AS occupation
        FROM customer_month
        WHERE month_date BETWEEN ? AND ?
        GROUP BY customer_id
        HAVING max(month_date) = ? AND NOT bool_or(is_churned AND month_date = ?)
        ORDER BY customer_id
        """,
        [recent] * 8 + [start, month, month, month],
    )


def churn_labels(con: duckdb.DuckDBPyConnection, month: dt.date, horizon: int = 3) -> pd.DataFrame:
    """``customer_id``, ``churned``: the relationship closes within ``horizon`` months after ``month``."""
    return _frame(
        con,
        """SELECT customer_id, bool_or(is_churned) AS churned
           FROM customer_month WHERE month_date > ? AND month_date <= ?
           GROUP BY customer_id""",
        [month, shift_month(month, horizon)],
    )


def reactivation_labels(con: duckdb.DuckDBPyConnection, month: dt.date, horizon: int = 3) -> pd.DataFrame:
    """``customer_id``, ``reactivated``: any transaction within ``horizon`` months after ``month``."""
    return _frame(
        con,
        """SELECT customer_id, bool_or(is_active) AS reactivated
           FROM customer_month WHERE month_date > ? AND month_date <= ?
           GROUP BY customer_id""",
        [month, shift_month(month, horizon)],
    )


def response_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Past campaign contacts with the customer's state in the month before the contact.

    Returns
    -------
    DataFrame
        ``campaign_id``, ``customer_id``, ``contacted_date``, ``responded`` (bool), campaign
        ``product_category`` and ``channel_code``, ``held_product`` (already held the promoted
        product), and the customer's ``aum``, ``contribution``, ``txn_count``, ``product_count``,
        ``tenure_months``, ``age``, ``gender``, ``income_band``, ``occupation``, ``digital_share``.
    """
    digital = " + ".join(f"cm.txn_count_{c}" for c in ("online_banking", "mobile_banking", "phone_banking"))
    return _frame(
        con,
        f"""
        WITH c AS (
            SELECT cc.campaign_id, cc.customer_id, cc.contacted_date, cc.responded,
                   cc.contacted, ca.product_id, p.category AS product_category,
                   ch.channel_code,
                   CAST(date_trunc('month', cc.contacted_date) - INTERVAL 1 MONTH AS DATE) AS ref_month
            FROM campaign_contacts cc
            JOIN campaigns ca USING (campaign_id)
            JOIN products p ON p.product_id = ca.product_id
            JOIN channels ch ON ch.channel_id = cc.channel_id
        )
        SELECT c.campaign_id, c.customer_id, c.contacted_date, c.responded,
               CAST(c.contacted AS INTEGER) AS contacted, c.product_category, c.channel_code,
               CAST(h.customer_id IS NOT NULL AS INTEGER) AS held_product,
               cm.aum, cm.contribution, cm.txn_count, cm.product_count, cm.tenure_months, cm.age,
               cm.gender, cm.income_band, cm.occupation,
               ({digital}) / greatest(cm.txn_count, 1) AS digital_share,
               CAST(cm.is_dormant AS INTEGER) AS is_dormant
        FROM c
        LEFT JOIN customer_month cm
               ON cm.customer_id = c.customer_id AND cm.month_date = c.ref_month
        LEFT JOIN holdings h
               ON h.customer_id = c.customer_id AND h.month_date = c.ref_month
              AND h.product_id = c.product_id
        ORDER BY c.contacted_date, c.campaign_id, c.customer_id
        """,
    )


def products_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``product_code``, ``name_en``, ``name_zh``, ``category`` of every product (for labels)."""
    return _frame(con, "SELECT product_code, name_en, name_zh, category FROM products ORDER BY product_id")


def response_candidates(
    con: duckdb.DuckDBPyConnection, product_category: str, channel_code: str, month: dt.date | None = None
) -> pd.DataFrame:
    """Every open customer at ``month`` as a candidate for a new campaign, in the columns of
    :func:`response_frame` (so a fitted response model can score them)."""
    month = month or last_month(con)
    digital = " + ".join(f"cm.txn_count_{c}" for c in ("online_banking", "mobile_banking", "phone_banking"))
    return _frame(
        con,
        f"""
        SELECT cm.customer_id, ? AS product_category, ? AS channel_code,
               CAST(EXISTS (SELECT 1 FROM holdings h JOIN products p USING (product_id)
                            WHERE h.customer_id = cm.customer_id AND h.month_date = cm.month_date
                              AND p.category = ?) AS INTEGER) AS held_product,
               cm.aum, cm.contribution, cm.txn_count, cm.product_count, cm.tenure_months, cm.age,
               cm.gender, cm.income_band, cm.occupation,
               ({digital}) / greatest(cm.txn_count, 1) AS digital_share,
               CAST(cm.is_dormant AS INTEGER) AS is_dormant
        FROM customer_month cm
        WHERE cm.month_date = ? AND NOT cm.is_churned
        ORDER BY cm.customer_id
        """,
        [product_category, channel_code, product_category, month],
    )
