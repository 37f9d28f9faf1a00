"""The Campaigns page over HTTP with signed-in demo users (the session's demo store): the create
form names a wrong field and creates a draft, the detail shows only the lifecycle buttons the
role may press and walks draft -> submitted -> approved -> running -> closed (the analyst makes
and submits, the marketing head approves), branch managers read their branch, relationship
managers are sent to their work list, presenters see nothing; both languages."""

from __future__ import annotations

import datetime as dt

import pytest

import pages._campaign_progress  # noqa: F401 - its callbacks, before the app is made (the detail imports it)
from tests.app.test_customer360_page import sign_in
from tests.app.test_overview_page import by_id, nodes, text
from tests.app.test_worklist_page import fire, render
from tests.marketing._campaign_helpers import in_branch, make_group

DETAIL = "campaigns--detail"
MESSAGE = "campaigns--message"


def ids(tree) -> set[str]:
    return {n["props"]["id"] for n in nodes(tree) if isinstance(n["props"].get("id"), str)}


@pytest.fixture(scope="module")
def group(mams_app) -> int:
    from auth.users import get_user

    branch = get_user("branch").branch_id
    members = in_branch(branch)["customer_id"].head(60)
    return make_group("analyst", members, name=f"page test {dt.datetime.now().isoformat()}")


def _create_state(group_id, **changes) -> dict:
    today = dt.datetime.now(dt.UTC).date()
    values = {
        "campaigns--name.value": "Page test campaign",
        "campaigns--objective.value": "Funds",
        "campaigns--products.value": ["FD01"],
        "campaigns--channels.value": ["phone_banking"],
        "campaigns--start.value": (today + dt.timedelta(days=1)).isoformat(),
        "campaigns--end.value": (today + dt.timedelta(days=20)).isoformat(),
        "campaigns--cost.value": 5,
        "campaigns--budget.value": 100000,
        "campaigns--group.value": group_id,
        "campaigns--control-share.value": 10,
        "campaigns--priority.value": 5,
    }
    values.update(changes)
    return values


def _create(mams_app, client, state: dict):
    status, out = fire(
        mams_app, client, ("campaigns--create", "n_clicks"), MESSAGE, {"campaigns--create.n_clicks": 1}, state
    )
    assert status == 200, out
    return out


def _press(mams_app, client, button: str, campaign_id: int, **state):
    given = {"campaigns--detail-id.data": campaign_id, **state}
    status, out = fire(mams_app, client, (button, "n_clicks"), DETAIL, {f"{button}.n_clicks": 1}, given)
    assert status == 200, out
    return text(out[MESSAGE]["children"]), out[DETAIL]["children"]


def test_the_campaign_walks_its_lifecycle_through_the_page(mams_app, group) -> None:
    analyst = sign_in(mams_app, "analyst")
    tree = render(analyst, "/campaigns")
    assert {
        "campaigns--new",
        "campaigns--name",
        "campaigns--products",
        "campaigns--channels",
        "campaigns--group",
        "campaigns--control-share",
        "campaigns--create",
        "campaigns--list",
    } <= ids(tree)
    options = by_id(tree, "campaigns--group")["props"]["options"]
    assert group in {o["value"] for o in options}
    assert by_id(tree, "campaigns--control-share")["props"]["value"] == 10
    products = {o["value"]: o["label"] for o in by_id(tree, "campaigns--products")["props"]["options"]}
    assert "FD01" in products and products["FD01"] != "FD01"  # named
    # a wrong field is named, nothing stored
    out = _create(mams_app, analyst, _create_state(group, **{"campaigns--budget.value": None}))
    assert "Budget: required" in text(out[MESSAGE]["children"])
    assert "campaigns--location" not in out
    out = _create(mams_app, analyst, _create_state(group))
    assert "created" in text(out[MESSAGE]["children"])
    href = out["campaigns--location"]["href"]
    assert href.startswith("/campaigns?id=")
    campaign_id = int(href.split("=")[1])
    detail = render(analyst, "/campaigns", f"?id={campaign_id}")
    assert by_id(detail, "campaigns--detail-id")["props"]["data"] == campaign_id
    assert text(by_id(detail, "campaigns--status")) == "Draft"
    present = ids(detail)
    assert "campaigns--submit" in present and "campaigns--approve" not in present
    assert "campaigns--conflicts" in present
    message, body = _press(mams_app, analyst, "campaigns--submit", campaign_id)
    assert "Submitted" in message and text(by_id(body, "campaigns--status")) == "Submitted"
    # the analyst may not approve (no button, and a forged press is refused)
    status, _ = fire(
        mams_app,
        analyst,
        ("campaigns--approve", "n_clicks"),
        DETAIL,
        {"campaigns--approve.n_clicks": 1},
        {"campaigns--detail-id.data": campaign_id, "campaigns--resolution.value": "keep_existing"},
    )
    assert status != 200
    head = sign_in(mams_app, "marketing")
    detail = render(head, "/campaigns", f"?id={campaign_id}")
    assert {"campaigns--approve", "campaigns--resolution", "campaigns--reject"} <= ids(detail)
    assert "campaigns--submit" not in ids(detail)
    message, body = _press(
        mams_app, head, "campaigns--approve", campaign_id, **{"campaigns--resolution.value": "priority"}
    )
    assert message.startswith("Approved") and text(by_id(body, "campaigns--status")) == "Approved"
    message, _ = _press(
        mams_app, head, "campaigns--approve", campaign_id, **{"campaigns--resolution.value": "priority"}
    )
    assert "already approved by marketing" in message
    # the branch manager reads their branch's part, with reassignment but no lifecycle buttons
    branch = sign_in(mams_app, "branch")
    seen = render(branch, "/campaigns", f"?id={campaign_id}")
    assert {"campaigns--reassign", "campaigns--assignment", "campaigns--members"} <= ids(seen)
    assert not {"campaigns--start-run", "campaigns--approve", "campaigns--submit"} & ids(seen)
    rows = by_id(seen, "campaigns--assignment")["props"]["rowData"]
    controls = [r for r in rows if r["arm"] == "Control (never contacted)"]
    assert controls and all(r["manager"] == "-" for r in controls)
    message, body = _press(mams_app, analyst, "campaigns--start-run", campaign_id)
    assert text(by_id(body, "campaigns--status")) == "Running" and "campaigns--close" in ids(body)
    message, body = _press(mams_app, analyst, "campaigns--close", campaign_id)
    assert text(by_id(body, "campaigns--status")) == "Closed"
    listed = render(analyst, "/campaigns")
    assert f"/campaigns?id={campaign_id}" in str(by_id(listed, "campaigns--list"))


def test_roles_without_campaigns_and_the_chinese_page(mams_app) -> None:
    rm = render(sign_in(mams_app, "rm"), "/campaigns")
    assert "/worklist" in str(by_id(rm, "campaigns--refused"))
    assert "campaigns--create" not in ids(rm)
    presenter = render(sign_in(mams_app, "presenter"), "/campaigns")
    assert "campaigns--refused" in ids(presenter) and "campaigns--list" not in ids(presenter)
    branch = render(sign_in(mams_app, "branch"), "/campaigns")
    assert "campaigns--list" in ids(branch) and "campaigns--create" not in ids(branch)
    zh = render(sign_in(mams_app, "analyst", "zh"), "/campaigns")
    assert "营销活动" in text(zh) and "创建草稿" in text(zh)
    missing = render(sign_in(mams_app, "analyst"), "/campaigns", "?id=999999")
    assert "No such campaign" in text(missing)


def test_admin_sets_the_limit(mams_app) -> None:
    admin = sign_in(mams_app, "admin")
    tree = render(admin, "/campaigns")
    assert {"campaigns--limit", "campaigns--window", "campaigns--capacity"} <= ids(tree)
    state = {"campaigns--limit.value": 0, "campaigns--window.value": 30, "campaigns--capacity.value": 300}
    status, out = fire(
        mams_app,
        admin,
        ("campaigns--save-settings", "n_clicks"),
        "campaigns--settings-message",
        {"campaigns--save-settings.n_clicks": 1},
        state,
    )
    assert status == 200 and "At most N contacts" in text(out["campaigns--settings-message"]["children"])
    state["campaigns--limit.value"] = 3
    status, out = fire(
        mams_app,
        admin,
        ("campaigns--save-settings", "n_clicks"),
        "campaigns--settings-message",
        {"campaigns--save-settings.n_clicks": 1},
        state,
    )
    assert "Saved: at most 3 contacts in 30 days" in text(out["campaigns--settings-message"]["children"])
    analyst = sign_in(mams_app, "analyst")
    status, _ = fire(
        mams_app,
        analyst,
        ("campaigns--save-settings", "n_clicks"),
        "campaigns--settings-message",
        {"campaigns--save-settings.n_clicks": 1},
        state,
    )
    assert status != 200
