"""Every registered callback, fed malformed input over HTTP, answers without a 500 and within
the user's scope; requests no browser would send are refused with a 400.

The callbacks come from the app's callback map (pattern-matching ones too: their ids are filled
with generated keys). Each request carries the declared outputs, inputs and state, with values
drawn from junk (wrong types, None, lists, dicts, huge numbers, 100,000-character strings,
unknown periods, click data with junk points) and from what the pages really show (dropdown
options, chart points, chart keys, URL parameters), so the fuzz reaches past the first type
check. Signed-in analyst, branch manager, presenter and relationship manager each send them.

Left out: background callbacks (the Model runs page's ``execute_run``: fuzzing it would start
model runs in job processes), clientside callbacks (nothing runs on the server) and the
administrator (who may approve a run, which publishes its scores to the shared home). Writes the
callbacks make (saved views, segment names, claimed model runs, the audit log) go to a private
copy of the ops store, so the rest of the session never sees them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from dash._utils import stringify_id
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.app.conftest import sign_in
from tests.app.test_http_guard import _grid_rows, router_payload

CALLBACK = "/_dash-update-component"
LOCATION = "_pages_location"
ROLES = ("analyst", "branch", "presenter", "rm")
SCOPED = ("branch", "rm")  # one branch at most: no other branch's name in any answer
CUSTOMER_COLUMNS = {"customer_id", "customer_name", "customer_phone", "customer_id_card_no"}
PAGES = Path(__file__).resolve().parents[2] / "pages"
FILTER_KEYS = (
    "period",
    "compare",
    "compare_to",
    "region",
    "branch",
    "manager",
    "segment",
    "value_tier",
    "age_band",
    "category",
    "channel_type",
    "sel",
)
# per callback: about 40 s of CPU for the whole file; MAMS_FUZZ_EXAMPLES=500 for a deeper hunt
EXAMPLES = int(os.environ.get("MAMS_FUZZ_EXAMPLES", "24"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run, so CI is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what the app declares and shows ---------------------------------------------------------


@pytest.fixture(scope="module")
def private_ops_store(mams_app, tmp_path_factory):
    """Callbacks write to a copy of the ops store while the fuzzer runs (users and runs kept)."""
    from data import paths

    copy = tmp_path_factory.mktemp("fuzz_ops") / "ops.sqlite"
    source = sqlite3.connect(paths.ops_db_path())
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "ops_db_path", lambda: copy)
        yield copy


@pytest.fixture(scope="module")
def clients(mams_app, private_ops_store):
    return {role: sign_in(mams_app, role) for role in ROLES}


@pytest.fixture(scope="module")
def callbacks(mams_app, clients) -> dict:
    """Output key -> spec of every server callback but the background ones (after the first
    request, Dash has moved the pages' callbacks into the app's map)."""
    clients["analyst"].get("/_dash-layout")
    found = {
        key: spec
        for key, spec in mams_app.app.callback_map.items()
        if callable(spec.get("callback")) and not spec.get("background")
    }
    assert len(found) > 30, sorted(found)
    return found


def _walk(tree, found: dict) -> None:
    """Collect what the layout offers: dropdown options, chart points, grid cells, ids."""
    if isinstance(tree, dict):
        props = tree.get("props") if isinstance(tree.get("props"), dict) else {}
        for option in props.get("options") or []:
            value = option.get("value") if isinstance(option, dict) else option
            found["values"].add(json.dumps(value))
        for trace in (props.get("figure") or {}).get("data") or []:
            for point in (trace.get("customdata") or [])[:20]:
                found["points"].add(json.dumps(point))
        for row in (props.get("rowData") or [])[:20]:
            found["values"].update(json.dumps(v) for v in list(row.values())[:4])
        if isinstance(props.get("id"), dict):
            found["ids"].add(json.dumps(props["id"], sort_keys=True))
        for value in tree.values():
            _walk(value, found)
    elif isinstance(tree, list):
        for value in tree:
            _walk(value, found)


@pytest.fixture(scope="module")
def vocabulary(mams_app, clients, demo_source) -> dict:
    """Real values to mix into the junk, read from every page as the analyst sees it."""
    import dash

    from pages._frame import CHARTS

    found = {"values": set(), "points": set(), "ids": set()}
    paths = sorted({p["path"] for p in dash.page_registry.values()})
    for path in paths:
        body = clients["analyst"].post(CALLBACK, json=router_payload(path, "")).get_json()
        _walk(body, found)
    months = pd.read_parquet(demo_source / "holdings.parquet", columns=["month_date"])["month_date"]
    branches = pd.read_parquet(demo_source / "branches.parquet")
    text = "\n".join(p.read_text(encoding="utf-8") for p in PAGES.glob("*.py"))
    return {
        "values": [json.loads(v) for v in sorted(found["values"]) if len(v) < 200][:400] or [None],
        "points": [json.loads(p) for p in sorted(found["points"])][:200] or [None],
        "pattern_ids": [json.loads(i) for i in sorted(found["ids"])],
        "paths": paths,
        "charts": sorted(CHARTS),
        "periods": sorted({pd.Timestamp(m).strftime("%Y-%m") for m in months}),
        "extras": sorted(set(re.findall(r'param\("([a-z_]+)"', text))),
        "branch_ids": sorted(int(b) for b in branches["branch_id"]),
        "region_ids": sorted({int(r) for r in branches["region_id"]}),
    }


@pytest.fixture(scope="module")
def out_of_scope(mams_app, demo_source) -> dict[str, list[str]]:
    """Per scoped role, the names of the branches outside its scope (the demo branch manager's
    branch holds the demo relationship manager's customers); none of them is part of the own
    branch's name, so showing that is never mistaken for a leak."""
    from pages._session import demo_scope_ids

    own_branch, _manager = demo_scope_ids()
    branches = pd.read_parquet(demo_source / "branches.parquet")
    names = branches[["name_en", "name_zh"]].astype(str)
    own_names = names[branches["branch_id"] == own_branch].to_numpy().ravel()
    others = names[branches["branch_id"] != own_branch].to_numpy().ravel()
    leaks = [n for n in others if not any(n in mine for mine in own_names)]
    return dict.fromkeys(SCOPED, leaks)


# --- values ----------------------------------------------------------------------------------

LONG = "x" * 100_000
ODD_STRINGS = [
    "",
    " ",
    "9999-99",
    "2025-13",
    "0000-00",
    "null",
    "[]",
    "{}",
    "../..",
    "' OR 1=1",
    "\x00",
    LONG,
]
ODD_NUMBERS = [0, -1, 1, 2**31, 2**63, 10**30, -(10**30), 1e308, -1e-308, 0.5]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(ODD_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(ODD_STRINGS),
)
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["points", "customdata", "value", "chart", "member", "row", "rowId", "id", "x"])
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=8,
)


def _search(vocab: dict):
    """A URL query string: known keys (filters and page controls) with real and odd values."""
    keys = st.sampled_from([*FILTER_KEYS, *(f"x_{k}" for k in vocab["extras"])]) | st.text(max_size=6)
    value = st.one_of(
        st.sampled_from(vocab["periods"]),
        st.sampled_from(vocab["branch_ids"] + vocab["region_ids"]).map(str),
        st.sampled_from(vocab["values"]).map(lambda v: v if isinstance(v, str) else json.dumps(v)),
        st.sampled_from(ODD_STRINGS),
        st.integers().map(str),
        st.text(max_size=12),
    )
    pairs = st.lists(st.tuples(keys, value), max_size=5)
    return pairs.map(lambda ps: "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in ps))


def _value_for(prop: str, vocab: dict):
    """Values a property may be given: junk always, plus what the browser could really send."""
    real = st.sampled_from(vocab["values"])
    point = st.fixed_dictionaries(
        {},
        optional={
            "customdata": st.sampled_from(vocab["points"]) | junk,
            "x": junk,
            "y": junk,
            "pointNumber": junk,
            "curveNumber": junk,
        },
    )
    plausible = {
        "search": _search(vocab),
        "n_clicks": st.integers(min_value=0, max_value=3) | st.sampled_from(ODD_NUMBERS),
        "n_intervals": st.integers(min_value=0, max_value=3),
        "value": real | st.sampled_from(vocab["periods"]) | st.lists(real, max_size=3),
        "clickData": st.fixed_dictionaries({"points": st.lists(point | junk, max_size=2)}),
        "cellClicked": st.fixed_dictionaries(
            {}, optional={"rowId": real | junk, "colId": real | junk, "value": real | junk, "rowIndex": junk}
        ),
        "tapNodeData": st.fixed_dictionaries({}, optional={"id": real | junk, "label": junk}),
        "data": st.fixed_dictionaries(
            {},
            optional={
                "chart": st.sampled_from(vocab["charts"]) | junk,
                "member": real | junk,
                "value": st.sampled_from(vocab["points"]) | real | junk,
                "row": real | junk,
                "run_id": junk,
            },
        )
        | st.integers(min_value=-1, max_value=3),
    }.get(prop)
    return junk if plausible is None else st.one_of(plausible, junk)


def _location(prop: str, vocab: dict):
    """The address bar: a path, and a query string (anything else is refused with a 400)."""
    if prop == "pathname":
        odd = st.sampled_from(ODD_STRINGS) | st.text(max_size=20)
        return st.none() | st.sampled_from(vocab["paths"]) | odd.map(lambda t: "/" + t)
    return st.none() | st.sampled_from(ODD_STRINGS) | _search(vocab) | st.text(max_size=12)


def _pattern_keys(vocab: dict, type_: str):
    """Keys for the components of one pattern type: the page's real ones, or junk."""
    real = [
        v
        for i in vocab["pattern_ids"]
        if i.get("type") == type_
        for k, v in i.items()
        if k != "type" and isinstance(v, str | int)
    ]
    if type_ in ("frame-chart", "frame-grid"):
        real += vocab["charts"]
    keys = st.integers() | st.text(max_size=12) | st.booleans()  # Dash allows no other id values
    return st.sampled_from(real) | keys if real else keys


# --- requests --------------------------------------------------------------------------------


def _declared(dep) -> tuple:
    """(id, property) of a declared dependency: Output objects or the map's {id, property}."""
    if isinstance(dep, dict):
        id_ = json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"]
        return id_, dep["property"]
    return dep.component_id, dep.component_property


def _wildcard(value) -> str | None:
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return getattr(value, "value", None) if type(value).__name__ == "Wildcard" else None


def _entries(draw, dep, vocab: dict, keys: dict, with_value: bool):
    """One request entry (a list of them for an ALL pattern) for a declared dependency."""
    id_, prop = _declared(dep)
    if not isinstance(id_, dict):
        ids = None
    else:
        type_ = id_.get("type")
        if type_ not in keys:
            many = any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in id_.values())
            size = (0, 3) if many else (1, 1)
            keys[type_] = draw(st.lists(_pattern_keys(vocab, type_), min_size=size[0], max_size=size[1]))
        ids = [{k: (key if _wildcard(v) else v) for k, v in id_.items()} for key in keys[type_]]
    pattern = ids is not None and any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in id_.values())

    def one(real_id):
        entry = {"id": real_id, "property": prop}
        if with_value:
            values = _location(prop, vocab) if real_id == LOCATION else _value_for(prop, vocab)
            entry["value"] = real_id if prop == "id" else draw(values)
        return entry

    if ids is None:
        return one(id_)
    return [one(i) for i in ids] if pattern else one(ids[0])


@st.composite
def requests(draw, key: str, spec: dict, vocab: dict):
    keys: dict = {}  # one set of pattern keys per component type, as on a real page
    outputs = spec["output"]
    multi = isinstance(outputs, list | tuple)
    outs = [_entries(draw, o, vocab, keys, False) for o in (outputs if multi else [outputs])]
    inputs = [_entries(draw, i, vocab, keys, True) for i in spec["inputs"]]
    state = [_entries(draw, s, vocab, keys, True) for s in spec["state"]]
    flat = [e for i in inputs for e in (i if isinstance(i, list) else [i])]
    changed = draw(st.lists(st.sampled_from(flat), max_size=1)) if flat else []
    body = {
        "output": key,
        "outputs": outs if multi else outs[0],
        "inputs": inputs,
        "changedPropIds": [f"{stringify_id(e['id'])}.{e['property']}" for e in changed],
    }
    if state:
        body["state"] = state
    return body


def _check_answer(role: str, response, out_of_scope: dict, body: dict) -> None:
    sent = json.dumps(body)[:1500]
    # 204: nothing to update; 403: a callback of a view the role may not use
    assert response.status_code in (200, 204, 403), f"{role} got {response.status_code} for {sent}"
    if response.status_code != 200:
        return
    answer = response.get_json()
    text = json.dumps(answer, ensure_ascii=False)
    assert "Traceback" not in text, f"{role}: a traceback for {sent}"
    for name in out_of_scope.get(role, ()):
        assert name not in text, f"{role} was shown {name!r} for {sent}"
    if role == "presenter":  # aggregates only
        for row in _grid_rows(answer):
            assert not CUSTOMER_COLUMNS & set(row), f"presenter got customer rows for {sent}"


def _callback_name(spec: dict) -> str:
    func = spec["callback"]
    return getattr(func, "__wrapped__", func).__name__


@pytest.mark.slow
def test_no_callback_answers_malformed_input_with_a_500(callbacks, clients, vocabulary, out_of_scope):
    """All server callbacks, in one Hypothesis run each (their names in a failure message)."""
    failures = []
    for key, spec in sorted(callbacks.items()):

        @FUZZ
        @given(role=st.sampled_from(ROLES), body=requests(key, spec, vocabulary))
        def fuzz(role, body):
            response = clients[role].post(CALLBACK, json=body)
            _check_answer(role, response, out_of_scope, body)

        try:
            fuzz()
        except (AssertionError, ExceptionGroup) as exc:  # several distinct bugs come as a group
            found = exc.exceptions if isinstance(exc, ExceptionGroup) else [exc]
            failures += [f"{_callback_name(spec)} ({key[:60]}): {str(e)[:1500]}" for e in found]
    assert not failures, "\n\n".join(failures)


# --- what the fuzzer found, kept as examples -------------------------------------------------------


def _plain_request(spec: dict, key: str, values: dict) -> dict:
    """A request for a callback without patterns: ``values`` by "id.property" (None elsewhere)."""

    def entries(deps):
        return [
            {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
            for d in deps
        ]

    outputs = spec["output"]
    multi = isinstance(outputs, list | tuple)
    outs = [
        {"id": o.component_id, "property": o.component_property} for o in (outputs if multi else [outputs])
    ]
    inputs = entries(spec["inputs"])
    return {
        "output": key,
        "outputs": outs if multi else outs[0],
        "inputs": inputs,
        "state": entries(spec["state"]),
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


PAGE = "_pages_location"
FOUND = [  # (callback, role, values, statuses): each answered 500 before its fix
    ("update", "analyst", {f"{PAGE}.pathname": "/", f"{PAGE}.search": "?age_band=2024-11"}, {200}),
    ("apply_filter_bar", "analyst", {"frame--period.value": "2025-01", "frame--segment.value": 3.5}, {200}),
    ("show_slide", "analyst", {"present--index.data": {}, "present--meta.data": 1}, {200}),
    ("move_slide", "analyst", {"present--next.n_clicks": 1, "present--meta.data": 1}, {204}),
    ("offer_parts", "analyst", {"decks--page.value": []}, {200}),
    ("show_slide", "rm", {"present--index.data": 0, "present--meta.data": {"deck": 1}}, {403}),
]


@pytest.mark.parametrize(("name", "role", "values", "statuses"), FOUND, ids=[f[0] for f in FOUND])
def test_inputs_the_fuzzer_found_are_answered(callbacks, clients, name, role, values, statuses):
    key, spec = _some_callback(callbacks, name)
    response = clients[role].post(CALLBACK, json=_plain_request(spec, key, values))
    assert response.status_code in statuses, response.get_data(as_text=True)[:500]


# --- the request-shape check --------------------------------------------------------------------


def _some_callback(callbacks: dict, name: str) -> tuple[str, dict]:
    return next((k, s) for k, s in callbacks.items() if _callback_name(s) == name)


def test_a_request_no_browser_sends_is_refused_with_400(mams_app, clients, callbacks):
    client = clients["analyst"]
    key, spec = _some_callback(callbacks, "toggle_customer_filters")
    good = {
        "output": key,
        "outputs": {"id": "frame--more", "property": "is_open"},
        "inputs": [{"id": "frame--more-toggle", "property": "n_clicks", "value": 1}],
        "state": [{"id": "frame--more", "property": "is_open", "value": False}],
        "changedPropIds": ["frame--more-toggle.n_clicks"],
    }
    assert client.post(CALLBACK, json=good).status_code == 200
    bad = [
        {**good, "output": "nothing--here.children"},
        {**good, "output": ["frame--more.is_open"]},
        {k: v for k, v in good.items() if k != "inputs"},
        {**good, "inputs": {"id": "frame--more-toggle", "property": "n_clicks", "value": 1}},
        {**good, "inputs": ["frame--more-toggle.n_clicks"]},
        {**good, "inputs": [{"id": "frame--more-toggle", "value": 1}]},
        {**good, "inputs": [{"id": "admin--save", "property": "n_clicks", "value": 1}]},
        {**good, "inputs": good["inputs"] * 2},
        {**good, "state": []},
        {**good, "outputs": [good["outputs"]]},
        {**good, "outputs": {"id": "frame--menu", "property": "is_open"}},
        {**good, "changedPropIds": "frame--more-toggle.n_clicks"},
    ]
    for body in bad:
        response = client.post(CALLBACK, json=body)
        assert response.status_code == 400, body
        assert "bad callback request" in response.get_json()["error"]
    for raw in (b"not json", b"[1, 2]", b'"a string"', b"null"):
        response = client.post(CALLBACK, data=raw, content_type="application/json")
        assert response.status_code == 400, raw
    for pathname, search in ((5, ""), ("branches", ""), ("/", ["?region=1"]), ("/", {"a": 1})):
        response = client.post(CALLBACK, json=router_payload(pathname, search))
        assert response.status_code == 400, (pathname, search)
    assert client.post(CALLBACK, json=router_payload(None, None)).status_code == 200
    clientside = next(k for k, s in mams_app.app.callback_map.items() if not callable(s.get("callback")))
    assert client.post(CALLBACK, json={**good, "output": clientside}).status_code == 400


def test_pattern_requests_are_checked_too(mams_app, clients, callbacks):
    key, _spec = _some_callback(callbacks, "open_menu")
    body = {
        "output": key,
        "outputs": [
            {"id": o.component_id, "property": o.component_property}
            for o in mams_app.app.callback_map[key]["output"]
        ],
        "inputs": [[], []],
        "state": [{"id": "_pages_location", "property": "search", "value": ""}],
        "changedPropIds": [],
    }
    assert clients["analyst"].post(CALLBACK, json=body).status_code == 204  # nothing clicked
    forged = {**body, "inputs": [{"id": {"type": "frame-chart", "key": "x"}, "property": "clickData"}, []]}
    assert clients["analyst"].post(CALLBACK, json=forged).status_code == 400
    wrong_type = [[{"id": {"type": "admin", "key": "x"}, "property": "clickData"}], []]
    assert clients["analyst"].post(CALLBACK, json={**body, "inputs": wrong_type}).status_code == 400


@pytest.mark.slow
@FUZZ
@given(shape=junk, output=st.sampled_from(["", "frame--more.is_open", "_pages_dummy.children"]))
def test_junk_shapes_are_refused_not_crashed(clients, callbacks, shape, output):
    """Arbitrary JSON where the request's structure belongs: a 400, never a 500."""
    body = shape if isinstance(shape, dict) else {"output": output, "inputs": shape, "state": shape}
    response = clients["analyst"].post(CALLBACK, json=body)
    assert response.status_code == 400, body
    response = clients["analyst"].post(CALLBACK, json={"output": output, "outputs": shape, "inputs": shape})
    assert response.status_code == 400, shape
