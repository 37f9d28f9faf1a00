"""Whole-view renders cached per view state, role, scope, language and data version.

A warm render of an analysis view spent about 80% of its CPU building Plotly figures (each
``update_layout(template=...)`` copies and validates the template), not in queries, whose
results were already cached (profile in docs/BENCHMARKS.md). Everything a view's layout shows
follows from the URL's state, the user's role and scope, the language and the data version
(warehouse, published scores and segment names): the same for every branch manager of a branch
opening the same view. So the rendered layout is kept, serialised once, and later renders only
send it.

Only what the key names may shape the layout: a view whose layout reads anything else (the
username, the clock, an ops-store row) must not be wrapped. Without a signed-in user or a
nameable data version the layout is rendered uncached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import flask
import flask_login
from plotly.utils import PlotlyJSONEncoder

from cube.api import data_version
from pages._frame import view_state
from pages._session import current_lang, current_scope

MAX_VIEWS = 512  # rendered views kept per process (about 50-200 KB each)

_lock = threading.Lock()
_views: OrderedDict[str, str] = OrderedDict()
stats = {"hits": 0, "misses": 0}


def view_key(view: str, params: dict[str, Any]) -> str | None:
    """The key of ``view`` rendered for these URL parameters and the signed-in user, or None."""
    if not flask.has_request_context():  # a layout built outside a request (tests, tools)
        return None
    user = flask_login.current_user
    version = data_version()
    if version is None or not getattr(user, "is_authenticated", False):
        return None
    state = sorted(view_state(params).to_params().items())  # equal states, however spelled
    parts = (view, state, user.role, current_scope(), current_lang(), version)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def cached_view(view: str) -> Callable:
    """Decorate a page's ``layout(**params)`` so that equal keys render once."""

    def wrap(layout: Callable) -> Callable:
        @functools.wraps(layout)
        def cached(**params):
            key = view_key(view, params)
            if key is None:
                return layout(**params)
            with _lock:
                text = _views.get(key)
                if text is not None:
                    _views.move_to_end(key)
                    stats["hits"] += 1
            if text is not None:
                return json.loads(text)
            rendered = layout(**params)
            text = json.dumps(rendered, cls=PlotlyJSONEncoder)
            with _lock:
                stats["misses"] += 1
                _views[key] = text
                while len(_views) > MAX_VIEWS:
                    _views.popitem(last=False)
            return json.loads(text)

        cached.cached_view = view  # the page router's answer for it may be kept (pages._response_cache)
        return cached

    return wrap


def clear() -> None:
    """Forget every rendered view (tests)."""
    with _lock:
        _views.clear()
        stats.update(hits=0, misses=0)
