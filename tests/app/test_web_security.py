"""Web-level defences (auth/web_security.py): CSRF tokens on the sign-in and sign-out forms,
the Origin check on Dash's callback requests, security headers on every response, the HTTPS
and reverse-proxy settings, and, in a real browser, pages that render under the content
security policy with no violation in the console."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

import flask
import pytest

from auth import audit, users, web_security
from tests.app import browser
from tests.app.conftest import form_token, post_sign_in, sign_in, sign_out
from tests.app.test_http_guard import router_payload

EXPIRED = b"This form has expired or was not sent from this site"
# A callback that answers at once: the router opening Admin, which an analyst is refused
CHEAP, CHEAP_ANSWER = router_payload("/admin", ""), b"admin--denied"


@pytest.fixture(scope="module")
def analyst(mams_app):
    """One signed-in analyst for the callback tests (they leave the session as it was)."""
    return sign_in(mams_app, "analyst")


def _new_user() -> tuple[str, str]:
    name, password = f"w-{uuid.uuid4().hex[:8]}", "a-long-password"
    users.create_user(name, password, "analyst")
    return name, password


def _new_client(mams_app):
    """A client signed in as a new analyst: signing out ends every session of a user, so the
    sign-out tests leave the demo users' sessions of other tests alone."""
    name, password = _new_user()
    client = mams_app.server.test_client()
    assert post_sign_in(client, name, password).status_code == 302
    return client


def _signed_in(client) -> bool:
    return client.post("/_dash-update-component", json=CHEAP).status_code == 200


def _token_of_another_session(mams_app) -> str:
    return form_token(mams_app.server.test_client())


@pytest.mark.parametrize("token", [None, "not-a-token", "another session's"])
def test_sign_in_without_this_sessions_token_is_refused_and_nothing_is_checked(mams_app, token):
    name, password = _new_user()
    client = mams_app.server.test_client()
    form_token(client)  # the session holds a token; the post does not carry it
    data = {"username": name, "password": password}
    if token is not None:
        data["csrf_token"] = _token_of_another_session(mams_app) if token == "another session's" else token
    response = client.post("/login?lang=en", data=data)
    assert response.status_code == 400
    assert EXPIRED in response.data and b'id="login-form"' in response.data  # the form again
    assert client.get("/branches").status_code == 302  # not signed in
    assert not [e for e in audit.recent(50) if e["username"] == name]  # no failed password, no sign-in


def test_the_refused_form_offers_a_fresh_token_that_works(mams_app):
    name, password = _new_user()
    client = mams_app.server.test_client()
    refused = client.post("/login?lang=zh", data={"username": name, "password": password})
    assert refused.status_code == 400 and "表单已过期".encode() in refused.data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', refused.data).group(1).decode()
    again = client.post("/login?lang=zh", data={"username": name, "password": password, "csrf_token": token})
    assert again.status_code == 302 and _signed_in(client)


def test_sign_in_with_the_token_works(mams_app):
    name, password = _new_user()
    client = mams_app.server.test_client()
    assert post_sign_in(client, name, password).status_code == 302
    assert _signed_in(client)
    assert any(e["action"] == "sign_in" and e["username"] == name for e in audit.recent(10))


def test_sign_out_without_the_token_is_refused(mams_app):
    client = _new_client(mams_app)
    refused = client.post("/logout")
    assert refused.status_code == 400 and EXPIRED in refused.data
    assert b'href="/logout"' in refused.data  # back to the confirmation form, by GET
    assert _signed_in(client)
    assert sign_out(client).status_code == 302
    assert not _signed_in(client)


def _component(tree, element_id: str) -> dict | None:
    """The props of the component ``element_id`` in a Dash layout JSON."""
    if isinstance(tree, dict):
        if isinstance(tree.get("props"), dict) and tree["props"].get("id") == element_id:
            return tree["props"]
        tree = list(tree.values())
    if isinstance(tree, list):
        for value in tree:
            found = _component(value, element_id)
            if found is not None:
                return found
    return None


def test_the_navbar_sign_out_form_carries_a_working_token(mams_app):
    client = _new_client(mams_app)
    hidden = _component(client.get("/_dash-layout").get_json(), "nav--csrf")
    assert hidden and hidden["name"] == "csrf_token" and hidden["type"] == "hidden"
    assert client.post("/logout", data={"csrf_token": hidden["value"]}).status_code == 302
    assert not _signed_in(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a redirect from elsewhere
        {"Origin": "http://localhost.evil.example"},
        {"Referer": "http://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["foreign origin", "null origin", "look-alike host", "foreign referer", "cross-site fetch", "mixed"],
)
def test_a_callback_from_another_site_is_refused(analyst, headers):
    response = analyst.post("/_dash-update-component", json=CHEAP, headers=headers)
    assert response.status_code == 403
    assert "cross-site request refused" in response.get_json()["error"]
    assert CHEAP_ANSWER not in response.data


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost"},
        {"Referer": "http://localhost/branches"},
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
        {},  # no browser page: a script of the user's own, which holds no victim's cookie
    ],
    ids=["same origin", "same-origin referer", "same-origin fetch", "no browser"],
)
def test_a_callback_from_our_pages_works(analyst, headers):
    response = analyst.post("/_dash-update-component", json=CHEAP, headers=headers)
    assert response.status_code == 200 and CHEAP_ANSWER in response.data


def test_a_callback_must_be_json(analyst):
    # what an HTML form on another site can send without a CORS preflight
    body = flask.json.dumps(CHEAP)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = analyst.post(
            "/_dash-update-component",
            data=body,
            headers={"Content-Type": content_type, "Origin": "http://localhost"},
        )
        assert response.status_code == 415, content_type
        assert CHEAP_ANSWER not in response.data


def _assert_security_headers(response) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"] and "eval" not in directives["script-src"]
    assert directives["default-src"] == "'self'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # MAMS_HTTPS is off


def test_security_headers_on_the_sign_in_form_a_page_an_asset_and_a_refusal(mams_app, analyst):
    anonymous = mams_app.server.test_client()
    _assert_security_headers(anonymous.get("/login"))
    _assert_security_headers(anonymous.get("/assets/00-bootstrap.min.css"))
    _assert_security_headers(anonymous.get("/branches"))  # the redirect to sign-in
    _assert_security_headers(anonymous.post("/_dash-update-component", json=CHEAP))
    page = analyst.get("/branches", headers={"X-Forwarded-Proto": "https"})  # no HSTS even so
    assert page.status_code == 200 and b"_dash-config" in page.data
    _assert_security_headers(page)
    _assert_security_headers(analyst.get("/_dash-layout"))


def test_the_policy_allows_exactly_dashs_inline_scripts(mams_app, analyst):
    page = analyst.get("/")
    policy = page.headers["Content-Security-Policy"]
    hashes = mams_app.app.csp_hashes()
    assert hashes and all(h in policy for h in hashes)
    # every inline script the page runs is one of them (the config block is data, not script)
    html = re.sub(rb"<!--.*?-->", b"", page.data, flags=re.S)  # Dash's IE-only note is a comment
    inline = re.findall(rb"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, flags=re.S)
    executed = [body for attrs, body in inline if b"application/json" not in attrs]
    assert executed
    for body in executed:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'" in policy


def _tiny_app(monkeypatch, **env) -> flask.Flask:
    """A bare Flask app with the web defences, under the given settings."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = flask.Flask("tiny")
    app.config["SECRET_KEY"] = "test-" * 8
    web_security.init(app, tuple, lambda error: ("refused", 400))

    @app.route("/where")
    def where():
        return flask.jsonify(
            addr=flask.request.remote_addr, scheme=flask.request.scheme, host=flask.request.host
        )

    return app


def test_https_on_redirects_plain_http_and_sends_hsts(monkeypatch):
    client = _tiny_app(monkeypatch, MAMS_HTTPS="1").test_client()
    plain = client.get("/where")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    secure = client.get("/where", base_url="https://bank.example")
    assert secure.status_code == 200 and "max-age=" in secure.headers["Strict-Transport-Security"]


def test_https_off_neither_redirects_nor_sends_hsts(monkeypatch):
    monkeypatch.delenv("MAMS_HTTPS", raising=False)
    client = _tiny_app(monkeypatch).test_client()
    response = client.get("/where", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200 and "Strict-Transport-Security" not in response.headers


def test_proxy_hops_trust_forwarded_headers_from_that_many_proxies_only(monkeypatch):
    forwarded = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Host": "bank.example"}
    monkeypatch.delenv("MAMS_PROXY_HOPS", raising=False)
    direct = _tiny_app(monkeypatch).test_client().get("/where", headers=forwarded).get_json()
    assert direct["addr"] == "127.0.0.1" and direct["host"] == "localhost"  # forged headers ignored
    proxied = _tiny_app(monkeypatch, MAMS_PROXY_HOPS="1").test_client()
    seen = proxied.get("/where", headers={**forwarded, "X-Forwarded-Proto": "https"}).get_json()
    assert seen == {"addr": "198.51.100.7", "scheme": "https", "host": "bank.example"}  # the last hop only


@pytest.mark.browser
@pytest.mark.slow
def test_pages_render_under_the_policy_with_no_violation(dash_duo, mams_app, crosssell_and_churn_runs):
    name, password = _new_user()  # signing out below ends the user's every session
    dash_duo.start_server(mams_app.app, navigate=False)
    dash_duo.driver.get(browser.url(dash_duo, "/login?lang=en"))
    dash_duo.find_element("#username").send_keys(name)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#login-submit").click()  # the form's token, as the browser sends it
    dash_duo.wait_for_element("#nav--user", timeout=20)
    pages = {
        "/": "[id*='\"overview:explain\"'] .js-plotly-plot .point",  # the waterfall
        "/branches": f"{browser.UNITS_CHART} .js-plotly-plot .point",
        "/cross-sell": "#cross-sell--graph canvas",  # dash-cytoscape
        "/segmentation": ".js-plotly-plot canvas.gl-canvas",  # Plotly's WebGL (Scattergl) map
    }
    for path, selector in pages.items():
        dash_duo.driver.get(browser.url(dash_duo, path))
        dash_duo.wait_for_element(selector, timeout=30)
        dash_duo.wait_for_element("#nav--sign-out", timeout=10)
    logs = dash_duo.get_logs()
    assert not [e for e in logs if "Content Security Policy" in e["message"]], logs
    assert not [e for e in logs if e.get("level") == "SEVERE"], logs
    # the check can fail: an injected inline script is blocked and reported in the console
    dash_duo.driver.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.body.appendChild(s);"
    )
    assert dash_duo.driver.execute_script("return window.injected") is None
    assert any("Content Security Policy" in e["message"] for e in dash_duo.get_logs())
    # the navbar's sign-out form posts its token: back to the sign-in form
    dash_duo.find_element("#nav--sign-out").click()
    dash_duo.wait_for_element("#login-form", timeout=20)
    assert "/login" in dash_duo.driver.current_url
