"""Whole-view renders are cached per state, role, scope, language and data version: a second
render of the same key sends the same layout without rebuilding it; anything in the key that
differs renders anew; the cached layout equals a fresh render."""

from __future__ import annotations

import json

import flask
import flask_login
import pytest
from plotly.utils import PlotlyJSONEncoder

from auth import users
from pages import _view_cache


def _render(mams_app, layout, username: str, lang: str = "en", **params):
    with mams_app.server.test_request_context("/branches"):
        flask_login.login_user(users.get_user(username))
        flask.session["lang"] = lang
        return layout(**params)


def _text(layout) -> str:
    return json.dumps(layout, cls=PlotlyJSONEncoder, sort_keys=True)


@pytest.fixture
def views(mams_app):
    import pages.branches as branches

    _view_cache.clear()
    yield branches.layout
    _view_cache.clear()


def test_a_second_render_of_the_same_key_is_the_cached_layout_and_equals_a_fresh_one(mams_app, views):
    first = _render(mams_app, views, "analyst")
    again = _render(mams_app, views, "analyst")
    assert _view_cache.stats == {"hits": 1, "misses": 1}
    fresh = _render(mams_app, views.__wrapped__, "analyst")
    assert _text(first) == _text(again) == _text(fresh)


def test_role_scope_language_and_state_each_render_anew(mams_app, views):
    shown = {
        "analyst": _text(_render(mams_app, views, "analyst")),
        "branch": _text(_render(mams_app, views, "branch")),
        "zh": _text(_render(mams_app, views, "analyst", lang="zh")),
        "state": _text(_render(mams_app, views, "analyst", compare="last_year")),
    }
    assert _view_cache.stats == {"hits": 0, "misses": 4}
    assert len(set(shown.values())) == 4
    assert _text(_render(mams_app, views.__wrapped__, "branch")) == shown["branch"]


def test_one_state_spelled_two_ways_is_one_key(mams_app, views):
    _render(mams_app, views, "analyst", compare="previous_month")  # the default, spelled out
    _render(mams_app, views, "analyst")
    assert _view_cache.stats == {"hits": 1, "misses": 1}


def test_a_new_data_version_renders_anew(mams_app, views, monkeypatch):
    _render(mams_app, views, "analyst")
    monkeypatch.setattr(_view_cache, "data_version", lambda: "another-version")
    _render(mams_app, views, "analyst")
    assert _view_cache.stats == {"hits": 0, "misses": 2}


def test_without_a_nameable_data_version_nothing_is_cached(mams_app, views, monkeypatch):
    monkeypatch.setattr(_view_cache, "data_version", lambda: None)
    _render(mams_app, views, "analyst")
    _render(mams_app, views, "analyst")
    assert _view_cache.stats == {"hits": 0, "misses": 0}
