"""Evaluation of a campaign (效果评估): rates, money, ROI and uplift against the control group.

Everything is computed from the operational store's rows of one campaign (``campaigns``,
``campaign_members``, ``campaign_contacts``, ``campaign_takeups``) plus the products' margin and
fee rates from the warehouse (read through :mod:`cube.views.campaign_products`).

Who is counted
--------------
The *targets* are the campaign's members in the ``target`` arm; the *controls* its members in
the ``control`` arm (held out at random, never contacted); ``excluded`` members count nowhere.
Only the members inside the acting user's scope count: an administrator, analyst or marketing
head sees every member; a branch manager the members assigned to their branch (or, with a
region, to a branch of their region); a relationship manager the members assigned to them
(``campaign_members.manager_id``); a presenter nothing (:class:`~marketing.errors.NotPermitted`).
Contacts and take-ups count for the members counted.

Definitions (per group of members, and overall)
----------------------------------------------
- **targets**: target-arm members.
- **contacts**: contacts recorded for those members (every attempt, reached or not).
- **contacted**: targets with at least one contact.
- **reached**: targets with at least one contact with ``reached`` = 1.
- **accepted**: targets with at least one contact that reached them with outcome ``accepted``.
- **contact rate** = reached / targets (接触率).
- **success rate** = accepted / reached (成功率): the share of the customers reached who
  accepted (the seeds' case: 87.25% and 13.28%).
- **amount**: the sum of ``amount`` over the accepted contacts (a missing amount counts 0).
- **cost** = contacts x the campaign's ``cost_per_contact``.
- **revenue** = the sum over accepted contacts of amount x (``margin_rate`` + ``fee_rate``) of
  the contact's product in the warehouse's ``products`` table (the campaign's first offered
  product when the contact names none; a product the warehouse does not know earns 0 and is
  listed in ``Evaluation.unpriced_products``).
- **ROI** = (revenue - cost) / cost.

A ratio whose denominator is 0 is ``None`` (shown as "-"), never a division by zero.

Groups: by **branch** and **manager** (the member's assignment: ``campaign_members.branch_id``
/ ``manager_id``; a target in the branch's pool has no manager), by **segment**
(``campaign_members.segment`` as drawn) and by **channel** (the contact's channel). For the
channel rows the counts are of the targets contacted / reached / accepting *through that
channel* and the contacts, amount, cost and revenue of that channel's contacts; their
``targets`` is every target counted (any target could be contacted through any channel), so a
channel's contact rate is the share of all targets reached through it, and the channel rows do
not add up to the overall row when a customer was contacted through several channels.

Uplift
------
A member **responded** if, within the campaign window (``start_date`` to ``end_date``
inclusive, by the date of the contact or take-up), they have an accepted contact that reached
them naming a product, or a take-up (``campaign_takeups``) of one of the campaign's offered
products. The **response rate** of an arm = its responders / its members (all of them: the
target arm's rate includes the targets never reached, so both arms are the random halves of
the same group and the comparison is fair). **Uplift** = response rate of the target arm -
response rate of the control arm.

- The 95% **interval** is the Wald interval of the difference of two independent proportions:
  d +/- z(0.975) * sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2), z(0.975) = 1.959964 (scipy).
- The **p-value** is the two-sided two-proportion z-test with the pooled proportion
  p = (x1 + x2) / (n1 + n2): z = d / sqrt(p (1 - p) (1 / n1 + 1 / n2)), p-value = 2 (1 - Phi(|z|)).
- **Too few to test**: with fewer than :data:`MIN_ARM` members in either arm, or no responder
  (or no non-responder) in both arms together, the rates (and their difference, when both arms
  have members) are given but the interval, z and p-value are ``None``
  (``Uplift.testable`` False).

The same is computed per segment.

How
---
:func:`evaluate` asks the store for small tables only (``_aggregates``: targets and contact
facts per branch x manager x segment, per channel, the accepted amounts per cell x channel x
product, members and responders per arm x segment; plain SQL, the same on SQLite and
PostgreSQL, read from the indexes ``campaign_contacts_evaluation`` and
``campaign_members_evaluation``); the pricing, the rates and the statistics are done here.
The result is kept in-process (:data:`CACHE_SIZE` of them, least recently used dropped) per
store, campaign, scope and data version, and per the campaign's state (``_fingerprint``: the
campaign row with its ``version``; members' count, last ``assigned_at`` and sums of their
manager and branch ids; contacts' count and last id; take-ups' count and last
``recorded_at``): an edit, a status change, a (re)assignment, a contact or an imported
outcome/take-up makes the next call compute afresh; so does a new warehouse or published
scores (the data version). :func:`evaluate_rows` computes the same from rows already read
(:func:`campaign_rows`), in pandas.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from auth import roles
from auth.users import User
from cube import api as cube_api
from cube.api import Grant
from cube.views import campaign_products
from data import ops_store
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted

MIN_ARM = 10  # members per arm below which the uplift is "too few to test"
CONFIDENCE = 0.95
GROUPS = ("branch", "manager", "channel", "segment")
READERS = roles.CAMPAIGN_READERS | {roles.RELATIONSHIP_MANAGER}
COUNT_COLUMNS = ("targets", "contacts", "contacted", "reached", "accepted")
MONEY_COLUMNS = ("amount", "cost", "revenue")
RATE_COLUMNS = ("contact_rate", "success_rate", "roi")
COLUMNS = (*COUNT_COLUMNS, *MONEY_COLUMNS, *RATE_COLUMNS)
UPLIFT_COLUMNS = (
    "target_n",
    "target_responders",
    "control_n",
    "control_responders",
    "target_rate",
    "control_rate",
    "uplift",
    "low",
    "high",
    "z",
    "p_value",
    "testable",
)


@dataclass(frozen=True)
class Uplift:
    """Target arm against control arm: counts, rates, difference, 95% Wald interval, pooled
    z-test (see the module docstring); interval, z and p-value are None when not testable."""

    target_n: int
    target_responders: int
    control_n: int
    control_responders: int
    target_rate: float | None
    control_rate: float | None
    uplift: float | None
    low: float | None
    high: float | None
    z: float | None
    p_value: float | None
    testable: bool

    @property
    def significant(self) -> bool:
        """Whether the difference is significant at the 5% level."""
        return self.testable and self.p_value is not None and self.p_value < 1 - CONFIDENCE

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in UPLIFT_COLUMNS}


@dataclass(frozen=True)
class Evaluation:
    """One campaign's evaluation under the acting user's scope.

    Attributes
    ----------
    overall : dict
        The :data:`COLUMNS` figures of every member counted.
    by : dict of str -> DataFrame
        Per :data:`GROUPS` key: one row per value (column ``key``; None for a target without a
        manager or segment), then the :data:`COLUMNS`.
    uplift : Uplift
    uplift_by_segment : DataFrame
        ``segment`` then :data:`UPLIFT_COLUMNS`, one row per segment of either arm.
    """

    campaign_id: int
    name: str
    status: str
    start_date: str
    end_date: str
    cost_per_contact: float
    products: tuple[str, ...]
    channels: tuple[str, ...]
    overall: dict[str, Any]
    by: dict[str, pd.DataFrame]
    uplift: Uplift
    uplift_by_segment: pd.DataFrame
    unpriced_products: tuple[str, ...] = ()
    scope: str = "all"
    data_version: str | None = None
    response_run_id: str | None = None
    closed: bool = field(default=False)


# --- statistics ----------------------------------------------------------------------------


def _ratio(num: float, den: float) -> float | None:
    return float(num) / float(den) if den else None


def uplift_test(x1: int, n1: int, x2: int, n2: int, min_arm: int = MIN_ARM) -> Uplift:
    """Uplift of arm 1 (target: ``x1`` responders of ``n1``) over arm 2 (control) with the 95%
    Wald interval of the difference and the pooled two-proportion z-test (two-sided)."""
    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)
    p1, p2 = _ratio(x1, n1), _ratio(x2, n2)
    diff = p1 - p2 if p1 is not None and p2 is not None else None
    pooled = _ratio(x1 + x2, n1 + n2)
    testable = diff is not None and n1 >= min_arm and n2 >= min_arm and pooled is not None and 0 < pooled < 1
    low = high = z = p_value = None
    if testable:
        crit = float(stats.norm.ppf(1 - (1 - CONFIDENCE) / 2))
        wald = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        low, high = diff - crit * wald, diff + crit * wald
        z = diff / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value = float(2 * stats.norm.sf(abs(z)))
    return Uplift(n1, x1, n2, x2, p1, p2, diff, low, high, z, p_value, testable)


# --- reading the store ---------------------------------------------------------------------


def _frame(con: ops_store.StoreConnection, sql: str, campaign_id: int, columns: list[str]) -> pd.DataFrame:
    """Rows of ``sql`` (one parameter, written ``{p}``: the campaign id) as a frame, fetched on
    the driver's own cursor: a campaign has 100,000s of rows and SQLAlchemy's row objects cost
    several times the fetch."""
    raw = con.connection.connection.driver_connection  # sqlite3 or psycopg connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql.format(p="?" if con.dialect == "sqlite" else "%s"), (int(campaign_id),))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def _scope_clause(user: User) -> tuple[str, str]:
    """SQL restricting ``m`` (campaign_members) to the user's scope, and the scope's kind."""
    if user.role not in READERS:
        raise NotPermitted(f"role {user.role} may not read campaign evaluations")
    grants = scope_of(user).rows
    if any(g.kind == "all" for g in grants):
        return "", "all"
    ints = lambda ids: ", ".join(str(int(i)) for i in ids)  # noqa: E731 - ids are ints by type
    parts, kinds = [], []
    for grant in grants:
        kinds.append(grant.kind)
        if grant.kind == "branch" and grant.ids:
            parts.append(f"m.branch_id IN ({ints(grant.ids)})")
        elif grant.kind == "manager" and grant.ids:
            parts.append(f"m.manager_id IN ({ints(grant.ids)})")
        elif grant.kind == "region" and grant.ids:
            branches = _branches_of(grant)
            parts.append(f"m.branch_id IN ({ints(branches)})" if branches else "1 = 0")
    if not parts:
        raise NotPermitted("no data scope")
    return " AND (" + " OR ".join(parts) + ")", "+".join(kinds)


def _branches_of(grant: Grant) -> list[int]:
    frame = campaign_products.branch_regions()
    return [int(b) for b in frame.loc[frame["region_id"].isin(list(grant.ids)), "branch_id"]]


def campaign_row(con: ops_store.StoreConnection, campaign_id: int) -> dict[str, Any]:
    """The campaigns row of ``campaign_id`` as a dict; MarketingInputError if there is none."""
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError):
        raise MarketingInputError("campaign_id", "not a campaign number") from None
    row = con.execute("SELECT * FROM campaigns WHERE id = :id", {"id": campaign_id}).fetchone()
    if row is None:
        raise MarketingInputError("campaign_id", f"no campaign {campaign_id}")
    return dict(zip(row.keys(), row, strict=True))


@dataclass(frozen=True)
class CampaignRows:
    """The stored rows of one campaign that count under a scope (members of the target and
    control arms, their contacts and take-ups)."""

    campaign: dict[str, Any]
    members: pd.DataFrame  # customer_id, arm, branch_id, manager_id, segment
    contacts: pd.DataFrame  # customer_id, channel, contacted_at, reached, outcome, product, amount
    takeups: pd.DataFrame  # customer_id, product, amount, taken_on
    scope: str


def campaign_rows(user: User, campaign_id: int) -> CampaignRows:
    """Read the campaign's rows the user may count (see the module docstring for the scope)."""
    where, kind = _scope_clause(user)
    con = ops_store.connect()
    try:
        campaign = campaign_row(con, campaign_id)
        cid = int(campaign["id"])
        members = _frame(
            con,
            "SELECT m.customer_id, m.arm, m.branch_id, m.manager_id, m.segment FROM campaign_members m "
            f"WHERE m.campaign_id = {{p}} AND m.arm IN ('target', 'control'){where}",
            cid,
            ["customer_id", "arm", "branch_id", "manager_id", "segment"],
        )
        # all the campaign's contacts and take-ups, kept for the members read (an index lookup
        # per row to join in SQL costs more than the rows of other branches)
        contacts = _frame(
            con,
            "SELECT customer_id, channel, contacted_at, reached, outcome, product, amount "
            "FROM campaign_contacts WHERE campaign_id = {p}",
            cid,
            ["customer_id", "channel", "contacted_at", "reached", "outcome", "product", "amount"],
        )
        takeups = _frame(
            con,
            "SELECT customer_id, product, amount, taken_on FROM campaign_takeups WHERE campaign_id = {p}",
            cid,
            ["customer_id", "product", "amount", "taken_on"],
        )
    finally:
        con.close()
    for name in ("customer_id", "branch_id", "manager_id"):
        members[name] = pd.array(pd.to_numeric(members[name]), dtype="Int64")
    for frame in (contacts, takeups):
        frame["customer_id"] = pd.array(pd.to_numeric(frame["customer_id"]), dtype="Int64")
    targets = members.loc[members["arm"] == "target", "customer_id"]
    contacts = contacts[contacts["customer_id"].isin(targets)].reset_index(drop=True)
    takeups = takeups[takeups["customer_id"].isin(members["customer_id"])].reset_index(drop=True)
    return CampaignRows(campaign, members, contacts, takeups, kind)


# --- the figures ---------------------------------------------------------------------------


def _offered(campaign: dict[str, Any], key: str) -> tuple[str, ...]:
    try:
        return tuple(str(v) for v in json.loads(campaign.get(key) or "[]"))
    except (TypeError, ValueError):
        return ()


def _contact_frame(rows: CampaignRows, rates: dict[str, float]) -> tuple[pd.DataFrame, set[str]]:
    """The contacts with their money: accepted, amount, revenue, in_window."""
    c = rows.contacts.copy()
    campaign = rows.campaign
    first = (_offered(campaign, "products") or (None,))[0]
    c["reached"] = pd.to_numeric(c["reached"]).fillna(0).astype(bool)
    c["accepted"] = c["reached"] & (c["outcome"] == "accepted")
    amount = pd.to_numeric(c["amount"], errors="coerce").fillna(0.0).astype(np.float64)
    c["amount"] = np.where(c["accepted"], amount, 0.0)
    product = c["product"].where(c["product"].notna(), first)
    rate = product.map(rates).astype(np.float64)
    unpriced = {str(p) for p in product[c["accepted"] & rate.isna() & product.notna()]}
    c["revenue"] = c["amount"] * rate.fillna(0.0)
    day = c["contacted_at"].astype(str).str.slice(0, 10)
    c["in_window"] = (day >= str(campaign["start_date"])) & (day <= str(campaign["end_date"]))
    c["responds"] = c["accepted"] & c["product"].notna() & c["in_window"]
    return c, unpriced


def _per_member(contacts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per member (and ``keys``): contacts, contacted, reached, accepted, amount, revenue."""
    grouped = contacts.groupby(["customer_id", *keys], dropna=False, sort=False)
    return grouped.agg(
        contacts=("reached", "size"),
        reached=("reached", "any"),
        accepted=("accepted", "any"),
        amount=("amount", "sum"),
        revenue=("revenue", "sum"),
    ).reset_index()


def _finish(frame: pd.DataFrame, cost_per_contact: float) -> pd.DataFrame:
    out = frame.copy()
    for name in COUNT_COLUMNS:
        out[name] = out[name].fillna(0).astype(np.int64)
    for name in ("amount", "revenue"):
        out[name] = out[name].fillna(0.0).astype(np.float64)
    out["cost"] = out["contacts"] * float(cost_per_contact)
    out["contact_rate"] = [_ratio(r, t) for r, t in zip(out["reached"], out["targets"], strict=True)]
    out["success_rate"] = [_ratio(a, r) for a, r in zip(out["accepted"], out["reached"], strict=True)]
    out["roi"] = [_ratio(v - c, c) if c else None for v, c in zip(out["revenue"], out["cost"], strict=True)]
    return out


def _grouped(members: pd.DataFrame, per: pd.DataFrame, key: str, cost: float) -> pd.DataFrame:
    targets = members.groupby(key, dropna=False).size().rename("targets")
    flags = per.merge(members[["customer_id", key]], on="customer_id", how="inner")
    sums = flags.groupby(key, dropna=False).agg(
        contacts=("contacts", "sum"),
        contacted=("customer_id", "size"),
        reached=("reached", "sum"),
        accepted=("accepted", "sum"),
        amount=("amount", "sum"),
        revenue=("revenue", "sum"),
    )
    frame = pd.concat([targets, sums], axis=1).reset_index(names="key")
    frame = _finish(frame, cost)
    frame["key"] = pd.Series([_key(v) for v in frame["key"]], index=frame.index, dtype=object)
    return frame[["key", *COLUMNS]].sort_values("key", key=_sort_key).reset_index(drop=True)


def _key(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer, int)) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    return value


def _sort_key(values: pd.Series) -> pd.Series:
    return values.map(lambda v: (v is None, str(v).zfill(12) if isinstance(v, (int, np.integer)) else str(v)))


def _responders(rows: CampaignRows, contacts: pd.DataFrame) -> set:
    campaign = rows.campaign
    offered = set(_offered(campaign, "products"))
    t = rows.takeups
    day = t["taken_on"].astype(str).str.slice(0, 10)
    took = t[
        t["product"].isin(offered) & (day >= str(campaign["start_date"])) & (day <= str(campaign["end_date"]))
    ]
    return set(contacts.loc[contacts["responds"], "customer_id"]) | set(took["customer_id"])


def _uplift_of(members: pd.DataFrame, responders: set) -> Uplift:
    arm = members["arm"].to_numpy()
    responded = members["customer_id"].isin(responders).to_numpy()
    target, control = arm == "target", arm == "control"
    return uplift_test(responded[target].sum(), target.sum(), responded[control].sum(), control.sum())


def evaluate(user: User, campaign_id: int) -> Evaluation:
    """The evaluation of ``campaign_id`` as ``user`` may see it (module docstring: scope and
    every definition).

    The per-member facts and the group totals are computed in the store (:func:`_aggregates`):
    only a few small tables come back, whatever the campaign's size. The result is kept per
    campaign, scope and the campaign's state (:func:`_fingerprint`), so a repeat render of an
    unchanged campaign is not computed again.

    Raises
    ------
    NotPermitted
        A role that may not read evaluations (presenters) or a user without a data scope.
    MarketingInputError
        No such campaign (field ``campaign_id``).
    """
    where, kind = _scope_clause(user)
    con = ops_store.connect()
    try:
        campaign = campaign_row(con, campaign_id)
        cid = int(campaign["id"])
        version = cube_api.data_version()  # the products' rates; None: not cacheable
        key = (ops_store.url(), cid, where, kind, version, _fingerprint(con, campaign))
        with _cache_lock:
            found = _cache.get(key) if version is not None else None
            if found is not None:
                _cache.move_to_end(key)
                return found
        parts = _aggregates(con, campaign, where)
    finally:
        con.close()
    made = _evaluation(campaign, parts, kind)
    if version is not None:
        with _cache_lock:
            _cache[key] = made
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return made


CACHE_SIZE = 64  # evaluations kept in-process (a few campaigns x scopes)
_cache: OrderedDict[tuple, Evaluation] = OrderedDict()
_cache_lock = threading.Lock()


def _fingerprint(con: ops_store.StoreConnection, campaign: dict[str, Any]) -> tuple:
    """What the campaign's figures depend on in the store, cheaply: the campaign row itself
    (its ``version`` moves on every edit and status change), the members (count, last
    assignment and the sums of their managers and branches: a reassignment changes them), the
    contacts (count and last id: contacts are only added) and the take-ups (count, last
    recorded)."""
    cid = {"c": int(campaign["id"])}
    members = con.execute(
        "SELECT COUNT(*), MAX(assigned_at), SUM(COALESCE(manager_id, -1)), SUM(COALESCE(branch_id, -1)) "
        "FROM campaign_members WHERE campaign_id = :c",
        cid,
    ).fetchone()
    contacts = con.execute(
        "SELECT COUNT(*), MAX(id) FROM campaign_contacts WHERE campaign_id = :c", cid
    ).fetchone()
    takeups = con.execute(
        "SELECT COUNT(*), MAX(recorded_at) FROM campaign_takeups WHERE campaign_id = :c", cid
    ).fetchone()
    return (
        tuple(sorted((k, str(v)) for k, v in campaign.items())),
        tuple(str(v) for v in members),
        tuple(str(v) for v in contacts),
        tuple(str(v) for v in takeups),
    )


def clear_cache() -> None:
    """Forget every kept evaluation (tests; a store restored from a backup)."""
    with _cache_lock:
        _cache.clear()


@dataclass(frozen=True)
class Aggregates:
    """The store's small answers for one campaign under one scope (:func:`_aggregates`)."""

    cells: pd.DataFrame  # branch_id, manager_id, segment, targets, contacts, contacted, reached, accepted
    channels: pd.DataFrame  # channel, contacts, contacted, reached, accepted
    money: pd.DataFrame  # branch_id, manager_id, segment, channel, product, amount (accepted contacts)
    arms: pd.DataFrame  # arm, segment, n, responders


# Scope filter ``where`` is on ``m`` (campaign_members); ":cid" the campaign. A contact counts
# for a target member in scope; it reached when reached <> 0, was accepted when it reached with
# outcome 'accepted'.
_TARGETS = (
    "SELECT m.customer_id, m.branch_id, m.manager_id, m.segment FROM campaign_members m "
    "WHERE m.campaign_id = :cid AND m.arm = 'target'{where}"
)
_ACCEPTED = "c.reached <> 0 AND c.outcome = 'accepted'"

# With the indexes campaign_contacts_evaluation (campaign, customer, channel, reached, outcome)
# and campaign_members_evaluation (campaign, customer, arm, branch, manager, segment) the
# contacts and members are read from the indexes alone.
_CELLS_SQL = (
    "SELECT t.branch_id, t.manager_id, t.segment, COUNT(*) AS targets, "
    "COALESCE(SUM(p.contacts), 0) AS contacts, COUNT(p.customer_id) AS contacted, "
    "COALESCE(SUM(p.reached), 0) AS reached, COALESCE(SUM(p.accepted), 0) AS accepted "
    "FROM (" + _TARGETS + ") t LEFT JOIN ("
    "SELECT c.customer_id, COUNT(*) AS contacts, "
    "MAX(CASE WHEN c.reached <> 0 THEN 1 ELSE 0 END) AS reached, "
    f"MAX(CASE WHEN {_ACCEPTED} THEN 1 ELSE 0 END) AS accepted "
    "FROM campaign_contacts c WHERE c.campaign_id = :cid GROUP BY c.customer_id"
    ") p ON p.customer_id = t.customer_id "
    "GROUP BY t.branch_id, t.manager_id, t.segment"
)
_CHANNELS_SQL = (
    "SELECT c.channel, COUNT(*) AS contacts, COUNT(DISTINCT c.customer_id) AS contacted, "
    "COUNT(DISTINCT CASE WHEN c.reached <> 0 THEN c.customer_id END) AS reached, "
    f"COUNT(DISTINCT CASE WHEN {_ACCEPTED} THEN c.customer_id END) AS accepted "
    "FROM campaign_contacts c JOIN (" + _TARGETS + ") t ON t.customer_id = c.customer_id "
    "WHERE c.campaign_id = :cid GROUP BY c.channel"
)
_MONEY_SQL = (
    "SELECT t.branch_id, t.manager_id, t.segment, c.channel, c.product, "
    "SUM(COALESCE(c.amount, 0)) AS amount "
    "FROM campaign_contacts c JOIN (" + _TARGETS + ") t ON t.customer_id = c.customer_id "
    f"WHERE c.campaign_id = :cid AND {_ACCEPTED} "
    "GROUP BY t.branch_id, t.manager_id, t.segment, c.channel, c.product"
)
# responders: a target with an accepted contact naming a product in the window, or any member
# with a take-up of an offered product in the window
_ARMS_SQL = (
    "SELECT m.arm, m.segment, COUNT(*) AS n, "
    "SUM(CASE WHEN (m.arm = 'target' AND m.customer_id IN ("
    "SELECT c.customer_id FROM campaign_contacts c WHERE c.campaign_id = :cid "
    f"AND {_ACCEPTED} AND c.product IS NOT NULL "
    "AND substr(c.contacted_at, 1, 10) >= :start AND substr(c.contacted_at, 1, 10) <= :end"
    ")) OR m.customer_id IN ("
    "SELECT k.customer_id FROM campaign_takeups k WHERE k.campaign_id = :cid "
    "AND k.product IN ({offered}) "
    "AND substr(k.taken_on, 1, 10) >= :start AND substr(k.taken_on, 1, 10) <= :end"
    ") THEN 1 ELSE 0 END) AS responders "
    "FROM campaign_members m "
    "WHERE m.campaign_id = :cid AND m.arm IN ('target', 'control'){where} "
    "GROUP BY m.arm, m.segment"
)


def _query(con: ops_store.StoreConnection, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    rows = con.execute(sql, params).fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns) if rows else pd.DataFrame(columns=columns)


def _aggregates(con: ops_store.StoreConnection, campaign: dict[str, Any], where: str) -> Aggregates:
    """The group totals of the campaign's members in scope, computed in the store."""
    offered = _offered(campaign, "products")
    params: dict[str, Any] = {
        "cid": int(campaign["id"]),
        "start": str(campaign["start_date"]),
        "end": str(campaign["end_date"]),
    } | {f"offered{i}": code for i, code in enumerate(offered)}
    listed = ", ".join(f":offered{i}" for i in range(len(offered))) or "NULL"
    cells = _query(
        con,
        _CELLS_SQL.format(where=where),
        params,
        ["branch_id", "manager_id", "segment", *COUNT_COLUMNS],
    )
    channels = _query(con, _CHANNELS_SQL.format(where=where), params, ["channel", *COUNT_COLUMNS[1:]])
    money = _query(
        con,
        _MONEY_SQL.format(where=where),
        params,
        ["branch_id", "manager_id", "segment", "channel", "product", "amount"],
    )
    arms = _query(
        con, _ARMS_SQL.format(where=where, offered=listed), params, ["arm", "segment", "n", "responders"]
    )
    for frame in (cells, money):
        for name in ("branch_id", "manager_id"):
            frame[name] = pd.array(pd.to_numeric(frame[name]), dtype="Int64")
        frame["segment"] = frame["segment"].astype(object).where(frame["segment"].notna(), None)
    arms["segment"] = arms["segment"].astype(object).where(arms["segment"].notna(), None)
    for frame, names in ((cells, COUNT_COLUMNS), (channels, COUNT_COLUMNS[1:]), (arms, ("n", "responders"))):
        for name in names:
            frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(np.int64)
    money["amount"] = pd.to_numeric(money["amount"]).fillna(0.0).astype(np.float64)
    return Aggregates(cells, channels, money, arms)


def _rates() -> dict[str, float]:
    products = campaign_products.product_rates()
    return dict(
        zip(
            products["product_code"].astype(str),
            (products["margin_rate"].astype(float) + products["fee_rate"].astype(float)),
            strict=True,
        )
    )


_NONE = "\x00none"  # the group key of members without a manager / segment while summing


def _sum_by(frame: pd.DataFrame, key: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` summed per value of ``key`` (index: the value as a plain int / str, or
    :data:`_NONE` for a missing one, so counts and money align on it)."""
    values = pd.Series([_NONE if k is None else k for k in map(_key, frame[key])], index=frame.index)
    return frame[list(columns)].groupby(values.to_numpy(dtype=object), sort=False).sum()


def _table_of(counts: pd.DataFrame, money: pd.DataFrame, cost: float) -> pd.DataFrame:
    """Counts (index: key) with the money summed per key: the finished rows, sorted."""
    frame = counts.join(money, how="left").reset_index(names="key")
    frame = _finish(frame, cost)
    frame["key"] = pd.Series(
        [None if v == _NONE else v for v in frame["key"]], index=frame.index, dtype=object
    )
    return frame[["key", *COLUMNS]].sort_values("key", key=_sort_key).reset_index(drop=True)


def _evaluation(campaign: dict[str, Any], parts: Aggregates, scope: str) -> Evaluation:
    """The Evaluation from the store's aggregates (the money priced here, the statistics too)."""
    cost = float(campaign["cost_per_contact"] or 0.0)
    rates = _rates()
    first = (_offered(campaign, "products") or (None,))[0]
    money = parts.money.copy()
    product = money["product"].where(money["product"].notna(), first)
    rate = product.map(rates).astype(np.float64)
    unpriced = {str(p) for p in product[rate.isna() & product.notna()]}
    money["revenue"] = money["amount"] * rate.fillna(0.0)
    cells = parts.cells
    counts = ("targets", "contacts", "contacted", "reached", "accepted")
    by: dict[str, pd.DataFrame] = {}
    for kind, column in (("branch", "branch_id"), ("manager", "manager_id"), ("segment", "segment")):
        if cells.empty:
            by[kind] = pd.DataFrame(columns=["key", *COLUMNS])
            continue
        by[kind] = _table_of(
            _sum_by(cells, column, counts), _sum_by(money, column, ("amount", "revenue")), cost
        )
    targets = int(cells["targets"].sum())
    if targets:
        total = cells[list(counts)].sum().to_frame().T
        total["amount"] = float(money["amount"].sum())
        total["revenue"] = float(money["revenue"].sum())
    else:
        total = _empty_row()
    finished = _finish(total, cost)
    overall_row = {name: finished[name].iloc[0] for name in COLUMNS}  # ints stay ints
    if parts.channels.empty:
        by["channel"] = pd.DataFrame(columns=["key", *COLUMNS])
    else:
        channels = parts.channels.set_index("channel")
        channels["targets"] = targets
        by["channel"] = _table_of(channels, _sum_by(money, "channel", ("amount", "revenue")), cost)
    arms = parts.arms
    uplift = _uplift_from(arms)
    segments = [
        {"segment": segment, **_uplift_from(arms[_same(arms["segment"], segment)]).as_dict()}
        for segment in dict.fromkeys(arms["segment"])
    ]
    by_segment = pd.DataFrame(segments, columns=["segment", *UPLIFT_COLUMNS])
    if len(by_segment):
        by_segment = by_segment.sort_values("segment", key=_sort_key).reset_index(drop=True)
        by_segment["segment"] = pd.Series([_key(v) for v in by_segment["segment"]], dtype=object)
    return Evaluation(
        campaign_id=int(campaign["id"]),
        name=str(campaign["name"]),
        status=str(campaign["status"]),
        start_date=str(campaign["start_date"]),
        end_date=str(campaign["end_date"]),
        cost_per_contact=cost,
        products=_offered(campaign, "products"),
        channels=_offered(campaign, "channels"),
        overall={k: _plain(overall_row[k]) for k in COLUMNS},
        by=by,
        uplift=uplift,
        uplift_by_segment=by_segment,
        unpriced_products=tuple(sorted(unpriced)),
        scope=scope,
        data_version=campaign.get("data_version"),
        response_run_id=campaign.get("response_run_id"),
        closed=campaign["status"] == "closed",
    )


def _same(values: pd.Series, value: Any) -> pd.Series:
    return values.isna() if value is None else values == value


def _uplift_from(arms: pd.DataFrame) -> Uplift:
    target, control = arms[arms["arm"] == "target"], arms[arms["arm"] == "control"]
    return uplift_test(
        target["responders"].sum(), target["n"].sum(), control["responders"].sum(), control["n"].sum()
    )


def evaluate_rows(rows: CampaignRows) -> Evaluation:
    """The evaluation of rows already read (:func:`campaign_rows`), computed in pandas: the
    same figures as :func:`evaluate` (which computes them in the store), for callers holding
    the rows already."""
    campaign = rows.campaign
    cost = float(campaign["cost_per_contact"] or 0.0)
    products = campaign_products.product_rates()
    rates = dict(
        zip(
            products["product_code"].astype(str),
            (products["margin_rate"].astype(float) + products["fee_rate"].astype(float)),
            strict=True,
        )
    )
    members = rows.members.copy()
    members["segment"] = members["segment"].astype(object).where(members["segment"].notna(), None)
    targets = members[members["arm"] == "target"]
    contacts, unpriced = _contact_frame(rows, rates)
    per = _per_member(contacts, [])
    everyone = targets.assign(_all="all")
    overall = _grouped(everyone, per, "_all", cost)
    overall_row = (
        overall.iloc[0].drop("key").to_dict()
        if len(overall)
        else _finish(_empty_row(), cost).iloc[0].to_dict()
    )
    by = {
        key: _grouped(targets, per, f"{key}_id" if key in ("branch", "manager") else key, cost)
        for key in ("branch", "manager", "segment")
    }
    by["channel"] = _by_channel(contacts, len(targets), cost)
    responders = _responders(rows, contacts)
    uplift = _uplift_of(members, responders)
    segments = []
    for segment, part in members.groupby("segment", dropna=False, sort=False):
        segments.append(
            {"segment": None if pd.isna(segment) else segment, **_uplift_of(part, responders).as_dict()}
        )
    by_segment = pd.DataFrame(segments, columns=["segment", *UPLIFT_COLUMNS])
    if len(by_segment):
        by_segment = by_segment.sort_values("segment", key=_sort_key).reset_index(drop=True)
        by_segment["segment"] = pd.Series([_key(v) for v in by_segment["segment"]], dtype=object)
    return Evaluation(
        campaign_id=int(campaign["id"]),
        name=str(campaign["name"]),
        status=str(campaign["status"]),
        start_date=str(campaign["start_date"]),
        end_date=str(campaign["end_date"]),
        cost_per_contact=cost,
        products=_offered(campaign, "products"),
        channels=_offered(campaign, "channels"),
        overall={k: _plain(v) for k, v in overall_row.items()},
        by=by,
        uplift=uplift,
        uplift_by_segment=by_segment,
        unpriced_products=tuple(sorted(unpriced)),
        scope=rows.scope,
        data_version=campaign.get("data_version"),
        response_run_id=campaign.get("response_run_id"),
        closed=campaign["status"] == "closed",
    )


def _empty_row() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                name: 0
                for name in ("targets", "contacts", "contacted", "reached", "accepted", "amount", "revenue")
            }
        ]
    )


def _by_channel(contacts: pd.DataFrame, targets: int, cost: float) -> pd.DataFrame:
    per = _per_member(contacts, ["channel"])
    sums = per.groupby("channel", dropna=False).agg(
        contacts=("contacts", "sum"),
        contacted=("customer_id", "size"),
        reached=("reached", "sum"),
        accepted=("accepted", "sum"),
        amount=("amount", "sum"),
        revenue=("revenue", "sum"),
    )
    frame = sums.reset_index(names="key")
    frame["targets"] = targets
    frame = _finish(frame, cost)
    return frame[["key", *COLUMNS]].sort_values("key", key=_sort_key).reset_index(drop=True)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value
