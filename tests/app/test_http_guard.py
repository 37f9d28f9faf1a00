"""Raw HTTP against the Flask server: every route and callback needs a signed-in user, and a
branch manager asking for another branch through forged callback inputs gets none of it."""

from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from tests.app.conftest import post_sign_in, sign_in

ROUTER_OUTPUTS = [
    {"id": "_pages_content", "property": "children"},
    {"id": "_pages_store", "property": "data"},
]


def router_payload(pathname: str, search: str) -> dict:
    """What the browser posts when it navigates: Dash's page router callback."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": ROUTER_OUTPUTS,
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


@pytest.mark.parametrize("path", ["/", "/branches", "/admin", "/_dash-layout", "/_dash-dependencies"])
def test_signed_out_gets_no_page_and_no_layout(mams_app, path):
    response = mams_app.server.test_client().get(path)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    assert b"branches--" not in response.data


def test_signed_out_callback_request_is_refused(mams_app):
    client = mams_app.server.test_client()
    response = client.post("/_dash-update-component", json=router_payload("/branches", ""))
    assert response.status_code == 401
    assert b"_pages_content" not in response.data


def test_wrong_password_is_refused_and_audited(mams_app):
    from auth import audit

    client = mams_app.server.test_client()
    response = post_sign_in(client, "analyst", "not-it", query="")
    assert response.status_code == 401
    assert client.get("/branches").status_code == 302
    assert any(e["action"] == "sign_in_failed" and e["username"] == "analyst" for e in audit.recent(20))


def test_next_parameter_cannot_redirect_off_site(mams_app):
    from auth.demo import DEMO_PASSWORDS

    client = mams_app.server.test_client()
    response = post_sign_in(client, "analyst", DEMO_PASSWORDS["analyst"], query="next=//evil.example/x")
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_samesite(mams_app):
    from auth.demo import DEMO_PASSWORDS

    client = mams_app.server.test_client()
    response = post_sign_in(client, "analyst", DEMO_PASSWORDS["analyst"], query="")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert mams_app.server.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_non_admin_cannot_open_admin_or_save_users(mams_app):
    client = sign_in(mams_app, "analyst")
    body = client.post("/_dash-update-component", json=router_payload("/admin", "")).get_data(as_text=True)
    assert "admin--denied" in body and "admin--users" not in body
    forged = {
        "output": "..admin--message.children...admin--users-box.children...admin--audit-box.children..",
        "outputs": [
            {"id": "admin--message", "property": "children"},
            {"id": "admin--users-box", "property": "children"},
            {"id": "admin--audit-box", "property": "children"},
        ],
        "inputs": [{"id": "admin--save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["admin--save.n_clicks"],
        "state": [
            {"id": "admin--username", "property": "value", "value": "intruder"},
            {"id": "admin--password", "property": "value", "value": "intruder-pass"},
            {"id": "admin--role", "property": "value", "value": "admin"},
            {"id": "admin--region", "property": "value", "value": None},
            {"id": "admin--branch", "property": "value", "value": None},
            {"id": "admin--manager", "property": "value", "value": None},
            {"id": "admin--active", "property": "value", "value": True},
        ],
    }
    response = client.post("/_dash-update-component", json=forged)
    assert response.status_code == 200 and "forbidden" in response.get_data(as_text=True)
    from auth import users

    assert users.get_user("intruder") is None


def _other_branch(demo_source, own_branch: int) -> tuple[int, int, str]:
    branches = pd.read_parquet(demo_source / "branches.parquet")
    other = branches[branches["branch_id"] != own_branch].iloc[0]
    return int(other["branch_id"]), int(other["region_id"]), str(other["name_en"])


def test_branch_manager_forging_another_branch_gets_none_of_it(mams_app, demo_source):
    from auth.users import get_user

    own = get_user("branch").branch_id
    other, other_region, other_name = _other_branch(demo_source, own)
    customers = pd.read_parquet(demo_source / "customers.parquet")
    other_ids = set(customers.loc[customers["home_branch_id"] == other, "customer_id"].astype(str))
    client = sign_in(mams_app, "branch")
    response = client.post(
        "/_dash-update-component", json=router_payload("/branches", f"?region={other_region}&branch={other}")
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert other_name not in body
    rows = _grid_rows(json.loads(body))
    assert not {str(r.get("customer_id")) for r in rows} & other_ids
    # The export callback with a forged view state returns none of the other branch's customers.
    forged = {
        "output": "branches--download.data",
        "outputs": {"id": "branches--download", "property": "data"},
        "inputs": [
            {"id": "branches--export-csv", "property": "n_clicks", "value": 1},
            {"id": "branches--export-xlsx", "property": "n_clicks", "value": None},
        ],
        "changedPropIds": ["branches--export-csv.n_clicks"],
        "state": [
            {
                "id": "branches--state",
                "property": "data",
                "value": {
                    "period": _latest_period(demo_source),
                    "region": other_region,
                    "branch": other,
                    "manager": None,
                },
            }
        ],
    }
    exported = client.post("/_dash-update-component", json=forged).get_data(as_text=True)
    assert not any(f"\n{cid}," in exported for cid in other_ids)


def export_payload(state: dict) -> dict:
    return {
        "output": "branches--download.data",
        "outputs": {"id": "branches--download", "property": "data"},
        "inputs": [
            {"id": "branches--export-csv", "property": "n_clicks", "value": 1},
            {"id": "branches--export-xlsx", "property": "n_clicks", "value": None},
        ],
        "changedPropIds": ["branches--export-csv.n_clicks"],
        "state": [{"id": "branches--state", "property": "data", "value": state}],
    }


def test_export_works_for_an_analyst_and_is_refused_to_a_presenter(mams_app, demo_source):
    from auth import audit

    state = {"period": _latest_period(demo_source), "region": None, "branch": None, "manager": None}
    analyst = sign_in(mams_app, "analyst").post("/_dash-update-component", json=export_payload(state))
    assert analyst.status_code == 200
    content = analyst.get_json()["response"]["branches--download"]["data"]["content"]
    assert content.startswith("\ufeff")  # a BOM, so Excel reads the Chinese text as UTF-8
    content = content[1:]
    assert content.startswith("Customer,") and content.count("\n") > 1
    assert audit.recent(5)[0]["action"] == "export"
    presenter = sign_in(mams_app, "presenter").post("/_dash-update-component", json=export_payload(state))
    assert presenter.status_code == 204 and not presenter.data
    assert audit.recent(5)[0]["action"] == "export_refused"


def _latest_period(demo_source) -> str:
    months = pd.read_parquet(demo_source / "holdings.parquet", columns=["month_date"])["month_date"]
    return pd.Timestamp(months.max()).strftime("%Y-%m")


def _grid_rows(tree) -> list[dict]:
    """All AG Grid rowData in a Dash layout JSON."""
    found = []
    if isinstance(tree, dict):
        if tree.get("type") == "AgGrid":
            found.extend(tree["props"].get("rowData") or [])
        for value in tree.values():
            found.extend(_grid_rows(value))
    elif isinstance(tree, list):
        for value in tree:
            found.extend(_grid_rows(value))
    return found


def test_repeated_failed_sign_ins_lock_the_name_out(mams_app):
    from auth import throttle

    client = mams_app.server.test_client()
    for _ in range(throttle.FREE_FAILURES + 1):
        post_sign_in(client, "ghost", "guess")
    response = post_sign_in(client, "ghost", "guess")
    assert response.status_code == 401
    assert b"Too many failed attempts" in response.data


def test_admin_creates_a_user_and_the_change_is_audited(mams_app):
    from auth import audit, users

    name = f"bm-{uuid.uuid4().hex[:8]}"
    client = sign_in(mams_app, "admin")
    body = client.post("/_dash-update-component", json=router_payload("/admin", "")).get_data(as_text=True)
    assert "admin--users" in body
    payload = {
        "output": "..admin--message.children...admin--users-box.children...admin--audit-box.children..",
        "outputs": [
            {"id": "admin--message", "property": "children"},
            {"id": "admin--users-box", "property": "children"},
            {"id": "admin--audit-box", "property": "children"},
        ],
        "inputs": [{"id": "admin--save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["admin--save.n_clicks"],
        "state": [
            {"id": "admin--username", "property": "value", "value": name},
            {"id": "admin--password", "property": "value", "value": "bm7-password"},
            {"id": "admin--role", "property": "value", "value": "branch_manager"},
            {"id": "admin--region", "property": "value", "value": None},
            {"id": "admin--branch", "property": "value", "value": 7},
            {"id": "admin--manager", "property": "value", "value": None},
            {"id": "admin--active", "property": "value", "value": True},
        ],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200 and name in response.get_data(as_text=True)
    assert users.authenticate(name, "bm7-password") == users.User(name, "branch_manager", branch_id=7)
    assert any(e["action"] == "user_created" and name in e["detail"] for e in audit.recent(10))


def test_no_page_says_it_is_coming_later(mams_app):
    import dash

    client = sign_in(mams_app, "admin")
    paths = sorted(p["path"] for p in dash.page_registry.values() if p["path"] != "/present")
    assert "/campaigns" in paths and "/groups" in paths and "/worklist" in paths
    for path in paths:
        body = client.post("/_dash-update-component", json=router_payload(path, "")).get_data(as_text=True)
        assert "coming-soon" not in body and "Coming in a later release" not in body, path


def test_language_switch_is_kept_in_the_session_and_returns_to_the_page(mams_app):
    client = sign_in(mams_app, "analyst", lang="en")
    assert "Branches" in client.get("/_dash-layout").get_data(as_text=True)
    response = client.get("/lang/zh", headers={"Referer": "http://localhost/branches?region=1"})
    assert response.headers["Location"] == "/branches?region=1"
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "网点" in layout and ">Branches<" not in layout
    off_site = client.get("/lang/en", headers={"Referer": "http://evil.example/x"})
    assert off_site.headers["Location"] == "/"


def test_branches_view_in_chinese_formats_money_in_wan_and_yi(mams_app):
    client = sign_in(mams_app, "analyst", lang="zh")
    body = client.post("/_dash-update-component", json=router_payload("/branches", "")).get_data(as_text=True)
    assert "网点经营分析" in body and "Branch performance" not in body
    assert "万" in body or "亿" in body
