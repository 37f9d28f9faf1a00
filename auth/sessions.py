"""Session validity beyond the signed cookie: a per-user epoch and an absolute lifetime.

Flask's session is a signed cookie, so signing out cannot revoke a copy of it. Every session
therefore carries the user's *epoch* from the moment of sign-in; signing out, a new password, a
changed role or scope, or disabling the user moves the epoch on, and the route guard refuses any
cookie that carries an older one (every copy of every session of that user, at once). A session
also ends ``ABSOLUTE_HOURS`` after sign-in however active it was (the idle limit is the cookie's
own lifetime, renewed on each request).
"""

from __future__ import annotations

import time

from data import ops_store

ABSOLUTE_HOURS = 12


def current_epoch(username: str) -> int:
    """The epoch a session of ``username`` signed in now carries."""
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT epoch FROM session_epochs WHERE username = :username", {"username": username}
        ).fetchone()
    finally:
        con.close()
    return int(row["epoch"]) if row else 0


def end_all(username: str, con=None) -> None:
    """End every session of ``username`` (inside the caller's transaction when given one)."""
    sql = (
        "INSERT INTO session_epochs (username, epoch) VALUES (:username, 1) "
        "ON CONFLICT (username) DO UPDATE SET epoch = session_epochs.epoch + 1"
    )
    if con is not None:
        con.execute(sql, {"username": username})
        return
    with ops_store.transaction() as own:
        own.execute(sql, {"username": username})


def stamp(username: str, now: float | None = None) -> dict:
    """What a fresh session stores about itself (kept in the signed cookie)."""
    return {"epoch": current_epoch(username), "since": time.time() if now is None else now}


def is_valid(username: str, session: dict, now: float | None = None, epoch_now: int | None = None) -> bool:
    """Whether a session cookie of ``username`` is still in force: its epoch is the user's
    current one (``epoch_now`` when the caller read it in this request, else read here) and it
    is younger than the absolute lifetime."""
    now = time.time() if now is None else now
    epoch, since = session.get("epoch"), session.get("since")
    if not isinstance(epoch, int) or not isinstance(since, int | float):
        return False
    if now - since > ABSOLUTE_HOURS * 3600 or since > now + 60:
        return False
    return epoch == (current_epoch(username) if epoch_now is None else epoch_now)
