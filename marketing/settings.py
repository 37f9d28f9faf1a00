"""Settings of the marketing loop an administrator sets: the over-contact limit (at most
``contact_limit`` contacts of one customer in any ``contact_window_days`` days, across
campaigns) and each manager's capacity (target customers assigned to one manager in one
campaign). Stored in the ``marketing_settings`` table (name -> value); a missing name has its
default."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

from auth import audit, roles
from auth.users import User
from data import ops_store
from marketing.errors import MarketingInputError, NotPermitted

# name -> (default, smallest allowed, largest allowed)
LIMITS: dict[str, tuple[int, int, int]] = {
    "contact_limit": (3, 1, 100),
    "contact_window_days": (30, 1, 366),
    "manager_capacity": (300, 1, 1_000_000),
}


@dataclass(frozen=True)
class LoopSettings:
    """The loop's settings: N contacts in D days, and the capacity per manager per campaign."""

    contact_limit: int = LIMITS["contact_limit"][0]
    contact_window_days: int = LIMITS["contact_window_days"][0]
    manager_capacity: int = LIMITS["manager_capacity"][0]


def load(con: ops_store.StoreConnection | None = None) -> LoopSettings:
    """The settings in force (defaults for names never set); reads on ``con`` if given (inside
    a write transaction), else on a connection of its own."""
    own = con is None
    con = con or ops_store.connect()
    try:
        rows = con.execute("SELECT name, value FROM marketing_settings").fetchall()
    finally:
        if own:
            con.close()
    values = {}
    for row in rows:
        if row["name"] in LIMITS:
            try:
                values[row["name"]] = int(row["value"])
            except ValueError:  # a hand-edited row: the default rather than a crash
                continue
    return LoopSettings(**values)


def update(user: User, **values: object) -> LoopSettings:
    """Set some of the settings (administrators only), each checked against :data:`LIMITS`;
    audited. Returns the settings now in force.

    Raises
    ------
    NotPermitted
        If ``user`` is not an administrator.
    MarketingInputError
        Naming the first setting that is unknown, not a whole number or out of range.
    """
    if user.role != roles.ADMIN:
        raise NotPermitted("only an administrator may change the marketing settings")
    clean: dict[str, int] = {}
    for name, value in values.items():
        if name not in LIMITS:
            raise MarketingInputError(name, "unknown setting")
        _, low, high = LIMITS[name]
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise MarketingInputError(name, f"must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise MarketingInputError(name, f"must be from {low} to {high} (got {number})")
        clean[name] = number
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ops_store.transaction() as con:
        for name, number in clean.items():
            con.execute(
                "INSERT INTO marketing_settings (name, value, changed_by, changed_at) "
                "VALUES (:name, :value, :by, :at) ON CONFLICT (name) DO UPDATE SET "
                "value = excluded.value, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                {"name": name, "value": str(number), "by": user.username, "at": now},
            )
        if clean:
            detail = ", ".join(f"{k}={v}" for k, v in sorted(clean.items()))
            audit.record_in(con, user.username, "marketing_settings", detail)
        current = load(con)
    return replace(current)


SETTING_NAMES = tuple(f.name for f in fields(LoopSettings))
