"""Fixtures for the app tests: the one Dash app on the shared demo warehouse, signed-in
HTTP clients per demo user, and headless Chromium options for dash[testing]."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest


def pytest_setup_options():
    """Chrome options for dash_duo: headless, and what Chromium needs to run as root in CI."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    return options


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ops_engine: str) -> Path:
    """An empty MAMS_HOME for tests of the ops-store parts (users, throttle, audit), with the
    store on SQLite and on PostgreSQL (``ops_engine``)."""
    home = tmp_path / "home"
    monkeypatch.setenv("MAMS_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def mams_app(demo_home: Path):
    """The app module (imported once: Dash pages register globally), with the demo users."""
    assert os.environ["MAMS_HOME"] == str(demo_home)
    import app as app_module

    app_module.prepare_demo(log=lambda _line: None)
    return app_module


def form_token(client, path: str = "/login", **kwargs) -> str:
    """The CSRF token of the form ``path`` shows (the sign-in form by default), read from the
    page as a browser would; it belongs to ``client``'s session cookie."""
    page = client.get(path, **kwargs).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def post_sign_in(client, username: str, password: str, query: str = "lang=en", **kwargs):
    """POST the sign-in form as a browser does: GET /login for the form's CSRF token, then POST
    it with the name and password. ``kwargs`` go to both requests (e.g. ``environ_base``)."""
    token = form_token(client, f"/login?{query}", **kwargs)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post(f"/login?{query}", data=data, **kwargs)


def sign_out(client):
    """POST the sign-out form (with its CSRF token) as the confirmation page does."""
    return client.post("/logout", data={"csrf_token": form_token(client, "/logout")})


def sign_in(app_module, username: str, lang: str = "en"):
    """A Flask test client signed in as ``username`` (a demo user) in ``lang``."""
    from auth.demo import DEMO_PASSWORDS

    client = app_module.server.test_client()
    response = post_sign_in(client, username, DEMO_PASSWORDS[username], query=f"lang={lang}")
    assert response.status_code == 302, response.data
    return client
