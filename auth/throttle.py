"""Sign-in throttling: repeated failures lock out the client that made them, for a growing time.

Failures are counted per (username, client address) and per client address: a guesser locks out
itself, never the real user signing in from another machine with the right password. An attempt
is counted *before* the password is checked, in one ops-store transaction with the lock check
(:func:`begin_attempt`), so parallel guesses cannot get past the limit; a good password then
clears the count (:func:`record_success`).

The state lives in the ops store, not in process memory, so several gunicorn workers share one
count instead of granting each worker its own attempts.
"""

from __future__ import annotations

import time

from data import ops_store

FREE_FAILURES = 5  # failures allowed (per name and address) before the first lock-out
ADDRESS_FREE_FAILURES = 20  # failures allowed from one address over all names
BASE_LOCK_SECONDS = 30.0
MAX_LOCK_SECONDS = 15 * 60.0
ANY_NAME = ""  # the key of an address's count over all names


def _lock_seconds(failures: int, free: int) -> float:
    extra = failures - free
    return min(MAX_LOCK_SECONDS, BASE_LOCK_SECONDS * 2 ** (extra - 1)) if extra > 0 else 0.0


def locked_for(username: str, address: str = "", now: float | None = None) -> float:
    """Seconds this client must still wait before trying ``username`` again (0: it may try)."""
    now = time.time() if now is None else now
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT locked_until FROM signin_attempts WHERE address = :address AND username IN (:name, :any)",
            {"address": address, "name": username, "any": ANY_NAME},
        ).fetchall()
    finally:
        con.close()
    return max([0.0, *(r["locked_until"] - now for r in rows)])


def _rows(con, username: str, address: str) -> dict[str, tuple[int, float]]:
    return {
        r["username"]: (r["failures"], r["locked_until"])
        for r in con.execute(
            "SELECT username, failures, locked_until FROM signin_attempts "
            "WHERE address = :address AND username IN (:name, :any)",
            {"address": address, "name": username, "any": ANY_NAME},
        ).fetchall()
    }


def _count(con, username: str, address: str, rows: dict, now: float) -> None:
    for name, free in ((username, FREE_FAILURES), (ANY_NAME, ADDRESS_FREE_FAILURES)):
        failures = rows.get(name, (0, 0.0))[0] + 1
        con.execute(
            "INSERT INTO signin_attempts (username, address, failures, locked_until) "
            "VALUES (:name, :address, :failures, :until) ON CONFLICT (username, address) DO UPDATE SET "
            "failures = excluded.failures, locked_until = excluded.locked_until",
            # 0 = not locked (a "now + 0" would lock out a parallel attempt that read the clock
            # a moment earlier and waited for this transaction)
            {
                "name": name,
                "address": address,
                "failures": failures,
                "until": now + lock if (lock := _lock_seconds(failures, free)) else 0.0,
            },
        )


def begin_attempt(username: str, address: str = "", now: float | None = None) -> float:
    """Count an attempt as a failure up front, unless the client is locked out.

    Returns 0 when the attempt may go on (call :func:`record_success` if the password is right),
    else the seconds left of the lock (nothing is counted then).
    """
    now = time.time() if now is None else now
    with ops_store.transaction() as con:
        rows = _rows(con, username, address)
        wait = max([0.0, *(until - now for _, until in rows.values())])
        if wait <= 0:
            _count(con, username, address, rows, now)
    return wait


def record_failure(username: str, address: str = "", now: float | None = None) -> None:
    """Count one failed attempt, locked out or not (each failure past the free ones doubles the
    lock, up to the cap)."""
    now = time.time() if now is None else now
    with ops_store.transaction() as con:
        _count(con, username, address, _rows(con, username, address), now)


def record_success(username: str, address: str = "") -> None:
    """A good sign-in clears the client's counts (for the name, and over all names)."""
    with ops_store.transaction() as con:
        con.execute(
            "DELETE FROM signin_attempts WHERE address = :address AND username IN (:name, :any)",
            {"address": address, "name": username, "any": ANY_NAME},
        )
