"""The roles a user can hold and what each may do beyond its data scope."""

from __future__ import annotations

ADMIN = "admin"
ANALYST = "analyst"
BRANCH_MANAGER = "branch_manager"
RELATIONSHIP_MANAGER = "relationship_manager"
PRESENTER = "presenter"

ROLES = (ADMIN, ANALYST, BRANCH_MANAGER, RELATIONSHIP_MANAGER, PRESENTER)

# Presenters show aggregates in reviews: no customer-level rows, hence nothing to export.
CUSTOMER_ROWS = {ADMIN, ANALYST, BRANCH_MANAGER, RELATIONSHIP_MANAGER}
EXPORT = CUSTOMER_ROWS
# Head-office analysts see all data, but never who the customers are.
MASKED_IDENTITIES = {ANALYST, PRESENTER}


# Who may start, cancel and approve model runs (the mining studio).
MODEL_RUNNERS = {ADMIN, ANALYST}


def may_run_models(role: str) -> bool:
    """Whether the role may start and cancel model runs."""
    return role in MODEL_RUNNERS


def may_see_customers(role: str) -> bool:
    """Whether the role may see customer-level rows (drill-through)."""
    return role in CUSTOMER_ROWS


def may_export(role: str) -> bool:
    """Whether the role may download customer lists."""
    return role in EXPORT


def masks_identities(role: str) -> bool:
    """Whether names, phones and ID numbers are masked for the role."""
    return role in MASKED_IDENTITIES
