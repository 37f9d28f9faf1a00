"""Defences at the HTTP level, set up once on the Flask server by ``init``.

- CSRF: the app's own forms (sign-in, sign-out) carry a Flask-WTF token, checked on every
  state-changing request outside Dash. Dash's callback requests are JSON, sent by Dash's own
  script: they carry no form token, so their Origin (or Referer) must be this host, a browser's
  ``Sec-Fetch-Site: cross-site`` is refused, and ``/_dash-update-component`` takes JSON only
  (an HTML form on another site cannot send that without a CORS preflight, which we never grant).
  A request with neither Origin nor Referer is not from a browser page (every browser sends
  Origin on a cross-origin POST), so it cannot ride a user's cookie and is let through.
- Headers (Flask-Talisman): a content security policy Dash works under, no framing, nosniff,
  a referrer policy; HSTS and the redirect to HTTPS only with ``MAMS_HTTPS=1``.
- Behind ``MAMS_PROXY_HOPS`` reverse proxies, client address, scheme and host come from their
  ``X-Forwarded-*`` headers (werkzeug's ProxyFix), which are trusted from that many hops only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import flask
from flask.typing import ResponseReturnValue
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.middleware.proxy_fix import ProxyFix

from settings import get_settings

__all__ = ["CSRFError", "content_security_policy", "csrf_token", "init"]

DASH_PREFIX = "/_dash"  # Dash's own routes: layout, dependencies, callbacks, component files
CALLBACK_PATH = "/_dash-update-component"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
log = logging.getLogger(__name__)
_csrf = CSRFProtect()


def content_security_policy(script_hashes: Sequence[str]) -> dict[str, list[str]]:
    """The policy every response carries. Scripts: our own files and Dash's inline scripts (the
    renderer's start-up and the pages' clientside callbacks, by hash from ``app.csp_hashes()``),
    no other inline script and no eval (Plotly's WebGL map on the Segmentation page and
    Cytoscape draw without it: checked in Chromium). Styles: inline is needed, since Plotly,
    AG Grid and Cytoscape set style attributes and style elements at run time."""
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def csrf_token() -> str:
    """The current session's CSRF token, for a form's hidden ``csrf_token`` field."""
    return generate_csrf()


def init(
    server: flask.Flask,
    script_hashes: Callable[[], Sequence[str]],
    form_refused: Callable[[CSRFError], ResponseReturnValue],
) -> None:
    """Set up CSRF, the callback Origin check, security headers and the proxy fix on ``server``.

    ``script_hashes`` gives the CSP hashes of Dash's inline scripts (``app.csp_hashes``); it is
    asked at the first request, once every page has registered its callbacks. ``form_refused``
    answers a form post whose token is missing, wrong or from another session (status 400).
    Call it before any other ``before_request`` hook, so the HTTPS redirect comes first.
    """
    settings = get_settings()
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    # The token lives as long as the session (which ends itself: idle, absolute lifetime,
    # sign-out); Flask-WTF's default of one hour would refuse a sign-out from a page left open.
    server.config.update(WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    _csrf.init_app(server)  # checked by _check_request, which knows Dash's routes
    talisman = Talisman(
        server,
        force_https=settings.https,
        strict_transport_security=settings.https,
        session_cookie_secure=settings.https,
        session_cookie_samesite="Lax",
        content_security_policy=content_security_policy([]),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        x_xss_protection=False,  # the XSS auditor is gone from browsers; the header can do harm
    )
    hashed: list[bool] = []

    @server.before_request
    def _add_script_hashes():
        # Talisman reads its policy per response. Pages' clientside callbacks (Dash's own page
        # title script among them) join the inline scripts by the first request: hash them then.
        if not hashed:
            policy = talisman.content_security_policy
            policy["script-src"] = content_security_policy(script_hashes())["script-src"]
            hashed.append(True)

    server.before_request(_check_request)
    server.register_error_handler(CSRFError, form_refused)


def _check_request():
    if flask.request.method not in UNSAFE_METHODS:
        return None
    path = flask.request.path
    if not path.startswith(DASH_PREFIX):
        _csrf.protect()  # raises CSRFError (400) without a valid token
        return None
    problem = _foreign_request()
    if problem:
        log.warning("refused %s %s: %s", flask.request.method, path, problem)
        return flask.jsonify({"error": f"cross-site request refused: {problem}"}), 403
    if path == CALLBACK_PATH and flask.request.mimetype != "application/json":
        return flask.jsonify({"error": "callback requests must be application/json"}), 415
    return None


def _foreign_request() -> str:
    """Why this request does not come from a page of this site, or ""."""
    headers = flask.request.headers
    if headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return "Sec-Fetch-Site is cross-site"
    origin = headers.get("Origin")
    if origin is not None:
        return "" if _same_host(origin) else "Origin is another site"
    referrer = headers.get("Referer")
    if referrer is not None:
        return "" if _same_host(referrer) else "Referer is another site"
    return ""


def _same_host(url: str) -> bool:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc.lower() == flask.request.host.lower()
