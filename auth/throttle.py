"""Sign-in throttling: repeated failures lock a username out for a growing time.

The state lives in the ops store, not in process memory, so four gunicorn workers share one
count instead of granting four times the attempts.
"""

from __future__ import annotations

import time

from data import ops_store

FREE_FAILURES = 5  # failures allowed before the first lock-out
BASE_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 15 * 60.0

ops_store.register_schema(
    "auth.throttle",
    """
    CREATE TABLE IF NOT EXISTS signin_failures (
        username TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until REAL NOT NULL
    );
    """,
)


def locked_for(username: str, now: float | None = None) -> float:
    """Seconds the username is still locked out (0 when it may try)."""
    now = time.time() if now is None else now
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT locked_until FROM signin_failures WHERE username = ?", (username,)
        ).fetchone()
    finally:
        con.close()
    return max(0.0, row["locked_until"] - now) if row else 0.0


def record_failure(username: str, now: float | None = None) -> None:
    """Count a failure; past FREE_FAILURES each one doubles the lock-out, up to the cap."""
    now = time.time() if now is None else now
    with ops_store.transaction() as con:
        row = con.execute("SELECT failures FROM signin_failures WHERE username = ?", (username,)).fetchone()
        failures = (row["failures"] if row else 0) + 1
        extra = failures - FREE_FAILURES
        lock = min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** (extra - 1)) if extra > 0 else 0.0
        con.execute(
            "INSERT INTO signin_failures (username, failures, locked_until) VALUES (?, ?, ?) "
            "ON CONFLICT(username) DO UPDATE SET failures = excluded.failures, "
            "locked_until = excluded.locked_until",
            (username, failures, now + lock),
        )


def record_success(username: str) -> None:
    """A good sign-in clears the count."""
    with ops_store.transaction() as con:
        con.execute("DELETE FROM signin_failures WHERE username = ?", (username,))
