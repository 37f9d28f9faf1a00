"""Before a run fits anything: are its parameters valid, and can it work on these data?

:func:`validate_params` checks what a user typed (ranges, known products, categories and
channels); :func:`check` counts what each model needs in the warehouse (customers, closures,
campaign contacts, product holders). Both raise :class:`mining.errors.RunRefused` with a
message key the page translates, so a user reads "no customer closed in the data, so churn
cannot be trained" instead of a library's complaint about a one-class target.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb

from mining import features
from mining.errors import RunRefused

MIN_ROWS = 50  # fewer rows than this: no model of any kind is worth fitting
MIN_CROSSSELL_CUSTOMERS = 100
MIN_HOLDERS = 50  # PropensityModels' default: fewer holders are not modelled
K_RANGE = (2, 10)
FACTOR_RANGE = (2, 8)
HORIZON_RANGE = (1, 12)


def _number(params: dict, name: str, kind: type, low: float, high: float, key: str, default=None):
    value = params.get(name, default)
    if value is None:
        return None
    refused = RunRefused(key, "{name} must be a number from {low} to {high}", name=name, low=low, high=high)
    try:
        number = kind(float(value)) if kind is int else kind(value)
        whole = kind is not int or float(value) == number
    except (TypeError, ValueError, OverflowError):
        raise refused from None
    if not whole or not math.isfinite(number) or not (low <= number <= high):
        raise refused
    return number


def validate_params(kind: str, params: dict | None) -> dict:
    """The parameters of a ``kind`` run, checked and normalised (other keys pass unchanged)."""
    p = dict(params or {})
    if kind == "segmentation":
        auto = p.get("n_clusters") in (None, "", "auto")
        p["n_clusters"] = None if auto else _number(p, "n_clusters", int, *K_RANGE, "params.k")
        p["n_factors"] = _number(p, "n_factors", int, *FACTOR_RANGE, "params.factors", 4)
    elif kind == "value":
        p["potential_gap"] = _number(p, "potential_gap", float, 0, 100, "params.gap", 20.0)
    elif kind == "crosssell":
        p["min_support"] = _number(p, "min_support", float, 0.0001, 0.99, "params.support", 0.01)
        p["min_confidence"] = _number(p, "min_confidence", float, 0.01, 1.0, "params.confidence", 0.1)
        products = p.get("products")
        if products is not None and not isinstance(products, list | tuple):
            raise RunRefused("params.products", "products must be a list of product codes")
        if products is not None and not products:
            raise RunRefused("params.products_empty", "choose at least one product")
        p["products"] = sorted({str(x) for x in products}) if products is not None else None
    elif kind == "churn":
        p["horizon"] = _number(p, "horizon", int, *HORIZON_RANGE, "params.horizon", 3)
    elif kind == "response":
        for name, allowed, key in (
            ("product_category", features.CATEGORIES, "params.category"),
            ("channel_code", features.CHANNELS, "params.channel"),
        ):
            value = p.get(name)
            if value in (None, ""):
                p.pop(name, None)
            elif value not in allowed:
                raise RunRefused(key, "unknown {name} {value!r}", name=name, value=str(value))
    if p.get("random_state") is not None:
        p["random_state"] = _number(p, "random_state", int, 0, 2**31 - 1, "params.seed")
    return p


# --- what the data must hold ---------------------------------------------------------------------


def _one(con: duckdb.DuckDBPyConnection, sql: str, args: list | None = None) -> int:
    return int(con.execute(sql, args or []).fetchone()[0] or 0)


def _open_customers(con, month: dt.date) -> int:
    return _one(con, "SELECT count(*) FROM customer_month WHERE month_date = ? AND NOT is_churned", [month])


def _rows(count: int, what: str) -> None:
    if count < MIN_ROWS:
        raise RunRefused(
            "data.too_few_rows",
            "only {count} {what} in the data; a model needs at least {minimum}",
            count=count,
            what=what,
            minimum=MIN_ROWS,
        )


def _month(con, params: dict) -> dt.date:
    months = features.months(con)
    if not months:
        raise RunRefused("data.empty", "the warehouse holds no months of data")
    value = params.get("month")
    month = dt.date.fromisoformat(value) if value else months[-1]
    if month not in months:
        raise RunRefused("data.no_month", "there are no data for {month}", month=month.isoformat())
    return month


def check(con: duckdb.DuckDBPyConnection, kind: str, params: dict) -> None:
    """Raise :class:`RunRefused` if a ``kind`` run with ``params`` cannot work on ``con``'s data."""
    month = _month(con, params)
    CHECKS[kind](con, month, params)


def _segmentation(con, month: dt.date, params: dict) -> None:
    customers = _open_customers(con, month)
    k = params.get("n_clusters")
    if k is not None and customers < k:
        raise RunRefused(
            "segmentation.fewer_than_k",
            "only {customers} customers in {month}, fewer than the {k} segments asked for",
            customers=customers,
            month=month.isoformat(),
            k=k,
        )
    _rows(customers, "customers")


def _value(con, month: dt.date, params: dict) -> None:
    _rows(_open_customers(con, month), "customers")


def _crosssell(con, month: dt.date, params: dict) -> None:
    holders = dict(
        con.execute(
            """SELECT p.product_code, count(DISTINCT h.customer_id)
               FROM holdings h JOIN products p USING (product_id)
               WHERE h.month_date = ? GROUP BY 1""",
            [month],
        ).fetchall()
    )
    customers = _one(con, "SELECT count(DISTINCT customer_id) FROM holdings WHERE month_date = ?", [month])
    if customers < MIN_CROSSSELL_CUSTOMERS:
        raise RunRefused(
            "crosssell.too_few_customers",
            "only {customers} customers hold products in {month}; cross-sell needs at least {minimum}",
            customers=customers,
            month=month.isoformat(),
            minimum=MIN_CROSSSELL_CUSTOMERS,
        )
    known = {code for (code,) in con.execute("SELECT product_code FROM products").fetchall()}
    asked = params.get("products")
    unknown = sorted(set(asked or ()) - known)
    if unknown:
        raise RunRefused(
            "crosssell.unknown_products", "unknown products: {products}", products=", ".join(unknown)
        )
    candidates = asked or sorted(known)
    usable = [c for c in candidates if MIN_HOLDERS <= holders.get(c, 0) < customers]
    if not usable:
        raise RunRefused(
            "crosssell.no_product",
            "no product has at least {minimum} holders (and some non-holders), so no propensity "
            "model can be trained",
            minimum=MIN_HOLDERS,
        )


def _churn(con, month: dt.date, params: dict) -> None:
    horizon, back = int(params.get("horizon", 3)), int(params.get("train_months", 6))
    months = features.months(con)
    last = months[-1]
    test_month = features.shift_month(last, -horizon)
    train_month = features.shift_month(test_month, -horizon)
    earliest = features.shift_month(train_month, -(back - 1))
    if earliest < months[0]:
        raise RunRefused(
            "churn.too_few_months",
            "churn with a {horizon}-month horizon needs {needed} months of data; there are {months}",
            horizon=horizon,
            needed=2 * horizon + back,
            months=len(months),
        )

    def closed(after: dt.date, until: dt.date) -> int:
        return _one(
            con,
            """SELECT count(DISTINCT customer_id) FROM customer_month
               WHERE is_churned AND month_date > ? AND month_date <= ?""",
            [after, until],
        )

    if closed(features.shift_month(earliest, -1), last) == 0:
        raise RunRefused(
            "churn.no_closures",
            "no customer closed their relationship in the data, so churn cannot be trained",
        )
    if closed(earliest, features.shift_month(train_month, horizon)) == 0:
        raise RunRefused(
            "churn.no_closures_window",
            "no customer closed in the training months ({start} to {end}); try a longer horizon",
            start=earliest.isoformat(),
            end=features.shift_month(train_month, horizon).isoformat(),
        )
    if closed(test_month, last) == 0:
        raise RunRefused(
            "churn.no_closures_holdout",
            "no customer closed in the last {horizon} months, so the model cannot be checked; "
            "try a longer horizon",
            horizon=horizon,
        )
    _rows(_open_customers(con, train_month), "customers")


def _response(con, month: dt.date, params: dict) -> None:
    campaigns = _one(con, "SELECT count(*) FROM campaigns")
    if campaigns == 0:
        raise RunRefused(
            "response.no_campaigns", "there are no campaigns in the data, so response cannot be trained"
        )
    contacts = _one(con, "SELECT count(*) FROM campaign_contacts WHERE contacted")
    if contacts == 0:
        raise RunRefused(
            "response.no_contacts",
            "the {campaigns} campaigns have no recorded contacts, so response cannot be trained",
            campaigns=campaigns,
        )
    responses = _one(con, "SELECT count(*) FROM campaign_contacts WHERE contacted AND responded")
    if responses == 0:
        raise RunRefused(
            "response.no_responses",
            "none of the {contacts} contacts responded, so response cannot be trained",
            contacts=contacts,
        )
    _rows(contacts, "campaign contacts")


CHECKS = {
    "segmentation": _segmentation,
    "value": _value,
    "crosssell": _crosssell,
    "churn": _churn,
    "response": _response,
}
