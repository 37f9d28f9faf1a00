"""Saved customer groups (客户群): made with the filter builder, or from a list of customers
(a drill-through selection, a chart click, a model list), saved with a name.

A group keeps its **definition** (the conditions, or where its customers came from) and its
**members as of the data version it was made on** (``customer_group_members``); :func:`refresh`
recomputes it on the current data and records how many customers came and went.

Scope, the one rule: a group is made under its maker's scope (the cube picks the customers),
and whoever reads it sees only the members their own scope shows today (:func:`members`), so
sharing a head-office group with a branch manager shows them their branch's part of it, never
more. Presenters (aggregates only) make and see no groups.

Every write runs in one store transaction with its audit row (``auth.audit.record_in``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from auth import audit, roles, users
from auth.users import User
from cube.api import CubeError, Filter, Scope
from cube.views import groups as view
from cube.views.groups import Condition, ConditionError, GroupDefinition
from data import ops_schema, ops_store
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted

ORIGINS = ("filter", "selection", "chart", "model")
MAX_NAME = 100

__all__ = [
    "ORIGINS",
    "Condition",
    "Group",
    "GroupDefinition",
    "GroupDiff",
    "delete",
    "get",
    "list_for",
    "members",
    "refresh",
    "save",
    "save_from_rows",
    "share",
]


@dataclass(frozen=True)
class GroupDiff:
    """What a refresh changed: customers that joined and that left the group."""

    added: int
    removed: int


@dataclass(frozen=True)
class Group:
    """A saved group as the reader may see it.

    ``member_count`` and ``aum`` are the stored members' (as of ``data_version``); for a reader
    other than the owner whose scope is narrower they count only the members that reader sees
    (``visible`` False: some members are hidden from them). ``last_diff`` is the last refresh's.
    """

    id: int
    name: str
    owner: str
    origin: str
    definition: GroupDefinition
    data_version: str
    member_count: int
    aum: float
    created_at: str
    version: int
    refreshed_at: str | None = None
    last_diff: GroupDiff | None = None
    shared_with: tuple[str, ...] = ()
    visible: bool = True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _may_make(user: User) -> None:
    if not roles.may_make_groups(user.role):
        raise NotPermitted(f"role {user.role} may not make customer groups")


def _may_read(user: User) -> Scope:
    scope = scope_of(user)
    if not scope.customer_rows or not roles.may_see_customers(user.role):
        raise NotPermitted(f"role {user.role} sees no customer groups")
    return scope


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise MarketingInputError("name", "give the group a name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise MarketingInputError("name", f"at most {MAX_NAME} characters")
    return name


def _input_error(exc: CubeError) -> MarketingInputError:
    if isinstance(exc, ConditionError):
        row = exc.index + 1 if exc.index is not None else None
        return MarketingInputError(exc.field, exc.reason, row=row)
    return MarketingInputError("conditions", str(exc))


def _chosen(user: User, definition: GroupDefinition | None, customer_ids) -> pd.DataFrame:
    """The members a save or a refresh picks under the maker's scope."""
    scope = scope_of(user)
    try:
        if customer_ids is not None:
            return view.describe(customer_ids, scope)
        return view.member_frame(definition, scope)
    except CubeError as exc:
        raise _input_error(exc) from exc


def _insert_members(con, group_id: int, frame: pd.DataFrame) -> None:
    """All members of the group, fast on both engines: SQLite takes an executemany through the
    SQLAlchemy connection (StoreConnection.execute takes one dict); PostgreSQL a COPY in the same
    transaction (its executemany of 100,000 rows takes seconds, COPY a fraction of one)."""
    if frame.empty:
        return
    ids = frame["customer_id"].astype("int64").to_numpy()
    branch = frame["branch_id"].astype("object").where(frame["branch_id"].notna(), None).to_numpy()
    manager = frame["manager_id"].astype("object").where(frame["manager_id"].notna(), None).to_numpy()
    aum = frame["aum"].astype(float).to_numpy()
    rows = (
        (group_id, int(c), None if b is None else int(b), None if m is None else int(m), float(a))
        for c, b, m, a in zip(ids, branch, manager, aum, strict=True)
    )
    if con.dialect == "postgresql":
        text = pd.DataFrame(
            {
                "group_id": group_id,
                "customer_id": ids,
                "branch_id": pd.array(frame["branch_id"], dtype="Int64"),
                "manager_id": pd.array(frame["manager_id"], dtype="Int64"),
                "aum": aum,
            }
        ).to_csv(index=False, header=False, float_format="%.17g")
        cursor = con.connection.connection.dbapi_connection.cursor()
        columns = "group_id, customer_id, branch_id, manager_id, aum"
        with cursor.copy(f"COPY customer_group_members ({columns}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(text)
        return
    # the driver's executemany of plain tuples in the same transaction: SQLAlchemy's per-row
    # parameter processing would cost seconds for 100,000 rows
    columns = ", ".join(c.name for c in ops_schema.customer_group_members.columns)
    sql = f"INSERT INTO customer_group_members ({columns}) VALUES (?, ?, ?, ?, ?)"
    con.connection.connection.dbapi_connection.executemany(sql, rows)


def save(
    user: User,
    name: str,
    definition: GroupDefinition | None = None,
    customer_ids=None,
    origin: str = "filter",
) -> Group:
    """Save a group made by ``user``: the customers ``definition`` selects under their scope,
    or (``customer_ids``) those of the listed customers their scope shows at the latest month;
    ``definition.source`` then records where the list came from.

    Raises
    ------
    NotPermitted
        The user's role makes no groups.
    MarketingInputError
        Empty or duplicate ``name``; unknown ``origin``; a condition that cannot run (its
        field named); no customer matching (field ``conditions``, or ``customer_ids``).
    """
    _may_make(user)
    name = _name(name)
    if origin not in ORIGINS:
        raise MarketingInputError("origin", f"one of {', '.join(ORIGINS)}")
    if customer_ids is None and origin != "filter":
        raise MarketingInputError("customer_ids", "a group made from a selection needs its customers")
    if customer_ids is None and definition is None:
        raise MarketingInputError("conditions", "add at least one condition")
    definition = definition or GroupDefinition()
    if not isinstance(definition, GroupDefinition):
        raise MarketingInputError("conditions", "not a group definition")
    if customer_ids is not None:
        definition = GroupDefinition((), definition.source)  # the list decides, not conditions
    else:
        try:
            definition = view.check(definition)
        except CubeError as exc:
            raise _input_error(exc) from exc
    frame = _chosen(user, definition, customer_ids)
    if frame.empty:
        field = "customer_ids" if customer_ids is not None else "conditions"
        raise MarketingInputError(field, "no customer matches these conditions")
    version = frame.attrs.get("data_version") or ""
    total = float(frame["aum"].sum())
    created = _now()
    with ops_store.transaction() as con:
        taken = con.execute(
            "SELECT 1 FROM customer_groups WHERE owner = :owner AND name = :name",
            {"owner": user.username, "name": name},
        ).fetchone()
        if taken:
            raise MarketingInputError("name", f"you already have a group named {name!r}")
        try:
            group_id = con.execute(
                "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count,"
                " aum, created_at, version) VALUES (:owner, :name, :origin, :definition, :data_version,"
                " :member_count, :aum, :created_at, 0) RETURNING id",
                {
                    "owner": user.username,
                    "name": name,
                    "origin": origin,
                    "definition": definition.to_json(),
                    "data_version": version,
                    "member_count": len(frame),
                    "aum": total,
                    "created_at": created,
                },
            ).scalar()
        except ops_store.IntegrityError as exc:  # a concurrent save of the same name
            raise MarketingInputError("name", f"you already have a group named {name!r}") from exc
        _insert_members(con, int(group_id), frame)
        audit.record_in(
            con,
            user.username,
            "group_save",
            f"group={group_id} name={name} origin={origin} members={len(frame)} data={version}",
        )
    return Group(
        int(group_id), name, user.username, origin, definition, version, len(frame), total, created, 0
    )


def save_from_rows(
    user: User, name: str, cube_name: str, filters: tuple[Filter, ...], origin: str, source: dict
) -> Group:
    """Save the customers of the drill-through rows of ``cube_name`` matching ``filters`` (a
    click menu's rows, a model list), recording ``source`` (where they were shown) and the
    filters in the definition."""
    _may_make(user)
    try:
        ids = view.customers_matching(cube_name, filters, scope_of(user))
    except CubeError as exc:
        raise _input_error(exc) from exc
    described = {
        **source,
        "cube": cube_name,
        "filters": [{"member": f.member, "op": f.op, "values": [str(v) for v in f.values]} for f in filters],
    }
    return save(user, name, GroupDefinition((), described), customer_ids=ids, origin=origin)


# --- reading --------------------------------------------------------------------------------------


def _shares(con, group_ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for gid in group_ids:
        rows = con.execute(
            "SELECT username FROM customer_group_shares WHERE group_id = :id ORDER BY username", {"id": gid}
        ).fetchall()
        out[gid] = [r["username"] for r in rows]
    return {k: tuple(v) for k, v in out.items()}


def _group(row, shared: tuple[str, ...]) -> Group:
    diff = json.loads(row["refresh_diff"]) if row["refresh_diff"] else None
    return Group(
        id=int(row["id"]),
        name=row["name"],
        owner=row["owner"],
        origin=row["origin"],
        definition=GroupDefinition.from_json(row["definition"]),
        data_version=row["data_version"],
        member_count=int(row["member_count"]),
        aum=float(row["aum"]),
        created_at=row["created_at"],
        version=int(row["version"]),
        refreshed_at=row["refreshed_at"],
        last_diff=GroupDiff(int(diff["added"]), int(diff["removed"])) if diff else None,
        shared_with=shared,
    )


def _unrestricted(scope: Scope) -> bool:
    return any(g.kind == "all" for g in scope.rows)


def _readable(con, user: User, group_id: Any):
    if isinstance(group_id, bool) or not isinstance(group_id, (int, np.integer)):
        raise MarketingInputError("group_id", "not a group")
    row = con.execute("SELECT * FROM customer_groups WHERE id = :id", {"id": int(group_id)}).fetchone()
    if row is None:
        raise MarketingInputError("group_id", "no such group")
    if row["owner"] != user.username and user.role != roles.ADMIN:
        shared = con.execute(
            "SELECT 1 FROM customer_group_shares WHERE group_id = :id AND username = :u",
            {"id": int(group_id), "u": user.username},
        ).fetchone()
        if not shared:
            raise MarketingInputError("group_id", "no such group")  # the same answer: no probing
    return row


def _stored(con, group_id: int) -> pd.DataFrame:
    rows = con.connection.execute(
        sa.text(
            "SELECT customer_id, branch_id, manager_id, aum FROM customer_group_members WHERE group_id = :id"
            " ORDER BY customer_id"
        ),
        {"id": group_id},
    ).fetchall()  # plain rows: 100,000 members read in a fraction of a second
    return pd.DataFrame(
        {
            "customer_id": np.array([r[0] for r in rows], dtype="int64"),
            "branch_id": pd.array([r[1] for r in rows], dtype="Int64"),
            "manager_id": pd.array([r[2] for r in rows], dtype="Int64"),
            "aum": np.array([r[3] if r[3] is not None else 0.0 for r in rows], dtype=float),
        }
    )


def _visible(stored: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The stored members the reader's scope shows today (the cube decides, as everywhere)."""
    if _unrestricted(scope) or stored.empty:
        return stored
    seen = view.describe(stored["customer_id"].to_numpy(), scope)["customer_id"]
    return stored[stored["customer_id"].isin(seen)].reset_index(drop=True)


def get(user: User, group_id: int) -> Group:
    """The group if ``user`` owns it or it is shared with them (admins read every group).

    Raises
    ------
    NotPermitted
        A role that sees no customers.
    MarketingInputError
        ``group_id``: no such group, or not one the user may read (the same answer).
    """
    scope = _may_read(user)
    con = ops_store.connect()
    try:
        row = _readable(con, user, group_id)
        group = _group(row, _shares(con, [int(row["id"])])[int(row["id"])])
        if group.owner != user.username and not _unrestricted(scope):
            shown = _visible(_stored(con, group.id), scope)
    finally:
        con.close()
    if group.owner != user.username and not _unrestricted(scope):
        group = replace(
            group,
            member_count=len(shown),
            aum=float(shown["aum"].sum()),
            visible=len(shown) == group.member_count,
        )
    return group


def list_for(user: User) -> list[Group]:
    """The user's own groups and those shared with them, newest first (counts as :func:`get`)."""
    _may_read(user)
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT g.id FROM customer_groups g WHERE g.owner = :u OR g.id IN"
            " (SELECT group_id FROM customer_group_shares WHERE username = :u)"
            " ORDER BY g.created_at DESC, g.id DESC",
            {"u": user.username},
        ).fetchall()
    finally:
        con.close()
    return [get(user, int(r[0])) for r in rows]


def members(user: User, group_id: int) -> pd.DataFrame:
    """The members of the group ``user`` may see: ``customer_id``, ``branch_id``,
    ``manager_id``, ``aum`` (as of the group's data version), by customer id. Sharing never
    widens: a reader whose scope is narrower than the maker's sees only the members their
    scope shows today.

    Raises
    ------
    NotPermitted, MarketingInputError
        As :func:`get`.
    """
    scope = _may_read(user)
    con = ops_store.connect()
    try:
        row = _readable(con, user, group_id)
        stored = _stored(con, int(row["id"]))
    finally:
        con.close()
    return _visible(stored, scope)


# --- changing -------------------------------------------------------------------------------------


def _owned(con, user: User, group_id: Any):
    row = _readable(con, user, group_id)
    if row["owner"] != user.username:
        raise NotPermitted("only the group's maker may change it")
    return row


def refresh(user: User, group_id: int) -> GroupDiff:
    """Recompute the group on the current data under the maker's scope: a filter group runs its
    definition again; a group made from a list keeps its customers but drops those no longer
    visible or existing. Stores the new members, data version and the difference.

    Raises
    ------
    NotPermitted
        Not the group's maker.
    MarketingInputError
        No such group; a definition that no longer runs (its field named).
    """
    _may_make(user)
    con = ops_store.connect()
    try:
        row = _owned(con, user, group_id)
        before = _stored(con, int(row["id"]))
    finally:
        con.close()
    definition = GroupDefinition.from_json(row["definition"])
    listed = row["origin"] != "filter"
    frame = _chosen(user, definition, before["customer_id"].to_numpy() if listed else None)
    old, new = set(before["customer_id"].tolist()), set(frame["customer_id"].tolist())
    diff = GroupDiff(len(new - old), len(old - new))
    version = frame.attrs.get("data_version") or ""
    with ops_store.transaction() as con:
        current = con.execute(
            "SELECT version FROM customer_groups WHERE id = :id", {"id": int(row["id"])}
        ).scalar()
        if current is None:
            raise MarketingInputError("group_id", "no such group")
        con.execute("DELETE FROM customer_group_members WHERE group_id = :id", {"id": int(row["id"])})
        _insert_members(con, int(row["id"]), frame)
        con.execute(
            "UPDATE customer_groups SET member_count = :n, aum = :aum, data_version = :v, refreshed_at = :at,"
            " refresh_diff = :diff, version = version + 1 WHERE id = :id",
            {
                "n": len(frame),
                "aum": float(frame["aum"].sum()),
                "v": version,
                "at": _now(),
                "diff": json.dumps({"added": diff.added, "removed": diff.removed}),
                "id": int(row["id"]),
            },
        )
        audit.record_in(
            con,
            user.username,
            "group_refresh",
            f"group={row['id']} name={row['name']} members={len(frame)} added={diff.added}"
            f" removed={diff.removed} data={version}",
        )
    return diff


def share(user: User, group_id: int, usernames) -> tuple[str, ...]:
    """Share the group with exactly ``usernames`` (an empty list stops sharing); returns them.

    Raises
    ------
    NotPermitted
        Not the group's maker.
    MarketingInputError
        ``usernames``: an unknown user, the maker, or a role that sees no customers.
    """
    _may_make(user)
    if isinstance(usernames, str) or not isinstance(usernames, (list, tuple, set, frozenset)):
        raise MarketingInputError("usernames", "a list of user names")
    names = tuple(sorted({str(u).strip() for u in usernames if str(u).strip()}))
    for name in names:
        other = users.get_user(name)
        if other is None:
            raise MarketingInputError("usernames", f"no user named {name!r}")
        if name == user.username:
            raise MarketingInputError("usernames", "a group is always yours: share it with others")
        if not roles.may_see_customers(other.role):
            raise MarketingInputError("usernames", f"{name} may not see customer lists")
    with ops_store.transaction() as con:
        row = _owned(con, user, group_id)
        con.execute("DELETE FROM customer_group_shares WHERE group_id = :id", {"id": int(row["id"])})
        for name in names:
            con.execute(
                "INSERT INTO customer_group_shares (group_id, username) VALUES (:id, :u)",
                {"id": int(row["id"]), "u": name},
            )
        audit.record_in(
            con,
            user.username,
            "group_share",
            f"group={row['id']} name={row['name']} with={','.join(names) or '-'}",
        )
    return names


def delete(user: User, group_id: int) -> None:
    """Delete the group, its members and shares (the maker, or an admin).

    Raises
    ------
    NotPermitted
        Neither the maker nor an admin; a group a campaign was made from.
    MarketingInputError
        No such group.
    """
    _may_make(user)
    with ops_store.transaction() as con:
        row = _readable(con, user, group_id)
        if row["owner"] != user.username and user.role != roles.ADMIN:
            raise NotPermitted("only the group's maker may delete it")
        used = con.execute(
            "SELECT count(*) FROM campaigns WHERE group_id = :id", {"id": int(row["id"])}
        ).scalar()
        if used:
            raise NotPermitted("a campaign was made from this group: it is kept")
        con.execute("DELETE FROM customer_group_shares WHERE group_id = :id", {"id": int(row["id"])})
        con.execute("DELETE FROM customer_group_members WHERE group_id = :id", {"id": int(row["id"])})
        con.execute("DELETE FROM customer_groups WHERE id = :id", {"id": int(row["id"])})
        audit.record_in(
            con,
            user.username,
            "group_delete",
            f"group={row['id']} name={row['name']} members={row['member_count']}",
        )
