"""The over-contact guard: no customer is contacted more than N times in D days across
campaigns (N = ``contact_limit``, D = ``contact_window_days``, set by an administrator in
:mod:`marketing.settings`).

Windows, exactly
----------------
- **Recording a contact** at time ``at`` (:func:`check_contact`): the contacts of the customer
  already recorded with ``at - D days < contacted_at <= at`` count (a contact exactly D days
  before ``at`` has left the window; one D-1 days before is in it). One more is refused when
  the count is already N or more; the next contact is allowed from the moment enough of the
  counted contacts have left the window: the (count - N + 1)-th oldest counted contact + D days.
- **Creating or approving a campaign** that starts on day S (midnight) and ends on day E: a
  target customer's *load* is

  * the contacts recorded in the D days before the start, ``S - D days < contacted_at < S``,
  * plus one for each other campaign (status approved or running) holding the customer as a
    target whose window lies within D days of this one's (``other.start - E < D days`` and
    ``S - other.end < D days``), unless that campaign's contact is already among those counted,
  * plus one for this campaign.

  A load above N is a conflict (:func:`conflicts`). Resolutions (:data:`RESOLUTIONS`):
  ``keep_existing`` excludes the customer from this campaign; ``priority`` lets this campaign
  take the customer from the other campaigns with a larger priority number (lower number wins,
  equal numbers keep the existing campaign); ``this_first`` takes the customer from any other
  campaign. Either way a campaign that has already contacted the customer keeps them, and when
  the other campaigns cannot yield enough the customer is excluded from this one instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd

from auth import audit
from data import ops_store
from marketing import settings as loop_settings
from marketing.errors import MarketingInputError

RESOLUTIONS = ("keep_existing", "priority", "this_first")
ACTIVE = ("approved", "running")
CONFLICT_COLUMNS = ["customer_id", "recorded", "planned", "load", "limit", "campaigns"]


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def parse_time(value: object) -> dt.datetime:
    """A contact time (datetime, date or ISO text) as a naive UTC datetime."""
    if isinstance(value, dt.datetime):
        return _naive(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return _naive(dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))


def _times(values) -> pd.Series:
    parsed = pd.to_datetime(
        pd.Series(list(values), dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    return parsed.dt.tz_localize(None)


def check_contact(con: ops_store.StoreConnection, customer_id: int, at: object) -> None:
    """Refuse one more contact of ``customer_id`` at ``at`` when it would exceed the limit.

    Call it inside the write transaction that records the contact (writers are serialised, so
    two managers recording at once cannot both pass).

    Raises
    ------
    MarketingInputError
        Field ``contacted_at``: "customer C was already contacted N times in the last D days;
        next contact allowed from <date>".
    """
    rule = loop_settings.load(con)
    when = parse_time(at)
    start = when - dt.timedelta(days=rule.contact_window_days)
    rows = con.execute(
        "SELECT contacted_at FROM campaign_contacts WHERE customer_id = :c AND contacted_at >= :lo",
        {"c": int(customer_id), "lo": (start - dt.timedelta(days=1)).date().isoformat()},
    ).fetchall()
    times = sorted(t for t in (parse_time(r[0]) for r in rows) if start < t <= when)
    if len(times) < rule.contact_limit:
        return
    allowed = times[len(times) - rule.contact_limit] + dt.timedelta(days=rule.contact_window_days)
    raise MarketingInputError(
        "contacted_at",
        f"customer {int(customer_id)} was already contacted {len(times)} times in the last "
        f"{rule.contact_window_days} days (limit {rule.contact_limit}); next contact allowed from "
        f"{allowed.isoformat(sep=' ', timespec='minutes')}",
    )


def _start(day: dt.date | str) -> dt.datetime:
    return parse_time(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))


def load_frame(
    con: ops_store.StoreConnection,
    campaign_id: int | None,
    start_date: dt.date,
    end_date: dt.date,
    customer_ids: np.ndarray,
    rule: loop_settings.LoopSettings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The load of each of ``customer_ids`` for a campaign over ``start_date`` .. ``end_date``
    (see the module's rules), and the other campaigns' memberships counted in it.

    Returns ``(loads, planned)``: loads has one row per customer with a recorded or planned
    contact (:data:`CONFLICT_COLUMNS`, ``load`` including this campaign); planned has
    ``customer_id, campaign_id, priority, start_date, contacted`` (contacted: that campaign has
    recorded a contact with the customer).
    """
    rule = rule or loop_settings.load(con)
    days = dt.timedelta(days=rule.contact_window_days)
    start = _start(start_date)
    ids = pd.Index(np.asarray(customer_ids, dtype=np.int64))
    recorded = read_frame(
        con,
        "SELECT customer_id, campaign_id, contacted_at FROM campaign_contacts "
        "WHERE contacted_at >= :lo AND contacted_at < :hi",
        {"lo": (start - days).date().isoformat(), "hi": start.date().isoformat()},
        ["customer_id", "campaign_id", "contacted_at"],
    )
    if len(recorded):
        at = _times(recorded["contacted_at"])
        recorded = recorded[((at > start - days) & (at < start)).to_numpy()]
        recorded = recorded[recorded["customer_id"].isin(ids)]
    lo = (_start(start_date) - days + dt.timedelta(days=1)).date().isoformat()
    hi = (_start(end_date) + days - dt.timedelta(days=1)).date().isoformat()
    planned = read_frame(
        con,
        "SELECT m.customer_id, m.campaign_id, c.priority, c.start_date FROM campaign_members m "
        "JOIN campaigns c ON c.id = m.campaign_id WHERE m.arm = 'target' AND c.status IN "
        "('approved', 'running') AND c.id <> :id AND c.start_date <= :hi AND c.end_date >= :lo",
        {"id": -1 if campaign_id is None else int(campaign_id), "lo": lo, "hi": hi},
        ["customer_id", "campaign_id", "priority", "start_date"],
    )
    planned = planned[planned["customer_id"].isin(ids)]
    if len(planned):
        touched = read_frame(
            con,
            "SELECT DISTINCT campaign_id, customer_id FROM campaign_contacts WHERE campaign_id IN ("
            + ", ".join(str(int(c)) for c in planned["campaign_id"].unique())
            + ")",
            {},
            ["campaign_id", "customer_id"],
        )
        keys = ["campaign_id", "customer_id"]
        if len(touched):
            touched = touched.astype(np.int64).assign(contacted=True)
            planned = planned.merge(touched, on=keys, how="left")
            planned["contacted"] = planned["contacted"].notna()
        else:
            planned = planned.assign(contacted=False)
        fresh = planned
        if len(recorded):
            counted = recorded[keys].astype(np.int64).drop_duplicates().assign(counted=True)
            fresh = planned.merge(counted, on=keys, how="left")
            fresh = fresh[fresh["counted"].isna()].drop(columns="counted")
    else:
        planned = planned.assign(contacted=pd.Series(dtype=bool))
        fresh = planned
    rec = recorded.groupby("customer_id").size().rename("recorded")
    plan = fresh.groupby("customer_id").size().rename("planned")
    names = _campaign_names(fresh)
    loads = pd.concat([rec, plan, names], axis=1)
    loads.index.name = "customer_id"
    loads = loads.reset_index()
    loads["recorded"] = loads["recorded"].fillna(0).astype(np.int64)
    loads["planned"] = loads["planned"].fillna(0).astype(np.int64)
    loads["campaigns"] = loads["campaigns"].fillna("")
    loads["load"] = loads["recorded"] + loads["planned"] + 1
    loads["limit"] = rule.contact_limit
    loads["customer_id"] = loads["customer_id"].astype(np.int64)
    return loads[CONFLICT_COLUMNS], planned


def read_frame(
    con: ops_store.StoreConnection, statement: str, params: dict, columns: list[str]
) -> pd.DataFrame:
    """A query's rows as a DataFrame, read by the driver's own cursor (100,000 rows in a fraction
    of a second; SQLAlchemy's row objects cost seconds). ``statement`` takes ``:name``
    parameters (SQLite's own style; rewritten to ``%(name)s`` for psycopg)."""
    raw = con.connection.connection.driver_connection
    if con.dialect == "sqlite":
        rows = raw.execute(statement, params).fetchall()
    else:
        with raw.cursor() as cursor:
            cursor.execute(re.sub(r"(?<!:):(\w+)", r"%(\1)s", statement.replace("%", "%%")), params)
            rows = cursor.fetchall()
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows, columns=columns)


def _campaign_names(fresh: pd.DataFrame) -> pd.Series:
    """Customer -> the other campaigns' ids, comma separated (most customers have one)."""
    if fresh.empty:
        return pd.Series(dtype=object, name="campaigns")
    f = fresh.sort_values(["customer_id", "campaign_id"])
    cust = f["customer_id"].to_numpy(dtype=np.int64)
    camp = f["campaign_id"].to_numpy(dtype=np.int64).astype(str)
    starts = np.r_[0, np.flatnonzero(cust[1:] != cust[:-1]) + 1]
    ends = np.r_[starts[1:], len(cust)]
    names = camp[starts].astype(object)
    for i in np.flatnonzero(ends - starts > 1):
        names[i] = ", ".join(camp[starts[i] : ends[i]])
    return pd.Series(names, index=cust[starts], name="campaigns")


def conflicts_for(
    con: ops_store.StoreConnection,
    campaign_id: int | None,
    start_date: dt.date,
    end_date: dt.date,
    customer_ids: np.ndarray,
    rule: loop_settings.LoopSettings | None = None,
) -> pd.DataFrame:
    """The target customers whose load would exceed the limit (:data:`CONFLICT_COLUMNS`)."""
    loads, _ = load_frame(con, campaign_id, start_date, end_date, customer_ids, rule)
    return loads[loads["load"] > loads["limit"]].sort_values("customer_id").reset_index(drop=True)


def _target_ids(con: ops_store.StoreConnection, campaign_id: int) -> np.ndarray:
    frame = read_frame(
        con,
        "SELECT customer_id FROM campaign_members WHERE campaign_id = :id AND arm = 'target'",
        {"id": campaign_id},
        ["customer_id"],
    )
    return frame["customer_id"].to_numpy(dtype=np.int64)


def conflicts(campaign_id: int, con: ops_store.StoreConnection | None = None) -> pd.DataFrame:
    """The conflicts of a stored campaign's target arm (:data:`CONFLICT_COLUMNS`), customers by id."""
    own = con is None
    con = con or ops_store.connect()
    try:
        row = con.execute(
            "SELECT start_date, end_date FROM campaigns WHERE id = :id", {"id": int(campaign_id)}
        ).fetchone()
        if row is None:
            return pd.DataFrame(columns=CONFLICT_COLUMNS)
        ids = _target_ids(con, int(campaign_id))
        return conflicts_for(
            con,
            int(campaign_id),
            dt.date.fromisoformat(row["start_date"]),
            dt.date.fromisoformat(row["end_date"]),
            np.asarray(ids, dtype=np.int64),
        )
    finally:
        if own:
            con.close()


def resolve(
    con: ops_store.StoreConnection,
    campaign: dict,
    resolution: str,
    by: str,
    at: str,
) -> dict[str, object]:
    """Resolve the conflicts of a campaign being approved (``campaign``: its stored row) inside
    the caller's write transaction: exclude customers from it or take them from other
    campaigns, as ``resolution`` says. Returns what was done: ``excluded`` (customer ids left
    out of this campaign), ``yielded`` (other campaign id -> customer ids it gave up).
    """
    if resolution not in RESOLUTIONS:
        raise MarketingInputError("resolution", f"must be one of {', '.join(RESOLUTIONS)}")
    rule = loop_settings.load(con)
    ids = _target_ids(con, int(campaign["id"]))
    start, end = dt.date.fromisoformat(campaign["start_date"]), dt.date.fromisoformat(campaign["end_date"])
    loads, planned = load_frame(con, campaign["id"], start, end, ids, rule)
    over = loads[loads["load"] > loads["limit"]].set_index("customer_id")
    if over.empty:
        return {"excluded": [], "yielded": {}}
    take = pd.DataFrame(columns=["customer_id", "campaign_id"])
    if resolution != "keep_existing":
        can = planned[planned["customer_id"].isin(over.index) & ~planned["contacted"].astype(bool)]
        if resolution == "priority":
            can = can[can["priority"] > int(campaign["priority"])]
        can = can.sort_values(["customer_id", "priority", "start_date"], ascending=[True, False, False])
        need = can["customer_id"].map(over["load"] - over["limit"])
        rank = can.groupby("customer_id").cumcount()
        available = can.groupby("customer_id")["campaign_id"].transform("size")
        can = can[(available >= need) & (rank < need)]
        take = can[["customer_id", "campaign_id"]]
    excluded = sorted(set(over.index.astype(int)) - set(take["customer_id"].astype(int)))
    if excluded:
        reason = (
            f"over_contact: {{load}} contacts in {rule.contact_window_days} days "
            f"(limit {rule.contact_limit}); kept by campaigns {{campaigns}}"
        )
        loads = over["load"].to_dict()
        kept = over["campaigns"].to_dict()
        _exclude(
            con,
            [
                (reason.format(load=int(loads[c]), campaigns=kept[c] or "-"), int(campaign["id"]), int(c))
                for c in excluded
            ],
        )
    yielded: dict[int, list[int]] = {}
    for other, part in take.groupby("campaign_id"):
        customers = sorted(int(c) for c in part["customer_id"])
        yielded[int(other)] = customers
        why = (
            f"over_contact: yielded to campaign {campaign['id']} "
            f"(priority {campaign['priority']}, {resolution})"
        )
        _exclude(con, [(why, int(other), c) for c in customers])
        con.execute("UPDATE campaigns SET version = version + 1 WHERE id = :id", {"id": int(other)})
        audit.record_in(
            con,
            by,
            "campaign_yield",
            json.dumps({"campaign": int(other), "to": campaign["id"], "customers": len(customers), "at": at}),
        )
    return {"excluded": excluded, "yielded": yielded}


def execute_many(con: ops_store.StoreConnection, statement: str, rows: list[tuple]) -> None:
    """One statement with ``?`` marks run for many rows by the driver's own executemany."""
    if rows:
        sql = statement if con.dialect == "sqlite" else statement.replace("?", "%s")
        con.connection.exec_driver_sql(sql, rows)


def bulk_update(
    con: ops_store.StoreConnection,
    table: str,
    sets: dict[str, str],
    keys: dict[str, str],
    rows: list[tuple],
    fixed: str = "",
) -> None:
    """``UPDATE table SET <sets> [, fixed] WHERE <keys>`` for many rows (each row: the values of
    ``sets`` then of ``keys``, both name -> PostgreSQL type). SQLite: the driver's executemany;
    PostgreSQL: the rows copied into a temporary table and one ``UPDATE ... FROM`` (psycopg's
    executemany takes over 10 s for 100,000 rows, COPY well under one)."""
    if not rows:
        return
    extra = f", {fixed}" if fixed else ""
    if con.dialect == "sqlite":
        assignments = ", ".join(f"{c} = ?" for c in sets)
        where = " AND ".join(f"{c} = ?" for c in keys)
        con.connection.exec_driver_sql(f"UPDATE {table} SET {assignments}{extra} WHERE {where}", rows)
        return
    columns = {**sets, **keys}
    raw = con.connection.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bulk_rows (" + ", ".join(f"{c} {kind}" for c, kind in columns.items()) + ")"
        )
        with cursor.copy(f"COPY bulk_rows ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{c} = b.{c}" for c in sets)
        where = " AND ".join(f"t.{c} = b.{c}" for c in keys)
        cursor.execute(f"UPDATE {table} AS t SET {assignments}{extra} FROM bulk_rows AS b WHERE {where}")
        cursor.execute("DROP TABLE bulk_rows")


def bulk_insert(
    con: ops_store.StoreConnection, table: str, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """Many rows into ``table``: the driver's executemany on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    if con.dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        con.connection.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    raw = con.connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _exclude(con: ops_store.StoreConnection, rows: list[tuple]) -> None:
    """Rows of (reason, campaign_id, customer_id): those members excluded (never assigned)."""
    bulk_update(
        con,
        "campaign_members",
        {"excluded_reason": "text"},
        {"campaign_id": "integer", "customer_id": "integer"},
        rows,
        fixed="arm = 'excluded', manager_id = NULL",
    )
