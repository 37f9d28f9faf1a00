"""Builds the Dash app: pages, sign-in, the route guard and the background-job manager.

``python app.py`` prepares the demo warehouse and demo users on first start, then serves on
127.0.0.1:8050. ``gunicorn app:server -w 4`` serves the same app from several processes.
No business logic lives here: pages build cube queries, components draw them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dash
import diskcache
import flask
import flask_login
from dash import dcc, html
from flask.sessions import SecureCookieSessionInterface

from auth import audit, demo, sessions, throttle, users, web_security
from auth.secret import secret_key
from components import i18n
from components.frame import click_menu, filter_bar
from components.layout import navbar
from cube import warm
from data import ops_store, paths
from pages import _frame  # noqa: F401 - registers the frame's callbacks (filter bar, click menu)
from pages import _jobs as jobs_manager
from pages._guard import install as install_callback_guard
from pages._response_cache import install as install_answer_cache
from settings import get_settings

HERE = Path(__file__).resolve().parent
_log = logging.getLogger(__name__)
SESSION_HOURS = 8
# Paths anyone may reach, matched exactly: the sign-in form, sign-out, the language switch.
# Files of the assets folder are open too (the sign-in form's style sheet), nothing else.
OPEN_PATHS = frozenset({"/login", "/logout", *(f"/lang/{code}" for code in i18n.LANGS)})
ASSETS = HERE / "assets"
# Longer input is refused before anything is checked or stored (audit log, throttle).
MAX_USERNAME = 64
MAX_PASSWORD = 256


def _safe_next(target: str | None) -> str:
    """Only local paths: an attacker's link must not bounce a signed-in user elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def current_lang() -> str:
    """The user's language, kept in the signed session cookie."""
    return i18n.normalise_lang(flask.session.get("lang"))


class CallbackQuietSessions(SecureCookieSessionInterface):
    """Dash callback responses set the session cookie only when they changed the session.

    A permanent session is re-sent on every response as it was when the request began, so a
    slow callback answering after a language switch (or any other change) put the old cookie
    back (seen in a browser test under load). Page loads still refresh the cookie's lifetime."""

    def should_set_cookie(self, app: flask.Flask, session) -> bool:
        if flask.request.path.startswith("/_dash") and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def _configure_server(server: flask.Flask, script_hashes: Callable[[], Sequence[str]] = tuple) -> None:
    # First, so every request counts (a later hook may answer early): the background warm of a
    # new data version waits while this process serves someone (cube.warm)
    server.before_request(warm.request_started)
    server.teardown_request(lambda _exc: warm.request_finished())
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=get_settings().https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        REMEMBER_COOKIE_DURATION=timedelta(hours=SESSION_HOURS),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=get_settings().https,
    )
    # CSRF tokens, the callback Origin check, security headers, the proxy fix: first, so
    # the HTTPS redirect and the checks come before the sign-in guard
    web_security.init(server, script_hashes, _form_refused)
    server.session_interface = CallbackQuietSessions()
    login_manager = flask_login.LoginManager()
    login_manager.init_app(server)
    login_manager.user_loader(users.get_user)

    @server.before_request
    def require_sign_in():
        # One guard for every route, Dash's callback endpoints included (dash issue 98).
        path = flask.request.path
        if path in OPEN_PATHS or _is_asset(path):
            return None
        user = flask_login.current_user
        if user.is_authenticated and user.is_active:
            if sessions.is_valid(user.username, flask.session, epoch_now=user.epoch):
                return None
            # signed out elsewhere, password or role changed, or past the absolute lifetime
            flask_login.logout_user()
            flask.session.clear()
        if path.startswith("/_") or flask.request.method != "GET":
            return flask.jsonify({"error": "sign-in required"}), 401
        return flask.redirect(f"/login?next={flask.request.full_path.rstrip('?')}")

    server.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["GET", "POST"])
    server.add_url_rule("/lang/<code>", "lang", _set_lang)
    server.register_error_handler(ops_store.StoreUnwritable, _store_unwritable)
    server.register_error_handler(ops_store.StoreUnavailable, _store_unwritable)
    install_callback_guard(server)  # 400 for a callback request no browser would send
    install_answer_cache(server)  # after both guards: a kept answer is sent only to whom they let in


def _is_asset(path: str) -> bool:
    """A file that exists in the assets folder, named without any '..' or empty segment."""
    if not path.startswith("/assets/"):
        return False
    parts = path[len("/assets/") :].split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    return ASSETS.joinpath(*parts).is_file()


def _login():
    lang = i18n.normalise_lang(flask.request.args.get("lang") or flask.session.get("lang"))
    error = ""
    if flask.request.method == "POST":
        username = flask.request.form.get("username", "").strip()
        password = flask.request.form.get("password", "")
        if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
            error = i18n.t("signin.failed", lang)
            audit.record(username[:MAX_USERNAME] + "…", "sign_in_refused", "over-long username or password")
        else:
            error = _check_password(username, password, lang)
            if not error:
                return flask.redirect(_safe_next(flask.request.args.get("next")))
    status = 401 if error else 200
    return flask.render_template_string(_LOGIN_HTML, lang=lang, t=i18n.t, error=error), status


def _store_unwritable(exc: ops_store.StoreUnwritable | ops_store.StoreUnavailable):
    """The ops store cannot be written (sign-in, throttle, audit, sessions all write there): a
    clear 503 instead of a 500; the log names the file and what to do."""
    _log.error("%s", exc)
    lang = i18n.normalise_lang(flask.request.args.get("lang") or flask.session.get("lang"))
    key = (
        "signin.store_unavailable"
        if isinstance(exc, ops_store.StoreUnavailable)
        else "signin.store_unwritable"
    )
    message = i18n.t(key, lang)
    if flask.request.path == "/login":
        return flask.render_template_string(_LOGIN_HTML, lang=lang, t=i18n.t, error=message), 503
    return flask.jsonify({"error": message}), 503


def _form_refused(error: web_security.CSRFError):
    """A form post without this session's CSRF token (expired page, or another site's form):
    the sign-in form again, or a page leading back to the form; nothing is checked or stored."""
    lang = i18n.normalise_lang(flask.request.args.get("lang") or flask.session.get("lang"))
    message = i18n.t("form.expired", lang)
    if flask.request.path == "/login":
        return flask.render_template_string(_LOGIN_HTML, lang=lang, t=i18n.t, error=message), 400
    back = _safe_next(flask.request.full_path.rstrip("?"))  # the form again, by GET
    page = flask.render_template_string(_REFUSED_HTML, lang=lang, t=i18n.t, message=message, back=back)
    return page, 400


def _check_password(username: str, password: str, lang: str) -> str:
    """Sign the user in and return "", or return the error to show."""
    address = flask.request.remote_addr or ""
    wait = throttle.begin_attempt(username, address)  # counted before the check: no parallel bypass
    if wait > 0:
        audit.record(username, "sign_in_locked", address)
        return i18n.t("signin.locked", lang, seconds=int(wait) + 1)
    user = users.authenticate(username, password)
    if user is None:
        audit.record(username, "sign_in_failed", address)
        return i18n.t("signin.failed", lang)
    throttle.record_success(username, address)
    flask.session.clear()  # a fresh session on sign-in (no fixation)
    flask.session.permanent = True
    flask.session["lang"] = lang
    flask.session.update(sessions.stamp(username))
    flask_login.login_user(user)
    audit.record(username, "sign_in")
    return ""


def _logout():
    """POST ends every session of the user (all devices, every copy of the cookie); GET, which
    a link or an image tag on another site could trigger, only asks for confirmation."""
    user = flask_login.current_user
    lang = i18n.normalise_lang(flask.session.get("lang"))
    if flask.request.method == "GET":
        if not user.is_authenticated:
            return flask.redirect(f"/login?lang={lang}")
        return flask.render_template_string(_LOGOUT_HTML, lang=lang, t=i18n.t)
    if user.is_authenticated:
        sessions.end_all(user.username)
        audit.record(user.username, "sign_out")
    flask_login.logout_user()
    flask.session.clear()
    return flask.redirect(f"/login?lang={lang}")


def _set_lang(code: str):
    flask.session["lang"] = i18n.normalise_lang(code)
    referrer = flask.request.referrer or "/"
    # Back to the page the user was on, if it is ours.
    parts = urlsplit(referrer)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc and parts.netloc != flask.request.host:
        target = "/"
    return flask.redirect(_safe_next(target))


_LOGIN_HTML = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ t('app.title', lang) }}</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"></head>
<body class="bg-light"><div class="container" style="max-width: 420px; margin-top: 10vh">
<h3 class="mb-3">{{ t('app.title', lang) }}</h3>
<p><a href="/login?lang={{ 'en' if lang == 'zh' else 'zh' }}" id="login-lang">
{{ t('nav.language', lang) }}</a></p>
{% if error %}<div class="alert alert-danger" id="login-error">{{ error }}</div>{% endif %}
<form method="post" id="login-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<div class="mb-3"><label class="form-label" for="username">{{ t('signin.username', lang) }}</label>
<input class="form-control" id="username" name="username" autocomplete="username" required></div>
<div class="mb-3"><label class="form-label" for="password">{{ t('signin.password', lang) }}</label>
<input class="form-control" id="password" name="password" type="password"
 autocomplete="current-password" required></div>
<button class="btn btn-primary" type="submit" id="login-submit">{{ t('signin.submit', lang) }}</button>
</form></div></body></html>"""


_LOGOUT_HTML = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ t('app.title', lang) }}</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"></head>
<body class="bg-light"><div class="container" style="max-width: 420px; margin-top: 10vh">
<h3 class="mb-3">{{ t('app.title', lang) }}</h3>
<form method="post" action="/logout" id="logout-form">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button class="btn btn-primary" type="submit" id="logout-submit">{{ t('nav.sign_out', lang) }}</button>
<a class="btn btn-link" href="/">{{ t('signout.stay', lang) }}</a>
</form></div></body></html>"""


_REFUSED_HTML = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>{{ t('app.title', lang) }}</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"></head>
<body class="bg-light"><div class="container" style="max-width: 420px; margin-top: 10vh">
<h3 class="mb-3">{{ t('app.title', lang) }}</h3>
<div class="alert alert-warning" id="form-refused">{{ message }}</div>
<a class="btn btn-primary" href="{{ back }}" id="form-retry">{{ t('form.retry', lang) }}</a>
</div></body></html>"""


def nav_entries(role: str) -> list[tuple[str, str]]:
    """(catalog key, path) of the views ``role`` may open, in menu order, from the registry."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return [
        (p["nav_key"], p["path"])
        for p in pages
        if p.get("nav_key") and (not p.get("roles") or role in p["roles"])
    ]


def serve_layout():
    """The frame around every page; built per request, so it shows the signed-in user."""
    user = flask_login.current_user
    if not getattr(user, "is_authenticated", False):
        return html.Div()
    lang = current_lang()
    return html.Div(
        [
            navbar(
                lang,
                user.username,
                i18n.t(f"role.{user.role}", lang),
                nav_entries(user.role),
                csrf_token=web_security.csrf_token(),  # the sign-out form posts it
            ),
            html.Div(
                [
                    filter_bar(lang),
                    click_menu(lang),
                    # the spinner covers page changes only: a long background run on a page
                    # must leave its progress bar and cancel button in view
                    dcc.Loading(
                        dash.page_container,
                        delay_show=300,
                        type="circle",
                        target_components={"_pages_content": "children"},
                    ),
                ],
                className="container-fluid",
            ),
        ],
        lang="zh-CN" if lang == "zh" else "en",
    )


def create_app() -> dash.Dash:
    """The Dash app; reads MAMS_HOME (through data.paths) now, not at import of its parts."""
    _start_checks()
    if get_settings().jobs_backend == "celery":  # several machines: workers take jobs from Redis
        jobs = jobs_manager.celery_manager()
    else:
        # a jobs folder that cannot be written: the app serves, background jobs say they cannot run
        jobs = jobs_manager.manager(lambda: diskcache.Cache(str(paths.jobs_cache_dir())))
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        background_callback_manager=jobs,
        on_error=jobs_manager.on_error,  # a refused background job answers with a message, not a 500
        suppress_callback_exceptions=True,
        title="MAMS",
    )
    _configure_server(app.server, app.csp_hashes)
    app.layout = serve_layout
    return app


def _start_checks() -> None:
    """At start: remove what a killed import left behind, and say at once (not at the first
    sign-in) if the operational store cannot be written."""
    from data.load import remove_leftovers

    remove_leftovers(log=_log.warning)
    try:
        ops_store.check_writable()
    except ops_store.StoreUnwritable as exc:
        _log.error("%s", exc)
    settings = get_settings()
    if settings.secret_key is None and settings.redis_url:
        # a key generated per node: a session signed on one node is refused by the others,
        # and a worker cannot read the job tickets the web nodes sign
        _log.warning(
            "MAMS_REDIS_URL is set (several nodes) but MAMS_SECRET_KEY is not: each node uses its "
            "own generated key, so sessions and job tickets only work on the node that made them "
            "(unless they share %s). Set the same MAMS_SECRET_KEY on every web node and worker.",
            paths.home_path() / "secret_key",
        )


def prepare_demo(log=print) -> None:
    """First start: build the demo warehouse and the demo users (later starts reuse both)."""
    from data.demo import ensure_demo_warehouse, layout_warning  # the generator: first start only

    log(f"Home folder: {paths.home()}")
    ops_store.check_writable()  # StoreUnwritable names the file and what to do
    log("Checking the demo warehouse (built on first start, reused afterwards)...")
    ensure_demo_warehouse(log=log)
    warning = layout_warning()
    if warning:
        log(f"WARNING: {warning}")
    from pages._session import demo_scope_ids

    branch_id, manager_id = demo_scope_ids()
    demo.ensure_demo_users(branch_id=branch_id, manager_id=manager_id, log=log)


app = create_app()
server = app.server

if __name__ == "__main__":
    settings = get_settings()
    try:
        prepare_demo()
    except ops_store.StoreUnwritable as exc:
        raise SystemExit(f"ERROR: {exc}") from None
    if settings.models_at_start:
        from mining import autorun

        if autorun.start_in_background() is not None:
            print("Running the models missing on these data in the background (see the Model runs page)")
    warm.start()  # prepares each new data version's views in the background (MAMS_WARM)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host  # IPv6 in a URL
    print(f"Serving on http://{host}:{settings.port} (Ctrl+C to stop)", flush=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
