"""The Customer groups page over HTTP with signed-in clients: the builder's layout and its stable
ids, the live count under each user's scope (equal to the filter engine's), a field choosing its
value control, saving (bad names and values named in the message), the saved table, refresh,
the refusals (presenter, relationship manager, signed out), and "Save as group" from the click
menu's rows panel."""

from __future__ import annotations

import uuid

import pytest

from cube.api import Filter, Scope
from cube.views import groups as view
from tests.app.conftest import sign_in as _sign_in
from tests.app.test_frame_http import UNITS, payload, post, response_of
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, nodes, text

_CLIENTS: dict = {}


def sign_in(app_module, username: str, lang: str = "en"):
    key = (id(app_module), username, lang)
    if key not in _CLIENTS:
        _CLIENTS[key] = _sign_in(app_module, username, lang)
    return _CLIENTS[key]


def render(client) -> dict:
    response = client.post("/_dash-update-component", json=router_payload("/groups", ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


def rows_state(rows: list[tuple]) -> dict:
    """Builder values by ``id.property`` for rows ``(field, op, value, value2)`` 0, 1, ..."""
    out: dict = {"groups--active.data": list(range(len(rows)))}
    for i, (field, op, value, value2) in enumerate(rows):
        out |= {
            f"groups--field-{i}.value": field,
            f"groups--op-{i}.value": op,
            f"groups--value-{i}.value": value,
            f"groups--value2-{i}.value": value2,
        }
    return out


def count(mams_app, client, rows) -> dict:
    body = payload(mams_app, ("groups--active", "data", "groups--count"), rows_state(rows), {})
    return response_of(post(client, body))


def save(mams_app, client, name, rows) -> dict:
    state = rows_state(rows) | {"groups--name.value": name, "groups--tick.data": 0}
    body = payload(mams_app, ("groups--save", "n_clicks", "groups--"), {"groups--save.n_clicks": 1}, state)
    return response_of(post(client, body))


def test_the_builder_has_its_stable_ids(mams_app) -> None:
    page = render(sign_in(mams_app, "analyst"))
    ids = {n["props"].get("id") for n in nodes(page)}
    for ident in (
        "groups--field-0",
        "groups--op-0",
        "groups--value-0",
        "groups--add-condition",
        "groups--count",
        "groups--aum",
        "groups--name",
        "groups--save",
        "groups--saved-table",
        "groups--message",
    ):
        assert ident in ids, ident
    fields = by_id(page, "groups--field-0")["props"]["options"]
    assert {"label": "— Products held —", "value": "_holding", "disabled": True} in fields
    assert any(o["value"] == "aum" and not o["disabled"] for o in fields)


def test_roles_without_groups_are_refused(mams_app) -> None:
    for user in ("presenter", "rm"):
        page = render(sign_in(mams_app, user))
        assert "does not make customer groups" in text(by_id(page, "groups--refused"))
    body = payload(
        mams_app, ("groups--active", "data", "groups--count"), rows_state([("aum", "gte", 1, None)]), {}
    )
    assert post(sign_in(mams_app, "presenter"), body).status_code in (401, 403, 500)
    assert post(mams_app.server.test_client(), body).status_code == 401


def test_live_count_follows_the_users_scope(mams_app) -> None:
    from auth.users import get_user

    branch = get_user("branch").branch_id
    rows = [("aum", "gte", 50000, None), ("gender", "in", ["F"], None)]
    definition = view.GroupDefinition(
        (view.Condition("aum", "gte", (50000,)), view.Condition("gender", "in", ("F",)))
    )
    everyone = view.live(definition, Scope.all(identities=False)).customers
    mine = view.live(definition, Scope.of("branch", branch)).customers
    assert 0 < mine < everyone
    for user, expected in (("analyst", everyone), ("branch", mine)):
        out = count(mams_app, sign_in(mams_app, user), rows)
        assert out["groups--count"]["children"] == f"{expected:,}", user
    # an incomplete row is left out and said so; a bad value names its field
    out = count(mams_app, sign_in(mams_app, "analyst"), [*rows, ("loans", "gte", None, None)])
    assert out["groups--count"]["children"] == f"{everyone:,}" and "Row 3" in text(
        out["groups--live-note"]["children"]
    )
    out = count(mams_app, sign_in(mams_app, "analyst"), [("aum", "between", 9, 1)])
    assert "Row 1, AUM: the lowest value is above the highest" in text(out["groups--live-note"]["children"])


def test_a_field_chooses_its_value_control(mams_app) -> None:
    client = sign_in(mams_app, "branch")
    body = payload(
        mams_app, ("groups--field-0", "value", "groups--value-box-0"), {"groups--field-0.value": "branch"}, {}
    )
    out = response_of(post(client, body))
    assert [o["value"] for o in out["groups--op-0"]["options"]] == ["in", "not_in"]
    box = out["groups--value-box-0"]["children"]
    assert by_id(box, "groups--value-0")["type"] == "Dropdown"
    from auth.users import get_user

    assert [o["value"] for o in by_id(box, "groups--value-0")["props"]["options"]] == [
        get_user("branch").branch_id
    ]
    body = payload(
        mams_app, ("groups--field-0", "value", "groups--value-box-0"), {"groups--field-0.value": "aum"}, {}
    )
    box = response_of(post(client, body))["groups--value-box-0"]["children"]
    assert by_id(box, "groups--value-0")["type"] == "Input"


def test_save_a_group_and_see_it_in_the_table(mams_app) -> None:
    client = sign_in(mams_app, "analyst")
    name = f"Rich women {uuid.uuid4().hex[:6]}"
    rows = [("aum", "gte", 50000, None), ("gender", "in", ["F"], None)]
    out = save(mams_app, client, name, rows)
    assert f"Saved group “{name}”" in text(out["groups--message"]["children"])
    assert out["groups--tick"]["data"] == 1
    again = save(mams_app, client, name, rows)
    assert "Group name: you already have a group named" in text(again["groups--message"]["children"])
    bad = save(mams_app, client, "Odd", [("aum", "gte", "lots", None)])
    assert "Row 1, AUM:" in text(bad["groups--message"]["children"])
    none = save(mams_app, client, "Nobody", [("aum", "gte", 10**15, None)])
    assert "no customer matches these conditions" in text(none["groups--message"]["children"])
    body = payload(mams_app, ("groups--tick", "data", "groups--saved"), {"groups--tick.data": 1}, {})
    table = response_of(post(client, body))["groups--saved"]["children"]
    grid = by_id(table, "groups--saved-table")
    row = next(r for r in grid["props"]["rowData"] if r["name"] == name)
    assert row["origin"] == "Filter builder" and row["members"] > 0
    # refresh the selected group: nothing moved on the same data
    state = {
        "groups--saved-table.selectedRows": [row],
        "groups--share-users.value": None,
        "groups--tick.data": 1,
    }
    body = payload(
        mams_app, ("groups--refresh", "n_clicks", "groups--"), {"groups--refresh.n_clicks": 1}, state
    )
    out = response_of(post(client, body))
    assert f"Refreshed “{name}”: 0 customers joined, 0 left." in text(out["groups--message"]["children"])


def test_save_the_rows_behind_a_click_as_a_group(mams_app) -> None:
    from auth.users import get_user

    branch = get_user("branch").branch_id
    region = get_user("branch").region_id or view.options("region", Scope.of("branch", branch))[0]["value"]
    client = sign_in(mams_app, "analyst")
    context = {"chart": UNITS, "member": "customers.branch", "value": branch}
    name = f"Clicked branch {uuid.uuid4().hex[:6]}"
    state = {
        "frame--menu-group-name.value": name,
        "frame--menu-context.data": context,
        "_pages_location.search": f"?region={region}",
    }
    body = payload(
        mams_app, ("frame--menu-save-group", "n_clicks"), {"frame--menu-save-group.n_clicks": 1}, state
    )
    said = text(response_of(post(client, body))["frame--menu-group-message"]["children"])
    assert f"Saved “{name}”" in said
    from marketing import groups

    group = next(g for g in groups.list_for(get_user("analyst")) if g.name == name)
    assert group.origin == "selection" and group.definition.source_dict["chart"] == UNITS
    members = groups.members(get_user("analyst"), group.id)
    assert set(members["branch_id"]) == {branch} and len(members) == group.member_count > 0


@pytest.mark.parametrize("user", ["analyst", "rm"])
def test_the_rows_panel_offers_save_as_group_to_group_makers(mams_app, user) -> None:
    body = payload(
        mams_app, ("frame--menu-rows", "n_clicks", "frame--menu-group"), {"frame--menu-rows.n_clicks": 1}, {}
    )
    out = response_of(post(sign_in(mams_app, user), body))
    assert out["frame--menu-group"]["style"] == ({} if user == "analyst" else {"display": "none"})


@pytest.mark.slow  # runs the cross-sell and churn models once per session (shared fixture)
def test_save_a_model_list_as_a_group(mams_app, crosssell_and_churn_runs) -> None:
    from auth.users import get_user
    from cube.views import cross_sell
    from marketing import groups

    client = sign_in(mams_app, "branch")
    name = f"High churn risk {uuid.uuid4().hex[:6]}"
    fired = {"type": "cross-sell-list-save-group", "kind": "churn"}
    body = {
        "output": '{"kind":["MATCH"],"type":"cross-sell-list-group-message"}.children',
        "outputs": {"id": {"kind": "churn", "type": "cross-sell-list-group-message"}, "property": "children"},
        "inputs": [{"id": fired, "property": "n_clicks", "value": 1}],
        "changedPropIds": ['{"kind":"churn","type":"cross-sell-list-save-group"}.n_clicks'],
        "state": [
            {
                "id": {"kind": "churn", "type": "cross-sell-list-group-name"},
                "property": "value",
                "value": name,
            },
            {"id": {"kind": "churn", "type": "cross-sell-list-product"}, "property": "value", "value": None},
            {"id": {"kind": "churn", "type": "cross-sell-list-band"}, "property": "value", "value": "high"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
    }
    out = response_of(post(client, body))
    assert f"Saved “{name}”" in text(out[json_key(fired, "group-message")]["children"])
    user = get_user("branch")
    group = next(g for g in groups.list_for(user) if g.name == name)
    assert group.origin == "model" and group.definition.source_dict["list"] == "churn"
    run = cross_sell.runs()["churn"]
    # the list's filters for the branch manager's home view: their branch (the scope), the run's
    # month, the band
    filters = (cross_sell.month_filter(run), Filter("customers.churn_band", "in", ("high",)))
    expected = view.customers_matching("customers", filters, Scope.of("branch", user.branch_id))
    assert group.member_count == len(expected) > 0


def json_key(fired: dict, part: str) -> str:
    """The response key Dash gives a MATCH output of the list ``fired`` belongs to."""
    import json

    return json.dumps({"kind": fired["kind"], "type": f"cross-sell-list-{part}"}, separators=(",", ":"))
