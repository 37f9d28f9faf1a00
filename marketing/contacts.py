"""Work lists and contacts (执行与反馈): who a relationship manager should contact, recording
each contact, and one customer's loop history.

- :func:`record` stores one contact a manager made with a target member of a running campaign:
  every field checked (errors name the field), the over-contact guard checked in the same write
  transaction, the contact and its audit row committed together. Writers are serialised by the
  store (``ops_store.transaction``), so concurrent managers lose nothing.
- :func:`work_list` lists the assigned target customers of running campaigns in the user's
  scope (a relationship manager: assigned to them; a branch manager: their branch), with the
  recommended product, the reason, the contacts so far and the over-contact state. Names come
  from the cube's drill-through, masked as the user's role requires.
- :func:`history` is one customer's loop campaigns and contacts within the user's scope.

Who may see what: an administrator every member; a branch manager the members in their branch
(or their region's branches); a relationship manager the members assigned to them. The control
arm is never on a work list and a contact with a control member is refused.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from auth import audit, roles
from auth.users import User
from cube import api
from cube.query import Filter, Query
from data import ops_store
from marketing import guard
from marketing import settings as loop_settings
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted

OUTCOMES = ("declined", "interested", "accepted")
NOTE_MAX = 1000  # characters of a contact's note
AMOUNT_MAX = 1e12  # a typo guard: no single take-up is a trillion
FUTURE_SLACK = timedelta(minutes=5)  # clocks of a browser and the server differ a little
# the state of a member on a work list, from their contacts in the campaign
STATUSES = ("not_contacted", "not_reached", "reached", "declined", "interested", "accepted")
WORK_LIST_COLUMNS = [
    "campaign_id",
    "campaign_name",
    "customer_id",
    "customer_name",
    "branch_id",
    "manager_id",
    "recommended_product",
    "recommended_product_name",
    "segment",
    "propensity",
    "reason",
    "contacts",
    "last_contact_at",
    "last_outcome",
    "status",
    "limit_reached",
    "limit_until",
    "end_date",
]
HISTORY_COLUMNS = [
    "campaign_id",
    "campaign_name",
    "campaign_status",
    "arm",
    "contact_id",
    "contacted_at",
    "channel",
    "reached",
    "outcome",
    "product",
    "amount",
    "note",
    "recorded_by",
    "source",
]


@dataclass(frozen=True)
class ContactInput:
    """One contact as a manager enters it (or a call centre file's row).

    ``contacted_at`` is a datetime (naive: the bank's local time) or its ISO text; ``reached``
    a bool; ``outcome`` one of :data:`OUTCOMES` (only when reached); ``product`` a product code
    of the campaign (required when accepted); ``amount`` >= 0 (required > 0 when accepted, else
    empty).
    """

    campaign_id: int
    customer_id: int
    channel: str
    contacted_at: datetime | str
    reached: bool
    outcome: str | None = None
    product: str | None = None
    amount: float | None = None
    note: str | None = None


# --- time ----------------------------------------------------------------------------------------


def now() -> datetime:
    """The bank's local wall-clock time, to the second (contacts are stored as local time)."""
    return datetime.now().replace(microsecond=0)


def _stamp(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat(timespec="seconds")


def parse_time(value: Any, field: str = "contacted_at", row: int | None = None) -> datetime:
    """A contact time from a datetime, a date or ISO text (``2026-12-01 10:30``); aware times are
    turned into local time."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError:
            raise MarketingInputError(field, "not a date and time (e.g. 2026-12-01 10:30)", row) from None
    else:
        raise MarketingInputError(field, "required", row)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed.replace(microsecond=0)


# --- settings of the over-contact limit -----------------------------------------------------------


def contact_limit(con=None) -> tuple[int, int]:
    """(N, D): no customer is contacted more than N times in D days (admin setting)."""
    rule = loop_settings.load(con)
    return rule.contact_limit, rule.contact_window_days


# --- who may see which members --------------------------------------------------------------------


@dataclass(frozen=True)
class MemberScope:
    """Which campaign members a user works on: all, some branches, or one manager's."""

    all: bool = False
    branches: tuple[int, ...] = ()
    manager: int | None = None

    def sql(self, alias: str = "m") -> tuple[str, dict[str, Any]]:
        """A WHERE condition on the members table ``alias`` and its parameters."""
        if self.all:
            return "1 = 1", {}
        if self.manager is not None:
            return f"{alias}.manager_id = :scope_manager", {"scope_manager": self.manager}
        if self.branches:
            names = {f"scope_b{i}": b for i, b in enumerate(self.branches)}
            return f"{alias}.branch_id IN ({', '.join(':' + n for n in names)})", names
        return "1 = 0", {}

    def covers(self, branch_id: Any, manager_id: Any) -> bool:
        if self.all:
            return True
        if self.manager is not None:
            return manager_id is not None and int(manager_id) == self.manager
        return branch_id is not None and int(branch_id) in self.branches


def member_scope(user: User) -> MemberScope:
    """The members ``user`` works on: an administrator all, a branch manager their branch (or
    their region's branches), a relationship manager those assigned to them, others none."""
    if user.role == roles.ADMIN:
        return MemberScope(all=True)
    if user.role == roles.RELATIONSHIP_MANAGER and user.manager_id is not None:
        return MemberScope(manager=int(user.manager_id))
    if user.role == roles.BRANCH_MANAGER:
        if user.branch_id is not None:
            return MemberScope(branches=(int(user.branch_id),))
        if user.region_id is not None:
            return MemberScope(branches=visible_branches(user))
    return MemberScope()


def visible_branches(user: User) -> tuple[int, ...]:
    """The branches of the user's cube scope (a regional manager's branches)."""
    query = Query("customers", ("customers.customers",), ("customers.branch",))
    frame = api.execute(query, scope_of(user)).frame
    return tuple(int(b) for b in frame["customers.branch"].dropna())


def _require_recorder(user: User) -> None:
    if user.role not in roles.CONTACT_RECORDERS:
        raise NotPermitted(f"role {user.role} does not record contacts")


# --- validation (shared with outcome files) --------------------------------------------------------


def campaign_row(con, campaign_id: Any) -> dict:
    """The campaign's row with ``products`` and ``channels`` as lists; MarketingInputError if none."""
    try:
        cid = int(campaign_id)
    except (TypeError, ValueError, OverflowError):
        raise MarketingInputError("campaign_id", "not a campaign number") from None
    if isinstance(campaign_id, bool) or not 0 < cid < 2**63:
        raise MarketingInputError("campaign_id", "not a campaign number")
    row = con.execute("SELECT * FROM campaigns WHERE id = :id", {"id": cid}).fetchone()
    if row is None:
        raise MarketingInputError("campaign_id", f"no campaign {cid}")
    out = dict(zip(row.keys(), row, strict=True))
    out["products"] = list(json.loads(out["products"] or "[]"))
    out["channels"] = list(json.loads(out["channels"] or "[]"))
    return out


def _bool(value: Any, field: str, row: int | None) -> bool:
    if isinstance(value, bool):
        return value
    if (
        isinstance(value, int | float)
        and not (isinstance(value, float) and math.isnan(value))
        and value in (0, 1)
    ):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("1", "true", "yes", "y", "t", "是", "已接通"):
            return True
        if text in ("0", "false", "no", "n", "f", "否", "未接通"):
            return False
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MarketingInputError(field, "required (yes or no)", row)
    raise MarketingInputError(field, f"{str(value)[:40]!r} is not yes or no", row)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def parse_amount(value: Any, field: str, row: int | None) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise MarketingInputError(field, "not a number", row)
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise MarketingInputError(field, f"{str(value)[:40]!r} is not a number", row) from None
    if math.isnan(number):
        return None
    if not math.isfinite(number) or abs(number) > AMOUNT_MAX:
        raise MarketingInputError(field, "out of range", row)
    if number < 0:
        raise MarketingInputError(field, "must not be negative", row)
    return number


def clean_contact(data: ContactInput, campaign: dict, at_now: datetime, row: int | None = None) -> dict:
    """The contact's stored values, every field checked against ``campaign``; raises
    MarketingInputError naming the first wrong field (and ``row`` of a file)."""
    channel = _text(data.channel)
    if channel is None:
        raise MarketingInputError("channel", "required", row)
    if channel not in campaign["channels"]:
        allowed = ", ".join(campaign["channels"])
        raise MarketingInputError(
            "channel", f"{channel[:40]!r} is not a channel of this campaign ({allowed})", row
        )
    at = parse_time(data.contacted_at, "contacted_at", row)
    if at > at_now + FUTURE_SLACK:
        raise MarketingInputError("contacted_at", "is in the future", row)
    start = date.fromisoformat(str(campaign["start_date"])[:10])
    if at.date() < start:
        raise MarketingInputError(
            "contacted_at", f"is before the campaign's start ({start.isoformat()})", row
        )
    reached = _bool(data.reached, "reached", row)
    outcome = _text(data.outcome)
    outcome = outcome.lower() if outcome else None
    if outcome is not None and outcome not in OUTCOMES:
        raise MarketingInputError("outcome", f"{outcome[:40]!r} is not one of {', '.join(OUTCOMES)}", row)
    if outcome is not None and not reached:
        raise MarketingInputError("outcome", "only a reached customer has an outcome", row)
    product = _text(data.product)
    if product is not None and product not in campaign["products"]:
        allowed = ", ".join(campaign["products"])
        raise MarketingInputError(
            "product", f"{product[:40]!r} is not offered by this campaign ({allowed})", row
        )
    amount = parse_amount(data.amount, "amount", row)
    if outcome == "accepted":
        if product is None:
            raise MarketingInputError("product", "required when the customer accepted", row)
        if amount is None or amount <= 0:
            raise MarketingInputError("amount", "must be greater than 0 when the customer accepted", row)
    elif amount is not None:
        raise MarketingInputError("amount", "only an accepted offer has an amount (leave it empty)", row)
    note = _text(data.note)
    if note is not None and len(note) > NOTE_MAX:
        raise MarketingInputError("note", f"longer than {NOTE_MAX} characters", row)
    return {
        "channel": channel,
        "contacted_at": _stamp(at),
        "at": at,
        "reached": int(reached),
        "outcome": outcome,
        "product": product,
        "amount": amount,
        "note": note,
    }


def customer_number(value: Any, row: int | None = None) -> int:
    """A customer number as an int, or MarketingInputError naming ``customer_id``."""
    if isinstance(value, bool):
        raise MarketingInputError("customer_id", "not a customer number", row)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or len(text) > 18 or int(text) <= 0:
        raise MarketingInputError(
            "customer_id", f"{str(value)[:40]!r} is not a customer number" if text else "required", row
        )
    return int(text)


def member_row(con, campaign_id: int, customer_id: int, row: int | None = None) -> dict:
    """The campaign member; MarketingInputError when the customer is not one."""
    found = con.execute(
        "SELECT * FROM campaign_members WHERE campaign_id = :c AND customer_id = :k",
        {"c": campaign_id, "k": customer_id},
    ).fetchone()
    if found is None:
        raise MarketingInputError(
            "customer_id", f"customer {customer_id} is not a member of this campaign", row
        )
    return dict(zip(found.keys(), found, strict=True))


def check_target(member: dict, row: int | None = None) -> None:
    """Only the target arm is contacted: the control arm never, the excluded neither."""
    if member["arm"] == "control":
        raise MarketingInputError("customer_id", "in the control group: never contacted", row)
    if member["arm"] != "target":
        why = f" ({member['excluded_reason']})" if member.get("excluded_reason") else ""
        raise MarketingInputError("customer_id", f"excluded from this campaign{why}: not contacted", row)


def check_running(campaign: dict) -> None:
    if campaign["status"] != "running":
        raise MarketingInputError("campaign_id", f"the campaign is {campaign['status']}, not running")


def insert_contact(
    con, campaign_id: int, customer_id: int, member: dict, clean: dict, user: User, **extra
) -> int:
    """Check the over-contact guard and store the contact (inside the caller's transaction)."""
    guard.check_contact(con, customer_id, clean["at"])
    values = {k: v for k, v in clean.items() if k != "at"}
    values |= {
        "campaign_id": campaign_id,
        "customer_id": customer_id,
        "manager_id": member.get("manager_id"),
        "branch_id": member.get("branch_id"),
        "source": extra.get("source", "manual"),
        "import_id": extra.get("import_id"),
        "recorded_by": user.username,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return int(
        con.execute(
            "INSERT INTO campaign_contacts (campaign_id, customer_id, manager_id, branch_id, channel, "
            "contacted_at, reached, outcome, product, amount, note, source, import_id, recorded_by, "
            "recorded_at) VALUES (:campaign_id, :customer_id, :manager_id, :branch_id, :channel, "
            ":contacted_at, :reached, :outcome, :product, :amount, :note, :source, :import_id, "
            ":recorded_by, :recorded_at) RETURNING id",
            values,
        ).scalar()
    )


# --- recording ------------------------------------------------------------------------------------

# The store serialises writers anyway (one write transaction at a time); queueing this process's
# recording threads here first hands the store over at once, in turn, instead of leaving them to
# SQLite's busy handler, which sleeps a waiting writer for longer and longer (measured with 20
# threads: p95 747 ms through the busy handler).


class _FairLock:
    """A first-come, first-served lock (a ticket lock): Python's own Lock lets a thread that
    just released it take it again, and the last of 20 writers waited seconds."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()

    def __exit__(self, *_exc) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


_WRITERS = _FairLock()


def record(user: User, data: ContactInput) -> int:
    """Store one contact and return its id.

    Raises
    ------
    NotPermitted
        The role does not record contacts, or the member is not the user's (assigned to them,
        in their branch).
    MarketingInputError
        A wrong field (named), a customer who is not a target member of the running campaign
        (a control member: "in the control group: never contacted"), or the over-contact limit.
    """
    _require_recorder(user)
    scope = member_scope(user)
    customer_id = customer_number(data.customer_id)
    with _WRITERS, ops_store.transaction() as con:
        campaign = campaign_row(con, data.campaign_id)
        check_running(campaign)
        member = member_row(con, campaign["id"], customer_id)
        check_target(member)
        if not scope.covers(member["branch_id"], member["manager_id"]):
            raise NotPermitted(f"customer {customer_id} is not on {user.username}'s work list")
        clean = clean_contact(data, campaign, now())
        contact_id = insert_contact(con, campaign["id"], customer_id, member, clean, user)
        detail = {
            "campaign": campaign["id"],
            "customer": customer_id,
            "contact": contact_id,
            "reached": bool(clean["reached"]),
            "outcome": clean["outcome"],
        }
        audit.record_in(con, user.username, "contact_record", json.dumps(detail))
    return contact_id


# --- the work list --------------------------------------------------------------------------------


def running_campaigns(user: User) -> pd.DataFrame:
    """The running campaigns with target members on the user's work list: ``id``, ``name``,
    ``start_date``, ``end_date``, ``products`` and ``channels`` (lists of codes)."""
    _require_recorder(user)
    where, params = member_scope(user).sql("m")
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT c.id, c.name, c.start_date, c.end_date, c.products, c.channels FROM campaigns c "
            "WHERE c.status = 'running' "
            "AND EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = c.id "
            f"AND m.arm = 'target' AND {where}) "
            "ORDER BY c.id",
            params,
        ).fetchall()
    finally:
        con.close()
    columns = ["id", "name", "start_date", "end_date", "products", "channels"]
    out = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    for column in ("products", "channels"):
        out[column] = [list(json.loads(v or "[]")) for v in out[column]]
    return out


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _status(contacts: int, accepted: int, last_reached: Any, last_outcome: Any) -> str:
    if accepted:
        return "accepted"
    if not contacts:
        return "not_contacted"
    if not last_reached:
        return "not_reached"
    return last_outcome or "reached"


def limit_state(con, customer_ids: list[int], at: datetime | None = None) -> dict[int, date]:
    """Customers at the over-contact limit at ``at``: customer -> the day they may be contacted
    again (N contacts in the D days before ``at``, across campaigns)."""
    if not customer_ids:
        return {}
    at = at or now()
    limit, days = contact_limit(con)
    since = _stamp(at - timedelta(days=days + 1))  # a day more: the window is checked exactly below
    found: dict[int, list[datetime]] = {}
    chunk = 500
    for i in range(0, len(customer_ids), chunk):
        part = customer_ids[i : i + chunk]
        names = {f"k{j}": int(c) for j, c in enumerate(part)}
        rows = con.execute(
            "SELECT customer_id, contacted_at FROM campaign_contacts WHERE contacted_at >= :since "
            f"AND customer_id IN ({', '.join(':' + n for n in names)})",
            {"since": since, **names},
        ).fetchall()
        for cust, when in rows:
            stamp = guard.parse_time(when)
            if at - timedelta(days=days) < stamp <= at:  # the guard's window
                found.setdefault(int(cust), []).append(stamp)
    out = {}
    for cust, times in found.items():
        if len(times) >= limit:
            times.sort()
            out[cust] = (times[len(times) - limit] + timedelta(days=days)).date()
    return out


def _names(customer_ids: list[int], user: User, lang: str) -> dict[int, str]:
    """Customer names as the cube's drill-through shows them to ``user`` (masked as the role
    requires); customers outside the user's cube scope get none."""
    if not customer_ids:
        return {}
    scope = scope_of(user)
    months = api.execute(Query("customers", ("customers.customers",), ("customers.month",)), scope).frame
    if months.empty:
        return {}
    latest = pd.Timestamp(months["customers.month"].max()).date()
    out: dict[int, str] = {}
    size = api.MAX_PAGE_SIZE
    for i in range(0, len(customer_ids), size):
        part = tuple(int(c) for c in customer_ids[i : i + size])
        filters = (Filter("customers.customer", "in", part), Filter("customers.month", "eq", (latest,)))
        frame = api.drill_through("customers", filters, scope, 0, size, lang).frame
        out.update(zip(frame["customer_id"].astype("int64"), frame["customer_name"].astype(str), strict=True))
    return out


def _product_names(codes, user: User, lang: str) -> dict[str, str]:
    from cube.views import cross_sell

    codes = [c for c in dict.fromkeys(codes) if isinstance(c, str) and c]
    return cross_sell.product_names(codes, scope_of(user), lang) if codes else {}


def work_list(user: User, campaign_id: int | None = None, lang: str = "en") -> pd.DataFrame:
    """The assigned target customers of running campaigns on the user's work list (columns
    :data:`WORK_LIST_COLUMNS`; ``status`` one of :data:`STATUSES`; ``limit_reached`` with
    ``limit_until``, the day the over-contact limit lets them be contacted again)."""
    _require_recorder(user)
    where, params = member_scope(user).sql("m")
    if campaign_id is not None:
        where += " AND m.campaign_id = :campaign"
        params["campaign"] = int(campaign_id)
    con = ops_store.connect()
    try:
        members = _frame(
            con.execute(
                "SELECT m.campaign_id, c.name, m.customer_id, m.branch_id, m.manager_id, "
                "m.recommended_product, m.segment, m.propensity, m.reason, c.end_date "
                "FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id "
                f"WHERE c.status = 'running' AND m.arm = 'target' AND {where} "
                "ORDER BY m.campaign_id, m.propensity IS NULL, m.propensity DESC, m.customer_id",
                params,
            ).fetchall(),
            [
                "campaign_id",
                "campaign_name",
                "customer_id",
                "branch_id",
                "manager_id",
                "recommended_product",
                "segment",
                "propensity",
                "reason",
                "end_date",
            ],
        )
        if members.empty:
            return pd.DataFrame(columns=WORK_LIST_COLUMNS)
        stats = _frame(
            con.execute(
                "SELECT k.campaign_id, k.customer_id, k.contacted_at, k.reached, k.outcome, k.id "
                "FROM campaign_contacts k JOIN campaign_members m ON m.campaign_id = k.campaign_id "
                "AND m.customer_id = k.customer_id JOIN campaigns c ON c.id = m.campaign_id "
                f"WHERE c.status = 'running' AND m.arm = 'target' AND {where}",
                params,
            ).fetchall(),
            ["campaign_id", "customer_id", "contacted_at", "reached", "outcome", "id"],
        )
        limited = limit_state(con, sorted({int(c) for c in members["customer_id"]}))
    finally:
        con.close()
    key = ["campaign_id", "customer_id"]
    if len(stats):
        stats = stats.sort_values(["contacted_at", "id"])
        agg = stats.groupby(key).agg(
            contacts=("id", "size"),
            accepted=("outcome", lambda s: int((s == "accepted").sum())),
            last_contact_at=("contacted_at", "last"),
            last_reached=("reached", "last"),
            last_outcome=("outcome", "last"),
        )
        out = members.merge(agg.reset_index(), on=key, how="left")
    else:
        out = members.assign(
            contacts=0, accepted=0, last_contact_at=None, last_reached=None, last_outcome=None
        )
    out["contacts"] = out["contacts"].fillna(0).astype("int64")
    out["accepted"] = out["accepted"].fillna(0).astype("int64")
    out["status"] = [
        _status(n, a, r, o)
        for n, a, r, o in zip(
            out["contacts"], out["accepted"], out["last_reached"], out["last_outcome"], strict=True
        )
    ]
    out["last_outcome"] = out["last_outcome"].astype(object).where(out["last_outcome"].notna(), None)
    ids = [int(c) for c in out["customer_id"]]
    out["limit_until"] = [limited.get(c) for c in ids]
    out["limit_reached"] = [c in limited for c in ids]
    names = _names(sorted(set(ids)), user, lang)
    out["customer_name"] = [names.get(c) for c in ids]
    products = _product_names(out["recommended_product"], user, lang)
    out["recommended_product_name"] = [products.get(p, p) for p in out["recommended_product"]]
    return out[WORK_LIST_COLUMNS].reset_index(drop=True)


# --- one customer's loop history ------------------------------------------------------------------


def customer_visible(user: User, customer_id: int) -> bool:
    """Whether the customer is in the user's cube scope (what Customer 360 opens)."""
    scope = scope_of(user)
    if not scope.customer_rows:
        return False
    query = Query(
        "customers", ("customers.customers",), (), (Filter("customers.customer", "eq", (customer_id,)),)
    )
    frame = api.execute(query, scope).frame
    return bool(len(frame)) and float(frame["customers.customers"].fillna(0).iloc[0]) > 0


def history(user: User, customer_id: Any) -> pd.DataFrame:
    """The loop's campaigns and contacts of one customer within the user's scope, latest first
    (columns :data:`HISTORY_COLUMNS`; one row per contact, and one per campaign the customer is
    a member of without contacts, ``contact_id`` null).

    A customer of the user's cube scope shows every campaign; otherwise only the memberships on
    the user's work list. Roles that see identities masked get no contact notes (free text may
    name the customer). Presenters (aggregates only) are refused.
    """
    if not roles.may_see_customers(user.role):
        raise NotPermitted(f"role {user.role} sees no customer rows")
    cid = customer_number(customer_id)
    if customer_visible(user, cid):
        where, params = "1 = 1", {}
    else:
        where, params = member_scope(user).sql("m")
    params["customer"] = cid
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT m.campaign_id, c.name, c.status, m.arm, k.id, k.contacted_at, k.channel, k.reached, "
            "k.outcome, k.product, k.amount, k.note, k.recorded_by, k.source "
            "FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id "
            "LEFT JOIN campaign_contacts k ON k.campaign_id = m.campaign_id "
            "AND k.customer_id = m.customer_id "
            f"WHERE m.customer_id = :customer AND c.status IN ('running', 'closed') AND {where} "
            "ORDER BY k.contacted_at DESC, k.id DESC, m.campaign_id DESC",
            params,
        ).fetchall()
    finally:
        con.close()
    out = _frame(rows, HISTORY_COLUMNS)
    out = out.sort_values(["contacted_at", "contact_id", "campaign_id"], ascending=False, na_position="last")
    if roles.masks_identities(user.role):
        out["note"] = None
    out["reached"] = out["reached"].map(lambda v: None if v is None or pd.isna(v) else bool(v))
    return out.reset_index(drop=True)
