"""The Cross-sell page through Dash's router over HTTP, for every role and both languages: the
header names the runs and the data version; the rules grid, the gain / lift / calibration
charts and the band counts equal independent computations (pandas over the run's files and
the generated Parquet); lists are scoped (branch manager), masked (analyst) and absent for the
presenter; without a run on the current data a panel links to the Model runs page."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cube.views import cross_sell as view
from tests.app.conftest import sign_in
from tests.app.test_http_guard import _grid_rows, router_payload
from tests.app.test_overview_page import by_id, nodes, text
from tests.cube.test_cross_sell_view import (
    customer_month,
    month_of,
    pandas_deciles,
    pandas_gain,
    pandas_pair_rules,
)

REL = 1e-9
ROLES = ("admin", "analyst", "branch", "rm", "presenter")
CUSTOMER_COLUMNS = {"customer_id", "customer_name", "customer_phone", "customer_id_card_no"}


@pytest.fixture(scope="module")
def shown(crosssell_and_churn_runs, mams_app) -> dict:
    from data import warehouse

    return view.runs(warehouse.data_version())


def render(client, search: str = "") -> list:
    response = client.post("/_dash-update-component", json=router_payload("/cross-sell", search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    return response.get_json()["response"]["_pages_content"]["children"]


def figure(tree, ident: str) -> dict:
    return by_id(tree, ident)["props"]["figure"]["data"]


def rows_of(tree, ident: str) -> list[dict]:
    return by_id(tree, ident)["props"]["rowData"]


def list_rows(tree, kind: str) -> list[dict]:
    for node in nodes(tree):
        if node.get("props", {}).get("id") == {"type": "cross-sell-list-rows", "kind": kind}:
            return node["props"]["rowData"]
    return []


@pytest.mark.parametrize("user", ROLES)
def test_every_role_opens_the_page_in_both_languages(mams_app, shown, user):
    for lang in ("en", "zh"):
        tree = render(sign_in(mams_app, user, lang))
        header = text(by_id(tree, "cross-sell--header"))
        for kind in view.KINDS:
            run = shown[kind]
            assert run.run_id in header and (run.finished_at or "")[:10] in header
        assert shown["crosssell"].month in header and shown["crosssell"].data_version in header
        assert ("交叉销售" if lang == "zh" else "Cross-sell") in text(tree)
        if user == "presenter":
            for row in _grid_rows(tree):
                assert not CUSTOMER_COLUMNS & set(row), sorted(row)
            assert by_id(tree, "cross-sell--no-rows-offers")
        else:
            assert list_rows(tree, "offers")


def test_figures_equal_independent_computations(mams_app, shown, demo_source):
    tree = render(sign_in(mams_app, "analyst"))
    cs, churn = shown["crosssell"], shown["churn"]
    # the rules grid: every pair rule's metrics from the holdings
    want = pandas_pair_rules(demo_source, month_of(cs))
    names = pd.read_parquet(demo_source / "products.parquet").set_index("product_code")["name_en"]
    code_of = {v: k for k, v in names.items()}
    grid = rows_of(tree, "cross-sell--rules")
    pairs = [r for r in grid if " + " not in r["antecedent"]]
    # shown at first without the rules a shorter one explains; every pair rule is there
    assert len(grid) == len(view.rules(cs, view.RuleFilter(improving_only=True))) < len(view.rules(cs))
    assert len(pairs) == (view.rules(cs)["size"] == 2).sum() > 20
    for r in pairs:
        w = want.loc[(code_of[r["antecedent"]], code_of[r["consequent"]])]
        for column in ("support", "confidence", "lift", "leverage"):
            assert r[column] == pytest.approx(w[column], rel=REL)
        assert (r["conviction"] is None and math.isinf(w["conviction"])) or r["conviction"] == pytest.approx(
            w["conviction"], rel=1e-9
        )
    # the propensity charts of the default product (best AUC) from its scored holdout
    product = view.products(cs)["product"].iloc[0]
    holdout = view.output(cs, "holdout")
    holdout = holdout[holdout["product"] == product].assign(y=lambda f: f["y"].astype(float))
    gain = figure(tree, "cross-sell--propensity-gain")[0]
    assert np.allclose(gain["y"], pandas_gain(holdout, gain["x"]), rtol=REL)
    deciles = pandas_deciles(holdout)
    assert np.allclose(figure(tree, "cross-sell--propensity-lift")[0]["y"], deciles["lift"], rtol=REL)
    calibration = figure(tree, "cross-sell--propensity-calibration")[0]
    assert np.allclose(calibration["x"], deciles["mean_score"], rtol=REL)
    assert np.allclose(calibration["y"], deciles["rate"], rtol=REL)
    # churn: gain from its holdout, band counts from the risk file
    churn_holdout = view.output(churn, "holdout").assign(y=lambda f: f["y"].astype(float))
    gain = figure(tree, "cross-sell--churn-gain")[0]
    assert np.allclose(gain["y"], pandas_gain(churn_holdout, gain["x"]), rtol=REL)
    cm = customer_month(demo_source, month_of(churn))
    risk = cm[["customer_id"]].merge(view.output(churn, "risk"), on="customer_id", how="left")
    bars = figure(tree, "cross-sell--churn-counts")[0]
    got = dict(zip(bars["customdata"], bars["y"], strict=True))
    assert got == {
        ("" if pd.isna(k) else k): v for k, v in risk["churn_band"].value_counts(dropna=False).items()
    }
    # offers per product and band from the best-offer file
    offers = cm[["customer_id"]].merge(view.output(cs, "best_offer"), on="customer_id")
    counts = offers.groupby("best_offer")["customer_id"].size()
    table = {r["_row_id"]: r for r in rows_of(tree, "cross-sell--offer-counts")}
    assert {k: r["total"] for k, r in table.items()} == counts.to_dict()
    # the analyst's lists are masked
    rows = list_rows(tree, "offers")
    assert rows and all("*" in r["customer_name"] for r in rows)


def test_branch_manager_lists_hold_only_their_branch(mams_app, shown, demo_source):
    from auth.users import get_user

    branch = get_user("branch").branch_id
    tree = render(sign_in(mams_app, "branch", "zh"))
    cm = customer_month(demo_source, month_of(shown["churn"]))
    own = set(cm.loc[cm["branch_id"] == branch, "customer_id"])
    for kind in ("offers", "churn", "dormant"):
        rows = list_rows(tree, kind)
        assert {r["customer_id"] for r in rows} <= own, kind
        assert {r["branch_id"] for r in rows} <= {branch}
    risk = cm[cm["branch_id"] == branch][["customer_id"]].merge(
        view.output(shown["churn"], "risk"), on="customer_id"
    )
    total = text(by_id(tree, {"type": "cross-sell-list-total", "kind": "churn"}))
    assert f"{risk['churn_band'].notna().sum():,}" in total


def test_without_runs_on_the_current_data_the_page_says_so(mams_app, monkeypatch):
    monkeypatch.setattr(view, "shown_run", lambda kind, version: None)
    for lang in ("en", "zh"):
        tree = render(sign_in(mams_app, "analyst", lang))
        for kind in view.KINDS:
            link = by_id(tree, f"cross-sell--start-{kind}")
            assert link["props"]["href"] == f"/models?kind={kind}"
        assert not _grid_rows(tree)


def test_the_rules_callback_filters_and_a_graph_click_picks_a_product(mams_app, shown):
    from pages import cross_sell as page

    client = sign_in(mams_app, "analyst")
    with mams_app.server.test_request_context():
        import flask_login

        from auth.users import get_user

        flask_login.login_user(get_user("analyst"))
        assert page.show_product_rules({"id": "CL01", "label": "x"}) == "CL01"
        rows, count = page.filter_rules(0.02, 0.2, 1.1, "CL01", False)
        want = view.rules(shown["crosssell"], view.RuleFilter(0.02, 0.2, 1.1, "CL01"))
        assert len(rows) == len(want) > 0
        assert all(r["support"] >= 0.02 and r["lift"] >= 1.1 for r in rows)
        assert str(len(want)) in count
        fewer, _ = page.filter_rules(0.02, 0.2, 1.1, "CL01", True)
        want = view.rules(shown["crosssell"], view.RuleFilter(0.02, 0.2, 1.1, "CL01", improving_only=True))
        assert len(fewer) == len(want) <= len(rows)
    assert client  # signed in through the real sign-in as well
