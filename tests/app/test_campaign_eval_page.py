"""The campaign evaluation section over HTTP with signed-in clients: the figures of the stable ids
equal the pandas computation from the stored rows (uplift, interval and p-value included), a
branch manager reads their branch only, a presenter is refused, and the export downloads the
contract's two files (analysts; refused to branch managers)."""

from __future__ import annotations

import base64
import io
import zipfile

import pandas as pd
import pytest

import pages._campaign_eval as section  # registers the section's callbacks before the app's first request
from tests.app.conftest import sign_in as _sign_in
from tests.app.test_frame_http import _outputs_of, callback_key
from tests.app.test_overview_page import by_id, nodes, text
from tests.marketing.test_evaluation import busy_customers, expected, stored, synthetic_campaign

_CLIENTS: dict = {}


def sign_in(app_module, username: str, lang: str = "en"):
    key = (id(app_module), username, lang)
    if key not in _CLIENTS:
        _CLIENTS[key] = _sign_in(app_module, username, lang)
    return _CLIENTS[key]


@pytest.fixture(scope="module")
def campaign(mams_app, demo_source) -> dict:
    """A closed campaign in the app's store, half of it in the demo branch manager's branch."""
    from auth.users import get_user

    branch = get_user("branch").branch_id
    products = pd.read_parquet(demo_source / "products.parquet")
    customers = pd.read_parquet(
        demo_source / "customers.parquet", columns=["customer_id", "home_branch_id", "manager_id"]
    )
    codes = products["product_code"].tolist()
    w = {"customers": customers}
    cid = synthetic_campaign(
        busy_customers(w, branch), (codes[3], codes[5]), codes[1], ("phone_banking", "counter"), seed=11
    )
    rates = dict(zip(products["product_code"], products["margin_rate"] + products["fee_rate"], strict=True))
    return {"id": cid, "branch": branch, "rates": rates}


def show(client, campaign_id) -> tuple[int, object]:
    body = {
        "output": f"{section.Ids.body}.children",
        "outputs": {"id": section.Ids.body, "property": "children"},
        "inputs": [{"id": section.DETAIL_ID, "property": "data", "value": campaign_id}],
        "changedPropIds": [f"{section.DETAIL_ID}.data"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    if response.status_code != 200:
        return response.status_code, None
    return 200, response.get_json()["response"][section.Ids.body]["children"]


def pct(v) -> str:
    return "-" if v is None else f"{v * 100:.2f}%"


def pp(v) -> str:
    return f"{v * 100:+.2f} pp"


def test_the_tiles_show_the_pandas_figures(mams_app, campaign) -> None:
    status, tree = show(sign_in(mams_app, "analyst"), campaign["id"])
    assert status == 200
    want = expected(stored(campaign["id"]), campaign["rates"])
    o, u = want["overall"], want["uplift"]
    assert text(by_id(tree, "evaluation--contact-rate")) == pct(o["contact_rate"])
    assert text(by_id(tree, "evaluation--success-rate")) == pct(o["success_rate"])
    assert text(by_id(tree, "evaluation--roi")) == pct(o["roi"])
    assert text(by_id(tree, "evaluation--targets")) == f"{o['targets']:,}"
    assert u["testable"]
    assert text(by_id(tree, "evaluation--uplift")) == pp(u["uplift"])
    assert text(by_id(tree, "evaluation--uplift-interval")) == f"[{pp(u['low'])}, {pp(u['high'])}]"
    p = u["p_value"]
    assert text(by_id(tree, "evaluation--p-value")) == ("< 0.0001" if p < 0.0001 else f"{p:.4f}")
    assert text(by_id(tree, "evaluation--verdict"))
    rows = by_id(tree, "evaluation--by-branch")["props"]["rowData"]
    assert {r["targets"] for r in rows} == {g["targets"] for g in want["by"]["branch"].values()}
    assert sum(r["contacts"] for r in rows) == o["contacts"]
    chart = by_id(tree, "evaluation--uplift-chart")["props"]["figure"]["data"][0]
    testable = {s: g for s, g in want["by_segment"].items() if g["testable"]}
    assert sorted(chart["y"]) == pytest.approx(sorted(g["uplift"] for g in testable.values()))


def test_branch_manager_reads_their_branch_and_presenter_none(mams_app, campaign) -> None:
    status, tree = show(sign_in(mams_app, "branch"), campaign["id"])
    assert status == 200
    want = expected(stored(campaign["id"]), campaign["rates"], lambda m: m["branch_id"] == campaign["branch"])
    assert text(by_id(tree, "evaluation--targets")) == f"{want['overall']['targets']:,}"
    assert text(by_id(tree, "evaluation--contact-rate")) == pct(want["overall"]["contact_rate"])
    rows = by_id(tree, "evaluation--by-branch")["props"]["rowData"]
    assert len(rows) == 1
    status, _ = show(sign_in(mams_app, "presenter"), campaign["id"])
    assert status == 403


def test_chinese_labels(mams_app, campaign) -> None:
    status, tree = show(sign_in(mams_app, "analyst", "zh"), campaign["id"])
    assert status == 200
    headers = [c["headerName"] for c in by_id(tree, "evaluation--by-manager")["props"]["columnDefs"]]
    assert headers[0] == "客户经理" and "接触率" in headers
    assert any(text(n) == "按网点" for n in nodes(tree))


def test_export_downloads_the_two_contract_files(mams_app, campaign) -> None:
    key = callback_key(mams_app, section.Ids.export, "n_clicks", section.Ids.download)
    body = {
        "output": key,
        "outputs": _outputs_of(key),
        "inputs": [{"id": section.Ids.export, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{section.Ids.export}.n_clicks"],
        "state": [],
    }
    response = sign_in(mams_app, "branch").post("/_dash-update-component", json=body)
    assert response.status_code == 403, response.get_data(as_text=True)[:500]
    response = sign_in(mams_app, "analyst").post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()["response"][section.Ids.download]["data"]
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(data["content"])))
    assert sorted(archive.namelist()) == ["campaign_contacts.csv", "campaigns.csv"]
    campaigns = pd.read_csv(archive.open("campaigns.csv"))
    assert 900_000_000 + campaign["id"] in set(campaigns["campaign_id"])


def test_retrain_is_refused_to_branch_managers(mams_app, campaign) -> None:
    key = callback_key(mams_app, section.Ids.retrain, "n_clicks", section.Ids.retrain_result)
    body = {
        "output": key,
        "outputs": {"id": section.Ids.retrain_result, "property": "children"},
        "inputs": [{"id": section.Ids.retrain, "property": "n_clicks", "value": 1}],
        "changedPropIds": [f"{section.Ids.retrain}.n_clicks"],
        "state": [{"id": section.DETAIL_ID, "property": "data", "value": campaign["id"]}],
    }
    response = sign_in(mams_app, "branch").post("/_dash-update-component", json=body)
    assert response.status_code == 403, response.get_data(as_text=True)[:500]
