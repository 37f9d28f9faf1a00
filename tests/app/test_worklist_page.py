"""The work list page, the campaign progress section's upload and the loop's parts of Customer
360, over HTTP with signed-in demo users (the session's demo store). A running campaign is
inserted straight into the store (tests.marketing.test_contacts.make_campaign)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest

import pages._campaign_progress  # noqa: F401 - its callbacks, before the app is made (the campaign detail imports it)
from tests.app.test_customer360_page import show as show_customer360
from tests.app.test_customer360_page import sign_in
from tests.app.test_frame_http import _outputs_of, callback_key
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, nodes, text
from tests.marketing.test_contacts import make_campaign, stored


def fire(mams_app, client, fired: tuple[str, str], output: str, inputs: dict, state: dict | None = None):
    """Post the callback fired by ``fired`` that writes an ``output`` id, with values by
    ``"id.property"``; the response's JSON (and the status code)."""
    key = callback_key(mams_app, *fired, output=output)
    spec = mams_app.app.callback_map[key]
    state = state or {}

    def values(items, given):
        return [
            {"id": i["id"], "property": i["property"], "value": given.get(f"{i['id']}.{i['property']}")}
            for i in items
        ]

    outputs = _outputs_of(key)
    body = {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": values(spec["inputs"], inputs),
        "changedPropIds": [f"{fired[0]}.{fired[1]}"],
        "state": values(spec["state"], state),
    }
    response = client.post("/_dash-update-component", json=body)
    return response.status_code, (response.get_json() or {}).get("response", {})


def render(client, path: str, search: str = "") -> dict:
    response = client.post("/_dash-update-component", json=router_payload(path, search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


@pytest.fixture(scope="module")
def campaign(mams_app, demo_source) -> dict:
    from auth.users import get_user

    rm, branch = get_user("rm"), get_user("branch")
    cust = pd.read_parquet(demo_source / "customers.parquet")
    colleagues = cust[(cust["home_branch_id"] == branch.branch_id) & (cust["manager_id"] != rm.manager_id)]
    other = int(colleagues["manager_id"].dropna().astype(int).value_counts().index[0])
    users = SimpleNamespace(manager_id=rm.manager_id, manager2_id=other, branch_id=branch.branch_id)
    return make_campaign(users, demo_source, n=3, name="Worklist page test")


def test_the_rm_sees_their_work_list_and_the_nav_entry(mams_app, campaign) -> None:
    client = sign_in(mams_app, "rm")
    tree = render(client, "/worklist")
    rows = by_id(tree, "worklist--table")["props"]["rowData"]
    ours = [r for r in rows if r["_row_id"].startswith(f"{campaign['id']}:")]
    assert sorted(r["customer_id"] for r in ours) == sorted(campaign["mine"])
    assert {r["status"] for r in ours} == {"Not contacted"}
    assert all(r["customer_name"] and "*" not in r["customer_name"] for r in ours)
    options = by_id(tree, "worklist--campaign")["props"]["options"]
    assert str(campaign["id"]) in {o["value"] for o in options}
    grid = by_id(tree, "worklist--table")["props"]
    link = next(c for c in grid["columnDefs"] if c["field"] == "customer_id")
    assert link["cellRenderer"] == "MamsCustomerLink"
    from app import nav_entries

    assert ("worklist", "/worklist") in nav_entries("relationship_manager")
    assert ("worklist", "/worklist") in nav_entries("branch_manager")
    assert ("worklist", "/worklist") not in nav_entries("analyst")
    analyst = render(sign_in(mams_app, "analyst"), "/worklist")
    assert "worklist--refused" in json.dumps(analyst)


def test_pick_a_customer_record_a_contact_and_see_it_confirmed(mams_app, campaign) -> None:
    client = sign_in(mams_app, "rm")
    customer = campaign["mine"][0]
    code, out = fire(
        mams_app,
        client,
        ("worklist--table", "cellClicked"),
        "worklist--customer",
        {"worklist--table.cellClicked": {"rowId": f"{campaign['id']}:{customer}", "colId": "customer_name"}},
    )
    assert code == 200
    picked = out["worklist--customer"]["data"]
    assert picked == {"campaign_id": campaign["id"], "customer_id": customer}
    code, out = fire(
        mams_app,
        client,
        ("worklist--customer", "data"),
        "worklist--selected",
        {"worklist--customer.data": picked},
    )
    assert code == 200
    assert [o["value"] for o in out["worklist--channel"]["options"]] == [
        "phone_banking",
        "counter",
        "call_centre",
    ]
    assert [o["value"] for o in out["worklist--product"]["options"]][1:] == campaign["products"]
    assert str(customer) in text(out["worklist--selected"]["children"])

    form = {
        "worklist--customer.data": picked,
        "worklist--channel.value": "counter",
        "worklist--contacted-at.value": (datetime.now() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "worklist--reached.value": True,
        "worklist--outcome.value": "accepted",
        "worklist--product.value": campaign["products"][0],
        "worklist--amount.value": -10,
        "worklist--note.value": "",
        "worklist--campaign.value": "",
    }
    save = ("worklist--save", "n_clicks")
    code, out = fire(mams_app, client, save, "worklist--message", {"worklist--save.n_clicks": 1}, form)
    assert code == 200
    assert "Not saved. Amount: must not be negative" in text(out["worklist--message"]["children"])
    code, out = fire(
        mams_app,
        client,
        save,
        "worklist--message",
        {"worklist--save.n_clicks": 2},
        form | {"worklist--amount.value": 88000},
    )
    assert "Contact saved" in text(out["worklist--message"]["children"])
    row = next(
        r
        for r in next(v for k, v in out.items() if k == "worklist--table")["rowData"]
        if r["customer_id"] == customer and r.get("campaign_id", campaign["id"]) == campaign["id"]
    )  # other tests' campaigns in the shared store may hold the customer too
    assert row["status"] == "Accepted" and row["contacts"] == 1
    assert stored(
        "SELECT channel, outcome, amount, recorded_by FROM campaign_contacts "
        "WHERE campaign_id = :c AND customer_id = :k",
        {"c": campaign["id"], "k": customer},
    ) == [("counter", "accepted", 88000.0, "rm")]
    assert "worklist--history-table" in json.dumps(out["worklist--history"]["children"])
    # the control group is never on the list and a forged pick of it is refused at saving
    control = form | {
        "worklist--customer.data": {"campaign_id": campaign["id"], "customer_id": campaign["control"][0]}
    }
    code, out = fire(mams_app, client, save, "worklist--message", {"worklist--save.n_clicks": 3}, control)
    assert "control group" in text(out["worklist--message"]["children"])
    # another role's forged save is refused outright
    code, _ = fire(
        mams_app,
        sign_in(mams_app, "analyst"),
        save,
        "worklist--message",
        {"worklist--save.n_clicks": 1},
        form,
    )
    assert code == 403


def test_an_analyst_imports_an_outcomes_file_on_the_campaign_detail(mams_app, campaign) -> None:
    from auth.users import get_user
    from pages._campaign_progress import progress_body

    when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    empty = {"product": "", "amount": "", "note": "", "channel": "call_centre", "contacted_at": when}
    rows = [
        empty | {"customer_id": campaign["theirs"][0], "reached": "yes", "outcome": "interested"},
        empty | {"customer_id": campaign["theirs"][1], "reached": "no", "outcome": ""},
    ]
    content = pd.DataFrame(rows).to_csv(index=False).encode()
    client = sign_in(mams_app, "analyst")

    def upload(data: bytes, kind: str = "contacts", name: str = "calls.csv"):
        contents = "data:text/csv;base64," + base64.b64encode(data).decode()
        return fire(
            mams_app,
            client,
            ("progress--upload", "contents"),
            "progress--upload-result",
            {"progress--upload.contents": contents},
            {
                "progress--upload.filename": name,
                "progress--upload-kind.value": kind,
                "campaigns--detail-id.data": campaign["id"],
            },
        )

    bad = pd.DataFrame([rows[0] | {"channel": "pos"}, rows[1] | {"customer_id": campaign["control"][0]}])
    code, out = upload(bad.to_csv(index=False).encode())
    assert code == 200
    result = out["progress--upload-result"]["children"]
    assert "nothing was stored" in text(result)
    errors = next(n for n in nodes(result) if n["props"].get("id") == "progress--upload-errors")["props"][
        "rowData"
    ]
    assert [(e["row"], e["column"]) for e in errors] == [(1, "channel"), (2, "customer_id")]
    code, out = upload(content)
    assert "2 rows imported" in text(out["progress--upload-result"]["children"])
    assert "progress--by-branch" in json.dumps(out["progress--body"]["children"])
    code, out = upload(content)
    assert "already imported" in json.dumps(out["progress--upload-result"]["children"])
    code, _ = fire(
        mams_app,
        sign_in(mams_app, "branch"),
        ("progress--upload", "contents"),
        "progress--upload-result",
        {"progress--upload.contents": "data:text/csv;base64," + base64.b64encode(content).decode()},
        {"campaigns--detail-id.data": campaign["id"]},
    )
    assert code == 403  # branch managers read progress, they do not import

    body = json.loads(
        json.dumps(
            progress_body(get_user("branch"), campaign["id"], "zh").to_plotly_json(),
            default=lambda o: o.to_plotly_json(),
        )
    )
    assert by_id(body, "progress--by-branch") and by_id(body, "progress--chart")


def test_customer360_shows_the_loop_history_and_takes_the_rms_notes(mams_app, campaign) -> None:
    customer = campaign["mine"][1]
    rm = sign_in(mams_app, "rm")
    out = show_customer360(rm, str(customer))
    loop = by_id(out, "c360--loop-history")["props"]["rowData"]  # other tests share the store
    assert ("Worklist page test", "Target") in [(r["campaign"], r["arm"]) for r in loop]
    code, answer = fire(
        mams_app,
        rm,
        ("c360--note-add", "n_clicks"),
        "c360--notes",
        {"c360--note-add.n_clicks": 1},
        {"c360--note-body.value": "Prefers calls after 6pm", "c360--customer.data": str(customer)},
    )
    assert code == 200 and "Prefers calls after 6pm" in json.dumps(answer["c360--notes"]["children"])
    code, answer = fire(
        mams_app,
        rm,
        ("c360--note-add", "n_clicks"),
        "c360--notes",
        {"c360--note-add.n_clicks": 2},
        {"c360--note-body.value": "   ", "c360--customer.data": str(customer)},
    )
    assert "write something first" in json.dumps(answer["c360--note-message"]["children"])
    analyst = sign_in(mams_app, "analyst")
    seen = show_customer360(analyst, str(customer))
    assert "Prefers calls after 6pm" in json.dumps(seen)
    assert "c360--note-add" not in json.dumps(seen)  # analysts read, they do not write
    code, _ = fire(
        mams_app,
        analyst,
        ("c360--note-add", "n_clicks"),
        "c360--notes",
        {"c360--note-add.n_clicks": 1},
        {"c360--note-body.value": "forged", "c360--customer.data": str(customer)},
    )
    assert code == 403
