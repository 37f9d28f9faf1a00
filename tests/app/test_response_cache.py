"""Callback answers are kept per body, role, scope, language and data version: the same request
gets the very bytes a fresh run gives, only to whom the guards let in; a user of another scope,
language or data version gets a fresh answer; callbacks not marked pure are never kept."""

from __future__ import annotations

import json

import pytest

from cube import cache as shared
from pages import _response_cache
from tests.app.conftest import sign_in

CALLBACK = "/_dash-update-component"
FILTER_BAR = "frame--filters.style"


@pytest.fixture(scope="module")
def callbacks(mams_app) -> dict:
    client = sign_in(mams_app, "analyst")
    client.get("/_dash-layout")  # Dash moves the pages' callbacks into the app's map
    return mams_app.app.callback_map


@pytest.fixture
def kept(mams_app, callbacks):
    _response_cache.clear()
    shared.clear()
    yield _response_cache
    _response_cache.clear()
    shared.clear()


def _key(callbacks: dict, starts: str) -> str:
    return next(k for k in callbacks if k.lstrip(".").startswith(starts))


def _entries(deps, values: dict) -> list[dict]:
    out = []
    for dep in deps:
        dep_id, prop = dep["id"], dep["property"]
        if dep_id.startswith("{"):  # a pattern (ALL): no component of it on the page
            out.append([])
        else:
            out.append({"id": dep_id, "property": prop, "value": values.get(f"{dep_id}.{prop}")})
    return out


def _body(callbacks: dict, starts: str, values: dict, changed: list[str]) -> dict:
    key = _key(callbacks, starts)
    spec = callbacks[key]
    outputs = spec["output"] if isinstance(spec["output"], list | tuple) else [spec["output"]]
    outs = [
        []
        if str(o.component_id).startswith("{")
        else {"id": o.component_id, "property": o.component_property}  # noqa: E501
        for o in outputs
    ]
    return {
        "output": key,
        "outputs": outs if len(outs) > 1 else outs[0],
        "inputs": _entries(spec["inputs"], values),
        "state": _entries(spec["state"], values),
        "changedPropIds": changed,
    }


def _filter_bar(callbacks: dict, search: str = "?period=2026-10") -> dict:
    values = {"_pages_location.pathname": "/branches", "_pages_location.search": search}
    return _body(callbacks, FILTER_BAR, values, ["_pages_location.search"])


def _router(callbacks: dict, pathname: str) -> dict:
    values = {"_pages_location.pathname": pathname, "_pages_location.search": ""}
    return _body(callbacks, "_pages_content.children", values, ["_pages_location.pathname"])


def test_a_second_identical_request_gets_the_kept_bytes_equal_to_a_fresh_answer(mams_app, callbacks, kept):
    client = sign_in(mams_app, "analyst")
    body = _filter_bar(callbacks)
    first = client.post(CALLBACK, json=body)
    assert first.status_code == 200 and kept.stats["misses"] == 1
    again = client.post(CALLBACK, json=body)
    assert again.status_code == 200 and kept.stats["hits"] == 1
    assert again.get_data() == first.get_data()
    assert again.headers["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" in again.headers  # the after_request hooks ran on it too
    kept.clear()
    shared.clear()
    fresh = client.post(CALLBACK, json=body)
    assert fresh.get_data() == first.get_data() and kept.stats == {"hits": 0, "shared_hits": 0, "misses": 1}


def test_another_scope_language_or_data_version_gets_its_own_answer(mams_app, callbacks, kept, monkeypatch):
    body = _filter_bar(callbacks)
    analyst = sign_in(mams_app, "analyst").post(CALLBACK, json=body)
    branch = sign_in(mams_app, "branch").post(CALLBACK, json=body)
    chinese = sign_in(mams_app, "analyst", lang="zh").post(CALLBACK, json=body)
    assert kept.stats["hits"] == 0 and kept.stats["misses"] == 3
    answers = {r.get_data() for r in (analyst, branch, chinese)}
    assert len(answers) == 3
    # the branch manager's region options are their own region only, as without the cache
    regions = json.loads(branch.get_data())["response"]["frame--region"]["options"]
    all_regions = json.loads(analyst.get_data())["response"]["frame--region"]["options"]
    assert 0 < len(regions) < len(all_regions)
    monkeypatch.setattr(_response_cache, "data_version", lambda: "another-data-version")
    sign_in(mams_app, "analyst").post(CALLBACK, json=body)
    assert kept.stats["misses"] == 4 and kept.stats["hits"] == 0


def test_a_signed_out_request_is_refused_before_any_kept_answer(mams_app, callbacks, kept):
    body = _filter_bar(callbacks)
    assert sign_in(mams_app, "analyst").post(CALLBACK, json=body).status_code == 200
    stranger = mams_app.server.test_client()
    refused = stranger.post(CALLBACK, json=body, headers={"Origin": "http://localhost"})
    assert refused.status_code in (400, 401, 403)
    assert b"frame--region" not in refused.get_data()
    assert kept.stats["hits"] == 0


def test_another_worker_reads_the_answer_from_the_shared_cache(mams_app, callbacks, kept):
    client = sign_in(mams_app, "analyst")
    body = _filter_bar(callbacks, "?period=2026-09")
    first = client.post(CALLBACK, json=body).get_data()
    kept.clear()  # this process forgets; the home's shared cache still has it
    again = client.post(CALLBACK, json=body).get_data()
    assert again == first and kept.stats["shared_hits"] == 1


def test_callbacks_not_marked_pure_and_uncached_views_are_never_kept(mams_app, callbacks, kept):
    client = sign_in(mams_app, "analyst")
    saved_views = _body(callbacks, "frame--views.options", {"_pages_location.pathname": "/branches"}, [])
    for _ in range(2):
        client.post(CALLBACK, json=saved_views)  # reads the user's saved views from the store
    customers = _router(callbacks, "/customers")  # its layout reads the model-run registry
    for _ in range(2):
        assert client.post(CALLBACK, json=customers).status_code == 200
    assert kept.stats == {"hits": 0, "shared_hits": 0, "misses": 0}
    branches = _router(callbacks, "/branches")
    client.post(CALLBACK, json=branches)
    client.post(CALLBACK, json=branches)
    assert kept.stats["misses"] == 1 and kept.stats["hits"] == 1


def test_the_pure_callbacks_are_the_frames_and_no_writer():
    """A writer kept would not write the second time: the marked set is checked by name."""
    marked = {
        name
        for name in dir(__import__("pages._frame", fromlist=["x"]))
        if getattr(getattr(__import__("pages._frame", fromlist=["x"]), name), "pure_callback", False)
    }
    assert marked == {
        "sync_filter_bar",
        "apply_filter_bar",
        "clear_filters",
        "toggle_customer_filters",
        "open_menu",
        "act_on_click",
        "break_down",
    }
