"""The Products view in headless Chromium: a category bar opens the click menu and drills down
to that category's products; a branch manager's page shows only their branch's holders.
Figures are compared with pandas over the generated Parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.browser import (
    bars,
    latest_month,
    menu_action,
    open_menu_on_bar,
    read,
    severe_logs,
    sign_in,
    url,
    wait_bars_match,
    wait_for_url,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ITEMS = "[id*='\"products:items\"']"


def holders(demo_source, key: str, branch: int | None = None, **where) -> pd.Series:
    """Distinct holders per ``key`` ("category" or "product_id") in the latest month."""
    h = read(demo_source, "holdings").merge(
        read(demo_source, "products")[["product_id", "category"]], on="product_id"
    )
    h = h[pd.to_datetime(h["month_date"]) == latest_month(demo_source)]
    if branch is not None:
        home = read(demo_source, "customers")[["customer_id", "home_branch_id"]]
        h = h.merge(home, on="customer_id")
        h = h[h["home_branch_id"] == branch]
    for column, value in where.items():
        h = h[h[column] == value]
    return h.groupby(key)["customer_id"].nunique()


def test_a_category_bar_drills_down_to_its_products(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/products"))
    shown = wait_bars_match(dash_duo, holders(demo_source, "category"), ITEMS)
    categories = list(shown)
    index = categories.index("time_deposit")  # the category with two products
    open_menu_on_bar(dash_duo, index, ITEMS)
    menu_action(dash_duo, "frame--menu-down")
    wait_for_url(dash_duo, "category=time_deposit")
    wait_bars_match(dash_duo, holders(demo_source, "product_id", category="time_deposit"), ITEMS)
    assert len(bars(dash_duo, ITEMS)) == 2
    assert not severe_logs(dash_duo)


def test_a_branch_manager_sees_their_branch(dash_duo, mams_app, demo_source):
    from auth.users import get_user

    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "branch", "zh")
    dash_duo.driver.get(url(dash_duo, "/products"))
    branch = get_user("branch").branch_id
    wait_bars_match(dash_duo, holders(demo_source, "category", branch=branch), ITEMS)
    dash_duo.wait_for_element("[id*='\"products:pairs\"'] .js-plotly-plot", timeout=20)
    assert dash_duo.find_element("#products--cross-sell").get_attribute("href").count("/cross-sell?") == 1
    assert not severe_logs(dash_duo)
