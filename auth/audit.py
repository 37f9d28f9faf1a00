"""The audit log: sign-ins, exports and changes to users, kept in the ops store."""

from __future__ import annotations

from datetime import UTC, datetime

from data import ops_store


def record(username: str | None, action: str, detail: str = "") -> None:
    """Append one event; ``action`` is a short code such as ``sign_in`` or ``export``."""
    with ops_store.transaction() as con:
        record_in(con, username, action, detail)


def record_in(con, username: str | None, action: str, detail: str = "") -> None:
    """Append one event inside the caller's write transaction (``ops_store.transaction()``), so
    the change and its audit row commit or roll back together."""
    con.execute(
        "INSERT INTO audit_log (at, username, action, detail) VALUES (:at, :username, :action, :detail)",
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "username": username,
            "action": action,
            "detail": detail,
        },
    )


def recent(limit: int = 200) -> list[dict]:
    """The latest events, newest first."""
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT at, username, action, detail FROM audit_log ORDER BY id DESC LIMIT :limit",
            {"limit": limit},
        ).fetchall()
    finally:
        con.close()
    return [dict(r) for r in rows]
