"""The analysis frame's callbacks over raw HTTP, with forged ``/_dash-update-component`` posts:
signed-out requests are refused, a branch manager naming another branch in a forged click gets
none of its figures or rows, a presenter gets aggregates only, an analyst's export holds the
true rows and is audited, and malformed payloads never make a server error."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from cube.views import branches as branches_view
from tests.app.conftest import sign_in
from tests.data.test_derive import pandas_customer_month

UNITS = "branches:units"
RANKING = branches_view.RANKING_CHART


# --- building forged callback posts from the app's own callback map ----------------------------


def _outputs_of(key: str) -> list[dict]:
    """The ``outputs`` a browser sends for callback ``key`` (``..a.b...c.d..`` or ``a.b``)."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        if ident.startswith("{"):
            out.append([])  # a wildcard output: no such components on the forged page
        else:
            out.append({"id": ident, "property": prop})
    return out


def callback_key(app_module, input_id: str, prop: str, output: str = "frame--") -> str:
    """The callback map key of the one callback fired by ``input_id.prop`` that writes an
    ``output`` id."""
    app_module.server.test_client().get("/login")  # Dash fills its callback map on a first request
    found = [
        k
        for k, v in app_module.app.callback_map.items()
        if any(i["id"] == input_id and i["property"] == prop for i in v["inputs"]) and output in k
    ]
    if len(found) > 1:  # one input can fire several callbacks: the frame's own writes the menu body
        found = [k for k in found if "frame--menu-body." in k] or found
    assert len(found) == 1, found
    return found[0]


def payload(app_module, fired: tuple[str, str], inputs: dict, state: dict) -> dict:
    """A forged post firing ``fired`` with input and state values by ``"id.property"``."""
    key = callback_key(app_module, *fired)
    spec = app_module.app.callback_map[key]

    def values(items, given):
        return [
            {"id": i["id"], "property": i["property"], "value": given.get(f"{i['id']}.{i['property']}")}
            for i in items
        ]

    outputs = _outputs_of(key)
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": values(spec["inputs"], inputs),
        "changedPropIds": [f"{fired[0]}.{fired[1]}"],
        "state": values(spec["state"], state),
    }


def show_rows_payload(app_module, context, search: str = "", page=0, which: str = "frame--menu-rows") -> dict:
    return payload(
        app_module,
        (which, "n_clicks"),
        {f"{which}.n_clicks": 1},
        {
            "frame--menu-page.data": page,
            "frame--menu-context.data": context,
            "_pages_location.search": search,
        },
    )


def export_payload(app_module, context, search: str = "", xlsx: bool = False) -> dict:
    which = "frame--menu-export-xlsx" if xlsx else "frame--menu-export-csv"
    return payload(
        app_module,
        (which, "n_clicks"),
        {f"{which}.n_clicks": 1},
        {"frame--menu-context.data": context, "_pages_location.search": search},
    )


def break_down_payload(app_module, by, context, search: str = "") -> dict:
    return payload(
        app_module,
        ("frame--menu-by", "value"),
        {"frame--menu-by.value": by},
        {"frame--menu-context.data": context, "_pages_location.search": search},
    )


def sync_payload(app_module, pathname: str, search: str) -> dict:
    body = payload(
        app_module,
        ("_pages_location", "search"),
        {"_pages_location.pathname": pathname, "_pages_location.search": search},
        {},
    )
    body["state"] = [[]]  # no navigation links on the forged page
    return body


def post(client, body: dict):
    return client.post("/_dash-update-component", json=body)


def response_of(resp) -> dict:
    assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:500])
    return resp.get_json()["response"]


# --- the demo data in pandas -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cm(demo_source) -> pd.DataFrame:
    frame = pandas_customer_month(demo_source)
    frame["m"] = pd.to_datetime(frame["month_date"]).dt.strftime("%Y-%m")
    return frame


@pytest.fixture(scope="module")
def latest(cm) -> str:
    return max(cm["m"])


@pytest.fixture(scope="module")
def own(mams_app, demo_source) -> dict[str, int]:
    """The demo branch manager's branch and region, and another region's branch."""
    from auth.users import get_user

    branches = pd.read_parquet(demo_source / "branches.parquet")
    branch = get_user("branch").branch_id
    region = int(branches.loc[branches["branch_id"] == branch, "region_id"].iloc[0])
    other = branches[branches["region_id"] != region].iloc[0]
    managers = pd.read_parquet(demo_source / "managers.parquet")
    return {
        "branch": branch,
        "region": region,
        "other_branch": int(other["branch_id"]),
        "other_region": int(other["region_id"]),
        "other_manager": int(managers.loc[managers["branch_id"] == other["branch_id"], "manager_id"].iloc[0]),
    }


def ids_in(text: str, cm: pd.DataFrame, branch: int) -> set[str]:
    ids = set(cm.loc[cm["branch_id"] == branch, "customer_id"].astype(str))
    return {i for i in ids if i in text}


# --- signed out -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["rows", "export", "break_down", "sync"])
def test_signed_out_frame_callbacks_are_refused(mams_app, which):
    context = {"chart": UNITS, "member": "customers.region", "value": 1}
    body = {
        "rows": lambda: show_rows_payload(mams_app, context),
        "export": lambda: export_payload(mams_app, context),
        "break_down": lambda: break_down_payload(mams_app, "customers.age_band", context),
        "sync": lambda: sync_payload(mams_app, "/branches", ""),
    }[which]()
    response = post(mams_app.server.test_client(), body)
    assert response.status_code == 401
    assert b"frame--" not in response.data


# --- a branch manager forging another unit ----------------------------------------------------


def forged_contexts(own: dict[str, int]) -> list[tuple[dict, str]]:
    """Clicks naming another region or branch, with the URL that would put them on the chart."""
    return [
        ({"chart": UNITS, "member": "customers.region", "value": own["other_region"]}, ""),
        (
            {"chart": UNITS, "member": "customers.branch", "value": own["other_branch"]},
            f"?region={own['other_region']}",
        ),
        (
            {"chart": RANKING, "member": None, "value": str(own["other_branch"])},
            f"?region={own['other_region']}",
        ),
        ({"chart": UNITS, "member": "customers.region", "value": own["other_region"]}, "?region=&branch="),
        ({"chart": UNITS, "member": "customers.manager", "value": own["other_manager"]}, ""),
        (
            {"chart": UNITS, "member": "customers.manager", "value": own["other_manager"]},
            f"?region={own['other_region']}&branch={own['other_branch']}",
        ),
    ]


def test_branch_manager_gets_no_rows_of_another_branch(mams_app, cm, own):
    client = sign_in(mams_app, "branch")
    for context, search in forged_contexts(own):
        response = post(client, show_rows_payload(mams_app, context, search))
        assert response.status_code in (200, 204), response.status_code
        text = response.get_data(as_text=True)
        assert not ids_in(text, cm, own["other_branch"]), (context, search)
        if response.status_code == 200:
            out = response.get_json()["response"]
            assert out["frame--menu-rows-grid-box"]["children"] is None  # no grid at all
            assert "No rows behind this figure." in text


def test_branch_manager_gets_no_break_down_of_another_branch(mams_app, cm, own, latest):
    client = sign_in(mams_app, "branch")
    for context, search in forged_contexts(own):
        response = post(client, break_down_payload(mams_app, "customers.age_band", context, search))
        assert response.status_code in (200, 204)
        text = response.get_data(as_text=True)
        assert "frame--menu-by-chart" not in text and "frame--menu-by-table" not in text, (context, search)
    # the same break-down of their own branch does show figures: the forged ones were refused
    mine = {"chart": UNITS, "member": "customers.branch", "value": own["branch"]}
    out = response_of(
        post(client, break_down_payload(mams_app, "customers.age_band", mine, f"?region={own['region']}"))
    )
    assert "frame--menu-by-chart" in json.dumps(out)


def test_branch_manager_export_holds_none_of_another_branch(mams_app, cm, own):
    from auth import audit

    client = sign_in(mams_app, "branch")
    for context, search in forged_contexts(own):
        response = post(client, export_payload(mams_app, context, search))
        assert response.status_code in (200, 204)
        if response.status_code == 200:
            content = response.get_json()["response"]["frame--menu-download"]["data"]["content"]
            rows = list(csv.DictReader(io.StringIO(content)))
            assert rows == [], (context, search)
            assert audit.recent(1)[0]["action"] == "export"
        assert not ids_in(response.get_data(as_text=True), cm, own["other_branch"])


def test_branch_manager_rows_of_their_own_branch(mams_app, cm, own, latest):
    client = sign_in(mams_app, "branch")
    context = {"chart": UNITS, "member": "customers.branch", "value": own["branch"]}
    out = response_of(post(client, show_rows_payload(mams_app, context, f"?region={own['region']}")))
    total = len(cm[(cm["m"] == latest) & (cm["branch_id"] == own["branch"])])
    assert out["frame--menu-rows-total"]["children"] == f"Rows 1–50 of {total:,}"
    assert out["frame--menu-exports"]["style"] == {}


# --- a presenter: aggregates only -------------------------------------------------------------


def test_presenter_gets_aggregates_only_and_no_export(mams_app, own):
    from auth import audit

    client = sign_in(mams_app, "presenter")
    context = {"chart": UNITS, "member": "customers.region", "value": own["region"]}
    out = response_of(post(client, show_rows_payload(mams_app, context)))
    assert "aggregates only" in json.dumps(out)
    assert out["frame--menu-rows-grid-box"]["children"] is None
    assert out["frame--menu-exports"]["style"] == {"display": "none"}
    for xlsx in (False, True):
        response = post(client, export_payload(mams_app, context, xlsx=xlsx))
        assert response.status_code == 204 and not response.data
        event = audit.recent(1)[0]
        assert event["action"] == "export_refused" and event["username"] == "presenter"


# --- an analyst's export ----------------------------------------------------------------------


def test_analyst_export_has_the_true_rows_and_is_audited(mams_app, cm, own, latest):
    from auth import audit

    client = sign_in(mams_app, "analyst")
    region = own["region"]
    context = {"chart": UNITS, "member": "customers.region", "value": region}
    response = post(client, export_payload(mams_app, context, f"?period={latest}"))
    data = response_of(response)["frame--menu-download"]["data"]
    assert data["filename"].endswith(".csv")
    frame = pd.read_csv(io.StringIO(data["content"]))
    want = cm[(cm["m"] == latest) & (cm["region_id"] == region)]
    assert len(frame) == len(want)
    # headers come from the cube's column metadata, in the user's language
    assert {"Customer", "Customer name", "AUM"} <= set(frame.columns)
    assert set(frame["Customer"].astype(str)) == set(want["customer_id"].astype(str))
    names = set(pd.read_parquet(mams_app_source(mams_app) / "customers.parquet")["name"])
    assert not frame["Customer name"].astype(str).isin(names).any()  # an analyst sees no identities
    event = audit.recent(1)[0]
    assert event["action"] == "export" and event["username"] == "analyst"
    assert f"{len(want)} rows" in event["detail"]
    # the rows shown page by page count the same
    out = response_of(post(client, show_rows_payload(mams_app, context, f"?period={latest}")))
    assert out["frame--menu-rows-total"]["children"] == f"Rows 1–50 of {len(want):,}"
    # an earlier month and a cross-filter on another chart narrow the export the same way
    earlier = sorted(cm["m"].unique())[-3]
    band = "35-44"
    search = f"?period={earlier}&sel=overview%3Aages%3Aage_band%3A{band}"
    response = post(client, export_payload(mams_app, context, search, xlsx=True))
    blob = response_of(response)["frame--menu-download"]["data"]
    assert blob["filename"].endswith(".xlsx") and blob["base64"]
    import base64

    sheet = pd.read_excel(io.BytesIO(base64.b64decode(blob["content"])))
    want = cm[(cm["m"] == earlier) & (cm["region_id"] == region) & (cm["age_band"] == band)]
    assert len(sheet) == len(want) > 0


def mams_app_source(_app):
    from data import paths

    return paths.demo_source_dir()


# --- malformed payloads -----------------------------------------------------------------------

BAD_CONTEXTS = [
    "not a dict",
    ["chart", UNITS],
    None,
    42,
    {},
    {"chart": "nope:chart", "member": "customers.region", "value": 1},
    {"chart": ["x"], "value": 1},
    {"chart": {"a": 1}, "value": 1},
    {"chart": UNITS, "member": "customers.region", "value": [1, 2]},
    {"chart": UNITS, "member": "customers.region", "value": {"a": 1}},
    {"chart": UNITS, "member": "customers.region", "value": "9" * 5000},
    {"chart": UNITS, "member": "customers.region", "value": 10**30},
    {"chart": UNITS, "member": "customers.region", "value": "abc"},
    {"chart": UNITS, "member": ["customers.region"], "value": 1},
    {"chart": UNITS, "member": {"x": 1}, "value": 1},
    {"chart": UNITS, "member": "customers.aum", "value": 1},
    {"chart": UNITS, "member": "transactions.channel", "value": 1},
    {"chart": UNITS, "member": "customers.region", "value": None},
]
BAD_SEARCHES = [
    "",
    "?region=abc&period=2026-13&sel=::",
    "?" + "&".join(f"age_band={i}" for i in range(500)),
    None,
    5,
    ["?a=1"],
]


@pytest.mark.parametrize("user", ["analyst", "branch"])
def test_malformed_payloads_make_no_server_error(mams_app, user):
    client = sign_in(mams_app, user)
    good = {"chart": UNITS, "member": "customers.region", "value": 1}
    bodies = []
    for context in BAD_CONTEXTS:
        bodies += [
            show_rows_payload(mams_app, context),
            export_payload(mams_app, context),
            break_down_payload(mams_app, "customers.age_band", context),
            action_payload(mams_app, "frame--menu-down", context),
        ]
    for search in BAD_SEARCHES:
        bodies += [
            show_rows_payload(mams_app, good, search),
            break_down_payload(mams_app, "customers.age_band", good, search),
            action_payload(mams_app, "frame--menu-select", good, search),
            sync_payload(mams_app, "/branches", search),
        ]
    for page in (10**30, -5, "a", [1], None, 10**6 - 1, True):
        for which in ("frame--menu-rows", "frame--menu-next", "frame--menu-prev"):
            bodies.append(show_rows_payload(mams_app, good, "", page=page, which=which))
    for by in (
        None,
        5,
        ["customers.age_band"],
        "customers.region",
        "transactions.channel",
        "x" * 500,
        "customers.aum",
    ):
        bodies.append(break_down_payload(mams_app, by, good))
    for body in bodies:
        response = post(client, body)
        # an address bar that is not a string no browser sends: refused before any callback runs
        entries = [e for e in body["inputs"] + body["state"] if isinstance(e, dict)]
        forged = [e for e in entries if e["id"] == "_pages_location"]
        expected = (400,) if any(not isinstance(e["value"], str | None) for e in forged) else (200, 204)
        assert response.status_code in expected, (response.status_code, body["output"][:60], body["state"])


def action_payload(app_module, which: str, context, search: str = "") -> dict:
    return payload(
        app_module,
        (which, "n_clicks"),
        {f"{which}.n_clicks": 1},
        {"frame--menu-context.data": context, "_pages_location.search": search},
    )


def test_huge_page_numbers_page_from_the_start(mams_app, own, latest):
    client = sign_in(mams_app, "analyst")
    context = {"chart": UNITS, "member": "customers.region", "value": own["region"]}
    out = response_of(
        post(client, show_rows_payload(mams_app, context, "", page=10**30, which="frame--menu-next"))
    )
    assert out["frame--menu-page"]["data"] == 1 and out["frame--menu-rows-total"]["children"].startswith(
        "Rows 51–100"
    )


def test_forged_click_on_an_unknown_chart_opens_no_menu(mams_app):
    client = sign_in(mams_app, "analyst")
    key = callback_key(mams_app, '{"key":["ALL"],"type":"frame-chart"}', "clickData")
    spec = mams_app.app.callback_map[key]
    for chart, click in (
        ("nope:chart", {"points": [{"customdata": ["customers.region", 1]}]}),
        (UNITS, {"points": "x"}),
        (UNITS, {"points": [5]}),
        (UNITS, ["x"]),
        (UNITS, {"points": [{"customdata": [["customers.region"], 1]}]}),
        (["a"], {"points": [{"customdata": 1}]}),
    ):
        ident = {"type": "frame-chart", "key": chart}
        body = {
            "output": key,
            "outputs": _outputs_of(key),
            "inputs": [[{"id": ident, "property": "clickData", "value": click}], []],
            "changedPropIds": [json.dumps(ident, sort_keys=True, separators=(",", ":")) + ".clickData"],
            "state": [{"id": i["id"], "property": i["property"], "value": ""} for i in spec["state"]],
        }
        response = post(client, body)
        if isinstance(chart, list):  # no component can have a list in its id: refused as forged
            assert response.status_code == 400, (chart, click)
            continue
        assert response.status_code in (200, 204), (chart, click, response.status_code)
        if (
            chart != UNITS
            or not isinstance(click, dict)
            or click.get("points") != [{"customdata": [["customers.region"], 1]}]
        ):
            assert response.status_code == 204, (chart, click)


# --- the filter bar for a branch manager ------------------------------------------------------


def test_branch_manager_filter_bar_opens_on_their_branch(mams_app, own, demo_source):
    client = sign_in(mams_app, "branch")
    out = response_of(post(client, sync_payload(mams_app, "/branches", "")))
    assert out["frame--region"]["value"] == own["region"]
    assert out["frame--branch"]["value"] == own["branch"]
    assert out["frame--manager"]["value"] is None
    assert [o["value"] for o in out["frame--region"]["options"]] == [own["region"]]
    assert [o["value"] for o in out["frame--branch"]["options"]] == [own["branch"]]
    managers = pd.read_parquet(demo_source / "managers.parquet")
    mine = set(managers.loc[managers["branch_id"] == own["branch"], "manager_id"])
    assert {o["value"] for o in out["frame--manager"]["options"]} <= mine
    # a URL naming another region still offers only their own
    out = response_of(post(client, sync_payload(mams_app, "/branches", f"?region={own['other_region']}")))
    assert [o["value"] for o in out["frame--region"]["options"]] == [own["region"]]
    assert out["frame--branch"]["options"] == []
