"""The roles a user can hold and what each may do beyond its data scope."""

from __future__ import annotations

ADMIN = "admin"
ANALYST = "analyst"
BRANCH_MANAGER = "branch_manager"
RELATIONSHIP_MANAGER = "relationship_manager"
PRESENTER = "presenter"
# Head of marketing: approves campaigns (four eyes: never their own submission), sees all data masked.
MARKETING_HEAD = "marketing_head"

ROLES = (ADMIN, ANALYST, MARKETING_HEAD, BRANCH_MANAGER, RELATIONSHIP_MANAGER, PRESENTER)

# Presenters show aggregates in reviews: no customer-level rows, hence nothing to export.
CUSTOMER_ROWS = {ADMIN, ANALYST, MARKETING_HEAD, BRANCH_MANAGER, RELATIONSHIP_MANAGER}
EXPORT = CUSTOMER_ROWS
# Head-office analysts see all data, but never who the customers are.
MASKED_IDENTITIES = {ANALYST, MARKETING_HEAD, PRESENTER}


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


# The marketing loop (marketing/): who builds customer groups and campaigns, who approves them,
# who works contact lists and who may import a call centre's outcomes.
GROUP_MAKERS = {ADMIN, ANALYST, MARKETING_HEAD, BRANCH_MANAGER}
CAMPAIGN_MAKERS = {ADMIN, ANALYST, MARKETING_HEAD}
CAMPAIGN_APPROVERS = {MARKETING_HEAD}
CONTACT_RECORDERS = {ADMIN, BRANCH_MANAGER, RELATIONSHIP_MANAGER}
OUTCOME_IMPORTERS = {ADMIN, ANALYST, MARKETING_HEAD}
# who may read a campaign's progress and evaluation (each within their own scope)
CAMPAIGN_READERS = {ADMIN, ANALYST, MARKETING_HEAD, BRANCH_MANAGER}


def may_make_groups(role: str) -> bool:
    """Whether the role may build and save customer groups (within its scope)."""
    return role in GROUP_MAKERS


def may_make_campaigns(role: str) -> bool:
    """Whether the role may create, edit and submit campaigns."""
    return role in CAMPAIGN_MAKERS


def may_approve_campaigns(role: str) -> bool:
    """Whether the role may approve or reject a submitted campaign."""
    return role in CAMPAIGN_APPROVERS
