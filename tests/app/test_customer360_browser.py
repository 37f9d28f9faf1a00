"""Customer 360 in headless Chromium: an analyst opens the rows behind a bar of the Customers
page, follows a customer number of the drill-through grid and sees that customer's profile
(masked identity, checked against the generated Parquet), with no browser errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.app.browser import click_bar, menu_action, read, severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TYPES = "[id*='\"customers:types\"']"


def test_a_drill_through_customer_number_opens_customer_360(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/customers"))
    dash_duo.wait_for_element(f"{TYPES} .js-plotly-plot", timeout=30)
    click_bar(dash_duo, 0, TYPES)
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    menu_action(dash_duo, "frame--menu-rows")
    links = "#frame--menu-rows-grid a.mams-customer-link"
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, links), "customer links", timeout=30)
    link = dash_duo.driver.find_elements(By.CSS_SELECTOR, links)[0]
    cid = int(link.text)
    assert link.get_attribute("href").endswith(f"/customer-360?customer={cid}")
    link.click()
    dash_duo.wait_for_element("#c360--profile", timeout=30)
    assert str(cid) in dash_duo.find_element("#c360--title").text
    name = read(demo_source, "customers").set_index("customer_id").at[cid, "name"]
    wait_until(lambda: dash_duo.find_element("#c360--name").text == name[0] + "**", "masked name")
    dash_duo.wait_for_element("#c360--balances .js-plotly-plot", timeout=20)
    assert not severe_logs(dash_duo)
