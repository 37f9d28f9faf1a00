"""Callback answers kept per request body, role, scope, language and data version.

A view's render is about seven callback requests (the page router, the filter bar's sync, the
click menu's, the URL writers...). Once the whole-view cache (:mod:`pages._view_cache`) made the
router cheap, each request still cost 10-30 ms of CPU: Dash decoding the body, the callback
rebuilding its 25 outputs, Plotly's encoder serialising about 190 KB. For the callbacks whose
answer follows from the request body alone (with who is asking and which data is served), the
same body always gets the same answer: every branch manager of a branch opening the same view
sends the same bodies. So the answer's bytes are kept and sent again, before Dash parses the
request.

Only callbacks marked :func:`pure` are kept (and the page router, for a view wrapped by
``cached_view``). A pure callback reads nothing but its inputs and state, the user's role and
scope, the language and the data version; it writes nothing. The sign-in guard and the callback
guard run first, and the ``after_request`` hooks (security headers, the session cookie) run on a
kept answer too.

Answers live in this process (LRU by bytes) and, so that a view rendered on one worker or node is
cheap on the others, in the shared result cache (``cube.cache``: the home's disk cache, or Redis
on several nodes). The key names the code too (a hash of the app's source files), so nodes
running different releases never share answers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
import flask
import flask_login

from cube.api import cache_place, data_version, keep_bytes, kept_bytes
from pages._session import current_lang, current_scope

CALLBACK_PATH = "/_dash-update-component"
ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
MAX_BYTES = 64 * 2**20  # answers kept per process
MAX_ANSWER_BYTES = 4 * 2**20  # a bigger answer is not kept
KEPT_STATUSES = (200, 204)
_SOURCES = ("app.py", "pages", "components", "cube", "auth", "data", "mining", "marketing")

_lock = threading.Lock()
_answers: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
_held = 0
stats = {"hits": 0, "shared_hits": 0, "misses": 0}
_pure_outputs: set[str] | None = None
_code: str | None = None


def pure(func: Callable) -> Callable:
    """Mark a callback whose answer follows from its request alone (put it under ``@callback``)."""
    func.pure_callback = True
    return func


def code_version() -> str:
    """A hash of the app's Python sources: answers kept by another release are never used."""
    global _code
    if _code is None:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.sha256()
        for name in _SOURCES:
            path = root / name
            files = [path] if path.is_file() else sorted(path.rglob("*.py"))
            for file in files:
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
        _code = digest.hexdigest()[:16]
    return _code


def _pure() -> set[str]:
    """The output keys of the pure callbacks (Dash's callback map, read once it is complete)."""
    global _pure_outputs
    if _pure_outputs is None:
        found = {
            output
            for output, entry in dash.get_app().callback_map.items()
            if getattr(entry.get("callback"), "pure_callback", False)
        }
        _pure_outputs = found
    return _pure_outputs


def _cached_view_path(pathname: Any) -> bool:
    """Whether the page router's answer for ``pathname`` is a ``cached_view`` layout."""
    if not isinstance(pathname, str):
        return False
    for page in dash.page_registry.values():
        if page.get("path") == pathname:
            return getattr(page.get("layout"), "cached_view", None) is not None
    return False


def keepable(body: Any) -> bool:
    """Whether the answer to this callback request may be kept (and one kept may be sent)."""
    if not isinstance(body, dict):
        return False
    output = body.get("output")
    if output == ROUTER_OUTPUT:
        inputs = body.get("inputs") or []
        pathname = next(
            (i.get("value") for i in inputs if isinstance(i, dict) and i.get("property") == "pathname"), None
        )
        return _cached_view_path(pathname)
    return isinstance(output, str) and output in _pure()


def answer_key(raw: bytes) -> str | None:
    """The key of this request body for the signed-in user, or None (nothing is kept then)."""
    user = flask_login.current_user
    version = data_version()
    if version is None or not getattr(user, "is_authenticated", False):
        return None
    who = repr((user.role, current_scope(), current_lang(), version, code_version(), cache_place()))
    return hashlib.sha256(f"callback-answer {who} ".encode() + raw).hexdigest()


def _remember(key: str, status: int, data: bytes) -> None:
    global _held
    with _lock:
        if key in _answers:
            return
        _answers[key] = (status, data)
        _held += len(data)
        while _held > MAX_BYTES and _answers:
            _, (_, old) = _answers.popitem(last=False)
            _held -= len(old)


def _recall(key: str) -> tuple[int, bytes] | None:
    with _lock:
        found = _answers.get(key)
        if found is not None:
            _answers.move_to_end(key)
            stats["hits"] += 1
            return found
    raw = kept_bytes(key)
    if raw is None or len(raw) < 3:
        return None
    status, data = int(raw[:3]), raw[3:]
    _remember(key, status, data)
    with _lock:
        stats["shared_hits"] += 1
    return status, data


def install(server: flask.Flask) -> None:
    """Send kept answers (after the sign-in and callback guards) and keep new ones."""

    @server.before_request
    def send_kept_answer():
        request = flask.request
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        if not keepable(request.get_json(silent=True)):
            return None
        key = answer_key(request.get_data(cache=True))
        if key is None:
            return None
        found = _recall(key)
        if found is None:
            flask.g.answer_key = key
            return None
        status, data = found
        return flask.Response(data, status=status, mimetype="application/json" if data else None)

    @server.after_request
    def keep_answer(response: flask.Response) -> flask.Response:
        key = flask.g.pop("answer_key", None)
        if key is None or response.status_code not in KEPT_STATUSES or response.direct_passthrough:
            return response
        data = response.get_data()
        if len(data) > MAX_ANSWER_BYTES:
            return response
        with _lock:
            stats["misses"] += 1
        _remember(key, response.status_code, data)
        keep_bytes(key, b"%03d" % response.status_code + data)
        return response


def clear() -> None:
    """Forget this process's kept answers (tests); the shared ones go with ``cube.cache.clear``."""
    global _held
    with _lock:
        _answers.clear()
        _held = 0
        stats.update(hits=0, shared_hits=0, misses=0)
