"""A relationship manager's notes on a customer (Customer 360).

Relationship managers and branch managers write notes on the customers of their scope (their
cube scope, or the members assigned to them / in their branch on a work list); every role that
opens Customer 360 reads the notes of the customers it may open. Presenters never open a
customer. Every note is audited.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from auth import audit, roles
from auth.users import User
from data import ops_store
from marketing.contacts import customer_number, customer_visible, member_scope
from marketing.errors import MarketingInputError, NotPermitted

NOTE_WRITERS = {roles.RELATIONSHIP_MANAGER, roles.BRANCH_MANAGER}
BODY_MAX = 2000
COLUMNS = ["id", "customer_id", "author", "written_at", "body"]


def may_write(user: User) -> bool:
    """Whether the role writes notes (in its scope)."""
    return user.role in NOTE_WRITERS


def _in_scope(user: User, customer_id: int) -> bool:
    if customer_visible(user, customer_id):
        return True
    where, params = member_scope(user).sql("m")
    con = ops_store.connect()
    try:
        found = con.execute(
            f"SELECT 1 FROM campaign_members m WHERE m.customer_id = :k AND m.arm = 'target' AND {where}",
            {"k": customer_id, **params},
        ).fetchone()
    finally:
        con.close()
    return found is not None


def add(user: User, customer_id: Any, body: Any) -> int:
    """Store a note and return its id.

    Raises
    ------
    NotPermitted
        The role writes no notes, or the customer is outside the user's scope.
    MarketingInputError
        An empty note or one longer than :data:`BODY_MAX` characters (field ``body``).
    """
    if not may_write(user):
        raise NotPermitted(f"role {user.role} writes no notes")
    cid = customer_number(customer_id)
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise MarketingInputError("body", "write something first")
    if len(text) > BODY_MAX:
        raise MarketingInputError("body", f"longer than {BODY_MAX} characters")
    if not _in_scope(user, cid):
        raise NotPermitted(f"customer {cid} is outside {user.username}'s scope")
    with ops_store.transaction() as con:
        note_id = int(
            con.execute(
                "INSERT INTO customer_notes (customer_id, author, written_at, body) "
                "VALUES (:k, :author, :at, :body) RETURNING id",
                {
                    "k": cid,
                    "author": user.username,
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "body": text,
                },
            ).scalar()
        )
        audit.record_in(con, user.username, "note_add", json.dumps({"customer": cid, "note": note_id}))
    return note_id


def list_for(user: User, customer_id: Any) -> pd.DataFrame:
    """The customer's notes, newest first (:data:`COLUMNS`); empty outside the user's scope.

    Raises
    ------
    NotPermitted
        The role sees no customer rows (presenters).
    """
    if not roles.may_see_customers(user.role):
        raise NotPermitted(f"role {user.role} sees no customers")
    cid = customer_number(customer_id)
    if not _in_scope(user, cid):
        return pd.DataFrame(columns=COLUMNS)
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT id, customer_id, author, written_at, body FROM customer_notes WHERE customer_id = :k "
            "ORDER BY written_at DESC, id DESC",
            {"k": cid},
        ).fetchall()
    finally:
        con.close()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS)
