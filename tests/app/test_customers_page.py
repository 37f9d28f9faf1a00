"""The Customers page rendered through Dash's router over HTTP: the headline figures checked
against pandas over the generated Parquet, the "not run yet" states, and what a presenter sees.

The expected side never calls the cube or the view runners: customer_month is recomputed in
pandas (``tests.data.test_derive.pandas_customer_month``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from components.formatting import format_value
from tests.app.conftest import sign_in
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, nodes, text
from tests.cube.test_customers_view import _ntile
from tests.data.test_derive import pandas_customer_month

TIERS = ("private", "vip", "gold", "silver", "mass")


def render(client, search: str = "") -> dict:
    response = client.post("/_dash-update-component", json=router_payload("/customers", search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


@pytest.fixture(scope="module")
def cm(demo_source):
    frame = pandas_customer_month(demo_source)
    frame["m"] = pd.to_datetime(frame["month_date"]).dt.strftime("%Y-%m")
    return frame


@pytest.fixture(scope="module")
def latest(cm) -> str:
    return max(cm["m"])


def _grid(tree, key):
    return by_id(tree, {"type": "frame-grid", "key": key})["props"]["rowData"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pivot_and_headlines(mams_app, cm, latest, lang, no_published_scores):
    tree = render(sign_in(mams_app, "analyst", lang))
    now = cm[cm["m"] == latest]
    rows = {r["_row_id"]: r for r in _grid(tree, "customers:pivot")}
    for band, part in now.groupby("age_band"):
        assert rows[band]["total"] == len(part)
        for g, cell in part.groupby("gender"):
            assert rows[band][g] == len(cell)
    assert rows["total"]["total"] == len(now)
    # Pareto headline: the top 20% (two deciles) hold this share of AUM
    ranked = now.sort_values(["aum", "customer_id"], ascending=[False, True])
    decile = _ntile(len(ranked))
    points_x = [0.0] + [float((decile <= k).mean()) for k in range(1, 11)]
    points_y = [0.0] + [ranked["aum"][decile <= k].sum() / now["aum"].sum() for k in range(1, 11)]
    share = float(np.interp(0.2, points_x, points_y))
    assert format_value(share, "percent", lang) in text(by_id(tree, "customers--pareto-summary"))
    # no value or churn run published in the demo: the honest states, linked to where models run
    assert "/models?kind=value" in json.dumps(by_id(tree, "customers--value-not-run"))
    assert "/models?kind=churn" in json.dumps(by_id(tree, "customers--churn"))
    assert by_id(tree, "customers--not-scored")
    dormant = int(now["is_dormant"].sum())
    assert format_value(dormant, "count", lang) in text(by_id(tree, "customers--dormant"))
    flows = by_id(tree, {"type": "frame-chart", "key": "customers:flows"})["props"]["figure"]["data"]
    assert flows[0]["y"][-1] == now["is_new"].sum()
    assert flows[1]["y"][-1] == -now["is_churned"].sum()


def test_who_may_not_run_models_is_told_who_can(mams_app, no_published_scores):
    tree = render(sign_in(mams_app, "branch"))
    alert = by_id(tree, "customers--value-not-run")
    assert "/models" not in json.dumps(alert) and "Model runs" in text(alert)


def test_pivot_controls_from_the_url(mams_app, cm, latest):
    tree = render(sign_in(mams_app, "analyst"), "?x_rows=occupation&x_cols=tenure_band&x_measure=aum")
    now = cm[cm["m"] == latest]
    rows = {r["_row_id"]: r for r in _grid(tree, "customers:pivot")}
    for occ, part in now.groupby("occupation"):
        assert rows[occ]["total"] == pytest.approx(part["aum"].sum(), rel=1e-9)


def _publish_value(monkeypatch, tmp_path, cm, latest):
    from cube import connection
    from data import scores

    ids = np.sort(cm.loc[cm["m"] == latest, "customer_id"].unique())
    path = tmp_path / "value.parquet"
    pd.DataFrame({"customer_id": ids, "value_tier": np.array(TIERS)[ids % 5]}).to_parquet(path)
    version = connection.warehouse_version()
    pub = scores.Publication("value", version, "test-page-value", path)
    monkeypatch.setattr(scores, "current", lambda v: {"value": pub} if v == version else {})
    monkeypatch.setattr(scores, "rollup_file", lambda v, r: None)


def test_value_published_big_customers_for_analyst(mams_app, cm, latest, monkeypatch, tmp_path):
    _publish_value(monkeypatch, tmp_path, cm, latest)
    tree = render(sign_in(mams_app, "analyst"))
    now = cm[cm["m"] == latest]
    bars = by_id(tree, {"type": "frame-chart", "key": "customers:pyramid"})["props"]["figure"]["data"][0]
    counts = dict(zip(bars["customdata"], bars["x"], strict=True))
    tier = np.array(TIERS)[now["customer_id"].to_numpy() % 5]
    for name in TIERS:
        assert counts[name] == (tier == name).sum()
    big = by_id(tree, "customers--big")["props"]["rowData"]
    assert big and {r["customer_id"] for r in big} <= set(
        now["customer_id"][np.isin(tier, ("private", "vip"))]
    )


def test_presenter_sees_no_customer_rows(mams_app, cm, latest, monkeypatch, tmp_path):
    _publish_value(monkeypatch, tmp_path, cm, latest)
    tree = render(sign_in(mams_app, "presenter"))
    assert by_id(tree, "customers--no-rows")
    for node in nodes(tree):
        rows = node["props"].get("rowData") or []
        assert not any("customer_id" in r or "customer_name" in r for r in rows)


def test_risk_panel_counts_the_churn_runs_bands_in_scope(mams_app, crosssell_and_churn_runs, demo_source):
    """Once the churn model has run on the data, the Risk panel counts the branch manager's
    customers by risk band (checked against the run's file and pandas) and links to the list."""
    from auth.users import get_user
    from tests.cube.test_cross_sell_view import customer_month, month_of

    run = crosssell_and_churn_runs["churn"]
    branch = get_user("branch").branch_id
    tree = render(sign_in(mams_app, "branch"))
    alert = by_id(tree, "customers--churn")
    risk = pd.read_parquet(run.outputs["risk"], columns=["customer_id", "churn_band"])
    month = month_of(run)
    mine = customer_month(demo_source, month)
    mine = mine[mine["branch_id"] == branch].merge(risk, on="customer_id", how="left")
    counts = mine["churn_band"].value_counts()
    for band in ("high", "medium"):
        assert format_value(int(counts.get(band, 0)), "count", "en") in text(alert)
    assert "/cross-sell?x_tab=churn" in json.dumps(alert)


def test_a_link_opens_the_cross_sell_page_on_the_churn_tab(mams_app, crosssell_and_churn_runs):
    client = sign_in(mams_app, "analyst")
    payload = router_payload("/cross-sell", "?x_tab=churn")
    body = client.post("/_dash-update-component", json=payload).get_json()
    tabs = [n for n in nodes(body["response"]["_pages_content"]["children"]) if n.get("type") == "Tabs"]
    assert len(tabs) == 1 and tabs[0]["props"]["active_tab"] == "churn"
