"""The Products page rendered through Dash's router over HTTP, its headline figures checked
against pandas over the generated Parquet (never through the cube): holders per category in
the bars and the table, penetration, the cross-holding cells, the drill-down to the products
of one category, the link into Cross-sell, and no customer rows for the presenter."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from cube.views.state import ViewState
from tests.app.conftest import sign_in
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, chart, grid_rows, nodes, text
from tests.data.test_derive import pandas_customer_month

REL = 1e-9


def render(client, search: str = "", path: str = "/products") -> list:
    response = client.post("/_dash-update-component", json=router_payload(path, search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


@pytest.fixture(scope="module")
def src(demo_source: Path) -> dict:
    cm = pandas_customer_month(demo_source)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    products = pd.read_parquet(demo_source / "products.parquet")
    h = pd.read_parquet(demo_source / "holdings.parquet").merge(
        products[["product_id", "category", "name_en"]], on="product_id"
    )
    h["m"] = pd.to_datetime(h["month_date"]).dt.strftime("%Y-%m")
    h = h.merge(cm[["m", "customer_id", "branch_id"]], on=["m", "customer_id"])
    return {"cm": cm, "h": h, "latest": cm["m"].max(), "products": products}


def _check_categories(tree, h: pd.DataFrame, customers: int) -> None:
    want = h.groupby("category")["customer_id"].nunique()
    bars = chart(tree, "products:items")
    assert dict(zip(bars["customdata"], bars["y"], strict=True)) == want.to_dict()
    rows = {r["_row_id"]: r for r in grid_rows(tree, "products:items")}
    for cat, n in want.items():
        assert rows[cat]["holders"] == n
        assert rows[cat]["penetration"] == pytest.approx(n / customers, rel=REL)


def test_analyst_sees_holders_penetration_and_cross_holding(mams_app, src):
    client = sign_in(mams_app, "analyst")
    tree = render(client)
    h = src["h"][src["h"]["m"] == src["latest"]]
    customers = (src["cm"]["m"] == src["latest"]).sum()
    _check_categories(tree, h, customers)
    # the cross-holding cells: share of the row product's holders holding the column product
    heat = chart(tree, "products:pairs")
    names = dict(zip(src["products"]["name_en"], src["products"]["product_id"], strict=True))
    pairs = h[["customer_id", "product_id"]].merge(h[["customer_id", "product_id"]], on="customer_id")
    both = pairs.groupby(["product_id_x", "product_id_y"]).size()
    holders = h.groupby("product_id")["customer_id"].nunique()
    checked = 0
    for i, row_name in enumerate(heat["y"]):
        a = names[row_name]
        assert heat["customdata"][i][0] == a
        for j, col_name in enumerate(heat["x"]):
            b, value = names[col_name], heat["z"][i][j]
            if a == b:
                assert value is None  # the diagonal is left blank
            elif (a, b) in both:
                assert value == pytest.approx(both[(a, b)] / holders[a], rel=REL)
                checked += 1
    assert checked > 20
    # the cross-sell link carries the profiled item
    link = by_id(tree, "products--cross-sell")["props"]["href"]
    parts = urlsplit(link)
    assert parts.path == "/cross-sell"
    state = ViewState.from_params({k: v[0] for k, v in parse_qs(parts.query).items()})
    assert state.selected("link").dimension in ("category", "product")
    # ... and the Cross-sell page opens with it
    assert render(client, "?" + parts.query, "/cross-sell")


def test_drill_down_to_the_products_of_a_category_in_zh(mams_app, src):
    client = sign_in(mams_app, "analyst", "zh")
    tree = render(client, "?category=time_deposit")
    h = src["h"][(src["h"]["m"] == src["latest"]) & (src["h"]["category"] == "time_deposit")]
    want = h.groupby("product_id")["customer_id"].nunique()
    bars = chart(tree, "products:items")
    assert dict(zip(bars["customdata"], bars["y"], strict=True)) == want.to_dict()
    names = src["products"].set_index("product_id")["name_zh"]
    assert sorted(bars["x"]) == sorted(names[want.index])
    assert "定期存款" in text(by_id(tree, "products--breadcrumb"))


def test_branch_manager_sees_only_their_branch(mams_app, src):
    from auth.users import get_user

    branch = get_user("branch").branch_id
    tree = render(sign_in(mams_app, "branch"))
    h = src["h"][(src["h"]["m"] == src["latest"]) & (src["h"]["branch_id"] == branch)]
    customers = ((src["cm"]["m"] == src["latest"]) & (src["cm"]["branch_id"] == branch)).sum()
    _check_categories(tree, h, customers)
    heat = chart(tree, "products:pairs")
    assert heat["y"]  # their matrix; its figures are checked in tests/cube/test_products_view.py


def test_presenter_sees_aggregates_and_no_customer_rows(mams_app, src):
    client = sign_in(mams_app, "presenter")
    tree = render(client)
    assert by_id(tree, "products--no-rows")
    customer_ids = set(src["cm"]["customer_id"].astype(str))
    for node in nodes(tree):
        for row in node["props"].get("rowData") or []:
            assert "customer_id" not in row and "customer_name" not in row
            # (small numbers such as counts may equal some customer id: only long ids count)
            shown = {str(v) for v in row.values() if isinstance(v, int) and v > 10_000}
            assert not shown & customer_ids
    _check_categories(tree, src["h"][src["h"]["m"] == src["latest"]], (src["cm"]["m"] == src["latest"]).sum())
