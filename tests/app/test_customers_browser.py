"""The Customers page in headless Chromium: an analyst and a branch manager open it, a click
on a bar of the transaction-type chart opens the click menu and shows the rows behind it, and
the browser logs no errors. Figures are compared with pandas over the generated Parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.browser import chart_data, click_bar, menu_action, read, severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TYPES = "[id*='\"customers:types\"']"
FLOWS = "[id*='\"customers:flows\"']"


def _txn_types(demo_source, branch=None) -> pd.Series:
    txn = read(demo_source, "transactions")
    month = pd.to_datetime(txn["txn_at"]).dt.to_period("M")
    txn = txn[month == month.max()]
    if branch is not None:
        txn = txn[txn["branch_id"] == branch]
    return txn.groupby("txn_type").size()


def test_analyst_opens_the_rows_behind_a_type_bar(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/customers"))
    data = chart_data(dash_duo, TYPES)
    counts = _txn_types(demo_source)
    assert data["customdata"][0] == counts.idxmax()  # most frequent type first
    click_bar(dash_duo, 0, TYPES)
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    menu_action(dash_duo, "frame--menu-rows")
    wait_until(lambda: dash_duo.driver.find_elements("css selector", "#frame--menu-rows-grid"), "rows behind")
    assert not severe_logs(dash_duo)


def test_branch_manager_sees_own_branch(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "branch")
    dash_duo.driver.get(url(dash_duo, "/customers"))
    data = chart_data(dash_duo, FLOWS)
    assert data["type"] == "bar" and len(data["y"]) >= 1
    dash_duo.wait_for_element("#customers--churn", timeout=20)
    assert not severe_logs(dash_duo)
