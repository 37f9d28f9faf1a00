"""Faults of the machine and races, seen by the running app.

- A result cache that cannot be written (a regular file where its folder should be: a real
  fault; a full disk or read-only files: simulated, since CI runs as root and root ignores
  permissions) degrades to uncached serving with the right figures and one logged warning.
- A jobs folder that cannot be written: the app starts and serves; a background callback says
  the job manager is unavailable instead of answering 500.
- An operational store that cannot be written: a clear message at start and at sign-in.
- Admin writes: a taken name is refused (two admins creating it at once: exactly one wins), a
  stale edit is refused, and every write says in the page, and in the audit log, what changed.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import diskcache
import pandas as pd
import pytest
from dash import DiskcacheManager

from auth import audit, roles, users
from cube import cache
from cube.api import Query, Scope, execute
from data import ops_store, paths
from pages import _jobs
from tests.app.conftest import post_sign_in, sign_in
from tests.app.test_frame_http import post, response_of
from tests.app.test_http_guard import router_payload
from tests.app.test_models_page import payload
from tests.app.test_overview_page import text

REPO = Path(__file__).resolve().parents[2]
Q = Query("customers", ("customers.aum", "customers.customers"), ("customers.branch",))


# --- the result cache ----------------------------------------------------------------------------


@pytest.fixture
def fresh_cache(mams_app):
    """The result cache as at start (no fault seen, no handle open), before and after the test."""
    saved = dict(cache._caches)
    cache._caches.clear()
    cache.reset_faults()
    yield
    cache._caches.clear()
    cache._caches.update(saved)
    cache.reset_faults()


def _blocked(tmp_path: Path) -> Path:
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder should be")
    return blocker


def _break_cache(how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "folder blocked":  # real: the folder cannot be made
        blocked = _blocked(tmp_path) / "cache"
        monkeypatch.setattr(paths, "cache_dir", lambda: paths._existing(blocked))
    elif how == "read-only files":  # simulated: what diskcache raises on files it may not open

        def refuse(*_args, **_kwargs):
            raise PermissionError(errno.EACCES, "Permission denied", str(paths.home_path() / "cache"))

        monkeypatch.setattr(cache.diskcache, "Cache", refuse)
    else:  # "full disk", simulated: diskcache's write raises ENOSPC; reads still work

        def full(*_args, **_kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(diskcache.Cache, "set", full)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customers.branch").reset_index(drop=True)


def _cache_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cube.cache" and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("how", ["folder blocked", "read-only files", "full disk"])
def test_an_unusable_cache_serves_uncached_with_one_warning(fresh_cache, tmp_path, monkeypatch, caplog, how):
    expected = _sorted(execute(Q, Scope.all(), use_cache=False).frame)
    _break_cache(how, tmp_path, monkeypatch)
    caplog.set_level(logging.WARNING, logger="cube.cache")
    for _ in range(4):
        result = execute(Q, Scope.all())
        assert not result.cached
        pd.testing.assert_frame_equal(_sorted(result.frame), expected)
    for region in (1, 2):  # other scopes: still no error, still no second warning
        assert not execute(Q, Scope.of("region", region)).cached
    warnings = _cache_warnings(caplog)
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "serving without it" in warnings[0].getMessage()


def test_the_cache_is_tried_again_later_and_then_serves(fresh_cache, tmp_path, monkeypatch, caplog):
    _break_cache("full disk", tmp_path, monkeypatch)
    caplog.set_level(logging.DEBUG, logger="cube.cache")
    execute(Q, Scope.all())
    monkeypatch.undo()  # the disk has room again
    monkeypatch.setattr(cache, "_off_until", 0.0)  # ... and the retry interval has passed
    execute(Q, Scope.all())
    assert execute(Q, Scope.all()).cached
    assert len(_cache_warnings(caplog)) == 1


def test_views_answer_with_a_full_disk(fresh_cache, mams_app, tmp_path, monkeypatch, caplog):
    client = sign_in(mams_app, "analyst")
    _break_cache("full disk", tmp_path, monkeypatch)
    caplog.set_level(logging.WARNING, logger="cube.cache")
    response = client.post("/_dash-update-component", json=router_payload("/branches", ""))  # many queries
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert len(_cache_warnings(caplog)) == 1


# --- the background-job manager ------------------------------------------------------------------


def test_a_jobs_folder_that_cannot_be_made_gives_a_manager_that_refuses(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="pages._jobs")
    blocked = _blocked(tmp_path) / "jobs"
    manager = _jobs.manager(lambda: diskcache.Cache(str(blocked)))
    assert isinstance(manager, _jobs.UnavailableJobs)
    assert len([r for r in caplog.records if r.name == "pages._jobs"]) == 1
    with pytest.raises(_jobs.JobsUnavailable):
        manager.call_job_fn("k", None, (), {})
    assert manager.get_result("k", None) is manager.UNDEFINED and not manager.job_running(1)


def _start_job(client, mams_app) -> dict:
    """Fire the Model runs page's background callback, as the browser does after Start."""
    body = payload(mams_app, ("models--ticket", "data"), {"models--ticket.data": "a-ticket"}, {}, "outcome")
    response = post(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


@pytest.mark.parametrize("fault", ["unavailable at start", "disk full when the job starts"])
def test_a_background_callback_says_jobs_are_unavailable(mams_app, tmp_path, monkeypatch, fault):
    if fault == "unavailable at start":
        manager = _jobs.UnavailableJobs("jobs folder not writable")
    else:
        manager = _jobs.GuardedJobs(diskcache.Cache(str(tmp_path / "jobs")))

        def full(*_args, **_kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(DiskcacheManager, "call_job_fn", full)
    monkeypatch.setattr(mams_app.app, "_background_manager", manager)
    client = sign_in(mams_app, "analyst")
    outcome = _start_job(client, mams_app)["models--outcome"]["children"]
    assert "Background jobs are unavailable" in text(outcome)


def test_other_callback_errors_are_raised_as_before():
    with pytest.raises(KeyError):
        _jobs.on_error(KeyError("x"))


_START = """
import logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
import app
print(type(app.app._background_manager).__name__)
print(app.server.test_client().get("/login").status_code, flush=True)
"""


@pytest.mark.slow  # a fresh interpreter imports the whole app
def test_the_app_starts_and_serves_when_its_jobs_folder_cannot_be_made(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "jobs").write_text("a regular file where the jobs folder should be")  # a real fault
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _START], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["UnavailableJobs", "200"]
    assert done.stderr.count("Background jobs are unavailable") == 1


# --- the operational store -----------------------------------------------------------------------


def _store_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open the store the way SQLite does a file it may not write (writes fail SQLITE_READONLY)."""
    real = sqlite3.connect
    monkeypatch.setattr(
        ops_store.sqlite3, "connect", lambda path, *a, **kw: real(f"file:{path}?mode=ro", *a, uri=True, **kw)
    )


def test_a_read_only_store_is_named_at_start(mams_app, monkeypatch, caplog):
    _store_read_only(monkeypatch)
    caplog.set_level(logging.ERROR, logger="app")
    mams_app._start_checks()  # what create_app runs (gunicorn workers): logs, serves
    errors = [r.getMessage() for r in caplog.records if r.name == "app" and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and str(paths.ops_db_path()) in errors[0] and "writable" in errors[0]
    assert "cannot rollback" not in errors[0]
    with pytest.raises(ops_store.StoreUnwritable, match="ops.sqlite"):  # `python app.py` stops with it
        mams_app.prepare_demo(log=lambda _line: None)


def test_a_read_only_store_gives_a_clear_message_at_sign_in(mams_app, monkeypatch):
    client = mams_app.server.test_client()
    _store_read_only(monkeypatch)
    response = post_sign_in(client, "analyst", "analyst-demo-2026")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "Sign-in is unavailable" in body and "ops.sqlite" in body
    assert "rollback" not in body
    monkeypatch.undo()
    assert post_sign_in(client, "analyst", "analyst-demo-2026").status_code == 302


def test_a_database_server_that_cannot_be_reached_gives_a_clear_message_at_sign_in(mams_app, monkeypatch):
    client = mams_app.server.test_client()
    token_page = client.get("/login?lang=en")  # the form (and its token) come before the store fails
    assert token_page.status_code == 200
    dead = "postgresql://mams:s3cret-pass@127.0.0.1:1/mams"
    monkeypatch.setenv("MAMS_OPS_URL", dead)
    try:
        response = post_sign_in(client, "analyst", "analyst-demo-2026")
    finally:
        ops_store.dispose(ops_store.url())
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and "database server cannot be reached" in body
    assert "s3cret-pass" not in body and "Traceback" not in body
    monkeypatch.undo()
    assert post_sign_in(client, "analyst", "analyst-demo-2026").status_code == 302


# --- admin writes ----------------------------------------------------------------------------------


def _create(client, mams_app, name: str, password: str = "a-long-password", role: str = "analyst", **scope):
    state = {
        "admin--username.value": name,
        "admin--password.value": password,
        "admin--role.value": role,
        "admin--region.value": scope.get("region_id"),
        "admin--branch.value": scope.get("branch_id"),
        "admin--manager.value": scope.get("manager_id"),
        "admin--active.value": True,
    }
    body = payload(
        mams_app, ("admin--save", "n_clicks"), {"admin--save.n_clicks": 1}, state, "admin--message"
    )
    return response_of(post(client, body))


def _open(client, mams_app, name: str) -> dict:
    body = payload(mams_app, ("admin--edit-user", "value"), {"admin--edit-user.value": name}, {}, "edit-role")
    return response_of(post(client, body))


def _save(client, mams_app, name: str, loaded, password: str = "", **values) -> dict:
    state = {
        "admin--edit-user.value": name,
        "admin--edit-loaded.data": loaded,
        "admin--edit-password.value": password,
        "admin--edit-role.value": values.get("role", "analyst"),
        "admin--edit-region.value": values.get("region_id"),
        "admin--edit-branch.value": values.get("branch_id"),
        "admin--edit-manager.value": values.get("manager_id"),
        "admin--edit-active.value": values.get("active", True),
    }
    body = payload(
        mams_app, ("admin--edit-save", "n_clicks"), {"admin--edit-save.n_clicks": 1}, state, "edit-message"
    )
    return response_of(post(client, body))


def _said(response: dict, ident: str) -> str:
    (value,) = response[ident].values()
    return text(value)


def _name() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


def test_creating_a_taken_name_is_refused_and_changes_nothing(mams_app):
    client = sign_in(mams_app, "admin")
    name = _name()
    first = _create(client, mams_app, name, "first-password", "branch_manager", branch_id=3)
    assert "Created user" in _said(first, "admin--message") and "Branch manager" in _said(
        first, "admin--message"
    )
    again = _create(client, mams_app, name, "second-password", "admin")
    assert "exists already" in _said(again, "admin--message") and "admin--users-box" not in again
    assert users.get_user(name) == users.User(name, "branch_manager", branch_id=3)
    assert users.authenticate(name, "first-password") and not users.authenticate(name, "second-password")
    assert any(e["action"] == "user_create_refused" and name in e["detail"] for e in audit.recent(10))


def test_two_admins_creating_one_name_at_once_exactly_one_wins(mams_app):
    name = _name()
    clients = [sign_in(mams_app, "admin") for _ in range(4)]
    start = threading.Barrier(len(clients))
    said: dict[int, str] = {}

    def create(i: int) -> None:
        start.wait()
        said[i] = _said(_create(clients[i], mams_app, name, f"password-{i}", "analyst"), "admin--message")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [i for i, message in said.items() if message.startswith("Created user")]
    assert len(winners) == 1, said
    assert all("exists already" in m for i, m in said.items() if i != winners[0])
    assert users.authenticate(name, f"password-{winners[0]}") is not None
    assert [u.username for u in users.list_users()].count(name) == 1


def test_racing_creates_in_the_user_store_exactly_one_succeeds(mams_app):
    name = _name()
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def create(i: int) -> None:
        start.wait()
        try:
            users.create_user(name, f"password-{i}", roles.ANALYST)
            outcomes.append("created")
        except users.UserError as exc:
            outcomes.append(exc.key)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["exists"] * 5


def test_a_stale_edit_is_refused_not_written_over(mams_app):
    name = _name()
    users.create_user(name, "a-long-password", roles.ANALYST)
    mine, theirs = sign_in(mams_app, "admin"), sign_in(mams_app, "admin")
    loaded = _open(mine, mams_app, name)["admin--edit-loaded"]["data"]
    assert loaded == {"username": name, "version": 0}
    their_loaded = _open(theirs, mams_app, name)["admin--edit-loaded"]["data"]
    done = _save(theirs, mams_app, name, their_loaded, role="branch_manager", branch_id=4)
    assert "Changed user" in _said(done, "admin--edit-message")
    refused = _save(mine, mams_app, name, loaded, role="presenter")
    message = _said(refused, "admin--edit-message")
    assert "changed by someone else since you opened it — reload" in message
    assert users.get_user(name) == users.User(name, "branch_manager", branch_id=4)  # theirs stands
    reloaded = _open(mine, mams_app, name)
    assert reloaded["admin--edit-role"]["value"] == "branch_manager"
    done = _save(mine, mams_app, name, reloaded["admin--edit-loaded"]["data"], role="presenter")
    assert "role Branch manager → Presenter" in _said(done, "admin--edit-message")
    assert users.get_user(name).version == 2
    with pytest.raises(users.StaleEdit):
        users.update_user(name, roles.ANALYST, expected_version=1)


def test_every_admin_write_says_what_it_changed_and_audits_it(mams_app):
    name = _name()
    client = sign_in(mams_app, "admin")
    _create(client, mams_app, name)
    loaded = _open(client, mams_app, name)["admin--edit-loaded"]["data"]
    done = _save(client, mams_app, name, loaded, "a-new-password", role="branch_manager", branch_id=3)
    message = _said(done, "admin--edit-message")
    assert "role Head-office analyst → Branch manager" in message
    assert "branch none → 3" in message and "password reset" in message
    assert done["admin--edit-loaded"]["data"]["version"] == loaded["version"] + 1
    assert name in json.dumps(done["admin--users-box"])
    entry = next(
        e for e in audit.recent(10) if e["action"] == "user_changed" and e["detail"].startswith(name)
    )
    assert entry["username"] == "admin"
    assert entry["detail"] == f"{name}: role analyst -> branch_manager; branch_id None -> 3; password reset"
    assert users.authenticate(name, "a-new-password") is not None

    loaded = done["admin--edit-loaded"]["data"]
    off = _save(client, mams_app, name, loaded, role="branch_manager", branch_id=3, active=False)
    assert _said(off, "admin--edit-message") == f"Changed user {name}: disabled."
    loaded = off["admin--edit-loaded"]["data"]
    on = _save(client, mams_app, name, loaded, role="branch_manager", branch_id=3, active=True)
    assert _said(on, "admin--edit-message") == f"Changed user {name}: enabled again."
    loaded = on["admin--edit-loaded"]["data"]
    same = _save(client, mams_app, name, loaded, role="branch_manager", branch_id=3)
    assert "Nothing to change" in _said(same, "admin--edit-message")
    short = _save(client, mams_app, name, loaded, "short", role="branch_manager", branch_id=3)
    assert "A password of 8 to 256 characters" in _said(short, "admin--edit-message")
    assert users.get_user(name).version == loaded["version"]  # refused and unchanged: no new version


def test_the_change_form_refuses_without_a_loaded_user(mams_app):
    client = sign_in(mams_app, "admin")
    refused = _save(client, mams_app, "admin", None, role="admin")
    assert "Pick a user to change first" in _said(refused, "admin--edit-message")
    other = _save(client, mams_app, "analyst", {"username": "admin", "version": 0}, role="admin")
    assert "Pick a user to change first" in _said(other, "admin--edit-message")
    assert users.get_user("analyst").role == roles.ANALYST


def test_admin_messages_are_in_both_languages():
    from components.i18n import MESSAGES

    for key in [k for k in MESSAGES if k.startswith(("admin.", "jobs.", "signin.store"))]:
        assert MESSAGES[key]["en"] and MESSAGES[key]["zh"] and MESSAGES[key]["en"] != MESSAGES[key]["zh"]


@pytest.mark.parametrize(
    "bad",
    [
        {"admin--region.value": 10**30},
        {"admin--branch.value": "abc"},
        {"admin--role.value": ["admin"]},
        {"admin--username.value": {"a": 1}},
        {"admin--password.value": 12345678},
        {"admin--active.value": "yes"},
    ],
)
def test_malformed_admin_input_gets_a_message_not_a_500(mams_app, bad):
    client = sign_in(mams_app, "admin")
    name = _name()
    state = {
        "admin--username.value": name,
        "admin--password.value": "a-long-password",
        "admin--role.value": "branch_manager",
        "admin--branch.value": 3,
        "admin--active.value": True,
        **bad,
    }
    body = payload(
        mams_app, ("admin--save", "n_clicks"), {"admin--save.n_clicks": 1}, state, "admin--message"
    )
    assert "Created user" not in _said(response_of(post(client, body)), "admin--message")
    assert users.get_user(name) is None
    edited = {k.replace("admin--", "admin--edit-"): v for k, v in bad.items()}
    loaded = {"username": "analyst", "version": users.get_user("analyst").version}
    state = {
        "admin--edit-user.value": "analyst",
        "admin--edit-loaded.data": loaded,
        "admin--edit-role.value": "analyst",
        "admin--edit-active.value": True,
        **edited,
    }
    fired = ("admin--edit-save", "n_clicks")
    body = payload(mams_app, fired, {"admin--edit-save.n_clicks": 1}, state, "edit-message")
    assert _said(response_of(post(client, body)), "admin--edit-message")
    assert users.get_user("analyst") == users.User("analyst", roles.ANALYST)


def test_racing_saves_of_one_loaded_version_exactly_one_is_written(mams_app):
    name = _name()
    users.create_user(name, "a-long-password", roles.ANALYST)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def save(branch: int) -> None:
        start.wait()
        try:
            users.update_user(name, roles.BRANCH_MANAGER, branch_id=branch, expected_version=0)
            outcomes.append(f"saved {branch}")
        except users.StaleEdit:
            outcomes.append("stale")

    threads = [threading.Thread(target=save, args=(b,)) for b in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (saved,) = [o for o in outcomes if o.startswith("saved")]
    assert outcomes.count("stale") == 3
    assert users.get_user(name).branch_id == int(saved.split()[1]) and users.get_user(name).version == 1
