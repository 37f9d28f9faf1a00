"""The Channels page in headless Chromium: an anomaly row opens the click menu and lists the
transactions of its branch, channel and month (compared with pandas); a branch manager's page
opens on their branch. No console errors."""

from __future__ import annotations

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.app.browser import chart_data, menu_action, read, severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ANOMALIES = '[id*="channels:anomalies"]'


def test_an_anomaly_row_lists_its_transactions(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/channels"))
    selector = f'{ANOMALIES} .ag-row[row-index="0"]'
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, selector), "anomaly rows", timeout=30)
    row = dash_duo.driver.find_element(By.CSS_SELECTOR, selector)
    month, branch, channel = row.get_attribute("row-id").split("|")
    ActionChains(dash_duo.driver).move_to_element(
        row.find_element(By.CSS_SELECTOR, ".ag-cell")
    ).click().perform()
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    menu_action(dash_duo, "frame--menu-rows")
    t = read(demo_source, "transactions")
    at = pd.to_datetime(t["txn_at"])
    cell = t[
        (t["branch_id"] == int(branch))
        & (t["channel_id"] == int(channel))
        & (at.dt.strftime("%Y-%m-01") == month)
    ]
    total = len(cell)
    last = min(50, total)
    dash_duo.wait_for_text_to_equal("#frame--menu-rows-total", f"Rows 1–{last} of {total:,}", timeout=20)
    assert not severe_logs(dash_duo)


def test_a_branch_manager_opens_on_their_branch(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "branch")
    dash_duo.driver.get(url(dash_duo, "/channels"))
    wait_until(
        lambda: "branch=" in dash_duo.driver.current_url or chart_data(dash_duo, '[id*="channels:share"]'),
        "page",
    )
    share = chart_data(dash_duo, '[id*="channels:share"]', timeout=30)
    branches = {r[0] for r in share["customdata"]}
    assert len(branches) == 1  # the manager's own branch only
    mix = chart_data(dash_duo, '[id*="channels:mix"]')
    t = read(demo_source, "transactions")
    latest = pd.to_datetime(t["txn_at"]).dt.strftime("%Y-%m").max()
    now = t[(pd.to_datetime(t["txn_at"]).dt.strftime("%Y-%m") == latest) & (t["branch_id"] == branches.pop())]
    assert (
        dict(zip(mix["customdata"], mix["x"], strict=True))
        == now.groupby("channel_id")["txn_id"].size().to_dict()
    )
    assert not severe_logs(dash_duo)
