"""The Customer 360 page over HTTP with signed-in clients, per role: the layout from the URL, the
search box's callback, and the customer's sections from the content callback (figures checked
against pandas over the generated Parquet); out of scope reads exactly like no such customer,
a presenter opens none, and customer numbers in drill-through grids link here."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.app.conftest import sign_in as _sign_in
from tests.app.test_frame_http import _outputs_of, callback_key
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, nodes, text

CONTENT = "c360--content"


_CLIENTS: dict = {}


def sign_in(app_module, username: str, lang: str = "en"):
    """A signed-in client per user and language, shared by this module's tests (signing in
    hashes a password: seconds each)."""
    key = (id(app_module), username, lang)
    if key not in _CLIENTS:
        _CLIENTS[key] = _sign_in(app_module, username, lang)
    return _CLIENTS[key]


def read(src, name: str) -> pd.DataFrame:
    return pd.read_parquet(src / f"{name}.parquet")


def render(client, search: str = "") -> dict:
    response = client.post("/_dash-update-component", json=router_payload("/customer-360", search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


def show(client, customer) -> dict:
    """The content callback for ``customer`` (what the page's store holds)."""
    body = {
        "output": f"{CONTENT}.children",
        "outputs": {"id": CONTENT, "property": "children"},
        "inputs": [{"id": "c360--customer", "property": "data", "value": customer}],
        "changedPropIds": ["c360--customer.data"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"][CONTENT]["children"]


def search(mams_app, client, value) -> dict:
    """The search box's Open button pressed with ``value`` typed."""
    key = callback_key(mams_app, "c360--open", "n_clicks", "c360--search-message")
    body = {
        "output": key,
        "outputs": _outputs_of(key),
        "inputs": [
            {"id": "c360--open", "property": "n_clicks", "value": 1},
            {"id": "c360--search", "property": "n_submit", "value": None},
        ],
        "changedPropIds": ["c360--open.n_clicks"],
        "state": [{"id": "c360--search", "property": "value", "value": value}],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


@pytest.fixture(scope="module")
def people(mams_app, demo_source) -> dict:
    """The branch manager's and the relationship manager's own customer with the most campaign
    contacts, a customer of another branch, and a number nobody has."""
    from auth.users import get_user

    branch, rm = get_user("branch"), get_user("rm")
    cust = read(demo_source, "customers")
    contacts = read(demo_source, "campaign_contacts").groupby("customer_id").size()
    mine = cust[(cust["manager_id"] == rm.manager_id) & cust["close_date"].isna()].copy()
    mine["n"] = mine["customer_id"].map(contacts).fillna(0)
    own = mine.sort_values(["n", "customer_id"], ascending=[False, True]).iloc[0]
    assert own["home_branch_id"] == branch.branch_id  # the demo rm works in the demo branch
    colleague = cust[(cust["home_branch_id"] == branch.branch_id) & (cust["manager_id"] != rm.manager_id)]
    other = cust[cust["home_branch_id"] != branch.branch_id]
    return {
        "own": int(own["customer_id"]),
        "row": own,
        "colleague": int(colleague["customer_id"].iloc[0]) if len(colleague) else None,
        "other": int(other["customer_id"].iloc[0]),
        "missing": int(cust["customer_id"].max()) + 7919,
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_layout_has_the_search_box_and_takes_the_customer_from_the_url(mams_app, people, lang):
    client = sign_in(mams_app, "branch", lang)
    empty = render(client)
    assert by_id(empty, "c360--search")["props"]["value"] == ""
    assert by_id(empty, "c360--customer")["props"]["data"] is None
    hint = show(client, None)
    assert "c360--hint" in json.dumps(hint)
    tree = render(client, f"?customer={people['own']}")
    assert by_id(tree, "c360--customer")["props"]["data"] == str(people["own"])
    assert by_id(tree, "c360--search")["props"]["value"] == str(people["own"])


def test_search_box_navigates_or_says_what_is_wrong(mams_app):
    client = sign_in(mams_app, "analyst")
    good = search(mams_app, client, " 100000123 ")
    assert good["_pages_location"]["search"] == "?customer=100000123"
    bad = search(mams_app, client, "12ab")
    assert "digits only" in bad["c360--search-message"]["children"]
    assert "_pages_location" not in bad


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_analyst_sees_the_sections_masked(mams_app, demo_source, people, lang):
    cid = people["own"]
    out = show(sign_in(mams_app, "analyst", lang), str(cid))
    row = people["row"]
    assert text(by_id(out, "c360--name")) == row["name"][0] + "**"
    assert text(by_id(out, "c360--phone")) == row["phone"][:3] + "****" + row["phone"][-4:]
    assert row["name"] not in json.dumps(out, ensure_ascii=False)
    # balances: the AUM line equals deposits + investments from the holdings file
    h = read(demo_source, "holdings")
    h = h[h["customer_id"] == cid].merge(read(demo_source, "products")[["product_id", "balance_type"]])
    aum = h[h["balance_type"].isin(["deposit", "investment"])].groupby("month_date")["balance"].sum()
    line = by_id(out, "c360--balances")["props"]["figure"]["data"][0]
    shown = dict(zip([str(x)[:10] for x in line["x"]], line["y"], strict=True))
    for month, value in aum.items():
        assert shown[str(month)[:10]] == pytest.approx(value, rel=1e-9)
    # campaign history: one row per contact
    contacts = read(demo_source, "campaign_contacts")
    assert len(by_id(out, "c360--campaigns")["props"]["rowData"]) == int(
        (contacts["customer_id"] == cid).sum()
    )
    # the notes section's honest empty state
    assert by_id(out, "c360--notes")
    # transactions by channel: the stacked bars add up to the customer's transactions
    txn = read(demo_source, "transactions")
    bars = by_id(out, "c360--channels")["props"]["figure"]["data"]
    assert sum(sum(b["y"]) for b in bars) == int((txn["customer_id"] == cid).sum())


def test_branch_and_rm_open_their_own_customer_unmasked(mams_app, people):
    row = people["row"]
    for user in ("branch", "rm"):
        out = show(sign_in(mams_app, user), str(people["own"]))
        assert text(by_id(out, "c360--name")) == row["name"]
        assert text(by_id(out, "c360--id-card")) == row["id_card_no"]


def _normalised(out, cid) -> str:
    return json.dumps(out, ensure_ascii=False).replace(str(cid), "<id>")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_out_of_scope_reads_exactly_like_no_such_customer(mams_app, people, lang):
    client = sign_in(mams_app, "branch", lang)
    outside = show(client, str(people["other"]))
    missing = show(client, str(people["missing"]))
    assert _normalised(outside, people["other"]) == _normalised(missing, people["missing"])
    assert by_id(outside, "c360--not-found")
    assert ("not in your scope" if lang == "en" else "不在您的权限范围内") in text(outside)
    if people["colleague"] is not None:  # another manager's customer in the same branch
        rm = sign_in(mams_app, "rm", lang)
        assert _normalised(show(rm, str(people["colleague"])), people["colleague"]) == _normalised(
            show(rm, str(people["missing"])), people["missing"]
        )


def test_presenter_opens_no_customer(mams_app, people):
    client = sign_in(mams_app, "presenter")
    tree = render(client, f"?customer={people['own']}")
    assert by_id(tree, "c360--refused")
    assert not [n for n in nodes(tree) if n["props"].get("id") == "c360--search"]
    out = show(client, str(people["own"]))  # a forged callback gets the same refusal, no rows
    assert by_id(out, "c360--refused")
    assert people["row"]["name"][0] not in json.dumps(out, ensure_ascii=False)
    assert "rowData" not in json.dumps(out)


def test_signed_out_callback_is_refused(mams_app, people):
    body = {
        "output": f"{CONTENT}.children",
        "outputs": {"id": CONTENT, "property": "children"},
        "inputs": [{"id": "c360--customer", "property": "data", "value": str(people["own"])}],
        "changedPropIds": ["c360--customer.data"],
        "state": [],
    }
    response = mams_app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 401


def test_drill_through_grids_link_customer_numbers_here(mams_app, people):
    """The shared grid of cube rows makes every customer number a link to Customer 360."""
    from components.result_table import result_table
    from cube import api
    from cube.api import Filter, Scope

    result = api.drill_through(
        "customers", (Filter("customers.branch", "ne", (-1,)),), Scope.all(False), 0, 5
    )
    grid = result_table(result, "en", "x")
    spec = next(c for c in grid.columnDefs if c["field"] == "customer_id")
    assert spec["cellRenderer"] == "MamsCustomerLink"
    assert spec["cellRendererParams"]["href"] == "/customer-360"
    aggregate = api.execute(
        api.Query("customers", ("customers.aum",), ("customers.branch",)), Scope.all(False)
    )
    assert all("cellRenderer" not in c for c in result_table(aggregate, "en", "y").columnDefs)
