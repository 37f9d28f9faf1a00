"""Demo users created on the first start; their passwords are printed once.

They are for trying the product only: the README says to change or delete them.
"""

from __future__ import annotations

from auth import roles, users

DEMO_PASSWORDS = {
    "admin": "admin-demo-2026",
    "analyst": "analyst-demo-2026",
    "branch": "branch-demo-2026",
    "rm": "rm-demo-2026",
    "presenter": "presenter-demo-2026",
    "marketing": "marketing-demo-2026",
}


def ensure_demo_users(branch_id: int, manager_id: int, log=print) -> bool:
    """Create the demo users if the store has no users yet; True if it created them."""
    if users.has_users():
        return False
    users.create_user("admin", DEMO_PASSWORDS["admin"], roles.ADMIN)
    users.create_user("analyst", DEMO_PASSWORDS["analyst"], roles.ANALYST)
    users.create_user("branch", DEMO_PASSWORDS["branch"], roles.BRANCH_MANAGER, branch_id=branch_id)
    users.create_user("rm", DEMO_PASSWORDS["rm"], roles.RELATIONSHIP_MANAGER, manager_id=manager_id)
    users.create_user("presenter", DEMO_PASSWORDS["presenter"], roles.PRESENTER)
    users.create_user("marketing", DEMO_PASSWORDS["marketing"], roles.MARKETING_HEAD)
    log("Created demo users (DEMO ONLY - change or delete them on the Admin page):")
    for name, password in DEMO_PASSWORDS.items():
        log(f"  {name:<10} {password}")
    return True
