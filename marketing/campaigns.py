"""Campaigns (营销活动): create from a customer group with a control group held out, and the
lifecycle draft -> submitted -> approved (a marketing head, never the submitter or the maker:
four eyes) -> running -> closed; a submitted campaign can be rejected back to draft or for good,
with a note.

Every transition checks the role, the current status and the row version in one write
transaction (``UPDATE ... WHERE id = :id AND status = :from AND version = :v``) and writes its
audit row in that transaction, so two heads approving at once give one approval and one clear
"already approved by X".

Members are drawn at create (and at update of a draft): the group's stored members that the
maker's scope holds in the latest month (cube.views.groups.describe); the control arm held out
at random per branch (marketing.control); the recommended product = the customer's published
best offer when the campaign offers it, else the first product offered; the target arm
assigned as a preview (marketing.assignment), assigned again at approval, when the over-contact
guard (marketing.guard) also resolves the conflicts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from auth import audit, roles
from auth.users import User
from cube import api
from cube.api import Query, Scope
from data import ops_schema, ops_store
from marketing import assignment, control, guard
from marketing import settings as loop_settings
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted, StaleCampaign

STATUSES = ("draft", "submitted", "approved", "running", "closed", "rejected")
MAX_NAME = 120
MAX_TEXT = 2000
MAX_CONTROL_SHARE = 0.5
SEGMENT_QUERY = Query("customers", measures=("customers.customers",), dimensions=("customers.segment",))
# who may start and close an approved campaign
RUNNERS = roles.CAMPAIGN_MAKERS | roles.CAMPAIGN_APPROVERS


@dataclass(frozen=True)
class CampaignInput:
    """What a maker enters; :func:`create` checks every field and names the wrong one."""

    name: str
    objective: str = ""
    products: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    start_date: dt.date | str | None = None
    end_date: dt.date | str | None = None
    cost_per_contact: float | str | None = 0.0
    budget: float | str | None = None
    group_id: int | str | None = None
    control_share: float | str | None = 0.1
    priority: int | str | None = 5


@dataclass(frozen=True)
class Campaign:
    """A stored campaign: every column of the campaigns table (products and channels as
    tuples, dates as dates) and its members by arm (as the reader may see them)."""

    id: int
    name: str
    objective: str
    products: tuple[str, ...]
    channels: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date
    cost_per_contact: float
    budget: float
    group_id: int
    control_share: float
    seed: int
    priority: int
    status: str
    data_version: str | None
    response_run_id: str | None
    created_by: str
    created_at: str
    submitted_by: str | None
    submitted_at: str | None
    approved_by: str | None
    approved_at: str | None
    started_at: str | None
    closed_by: str | None
    closed_at: str | None
    version: int
    review_note: str | None = None
    targets: int = 0
    controls: int = 0
    excluded: int = 0
    group_name: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def members(self) -> int:
        return self.targets + self.controls + self.excluded


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- validation ---------------------------------------------------------------------------------


def known_products(lang: str = "en") -> dict[str, str]:
    """Product code -> name of every product of the warehouse (what a campaign may offer)."""
    from cube.views.campaign_products import product_rates

    frame = product_rates()
    names = frame["name_zh" if lang.startswith("zh") else "name_en"].astype(str)
    return dict(sorted(zip(frame["product_code"].astype(str), names, strict=True)))


def groups_for(user: User) -> list[dict[str, Any]]:
    """The customer groups ``user`` may build a campaign on: ``id``, ``name``, ``member_count``."""
    from marketing import groups

    return [{"id": g.id, "name": g.name, "member_count": g.member_count} for g in groups.list_for(user)]


def known_channels(lang: str = "en") -> dict[str, str]:
    """Channel code -> name of the channels a campaign may use (the contract's codes)."""
    from cube.views.channels import channel_names

    return channel_names(lang)


def _number(value: Any, name: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MarketingInputError(name, "required")
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise MarketingInputError(name, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise MarketingInputError(name, "must be a finite number")
    return number


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or not str(value).strip():
        raise MarketingInputError(name, "required")
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise MarketingInputError(name, f"{value!r} is not a date (YYYY-MM-DD)") from None


def _codes(values: Any, known: dict[str, str], name: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").split(",")]
    codes = tuple(dict.fromkeys(str(v).strip() for v in (values or ()) if str(v).strip()))
    if not codes:
        raise MarketingInputError(name, "choose at least one")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise MarketingInputError(name, f"unknown code(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return codes


@dataclass(frozen=True)
class _Clean:
    name: str
    objective: str
    products: tuple[str, ...]
    channels: tuple[str, ...]
    start_date: dt.date
    end_date: dt.date
    cost_per_contact: float
    budget: float
    group_id: int
    control_share: float
    priority: int


def validate(data: CampaignInput) -> _Clean:
    """Every field of ``data`` checked (the group's existence is checked by :func:`create`).

    Raises
    ------
    MarketingInputError
        Naming the first wrong field.
    """
    name = str(data.name or "").strip()
    if not name:
        raise MarketingInputError("name", "required")
    if len(name) > MAX_NAME:
        raise MarketingInputError("name", f"at most {MAX_NAME} characters")
    objective = str(data.objective or "").strip()
    if len(objective) > MAX_TEXT:
        raise MarketingInputError("objective", f"at most {MAX_TEXT} characters")
    products = _codes(data.products, known_products(), "products")
    channels = _codes(data.channels, known_channels(), "channels")
    start = _date(data.start_date, "start_date")
    if start < _today():
        raise MarketingInputError("start_date", f"is in the past (today is {_today().isoformat()})")
    end = _date(data.end_date, "end_date")
    if end < start:
        raise MarketingInputError("end_date", "is before the start date")
    cost = _number(data.cost_per_contact if data.cost_per_contact is not None else 0, "cost_per_contact")
    if cost < 0:
        raise MarketingInputError("cost_per_contact", "must not be negative")
    budget = _number(data.budget, "budget")
    if budget <= 0:
        raise MarketingInputError("budget", "must be more than 0")
    share = _number(data.control_share if data.control_share is not None else 0, "control_share")
    if share > 1:  # a percentage typed into a share field
        share = share / 100
    if not 0 <= share <= MAX_CONTROL_SHARE:
        raise MarketingInputError("control_share", "must be from 0 to 50%")
    priority = _number(data.priority if data.priority is not None else 5, "priority")
    if priority != int(priority) or not 1 <= priority <= 9:
        raise MarketingInputError("priority", "must be a whole number from 1 (first) to 9")
    group = data.group_id
    if group is None or not str(group).strip():
        raise MarketingInputError("group_id", "choose a customer group")
    try:
        group_id = int(str(group).strip())
    except ValueError:
        raise MarketingInputError("group_id", f"{group!r} is not a group") from None
    return _Clean(
        name, objective, products, channels, start, end, cost, budget, group_id, share, int(priority)
    )


# --- members ------------------------------------------------------------------------------------


def _group_members(user: User, group_id: int) -> np.ndarray:
    """The ids of the group's members ``user`` may see (marketing.groups: owner, shared with
    them, or an administrator; sharing never widens the scope)."""
    from marketing import groups

    return np.sort(groups.members(user, group_id)["customer_id"].to_numpy(dtype=np.int64))


def _describe(ids: np.ndarray, scope: Scope) -> pd.DataFrame:
    from cube.views.groups import describe

    return describe(ids, scope)


def _segment_names() -> dict[int, tuple[str, str]]:
    if not api.scored("customers.segment"):
        return {}
    label = api.label_column("customers.segment")
    found: dict[int, list[str]] = {}
    for lang in ("en", "zh"):
        frame = api.execute(SEGMENT_QUERY, Scope.all(identities=False), lang).frame.dropna(
            subset=["customers.segment"]
        )
        for key, name in zip(frame["customers.segment"], frame[label], strict=True):
            found.setdefault(int(key), []).append(str(name))
    return {k: (v[0], v[-1]) for k, v in found.items()}


def _reason(seg, texts, offer, score, product, best) -> str:
    """The reason JSON of one member, written directly (json.dumps per row costs seconds at
    100,000 members); product codes and names were checked or quoted already."""
    offer_text = json.dumps(offer) if isinstance(offer, str) else "null"
    score_text = "null" if score != score else repr(round(float(score), 6))
    why = "best_offer" if best else "first_offered"
    return (
        f'{{"segment": {"null" if seg is None else seg}, "segment_name": {texts[0]}, '
        f'"segment_name_zh": {texts[1]}, "best_offer": {offer_text}, "offer_score": {score_text}, '
        f'"product": "{product}", "why": "{why}"}}'
    )


def draw(clean: _Clean, described: pd.DataFrame, seed: int, capacity: int, by: str) -> pd.DataFrame:
    """The member rows of a campaign (without ``campaign_id``) from the group's members as the
    maker sees them (``describe`` columns), customers by id."""
    frame = described.sort_values("customer_id").reset_index(drop=True)
    branch = frame["branch_id"].astype("float64").to_numpy()
    is_control = control.hold_out(branch, clean.control_share, seed)
    offers = frame["best_offer"].astype(object).to_numpy()
    offered = set(clean.products)
    is_best = np.array([o in offered for o in offers], dtype=bool)
    recommended = np.where(is_best, offers, clean.products[0])
    score = pd.to_numeric(frame["offer_score"], errors="coerce").to_numpy(dtype="float64")
    propensity = np.where(is_best, score, np.nan)
    names = _segment_names()
    segments = frame["segment"].to_numpy(dtype=object)
    manager = np.full(len(frame), np.nan)
    target = ~is_control
    manager[target] = assignment.plan(
        branch[target], frame["manager_id"].to_numpy()[target], assignment.staff(), capacity
    )
    now = _now()
    seg_ids = [None if v is None or pd.isna(v) else int(v) for v in segments]
    seg_names = [names.get(v, (None, None)) if v is not None else (None, None) for v in seg_ids]
    quoted = {
        k: (json.dumps(en, ensure_ascii=False), json.dumps(zh, ensure_ascii=False))
        for k, (en, zh) in names.items()
    }
    seg_texts = [quoted.get(v, ("null", "null")) for v in seg_ids]
    products = [str(p) for p in recommended]
    reasons = [
        _reason(seg, texts, offer, sc, product, best)
        for seg, texts, offer, sc, product, best in zip(
            seg_ids, seg_texts, offers, score.tolist(), products, is_best.tolist(), strict=True
        )
    ]
    controls = is_control.tolist()
    return pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(dtype=np.int64),
            "arm": np.where(is_control, "control", "target"),
            "branch_id": pd.array(branch, dtype="Float64").astype("Int64"),
            "manager_id": pd.array(manager, dtype="Float64").astype("Int64"),
            "segment": [
                en if en is not None else (None if k is None else str(k))
                for (en, _), k in zip(seg_names, seg_ids, strict=True)
            ],
            "recommended_product": products,
            "propensity": propensity,
            "reason": reasons,
            "excluded_reason": None,
            "assigned_by": [None if c else by for c in controls],
            "assigned_at": [None if c else now for c in controls],
        }
    )


def _members_for(user: User, clean: _Clean, seed: int) -> tuple[pd.DataFrame, str | None]:
    capacity = loop_settings.load().manager_capacity
    ids = _group_members(user, clean.group_id)
    if not len(ids):
        raise MarketingInputError("group_id", "the customer group has no customers")
    described = _describe(ids, scope_of(user))
    if described.empty:
        raise MarketingInputError("group_id", "none of the group's customers is within your scope today")
    rows = draw(clean, described, seed, capacity, user.username)
    targets = int((rows["arm"] == "target").sum())
    if targets == 0:
        raise MarketingInputError("control_share", "leaves no target customers")
    if clean.cost_per_contact * targets > clean.budget + 1e-9:
        need = clean.cost_per_contact * targets
        raise MarketingInputError(
            "budget",
            f"{clean.budget:,.2f} does not cover {targets:,} target customers at "
            f"{clean.cost_per_contact:,.2f} a contact ({need:,.2f} needed)",
        )
    return rows, described.attrs.get("data_version")


_MEMBER_COLUMNS = (
    "customer_id",
    "arm",
    "branch_id",
    "manager_id",
    "segment",
    "recommended_product",
    "propensity",
    "reason",
    "excluded_reason",
    "assigned_by",
    "assigned_at",
)


def _column(values: pd.Series) -> list:
    """A column as plain Python values for the driver, missing values None."""
    if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(values.dtype):
        missing = values.isna().to_numpy()
        plain = values.astype("float64").to_numpy() if missing.any() else values.to_numpy()
        out = plain.tolist()
        if pd.api.types.is_integer_dtype(values.dtype):
            out = [None if m else int(v) for v, m in zip(out, missing.tolist(), strict=True)]
        elif missing.any():
            out = [None if m else v for v, m in zip(out, missing.tolist(), strict=True)]
        return out
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values.tolist()
    ]


def _insert_members(con: ops_store.StoreConnection, campaign_id: int, rows: pd.DataFrame) -> None:
    """All member rows at once (guard.bulk_insert: 100,000 rows in about a second)."""
    data = [_column(rows[c]) for c in _MEMBER_COLUMNS]
    records = list(zip([campaign_id] * len(rows), *data, strict=True))
    guard.bulk_insert(con, "campaign_members", ("campaign_id", *_MEMBER_COLUMNS), records)


# --- create and update --------------------------------------------------------------------------


def _check_maker(user: User) -> None:
    if not roles.may_make_campaigns(user.role):
        raise NotPermitted(f"role {user.role} may not make campaigns")


def create(user: User, data: CampaignInput) -> Campaign:
    """A new draft campaign with its members drawn from the group (see the module), audited.

    Raises
    ------
    NotPermitted
        A role that may not make campaigns.
    MarketingInputError
        Naming the wrong field (the budget when it does not cover the target customers).
    """
    _check_maker(user)
    clean = validate(data)
    seed = secrets.randbelow(2**31 - 1)
    rows, version = _members_for(user, clean, seed)
    now = _now()
    with ops_store.transaction() as con:
        campaign_id = int(
            con.execute(
                "INSERT INTO campaigns (name, objective, products, channels, start_date, end_date, "
                "cost_per_contact, budget, group_id, control_share, seed, priority, status, data_version, "
                "created_by, created_at, version) VALUES (:name, :objective, :products, :channels, :start, "
                ":end, :cost, :budget, :group, :share, :seed, :priority, 'draft', :dv, :by, :at, 0) "
                "RETURNING id",
                _params(clean) | {"seed": seed, "dv": version, "by": user.username, "at": now},
            ).scalar()
        )
        _insert_members(con, campaign_id, rows)
        audit.record_in(
            con,
            user.username,
            "campaign_create",
            json.dumps(
                {"campaign": campaign_id, "name": clean.name, "group": clean.group_id, "members": len(rows)},
                ensure_ascii=False,
            ),
        )
    return _unchecked(campaign_id)


def _params(clean: _Clean) -> dict[str, Any]:
    return {
        "name": clean.name,
        "objective": clean.objective,
        "products": json.dumps(list(clean.products)),
        "channels": json.dumps(list(clean.channels)),
        "start": clean.start_date.isoformat(),
        "end": clean.end_date.isoformat(),
        "cost": clean.cost_per_contact,
        "budget": clean.budget,
        "group": clean.group_id,
        "share": clean.control_share,
        "priority": clean.priority,
    }


def update(user: User, campaign_id: int, data: CampaignInput, version: int) -> Campaign:
    """Change a draft (its maker or an administrator); the members are drawn again. Audited.

    Raises
    ------
    StaleCampaign
        The campaign changed since ``version`` was read, or is no longer a draft.
    """
    _check_maker(user)
    clean = validate(data)
    seed = secrets.randbelow(2**31 - 1)
    rows, data_version = _members_for(user, clean, seed)
    with ops_store.transaction() as con:
        row = _row(con, campaign_id)
        if row["created_by"] != user.username and user.role != roles.ADMIN:
            raise NotPermitted("only the campaign's maker changes a draft")
        if row["status"] != "draft":
            raise StaleCampaign(f"the campaign is {row['status']}: only a draft can be changed")
        done = con.execute(
            "UPDATE campaigns SET name = :name, objective = :objective, products = :products, "
            "channels = :channels, start_date = :start, end_date = :end, cost_per_contact = :cost, "
            "budget = :budget, group_id = :group, control_share = :share, priority = :priority, "
            "seed = :seed, data_version = :dv, version = version + 1 "
            "WHERE id = :id AND status = 'draft' AND version = :v",
            _params(clean) | {"seed": seed, "dv": data_version, "id": int(campaign_id), "v": int(version)},
        )
        if done.rowcount != 1:
            raise StaleCampaign("someone changed the campaign since you opened it: reload it")
        con.execute("DELETE FROM campaign_members WHERE campaign_id = :id", {"id": int(campaign_id)})
        _insert_members(con, int(campaign_id), rows)
        audit.record_in(
            con,
            user.username,
            "campaign_update",
            json.dumps({"campaign": int(campaign_id), "members": len(rows)}),
        )
    return _unchecked(campaign_id)


# --- lifecycle ----------------------------------------------------------------------------------


def _row(con: ops_store.StoreConnection, campaign_id: Any) -> dict:
    try:
        cid = int(campaign_id)
    except (TypeError, ValueError):
        raise MarketingInputError("campaign_id", f"{campaign_id!r} is not a campaign") from None
    row = con.execute("SELECT * FROM campaigns WHERE id = :id", {"id": cid}).fetchone()
    if row is None:
        raise MarketingInputError("campaign_id", f"no campaign {cid}")
    return dict(zip(row.keys(), row, strict=True))


def _already(row: dict) -> str:
    status = row["status"]
    if status == "approved" and row["approved_by"]:
        return f"already approved by {row['approved_by']} at {row['approved_at']}"
    if status == "submitted" and row["submitted_by"]:
        return f"already submitted by {row['submitted_by']} at {row['submitted_at']}"
    if status == "running":
        return f"already running since {row['started_at']}"
    if status == "closed":
        return f"already closed by {row['closed_by']} at {row['closed_at']}"
    if status == "rejected":
        return "rejected" + (f": {row['review_note']}" if row.get("review_note") else "")
    return f"the campaign is {status}"


def _transition(
    user: User,
    campaign_id: Any,
    *,
    action: str,
    allowed: set[str] | frozenset[str],
    from_status: str,
    to_status: str,
    sets: dict[str, Any],
    version: int | None = None,
    check=None,
    inside=None,
) -> Campaign:
    if user.role not in allowed:
        raise NotPermitted(f"role {user.role} may not {action} campaigns")
    with ops_store.transaction() as con:
        row = _row(con, campaign_id)
        if row["status"] != from_status:
            raise StaleCampaign(_already(row))
        if version is not None and int(version) != int(row["version"]):
            raise StaleCampaign("someone changed the campaign since you opened it: reload it")
        if check is not None:
            check(row)
        detail: dict[str, Any] = {"campaign": row["id"], "from": from_status, "to": to_status}
        if inside is not None:
            detail |= inside(con, row) or {}
        assignments = ", ".join(f"{k} = :{k}" for k in sets)
        done = con.execute(
            f"UPDATE campaigns SET status = :to_status, {assignments}, version = version + 1 "
            "WHERE id = :id AND status = :from_status AND version = :v",
            sets | {"to_status": to_status, "from_status": from_status, "id": row["id"], "v": row["version"]},
        )
        if done.rowcount != 1:
            raise StaleCampaign("someone changed the campaign since you opened it: reload it")
        audit.record_in(con, user.username, f"campaign_{action}", json.dumps(detail, ensure_ascii=False))
    return _unchecked(row["id"])


def submit(user: User, campaign_id: Any, version: int | None = None) -> Campaign:
    """Draft -> submitted (campaign makers)."""
    return _transition(
        user,
        campaign_id,
        action="submit",
        allowed=roles.CAMPAIGN_MAKERS,
        from_status="draft",
        to_status="submitted",
        sets={"submitted_by": user.username, "submitted_at": _now()},
        version=version,
    )


def approve(
    user: User, campaign_id: Any, resolution: str = "keep_existing", version: int | None = None
) -> Campaign:
    """Submitted -> approved (a marketing head who neither made nor submitted it): the
    over-contact conflicts resolved as ``resolution`` says (guard.RESOLUTIONS) and the target
    arm assigned, in the same transaction. ``Campaign.extra`` holds what the guard did.

    Raises
    ------
    NotPermitted
        Not an approver, or the campaign's maker or submitter (four eyes).
    StaleCampaign
        Not submitted any more ("already approved by X at T").
    """
    if resolution not in guard.RESOLUTIONS:
        raise MarketingInputError("resolution", f"must be one of {', '.join(guard.RESOLUTIONS)}")
    now = _now()
    done: dict[str, Any] = {}

    def four_eyes(row: dict) -> None:
        if user.username in (row["submitted_by"], row["created_by"]):
            raise NotPermitted(
                "four eyes: a campaign is approved by someone who neither made nor submitted it"
            )

    def inside(con: ops_store.StoreConnection, row: dict) -> dict:
        resolved = guard.resolve(con, row, resolution, user.username, now)
        assigned = assignment.assign(con, row["id"], user.username)
        done.update(resolved)
        return {
            "resolution": resolution,
            "excluded": len(resolved["excluded"]),
            "yielded": {str(k): len(v) for k, v in resolved["yielded"].items()},
            **assigned,
        }

    approved = _transition(
        user,
        campaign_id,
        action="approve",
        allowed=roles.CAMPAIGN_APPROVERS,
        from_status="submitted",
        to_status="approved",
        sets={"approved_by": user.username, "approved_at": now},
        version=version,
        check=four_eyes,
        inside=inside,
    )
    approved.extra.update(done)
    return approved


def reject(
    user: User, campaign_id: Any, note: str, final: bool = False, version: int | None = None
) -> Campaign:
    """Submitted -> back to draft (or ``final``: rejected for good) with a ``note`` (approvers)."""
    note = str(note or "").strip()
    if not note:
        raise MarketingInputError("note", "say why the campaign is rejected")
    if len(note) > MAX_TEXT:
        raise MarketingInputError("note", f"at most {MAX_TEXT} characters")
    return _transition(
        user,
        campaign_id,
        action="reject",
        allowed=roles.CAMPAIGN_APPROVERS,
        from_status="submitted",
        to_status="rejected" if final else "draft",
        sets={"review_note": note, "submitted_by": None, "submitted_at": None},
        version=version,
    )


def start(user: User, campaign_id: Any, version: int | None = None) -> Campaign:
    """Approved -> running (makers and approvers): the work lists show it from now on."""
    return _transition(
        user,
        campaign_id,
        action="start",
        allowed=RUNNERS,
        from_status="approved",
        to_status="running",
        sets={"started_at": _now()},
        version=version,
    )


def close(user: User, campaign_id: Any, version: int | None = None) -> Campaign:
    """Running -> closed (makers and approvers): no more contacts; the evaluation is final."""
    return _transition(
        user,
        campaign_id,
        action="close",
        allowed=RUNNERS,
        from_status="running",
        to_status="closed",
        sets={"closed_by": user.username, "closed_at": _now()},
        version=version,
    )


# --- reading ------------------------------------------------------------------------------------

_COLUMNS = tuple(c.name for c in ops_schema.campaigns.columns)
_FIELDS = {f.name for f in fields(Campaign)}


def _campaign(row: dict, counts: dict[str, int], group_name: str | None) -> Campaign:
    values = {k: row.get(k) for k in _COLUMNS if k in _FIELDS}
    values["products"] = tuple(json.loads(row["products"] or "[]"))
    values["channels"] = tuple(json.loads(row["channels"] or "[]"))
    values["start_date"] = dt.date.fromisoformat(row["start_date"])
    values["end_date"] = dt.date.fromisoformat(row["end_date"])
    return Campaign(
        **values,
        targets=counts.get("target", 0),
        controls=counts.get("control", 0),
        excluded=counts.get("excluded", 0),
        group_name=group_name,
    )


def may_read(user: User) -> bool:
    """Whether ``user`` may open the campaigns list at all (relationship managers have their
    work list; presenters nothing)."""
    return user.role in roles.CAMPAIGN_READERS or user.role in roles.CAMPAIGN_APPROVERS


def list_for(user: User) -> list[Campaign]:
    """The campaigns ``user`` may see, newest first, with member counts as they may see them:
    head office every campaign but other people's drafts (administrators all), a branch manager
    those submitted or later with members in their branch (their branch's counts), a
    relationship manager those approved or later with customers assigned to them."""
    where, params = assignment.member_filter(user)
    head_office = user.role in assignment.HEAD_OFFICE
    con = ops_store.connect()
    try:
        counts: dict[int, dict[str, int]] = {}
        for cid, arm, n in con.execute(
            f"SELECT m.campaign_id, m.arm, count(*) FROM campaign_members m WHERE {where} "
            "GROUP BY m.campaign_id, m.arm",
            params,
        ).fetchall():
            counts.setdefault(int(cid), {})[arm] = int(n)
        rows = con.execute(
            "SELECT c.*, g.name AS group_name FROM campaigns c "
            "LEFT JOIN customer_groups g ON g.id = c.group_id ORDER BY c.id DESC"
        ).fetchall()
    finally:
        con.close()
    out = []
    for row in rows:
        values = dict(zip(row.keys(), row, strict=True))
        cid = int(values["id"])
        if head_office:
            if (
                values["status"] == "draft"
                and values["created_by"] != user.username
                and user.role != roles.ADMIN
            ):
                continue
        elif user.role == roles.BRANCH_MANAGER:
            if values["status"] in ("draft", "rejected") or cid not in counts:
                continue
        elif user.role == roles.RELATIONSHIP_MANAGER:
            if values["status"] not in ("approved", "running", "closed") or cid not in counts:
                continue
        else:
            continue
        out.append(_campaign(values, counts.get(cid, {}), values.get("group_name")))
    return out


def _unchecked(campaign_id: Any) -> Campaign:
    """A campaign with all its members counted (for the one who just changed it)."""
    con = ops_store.connect()
    try:
        row = _row(con, campaign_id)
        counts = {
            arm: int(n)
            for arm, n in con.execute(
                "SELECT arm, count(*) FROM campaign_members WHERE campaign_id = :id GROUP BY arm",
                {"id": row["id"]},
            ).fetchall()
        }
        group = con.execute(
            "SELECT name FROM customer_groups WHERE id = :id", {"id": row["group_id"]}
        ).scalar()
    finally:
        con.close()
    return _campaign(row, counts, group)


def get(user: User, campaign_id: Any) -> Campaign:
    """One campaign as :func:`list_for` shows it.

    Raises
    ------
    MarketingInputError
        No such campaign (field ``campaign_id``).
    NotPermitted
        The campaign exists but ``user`` may not see it.
    """
    con = ops_store.connect()
    try:
        _row(con, campaign_id)
    finally:
        con.close()
    for campaign in list_for(user):
        if campaign.id == int(campaign_id):
            return campaign
    raise NotPermitted(f"campaign {campaign_id} is not yours to see")


MEMBER_COLUMNS = [
    "customer_id",
    "arm",
    "branch_id",
    "manager_id",
    "segment",
    "recommended_product",
    "propensity",
    "reason",
    "excluded_reason",
]


def members(user: User, campaign_id: Any, arm: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The members of a campaign ``user`` may see (:data:`MEMBER_COLUMNS`), by customer id."""
    get(user, campaign_id)
    where, params = assignment.member_filter(user)
    if arm is not None:
        if arm not in ("target", "control", "excluded"):
            raise MarketingInputError("arm", "must be target, control or excluded")
        where += " AND m.arm = :arm"
        params = params | {"arm": arm}
    statement = (
        f"SELECT {', '.join('m.' + c for c in MEMBER_COLUMNS)} FROM campaign_members m "
        f"WHERE m.campaign_id = :id AND {where} ORDER BY m.customer_id"
    )
    if limit is not None:
        statement += f" LIMIT {int(limit)}"
    con = ops_store.connect()
    try:
        rows = con.execute(statement, {"id": int(campaign_id), **params}).fetchall()
    finally:
        con.close()
    return pd.DataFrame(rows, columns=MEMBER_COLUMNS)


def conflicts(user: User, campaign_id: Any) -> pd.DataFrame:
    """The over-contact conflicts of the campaign's target arm (guard.CONFLICT_COLUMNS), for
    those who may see the whole campaign (head office)."""
    campaign = get(user, campaign_id)
    if user.role not in assignment.HEAD_OFFICE:
        raise NotPermitted("the conflict report is head office's")
    return guard.conflicts(campaign.id)


__all__ = [
    "Campaign",
    "CampaignInput",
    "approve",
    "close",
    "conflicts",
    "create",
    "get",
    "list_for",
    "members",
    "reject",
    "start",
    "submit",
    "update",
]
