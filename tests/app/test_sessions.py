"""Sessions end everywhere at once: sign-out, a new password, a changed role or a disabled user
refuse every copy of the user's session cookie; sessions also end after an absolute lifetime.
Sign-in throttling counts per name and client address, atomically; open paths match exactly."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from auth import audit, roles, sessions, throttle, users
from tests.app.conftest import post_sign_in, sign_in, sign_out
from tests.app.test_http_guard import router_payload


def _copy(client, app_module):
    """A second client holding a copy of ``client``'s session cookie (a stolen cookie)."""
    other = app_module.server.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _signed_in(client) -> bool:
    response = client.post("/_dash-update-component", json=router_payload("/", ""))
    return response.status_code == 200


def _new_user(role=roles.ANALYST, **scope) -> tuple[str, str]:
    name, password = f"u-{uuid.uuid4().hex[:8]}", "a-long-password"
    users.create_user(name, password, role, **scope)
    return name, password


def _address() -> str:
    """A client address of its own (the demo ops store, and its counts, outlive one test)."""
    a, b, c = uuid.uuid4().bytes[:3]
    return f"10.{a}.{b}.{c}"


def _sign_in(app_module, name: str, password: str, address: str = "127.0.0.1"):
    client = app_module.server.test_client()
    response = post_sign_in(client, name, password, environ_base={"REMOTE_ADDR": address})
    return client, response


def test_sign_out_ends_every_copy_of_the_session(mams_app):
    name, password = _new_user()
    client, _ = _sign_in(mams_app, name, password)
    stolen = _copy(client, mams_app)
    elsewhere, _ = _sign_in(mams_app, name, password)  # the same user on another device
    assert _signed_in(stolen) and _signed_in(elsewhere)
    assert sign_out(client).status_code == 302
    assert not _signed_in(stolen) and not _signed_in(elsewhere) and not _signed_in(client)
    assert stolen.get("/branches").status_code == 302  # back to the sign-in form


def test_get_logout_only_asks(mams_app):
    name, password = _new_user()
    client, _ = _sign_in(mams_app, name, password)
    page = client.get("/logout")
    assert page.status_code == 200 and b'id="logout-form"' in page.data
    assert _signed_in(client)  # a link or image on another site cannot sign anyone out


@pytest.mark.parametrize(
    "change",
    [
        {"password": "another-long-password"},
        {"role": roles.BRANCH_MANAGER, "branch_id": 1},
        {"active": False},
    ],
    ids=["password reset", "role change", "disabled"],
)
def test_an_admin_change_ends_the_users_sessions(mams_app, change):
    name, password = _new_user()
    client, _ = _sign_in(mams_app, name, password)
    stolen = _copy(client, mams_app)
    args = {"role": roles.ANALYST, **change}
    users.update_user(name, args.pop("role"), **args)
    assert not _signed_in(client) and not _signed_in(stolen)


def test_saving_a_user_unchanged_keeps_the_session(mams_app):
    name, password = _new_user(roles.BRANCH_MANAGER, branch_id=2)
    client, _ = _sign_in(mams_app, name, password)
    users.update_user(name, roles.BRANCH_MANAGER, branch_id=2)
    assert _signed_in(client)


def test_sessions_end_after_the_absolute_lifetime(mams_app, monkeypatch):
    name, password = _new_user()
    client, _ = _sign_in(mams_app, name, password)
    assert _signed_in(client)
    later = time.time() + sessions.ABSOLUTE_HOURS * 3600 + 60
    monkeypatch.setattr(sessions.time, "time", lambda: later)
    assert not _signed_in(client)


def test_parallel_guesses_cannot_exceed_the_limit(mams_app, monkeypatch):
    name, _ = _new_user()
    checked = []
    real = users.authenticate

    def slow_check(username, password):
        checked.append(username)
        time.sleep(0.05)  # all guesses overlap the check
        return real(username, password)

    monkeypatch.setattr(users, "authenticate", slow_check)
    results = []
    guesser = _address()

    def guess(i: int) -> None:
        _, response = _sign_in(mams_app, name, f"wrong-{i}", address=guesser)
        results.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [401] * 15
    # the free failures and the one that starts the lock are checked; the rest never reach a check
    assert len(checked) == throttle.FREE_FAILURES + 1


def test_a_guesser_cannot_lock_the_real_user_out(mams_app):
    name, password = _new_user()
    guesser = _address()
    for i in range(throttle.FREE_FAILURES + 3):
        _sign_in(mams_app, name, f"wrong-{i}", address=guesser)
    _, refused = _sign_in(mams_app, name, password, address=guesser)
    assert refused.status_code == 401 and b"Too many failed attempts" in refused.data
    client, ok = _sign_in(mams_app, name, password, address=_address())  # the user's own machine
    assert ok.status_code == 302 and _signed_in(client)


def test_over_long_input_is_refused_before_anything_is_stored(mams_app):
    huge = "x" * 400_000
    _, response = _sign_in(mams_app, huge, "whatever")
    assert response.status_code == 401
    entries = audit.recent(50)
    assert all(len(str(e)) < 2_000 for e in entries)
    assert throttle.locked_for(huge, "127.0.0.1") == 0


@pytest.mark.parametrize(
    "path",
    [
        "/assets/",
        "/assets",
        "/assets/../branches",
        "/assets/x/../../admin",
        "/lang/x/../y",
        "/lang/xx",
        "/lang/",
    ],
)
def test_open_paths_match_exactly(mams_app, path):
    response = mams_app.server.test_client().get(path)
    assert response.status_code in (302, 401, 404)
    assert b"_dash-config" not in response.data  # never the app shell before sign-in


def test_the_sign_in_style_sheet_stays_open(mams_app):
    assert mams_app.server.test_client().get("/assets/00-bootstrap.min.css").status_code == 200


def test_demo_sign_in_helper_still_works(mams_app):
    assert _signed_in(sign_in(mams_app, "analyst"))


def test_a_callback_answer_does_not_put_back_an_older_session(mams_app):
    """A slow callback that began before a language switch must not undo it: callback answers
    leave the session cookie alone unless they changed the session; page loads refresh it."""
    client = sign_in(mams_app, "analyst")
    answer = client.post("/_dash-update-component", json=router_payload("/branches", ""))
    assert answer.status_code == 200
    assert not any(h.startswith("session=") for h in answer.headers.getlist("Set-Cookie"))
    page = client.get("/branches")
    assert any(h.startswith("session=") for h in page.headers.getlist("Set-Cookie"))
