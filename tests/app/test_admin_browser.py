"""The Admin page's user forms in headless Chromium: create a user (the page says what it
created), a taken name refused, change the user through "Change a user" (the page says what
changed), and a change made meanwhile by another admin refused instead of overwritten."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.support.ui import Select

from auth import roles, users
from tests.app.browser import severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _message(dash_duo, ident: str) -> str:
    return dash_duo.find_element(f"#{ident}").text


def _create(dash_duo, name: str) -> None:
    for ident, value in (("admin--username", name), ("admin--password", "a-long-password")):
        field = dash_duo.find_element(f"#{ident}")
        field.clear()
        field.send_keys(value)
    dash_duo.find_element("#admin--save").click()


def test_admin_creates_and_changes_a_user_and_a_stale_change_is_refused(dash_duo, mams_app):
    name = f"b-{uuid.uuid4().hex[:8]}"
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "admin")
    dash_duo.driver.get(url(dash_duo, "/admin"))
    dash_duo.wait_for_element("#admin--users", timeout=20)

    _create(dash_duo, name)
    wait_until(lambda: "Created user" in _message(dash_duo, "admin--message"), "the created message")
    assert name in dash_duo.find_element("#admin--users").text
    _create(dash_duo, name)
    wait_until(lambda: "exists already" in _message(dash_duo, "admin--message"), "the refusal")

    pick = dash_duo.find_element("#admin--edit-user")
    wait_until(lambda: name in [o.text for o in Select(pick).options], "the new user among the choices")
    Select(pick).select_by_value(name)
    dash_duo.wait_for_element("#admin--edit-role")
    Select(dash_duo.find_element("#admin--edit-role")).select_by_value(roles.PRESENTER)
    dash_duo.find_element("#admin--edit-save").click()
    wait_until(
        lambda: "role Head-office analyst → Presenter" in _message(dash_duo, "admin--edit-message"),
        "the change message",
    )
    assert users.get_user(name).role == roles.PRESENTER

    users.update_user(name, roles.ANALYST)  # another admin, meanwhile
    Select(dash_duo.find_element("#admin--edit-role")).select_by_value(roles.BRANCH_MANAGER)
    dash_duo.find_element("#admin--edit-branch").send_keys("3")
    dash_duo.find_element("#admin--edit-save").click()
    wait_until(lambda: "changed by someone else" in _message(dash_duo, "admin--edit-message"), "the refusal")
    assert users.get_user(name) == users.User(name, roles.ANALYST)
    assert not severe_logs(dash_duo)
