"""The Model runs page over HTTP (forged ``/_dash-update-component`` posts) and its background
job's work called in-process: only analysts and administrators see the page, start or cancel a
run, only administrators approve one; bad parameters, a run under way and a failed run are told
in words (English and Chinese); the run list shows what the registry and the run's own output
files say (counted here with pandas, not through the page)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auth import audit
from components.i18n import MESSAGES, t
from data import scores, warehouse
from mining import runs
from tests.app.conftest import sign_in
from tests.app.test_frame_http import _outputs_of, callback_key, post, response_of
from tests.app.test_overview_page import nodes, text
from tests.app.test_products_page import render

ROOT = Path(__file__).resolve().parents[2]
FORM_STATE = (
    "models--kind.value",
    "models--seg-k.value",
    "models--seg-factors.value",
    "models--value-gap.value",
    "models--cs-support.value",
    "models--cs-confidence.value",
    "models--cs-products.value",
    "models--churn-horizon.value",
    "models--resp-category.value",
    "models--resp-channel.value",
)
DEFAULTS = {
    "models--seg-k.value": "auto",
    "models--seg-factors.value": 4,
    "models--value-gap.value": 20,
    "models--cs-support.value": 0.01,
    "models--cs-confidence.value": 0.1,
    "models--cs-products.value": None,
    "models--churn-horizon.value": 3,
    "models--resp-category.value": "",
    "models--resp-channel.value": "",
}


def payload(app_module, fired: tuple[str, str], inputs: dict, state: dict, output: str = "--") -> dict:
    """A forged post firing ``fired`` (see tests.app.test_frame_http.payload), for this page's
    callbacks (their outputs are ``models--`` or ``admin--`` ids)."""
    key = callback_key(app_module, *fired, output=output)
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


def start(client, mams_app, kind: str, **values) -> dict:
    """Press Start with the form's defaults and ``values`` (by element id, e.g. seg_k="11")."""
    state = {**DEFAULTS, "models--kind.value": kind}
    for name, value in values.items():
        state[f"models--{name.replace('_', '-')}.value"] = value
    body = payload(
        mams_app, ("models--start", "n_clicks"), {"models--start.n_clicks": 1}, state, "models--ticket"
    )
    return response_of(post(client, body))


def refresh(client, mams_app) -> list:
    body = payload(mams_app, ("models--poll", "n_intervals"), {"models--poll.n_intervals": 1}, {}, "runs-box")
    return response_of(post(client, body))["models--runs-box"]["children"]


def said(component) -> str:
    """The text of a component the page returns (as the browser would receive it)."""
    from plotly.utils import PlotlyJSONEncoder

    return text(json.loads(json.dumps(component, cls=PlotlyJSONEncoder)))


def listed(tree, run_id: str) -> dict:
    rows = [n for n in nodes(tree) if n["props"].get("data-run") == run_id]
    assert len(rows) == 1, run_id
    return rows[0]


def pattern_post(app_module, client, button: str, run_id: str) -> dict:
    """A click on a run list button ({"type": button, "run": run_id})."""
    found = [
        k
        for k, v in app_module.app.callback_map.items()
        if any(isinstance(i["id"], str) and f'"{button}"' in i["id"] for i in v["inputs"])
    ]
    assert len(found) == 1, found
    key = found[0]
    ident = {"type": button, "run": run_id}
    item = [{"id": ident, "property": "n_clicks", "value": 1}]
    inputs = (
        [item] if button == "models-cancel" else ([item, []] if button == "models-approve" else [[], item])
    )
    body = {
        "output": key,
        "outputs": _outputs_of(key),
        "inputs": inputs,
        "changedPropIds": [json.dumps(ident, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [],
    }
    return response_of(client.post("/_dash-update-component", json=body))


# --- who sees and does what -----------------------------------------------------------------------


def test_the_page_is_in_the_navbar_for_analysts_and_admins_only(mams_app):
    assert ("models", "/models") in mams_app.nav_entries("analyst")
    assert ("models", "/models") in mams_app.nav_entries("admin")
    for role in ("presenter", "branch_manager", "relationship_manager"):
        assert ("models", "/models") not in mams_app.nav_entries(role)
    assert MESSAGES["nav.models"] == {"en": "Model runs", "zh": "模型运行"}


@pytest.mark.parametrize("username", ["presenter", "branch", "rm"])
def test_other_roles_get_a_clear_refusal_and_cannot_start_or_cancel(mams_app, username):
    client = sign_in(mams_app, username)
    tree = render(client, path="/models")
    ids = {n["props"].get("id") for n in nodes(tree)}
    assert "models--denied" in ids and "models--start" not in ids
    before = len(runs.list_runs())
    response = start(client, mams_app, "value")
    assert "models--ticket" not in response
    assert text(response["models--message"]["children"]) == t("models.denied", "en")
    assert len(runs.list_runs()) == before
    body = payload(
        mams_app, ("models--cancel", "n_clicks"), {"models--cancel.n_clicks": 1}, {}, "models--kill"
    )
    assert text(response_of(post(client, body))["models--message"]["children"]) == t("models.denied", "en")


def test_analyst_sees_the_form_with_its_defaults_and_the_run_list(mams_app):
    tree = render(sign_in(mams_app, "analyst"), path="/models")
    by = {n["props"].get("id"): n for n in nodes(tree) if isinstance(n["props"].get("id"), str)}
    assert by["models--kind"]["props"]["value"] == "segmentation"
    assert [o["value"] for o in by["models--kind"]["props"]["options"]] == list(runs.KINDS)
    assert by["models--seg-k"]["props"]["value"] == "auto"
    products = pd.read_parquet(
        Path(warehouse.current_path()).parent.parent / "demo_source" / "products.parquet"
    )
    assert sorted(by["models--cs-products"]["props"]["value"]) == sorted(products["product_code"])
    assert "dorman" in text(by["models--params-churn"]) + t("models.about.churn", "en")
    assert "models--runs-box" in by


# --- starting, refusing, failing --------------------------------------------------------------------


def test_bad_parameters_are_refused_in_the_users_language(mams_app):
    en = start(sign_in(mams_app, "analyst"), mams_app, "segmentation", seg_k="11")
    assert "models--ticket" not in en
    assert text(en["models--message"]["children"]) == (
        "The number of segments must be automatic or a whole number from 2 to 10."
    )
    zh = start(sign_in(mams_app, "analyst", "zh"), mams_app, "churn", churn_horizon=40)
    assert text(zh["models--message"]["children"]) == "预测期须为 1 至 12 之间的整数月。"


def test_a_second_request_is_told_a_run_is_under_way(mams_app):
    run_id = runs.claim("churn", created_by="admin")
    try:
        response = start(sign_in(mams_app, "analyst"), mams_app, "churn")
        message = text(response["models--message"]["children"])
        assert "models--ticket" not in response
        assert "already under way" in message and "started by admin" in message
        assert runs.get_run(run_id).started_at[:10] in message
    finally:
        runs._finish(run_id, "cancelled", None, {}, "test over")


def test_a_run_started_from_the_page_runs_and_is_listed_with_its_figures(mams_app):
    client = sign_in(mams_app, "analyst")
    response = start(client, mams_app, "value")
    ticket = response["models--ticket"]["data"]
    run_id = ticket["run_id"]
    assert runs.get_run(run_id).status == "running"
    seen: list[tuple] = []
    from pages import models as page

    outcome = page.run_ticket(ticket, seen.append)  # what the background job does
    assert said(outcome) == "The value run finished."
    values = [v for v, _label, _step in seen]
    assert values == sorted(values) and values[-1] == 100 and len(set(values)) >= 3
    assert any(step == "scoring and predicting potential" for _v, _l, step in seen)
    record = runs.get_run(run_id)
    assert record.status == "succeeded" and record.created_by == "analyst"
    row = listed(refresh(client, mams_app), run_id)
    assert row["props"]["data-status"] == "succeeded"
    cells = [text(c) for c in row["props"]["children"]]
    scored = pd.read_parquet(record.output("customers"))
    assert cells[1] == "value" and cells[7] == "analyst"
    assert cells[4] == "Potential gap (score points): 20.0"
    assert cells[5] == warehouse.data_version()
    assert cells[8].startswith(
        f"customers {len(scored):,} · potential customers {int(scored['is_potential'].sum()):,}"
    )
    assert any(e["action"] == "model_run_started" and run_id in e["detail"] for e in audit.recent(20))


def test_a_forged_or_stale_ticket_runs_nothing(mams_app):
    from pages import models as page

    assert said(page.run_ticket({"run_id": "x", "token": "forged"}, print)) == t("models.bad_ticket", "en")
    run_id = runs.claim("response", created_by="presenter")
    try:
        # signed, but for a user whose role may not run models
        assert said(page.run_ticket(page.make_ticket(run_id, "presenter", "en"), print)) == t(
            "models.bad_ticket", "en"
        )
        assert runs.get_run(run_id).status == "running" and pd.isna(
            runs.list_runs().set_index("run_id").loc[run_id, "pid"]
        )
    finally:
        runs._finish(run_id, "cancelled", None, {}, "test over")


def test_a_library_error_is_told_in_words_and_detailed_in_the_run_list(mams_app, monkeypatch):
    from pages import models as page

    def broken(con, ctx):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setitem(runs.KINDS, "response", broken)
    client = sign_in(mams_app, "analyst", "zh")
    ticket = start(client, mams_app, "response")["models--ticket"]["data"]
    outcome = said(page.run_ticket(ticket, lambda _p: None))
    assert outcome == "运行失败：ZeroDivisionError: float division by zero。详情见运行列表。"
    assert "Traceback" not in outcome
    row = listed(refresh(client, mams_app), ticket["run_id"])
    assert row["props"]["data-status"] == "failed"
    details = text(row["props"]["children"][8])
    assert "ZeroDivisionError: float division by zero" in details and "Traceback" not in details


def test_every_refusal_mining_can_raise_has_both_languages():
    keys = set()
    for path in (ROOT / "mining").glob("*.py"):
        keys |= set(re.findall(r'RunRefused\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    keys |= {"run.failed", "run.died", "run.never_started", "run.under_way"}
    assert len(keys) > 25
    for key in keys - {"params.kind"}:
        assert set(MESSAGES[f"models.refused.{key}"]) == {"en", "zh"}, key
    from components.run_panel import refusal_text

    error = {"key": "churn.no_closures", "params": {}, "message": "x"}
    assert (
        refusal_text(error, "en")
        == "No customer closed their relationship in the data, so churn cannot be trained."
    )
    assert refusal_text(error, "zh") == "数据中没有客户销户，无法训练流失模型。"
    unknown = {"key": "somewhere.new", "params": {}, "message": "an English fallback"}
    assert refusal_text(unknown, "zh") == "an English fallback"


# --- cancelling and approving from the list ---------------------------------------------------------


def test_a_listed_run_is_cancelled_by_an_analyst_but_not_by_a_presenter(mams_app):
    run_id = runs.claim("crosssell", created_by="admin")
    try:
        refused = pattern_post(mams_app, sign_in(mams_app, "presenter"), "models-cancel", run_id)
        assert text(refused["models--message"]["children"]) == t("models.denied", "en")
        assert pd.isna(runs.list_runs().set_index("run_id").loc[run_id, "cancel_by"])
        done = pattern_post(mams_app, sign_in(mams_app, "analyst"), "models-cancel", run_id)
        assert text(done["models--message"]["children"]) == t("models.cancel_asked", "en")
        row = runs.list_runs().set_index("run_id").loc[run_id]
        assert row["cancel_by"] == "analyst"
        shown = listed(refresh(sign_in(mams_app, "analyst"), mams_app), run_id)
        assert "cancel asked by analyst" in text(shown["props"]["children"][2])
    finally:
        runs._finish(run_id, "cancelled", None, {}, "test over")


def test_an_awaiting_run_is_approved_by_an_admin_only(mams_app, approval_on):
    from pages import models as page

    analyst = sign_in(mams_app, "analyst")
    ticket = start(analyst, mams_app, "value")["models--ticket"]["data"]
    assert said(page.run_ticket(ticket, lambda _p: None)).startswith(
        "The value run finished; its scores wait"
    )
    run_id = ticket["run_id"]
    row = listed(refresh(analyst, mams_app), run_id)
    assert row["props"]["data-status"] == "awaiting"
    assert not [n for n in nodes(row) if isinstance(n["props"].get("id"), dict)]  # no buttons for analysts
    refused = pattern_post(mams_app, analyst, "models-approve", run_id)
    assert text(refused["models--message"]["children"]) == t("models.approve_denied", "en")
    assert runs.approval_of(run_id) == "awaiting"
    admin = sign_in(mams_app, "admin")
    buttons = [
        n["props"]["id"]
        for n in nodes(listed(refresh(admin, mams_app), run_id))
        if isinstance(n["props"].get("id"), dict)
    ]
    assert {b["type"] for b in buttons} == {"models-approve", "models-reject"}
    done = pattern_post(mams_app, admin, "models-approve", run_id)
    assert text(done["models--message"]["children"]) == t("models.approved", "en")
    assert scores.current(approval_on)["value"].run_id == run_id
    assert any(e["action"] == "model_run_approved" and e["detail"] == run_id for e in audit.recent(20))


def test_an_admin_rejects_an_awaiting_run(mams_app, approval_on):
    run_id = runs.run("value", created_by="analyst").run_id
    done = pattern_post(mams_app, sign_in(mams_app, "admin"), "models-reject", run_id)
    assert text(done["models--message"]["children"]) == t("models.rejected", "en")
    assert runs.approval_of(run_id) == "rejected"
    assert any(e["action"] == "model_run_rejected" and e["detail"] == run_id for e in audit.recent(20))


def test_the_approval_setting_is_changed_on_the_admin_page_by_an_admin_only(mams_app):
    fired = ("admin--approval", "value")
    try:
        analyst = response_of(
            post(sign_in(mams_app, "analyst"), payload(mams_app, fired, {"admin--approval.value": True}, {}))
        )
        assert analyst["admin--approval-message"]["children"] == "forbidden"
        assert not runs.approval_required()
        admin = sign_in(mams_app, "admin")
        response = response_of(post(admin, payload(mams_app, fired, {"admin--approval.value": True}, {})))
        assert response["admin--approval-message"]["children"] == t("admin.approval_on", "en")
        assert runs.approval_required()
        tree = render(admin, path="/admin")
        box = [n for n in nodes(tree) if n["props"].get("id") == "admin--approval"]
        assert box[0]["props"]["value"] is True
        assert any(e["action"] == "model_approval_setting" for e in audit.recent(20))
    finally:
        runs.set_approval_required(False, "admin")


def test_a_guard_warning_reads_in_both_languages():
    from components.run_panel import warning_text
    from mining import guards

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": np.arange(300), "z": rng.normal(size=300)})
    _kept, _categories, warnings = guards.screen(frame, rng.random(300) < 0.3)
    assert warning_text(warnings[0], "en") == (
        "customer_id left out: it looks like an identifier (300 distinct values in 300 rows)."
    )
    assert warning_text(warnings[0], "zh") == "已排除 customer_id：疑似标识符（300 行中有 300 个不同值）。"
