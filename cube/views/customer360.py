"""Customer 360: one customer's profile, balances, holdings, channels, standing, model scores
and campaign history, declared once here (page, tests and benchmark import the same queries).

Every figure is a cube query filtered by the customer (``<cube>.customer``), run under the
caller's scope, so the cube decides what may be seen:

- **Scope**: a customer outside the scope has no rows, exactly like a customer number that
  does not exist; both raise :class:`NotFound` (one answer, so nobody can probe which numbers
  exist). Rows follow the cube's rules (the customer's home branch and manager of each month).
- **Masking**: name, phone and ID card number come from the customers cube's drill-through,
  masked inside the query unless the customer falls inside ``scope.identities``.
- **Aggregates-only scopes** (presenters): the cube refuses any query grouped or filtered by a
  customer and any customer row; :func:`customer360` raises :class:`Refused` first.

What comes from where:

- ``customers`` (customer_month): balances, contribution and transactions per month, and the
  transactions through each channel per month (``txn_count_<channel>``); the profile of the
  latest month (org, demographics, active / dormant); the published model scores (segment,
  value tier, best offer, propensity, churn and activation bands) as dimensions, their numbers
  (scores, expected value, value at risk, main driver) as drill-through score columns.
- ``customer_tiers``: the month-by-month standing (AUM tier by fixed bands, bank-wide AUM and
  contribution deciles), city, credit grade and opening month.
- ``holdings``: balances by product category per month, and the positions of the latest month.
- ``campaigns`` (the warehouse's campaign contacts): campaigns the customer was targeted by,
  with channel, product, contact date, contacted, responded and the amount taken.
- Cross-sell run outputs (aggregates, no customer rows): the association rules that explain an
  offer ("holders of A also take B") from the products the customer held in the run's month.

Published scores are one set per data version (the month a run scored), so the segment and
value tier are shown "as of" that month; the history per month is the AUM tier and deciles.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cube import api, connection, labels
from cube.api import Filter, Query, Scope
from cube.model.base import Dimension, Lookup
from cube.views import cross_sell
from data import contract, scores

CUBE = "customers"
TIERS = "customer_tiers"
HOLDINGS = "holdings"
CAMPAIGNS = "campaigns"
CHANNEL_CODES = contract.CHANNEL_CODES
MAX_ID_DIGITS = 18
OTHER_OFFERS = 3  # rules shown beside the best offer
REASON_RULES = 2  # rules shown as the best offer's reasons

BALANCE_MEASURES = (
    "customers.aum",
    "customers.deposits",
    "customers.investments",
    "customers.loans",
    "customers.contribution",
    "customers.fee_income",
    "customers.txn_count",
    "customers.txn_amount",
    "customers.products",
)
CHANNEL_MEASURES = tuple(f"customers.txn_count_{c}" for c in CHANNEL_CODES)
PROFILE_DIMENSIONS = (
    "customers.region",
    "customers.branch",
    "customers.manager",
    "customers.gender",
    "customers.age_band",
    "customers.income_band",
    "customers.occupation",
    "customers.tenure_band",
)
STANDING_DIMENSIONS = (
    "customer_tiers.month",
    "customer_tiers.aum_tier",
    "customer_tiers.aum_decile",
    "customer_tiers.contribution_decile",
    "customer_tiers.city",
    "customer_tiers.credit_grade",
    "customer_tiers.cohort",
)
# published score dimensions of the customers cube, by the run kind that publishes them
SCORE_DIMENSIONS = {
    "segmentation": ("customers.segment",),
    "value": ("customers.value_tier", "customers.value_potential"),
    "crosssell": ("customers.best_offer", "customers.propensity_band"),
    "churn": ("customers.churn_band", "customers.activation_band"),
}
# published score columns the profile's drill-through row carries, by kind
SCORE_COLUMNS = {
    "segmentation": ("segment_name",),
    "value": ("value_score",),
    "crosssell": ("offer_score", "offer_value"),
    "churn": ("churn_score", "value_at_risk", "churn_driver", "activation_value"),
}
CAMPAIGN_MEASURES = (
    "campaigns.targeted",
    "campaigns.contacted",
    "campaigns.responded",
    "campaigns.response_amount",
)
CAMPAIGN_DIMENSIONS = (
    "campaigns.campaign",
    "campaigns.start_month",
    "campaigns.channel",
    "campaigns.product",
)
# product id -> product code (rules name products by code; the holdings cube by id)
_PRODUCT_CODE = Dimension(
    "product_code",
    "Product code",
    "产品代码",
    "product_id",
    "id",
    lookup=Lookup("products", "product_id", "product_code", "product_code"),
)


class NotFound(LookupError):
    """No such customer, or not in the caller's scope (deliberately the same answer)."""


class Refused(PermissionError):
    """The caller's scope shows aggregates only: no customer may be opened."""


def parse_customer(value: Any) -> int | None:
    """A customer number typed or linked (``"100000123"``, spaces around allowed), or None when
    it is not one (no digits, too long, a sign or a decimal point)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**MAX_ID_DIGITS else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not re.fullmatch(rf"[0-9]{{1,{MAX_ID_DIGITS}}}", text):
        return None
    number = int(text)
    return number if number > 0 else None


def customer_filter(cube: str, customer_id: int) -> Filter:
    """The one customer, on ``cube``'s customer dimension."""
    return Filter(f"{cube}.customer", "eq", (int(customer_id),))


def _month_filter(cube: str, month: dt.date) -> Filter:
    return Filter(f"{cube}.month", "eq", (month,))


# --- declared queries -----------------------------------------------------------------------------


def months_query(customer_id: int) -> Query:
    """Balances, contribution and transactions per month, and transactions through each channel."""
    return Query(
        CUBE,
        (*BALANCE_MEASURES, *CHANNEL_MEASURES, "customers.active_customers", "customers.dormant_customers"),
        ("customers.month",),
        (customer_filter(CUBE, customer_id),),
    )


def profile_query(customer_id: int, month: dt.date) -> Query:
    """The customer's org and demographics in ``month`` (one row)."""
    return Query(
        CUBE,
        ("customers.customers",),
        PROFILE_DIMENSIONS,
        (customer_filter(CUBE, customer_id), _month_filter(CUBE, month)),
    )


def standing_query(customer_id: int) -> Query:
    """AUM tier and bank-wide deciles per month, with city, credit grade and opening month."""
    return Query(
        TIERS,
        ("customer_tiers.aum", "customer_tiers.contribution"),
        STANDING_DIMENSIONS,
        (customer_filter(TIERS, customer_id),),
    )


def holdings_query(customer_id: int) -> Query:
    """Month-end balances by product category per month."""
    return Query(
        HOLDINGS,
        ("holdings.balance",),
        ("holdings.month", "holdings.category"),
        (customer_filter(HOLDINGS, customer_id),),
    )


def positions_query(customer_id: int, month: dt.date) -> Query:
    """The products held at the end of ``month``: balance, average daily balance, margin."""
    return Query(
        HOLDINGS,
        ("holdings.balance", "holdings.avg_daily_balance", "holdings.margin"),
        ("holdings.category", "holdings.product"),
        (customer_filter(HOLDINGS, customer_id), _month_filter(HOLDINGS, month)),
    )


def published_kinds() -> tuple[str, ...]:
    """Kinds of model scores published for the served data (in :data:`SCORE_DIMENSIONS` order)."""
    found = scores.current(connection.warehouse_version())
    return tuple(k for k in SCORE_DIMENSIONS if k in found)


def scores_query(customer_id: int, month: dt.date, kinds: tuple[str, ...]) -> Query | None:
    """The published score dimensions of ``kinds`` for the customer (None when none is)."""
    dims = tuple(d for k in kinds for d in SCORE_DIMENSIONS[k])
    if not dims:
        return None
    return Query(
        CUBE,
        ("customers.customers",),
        dims,
        (customer_filter(CUBE, customer_id), _month_filter(CUBE, month)),
    )


def campaigns_query(customer_id: int) -> Query:
    """Campaigns that targeted the customer, with channel, product and the outcome."""
    return Query(
        CAMPAIGNS, CAMPAIGN_MEASURES, CAMPAIGN_DIMENSIONS, (customer_filter(CAMPAIGNS, customer_id),)
    )


# --- helpers --------------------------------------------------------------------------------------


def _py(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NaT:
        return None
    return value


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0).to_numpy()


def _label(frame: pd.DataFrame, member: str, i: int = 0) -> Any:
    column = api.label_column(member)
    return _py(frame[column if column in frame else member].iloc[i]) if len(frame) else None


def _month(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


# --- the customer ---------------------------------------------------------------------------------


@dataclass
class Customer360:
    """What the page shows of one customer (frames are empty where there is nothing).

    ``profile``: labels and keys of the latest month (``month``, ``first_month``, org,
    demographics, city, credit grade, opening month, identity columns as the cube masked them,
    ``active``, ``dormant``, ``closed`` (the relationship ended before the served data's last
    month)). ``balances``: one row per month (``month`` and :data:`BALANCE_MEASURES` without
    the cube prefix). ``channels``: ``month``, ``channel``, ``channel_label``, ``txn_count``.
    ``holdings``: ``month``, ``category``, ``category_label``, ``balance``. ``positions``: the
    latest month's products. ``standing``: ``month``, ``aum_tier``/``_label``, ``aum_decile``,
    ``contribution_decile``, ``aum``. ``model``: published scores (kind -> dict), ``runs``:
    kind -> run month. ``offers``: the best offer and its reasons, ``other_offers``.
    ``campaigns``: one row per campaign contact.
    """

    customer_id: int
    profile: dict[str, Any]
    balances: pd.DataFrame
    channels: pd.DataFrame
    holdings: pd.DataFrame
    positions: pd.DataFrame
    standing: pd.DataFrame
    campaigns: pd.DataFrame
    model: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, str | None] = field(default_factory=dict)
    offers: dict[str, Any] | None = None
    other_offers: pd.DataFrame | None = None


def customer360(customer_id: Any, scope: Scope, lang: str = "en") -> Customer360:
    """Everything the page shows of ``customer_id`` under ``scope``.

    Raises
    ------
    Refused
        ``scope`` shows aggregates only (the cube would refuse every query below).
    NotFound
        Not a customer number, no such customer, or a customer outside ``scope``.
    """
    if not scope.customer_rows:
        raise Refused("aggregates only: no customer can be opened")
    cid = parse_customer(customer_id)
    if cid is None:
        raise NotFound(customer_id)
    months = api.execute(months_query(cid), scope, lang).frame
    if months.empty:
        raise NotFound(cid)
    months = months.sort_values("customers.month").reset_index(drop=True)
    latest = _month(months["customers.month"].iloc[-1])
    kinds = published_kinds()
    out = Customer360(
        customer_id=cid,
        profile=_profile(cid, months, latest, scope, lang, kinds),
        balances=_balances(months),
        channels=_channels(months, lang),
        holdings=_holdings(cid, scope, lang),
        positions=_positions(cid, latest, scope, lang),
        standing=_standing(cid, scope, lang),
        campaigns=campaign_history(cid, scope, lang),
    )
    out.profile.update(_standing_profile(out.standing, cid, scope, lang))
    out.model, out.runs = _model(cid, latest, scope, lang, kinds, out.profile)
    if "crosssell" in out.model:
        out.offers, out.other_offers = _offers(cid, out.model, scope, lang)
    return out


def _profile(
    cid: int, months: pd.DataFrame, latest: dt.date, scope: Scope, lang: str, kinds: tuple[str, ...]
) -> dict[str, Any]:
    frame = api.execute(profile_query(cid, latest), scope, lang).frame
    last = months.iloc[-1]
    served = api.execute(Query(CUBE, ("customers.customers",), ("customers.month",)), scope, lang).frame
    served_last = _month(served["customers.month"].max()) if len(served) else latest
    profile: dict[str, Any] = {
        "customer_id": cid,
        "month": latest,
        "first_month": _month(months["customers.month"].iloc[0]),
        "active": bool(_py(last["customers.active_customers"])),
        "dormant": bool(_py(last["customers.dormant_customers"])),
        "closed": latest < served_last,
    }
    for member in PROFILE_DIMENSIONS:
        name = member.split(".")[1]
        profile[name] = _py(frame[member].iloc[0]) if len(frame) else None
        profile[f"{name}_label"] = _label(frame, member)
    extra = tuple(c for k in kinds for c in SCORE_COLUMNS[k])
    rows = api.drill_through(
        CUBE, (customer_filter(CUBE, cid), _month_filter(CUBE, latest)), scope, 0, 1, lang, columns=extra
    ).frame
    for column in ("customer_name", "customer_phone", "customer_id_card_no", *extra):
        profile[column] = _py(rows[column].iloc[0]) if len(rows) and column in rows else None
    return profile


def _balances(months: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"month": pd.to_datetime(months["customers.month"])})
    for member in BALANCE_MEASURES:
        out[member.split(".")[1]] = _num(months, member)
    return out


def channel_names(lang: str) -> dict[str, str]:
    """Channel code -> name in ``lang`` (the cube's per-channel measure labels)."""
    return {c: api.member_label(f"customers.txn_count_{c}", lang).split(": ", 1)[-1] for c in CHANNEL_CODES}


def _channels(months: pd.DataFrame, lang: str) -> pd.DataFrame:
    names = channel_names(lang)
    parts = [
        pd.DataFrame(
            {
                "month": pd.to_datetime(months["customers.month"]),
                "channel": code,
                "channel_label": names[code],
                "txn_count": _num(months, f"customers.txn_count_{code}"),
            }
        )
        for code in CHANNEL_CODES
    ]
    out = pd.concat(parts, ignore_index=True)
    used = out.groupby("channel")["txn_count"].transform("sum") > 0  # channels never used: no trace
    return out[used.to_numpy()].reset_index(drop=True)


def _holdings(cid: int, scope: Scope, lang: str) -> pd.DataFrame:
    frame = api.execute(holdings_query(cid), scope, lang).frame
    return pd.DataFrame(
        {
            "month": pd.to_datetime(frame["holdings.month"]),
            "category": frame["holdings.category"].astype(str).to_numpy(),
            "category_label": frame[api.label_column("holdings.category")].astype(str).to_numpy(),
            "balance": _num(frame, "holdings.balance"),
        }
    )


def positions(cid: int, month: dt.date, scope: Scope, lang: str) -> pd.DataFrame:
    """The products held at the end of ``month``, largest balance first: ``product`` (id),
    ``product_label``, ``product_code``, ``category_label``, ``balance``, ``avg_daily_balance``,
    ``margin``."""
    frame = api.execute(positions_query(cid, month), scope, lang).frame
    out = pd.DataFrame(
        {
            "product": [int(v) for v in frame["holdings.product"]],
            "product_label": frame[api.label_column("holdings.product")].astype(str).to_numpy(),
            "category_label": frame[api.label_column("holdings.category")].astype(str).to_numpy(),
            "balance": _num(frame, "holdings.balance"),
            "avg_daily_balance": _num(frame, "holdings.avg_daily_balance"),
            "margin": _num(frame, "holdings.margin"),
        }
    )
    codes = labels.labels_for(out["product"], _PRODUCT_CODE, scope, lang, connection.backend())
    out.insert(2, "product_code", codes.astype(str).to_numpy())
    return out.sort_values(["balance", "product"], ascending=[False, True]).reset_index(drop=True)


_positions = positions


def _standing(cid: int, scope: Scope, lang: str) -> pd.DataFrame:
    frame = api.execute(standing_query(cid), scope, lang).frame
    out = pd.DataFrame(
        {
            "month": pd.to_datetime(frame["customer_tiers.month"]),
            "aum_tier": frame["customer_tiers.aum_tier"].astype(str).to_numpy(),
            "aum_tier_label": frame[api.label_column("customer_tiers.aum_tier")].astype(str).to_numpy(),
            "aum_decile": pd.to_numeric(frame["customer_tiers.aum_decile"], errors="coerce").to_numpy(),
            "contribution_decile": pd.to_numeric(
                frame["customer_tiers.contribution_decile"], errors="coerce"
            ).to_numpy(),
            "aum": _num(frame, "customer_tiers.aum"),
            "city": frame["customer_tiers.city"].to_numpy(),
            "credit_grade": frame["customer_tiers.credit_grade"].to_numpy(),
            "cohort": pd.to_datetime(frame["customer_tiers.cohort"]).to_numpy(),
        }
    )
    return out.sort_values("month").reset_index(drop=True)


def _standing_profile(standing: pd.DataFrame, cid: int, scope: Scope, lang: str) -> dict[str, Any]:
    if standing.empty:
        return {"city": None, "credit_grade": None, "opened": None, "aum_tier_label": None}
    last = standing.iloc[-1]
    return {
        "city": _py(last["city"]),
        "credit_grade": _py(last["credit_grade"]),
        "opened": pd.Timestamp(last["cohort"]).date() if pd.notna(last["cohort"]) else None,
        "aum_tier_label": _py(last["aum_tier_label"]),
    }


def _model(
    cid: int, latest: dt.date, scope: Scope, lang: str, kinds: tuple[str, ...], profile: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, str | None]]:
    """Published scores by kind (labels from the cube, numbers from the profile's row) and the
    month each kind's run scored."""
    query = scores_query(cid, latest, kinds)
    if query is None:
        return {}, {}
    frame = api.execute(query, scope, lang).frame
    version = cross_sell.served_version()
    model: dict[str, dict[str, Any]] = {}
    months: dict[str, str | None] = {}
    for kind in kinds:
        values: dict[str, Any] = {}
        for member in SCORE_DIMENSIONS[kind]:
            name = member.split(".")[1]
            values[name] = _py(frame[member].iloc[0]) if len(frame) else None
            values[f"{name}_label"] = _label(frame, member)
        for column in SCORE_COLUMNS[kind]:
            values[column] = profile.get(column)
        model[kind] = values
        run = cross_sell.shown_run(kind, version)
        months[kind] = run.month if run is not None else None
    return model, months


def _offers(
    cid: int, model: dict[str, dict[str, Any]], scope: Scope, lang: str
) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    """The published best offer with its reasons (the rules of the cross-sell run that lead to
    it from products the customer held in the run's month) and other offers those rules make."""
    cs = model["crosssell"]
    run = cross_sell.runs()["crosssell"]
    empty = pd.DataFrame(columns=["product", "product_label", "antecedent", "confidence", "lift"])
    rules = cross_sell.rules(run) if run is not None else empty
    held: set[str] = set()
    if run is not None and run.month:
        pos = positions(cid, dt.date.fromisoformat(f"{run.month}-01"), scope, lang)
        held = set(pos["product_code"])
    fits = [set(a) <= held for a in rules["antecedent"]] if len(rules) else []
    usable = rules[np.asarray(fits, dtype=bool)] if len(rules) else rules
    usable = usable[~usable["consequent"].isin(held)] if len(usable) else usable
    codes = [*(c for a in usable.get("antecedent", []) for c in a), *usable.get("consequent", [])]
    best = cs.get("best_offer")
    names = cross_sell.product_names([*codes, *([best] if best else [])], scope, lang)

    def described(frame: pd.DataFrame) -> pd.DataFrame:
        ordered = frame.sort_values(["lift", "confidence"], ascending=False, kind="stable")
        return pd.DataFrame(
            {
                "product": ordered["consequent"].to_numpy(),
                "product_label": [names.get(c, c) for c in ordered["consequent"]],
                "antecedent": [" + ".join(names.get(c, c) for c in a) for a in ordered["antecedent"]],
                "confidence": ordered["confidence"].astype(float).to_numpy(),
                "lift": ordered["lift"].astype(float).to_numpy(),
            }
        )

    offer = None
    if best:
        reasons = described(_simplest(usable[usable["consequent"] == best])) if len(usable) else empty
        offer = {
            "product": best,
            "product_label": names.get(best, cs.get("best_offer_label") or best),
            "offer_score": cs.get("offer_score"),
            "offer_value": cs.get("offer_value"),
            "propensity_band": cs.get("propensity_band"),
            "propensity_band_label": cs.get("propensity_band_label"),
            "segment_label": model.get("segmentation", {}).get("segment_label"),
            "rules": reasons,
        }
    others = usable[usable["consequent"] != best] if len(usable) else usable
    if len(others):
        others = described(others).drop_duplicates("product").head(OTHER_OFFERS).reset_index(drop=True)
    else:
        others = empty
    return offer, others


def _simplest(rules: pd.DataFrame, limit: int = REASON_RULES, near: float = 0.95) -> pd.DataFrame:
    """At most ``limit`` rules, strongest lift first, leaving out a rule when a rule with fewer
    products in its antecedent (a subset) is nearly as strong (``near`` x its lift): "A + B ->
    X" says nothing more than "A -> X" at about the same lift."""
    ranked = rules.sort_values(["lift", "confidence"], ascending=False, kind="stable")
    keep = []
    for i, antecedent, lift in zip(ranked.index, ranked["antecedent"], ranked["lift"], strict=True):
        simpler = any(
            set(a) < set(antecedent) and float(b) >= near * float(lift)
            for a, b in zip(ranked["antecedent"], ranked["lift"], strict=True)
        )
        if not simpler:
            keep.append(i)
        if len(keep) == limit:
            break
    return rules.loc[keep]


def campaign_history(cid: int, scope: Scope, lang: str) -> pd.DataFrame:
    """One row per campaign contact, latest first: ``campaign`` (id), ``campaign_label``,
    ``start_month``, ``channel_label``, ``product_label``, ``contacted_date``, ``contacted``,
    ``responded``, ``response_amount``."""
    columns = [
        "campaign",
        "campaign_label",
        "start_month",
        "channel_label",
        "product_label",
        "contacted_date",
        "contacted",
        "responded",
        "response_amount",
    ]
    frame = api.execute(campaigns_query(cid), scope, lang).frame
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = api.drill_through(CAMPAIGNS, (customer_filter(CAMPAIGNS, cid),), scope, 0, api.MAX_PAGE_SIZE, lang)
    dates = rows.frame[["campaign_id", "channel_id", "contacted_date"]].rename(
        columns={"campaign_id": "campaign", "channel_id": "channel"}
    )
    out = pd.DataFrame(
        {
            "campaign": frame["campaigns.campaign"].astype("int64").to_numpy(),
            "campaign_label": frame[api.label_column("campaigns.campaign")].astype(str).to_numpy(),
            "start_month": pd.to_datetime(frame["campaigns.start_month"]).to_numpy(),
            "channel": frame["campaigns.channel"].astype("int64").to_numpy(),
            "channel_label": frame[api.label_column("campaigns.channel")].astype(str).to_numpy(),
            "product_label": frame[api.label_column("campaigns.product")].astype(str).to_numpy(),
            "contacted": _num(frame, "campaigns.contacted") > 0,
            "responded": _num(frame, "campaigns.responded") > 0,
            "response_amount": _num(frame, "campaigns.response_amount"),
        }
    )
    dates = dates.astype({"campaign": "int64", "channel": "int64"}).drop_duplicates(["campaign", "channel"])
    out = out.merge(dates, on=["campaign", "channel"], how="left")
    out["contacted_date"] = pd.to_datetime(out["contacted_date"])
    out = out.sort_values(["contacted_date", "campaign"], ascending=[False, True], na_position="last")
    return out[columns].reset_index(drop=True)
