"""Users, passwords, scopes, throttling and the audit log, on a private ops store."""

from __future__ import annotations

import stat

import pytest

from auth import audit, passwords, roles, throttle, users


def test_passwords_are_argon2_hashed_and_verified():
    stored = passwords.hash_password("correct horse")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert passwords.verify_password(stored, "correct horse")
    assert not passwords.verify_password(stored, "wrong horse")
    assert not passwords.verify_password("not a hash", "correct horse")


def test_authenticate_checks_password_and_active_flag(private_home):
    users.create_user("bm", "secret-pass", roles.BRANCH_MANAGER, branch_id=3)
    assert users.authenticate("bm", "secret-pass") == users.User("bm", roles.BRANCH_MANAGER, branch_id=3)
    assert users.authenticate("bm", "wrong-pass") is None
    assert users.authenticate("nobody", "secret-pass") is None
    users.update_user("bm", roles.BRANCH_MANAGER, branch_id=3, active=False)
    assert users.authenticate("bm", "secret-pass") is None


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (roles.BRANCH_MANAGER, {}),  # a branch manager without a branch would see nothing sensible
        (roles.RELATIONSHIP_MANAGER, {"branch_id": 1}),
        (roles.ANALYST, {"region_id": 1, "branch_id": 2}),
        ("superuser", {}),
    ],
)
def test_role_and_scope_must_fit(private_home, role, scope):
    with pytest.raises(ValueError):
        users.create_user("x", "long-enough", role, **scope)
    assert users.get_user("x") is None


def test_throttle_locks_out_after_repeated_failures_and_grows(private_home):
    now = 1000.0
    for _ in range(throttle.FREE_FAILURES):
        assert throttle.locked_for("bm", now=now) == 0
        throttle.record_failure("bm", now=now)
    assert throttle.locked_for("bm", now=now) == 0  # the free failures are used up, no lock yet
    throttle.record_failure("bm", now=now)
    first = throttle.locked_for("bm", now=now)
    assert first == throttle.BASE_LOCK_SECONDS
    throttle.record_failure("bm", now=now)
    assert throttle.locked_for("bm", now=now) == 2 * first
    assert throttle.locked_for("other", now=now) == 0
    throttle.record_success("bm")
    assert throttle.locked_for("bm", now=now) == 0


def test_audit_log_keeps_events_newest_first(private_home):
    audit.record("admin", "sign_in")
    audit.record("admin", "export", "branch 3, 10 rows")
    events = audit.recent()
    assert [e["action"] for e in events] == ["export", "sign_in"]
    assert events[0]["detail"] == "branch 3, 10 rows"


def test_secret_key_is_generated_once_owner_only(private_home, monkeypatch):
    from auth.secret import secret_key

    monkeypatch.delenv("MAMS_SECRET_KEY", raising=False)
    first = secret_key()
    assert len(first) >= 32 and secret_key() == first
    mode = stat.S_IMODE((private_home / "secret_key").stat().st_mode)
    assert mode == 0o600
    monkeypatch.setenv("MAMS_SECRET_KEY", "from-the-environment")
    assert secret_key() == "from-the-environment"


def test_catalog_has_every_key_in_both_languages():
    from components.i18n import LANGS, MESSAGES

    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGS), key
        assert all(texts.values()), key
