"""Fixtures of the marketing loop: the session's demo warehouse to choose customers from, and a
fresh operational store per test, on SQLite and on PostgreSQL (``ops_engine``), holding one user
of each role of the loop (the branch manager and relationship manager in the demo's busiest
branch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from auth import roles, users
from auth.users import User
from cube.api import Query, Scope, execute

PASSWORD = "loop-test-pass-2026"


@dataclass(frozen=True)
class LoopUsers:
    admin: User
    analyst: User
    head: User  # marketing head: approves
    head2: User  # a second marketing head (concurrent approvals)
    branch: User  # branch manager of ``branch_id``
    rm: User  # relationship manager ``manager_id`` in that branch
    rm2: User  # another manager of the same branch
    presenter: User
    branch_id: int
    manager_id: int
    manager2_id: int


def _busiest_branch() -> tuple[int, int, int]:
    query = Query(
        "customers", measures=("customers.customers",), dimensions=("customers.branch", "customers.manager")
    )
    frame = execute(query, Scope.all(identities=False)).frame
    branch = int(frame.groupby("customers.branch")["customers.customers"].sum().idxmax())
    managers = frame[frame["customers.branch"] == branch].sort_values("customers.customers", ascending=False)
    return branch, int(managers["customers.manager"].iloc[0]), int(managers["customers.manager"].iloc[1])


@pytest.fixture
def loop_store(demo_home: Path, ops_engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty ops store for this test (warehouse: the session's demo); the engine's name."""
    if ops_engine == "sqlite":
        monkeypatch.setenv("MAMS_OPS_URL", f"sqlite:///{tmp_path / 'ops.sqlite'}")
    return ops_engine


@pytest.fixture
def loop_users(loop_store: str, monkeypatch: pytest.MonkeyPatch) -> LoopUsers:
    # the loop's tests never sign in: a cheap Argon2 cost makes the 8 users in milliseconds,
    # not seconds (the product's cost stays argon2-cffi's default)
    from argon2 import PasswordHasher

    from auth import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    branch, manager, manager2 = _busiest_branch()

    def make(name: str, role: str, **scope) -> User:
        return users.create_user(name, PASSWORD, role, **scope)

    return LoopUsers(
        admin=make("admin", roles.ADMIN),
        analyst=make("analyst", roles.ANALYST),
        head=make("head", roles.MARKETING_HEAD),
        head2=make("head2", roles.MARKETING_HEAD),
        branch=make("branch", roles.BRANCH_MANAGER, branch_id=branch),
        rm=make("rm", roles.RELATIONSHIP_MANAGER, manager_id=manager),
        rm2=make("rm2", roles.RELATIONSHIP_MANAGER, manager_id=manager2),
        presenter=make("presenter", roles.PRESENTER),
        branch_id=branch,
        manager_id=manager,
        manager2_id=manager2,
    )
