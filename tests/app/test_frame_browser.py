"""The analysis frame in headless Chromium: every click-menu action on a chart and on a table,
a cross-filter between two charts, a saved view reopened, the filter bar carried from one page
to another, and the same numbers in Chinese and English. Figures are compared with pandas over
the generated Parquet."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.app.browser import (
    bars,
    chart_data,
    expected_aum,
    latest_month,
    menu_action,
    open_menu_on_bar,
    read,
    severe_logs,
    sign_in,
    url,
    wait_bars_match,
    wait_for_url,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def customers_in(demo_source, month, region: int) -> int:
    """Customers of ``region`` open in ``month`` (a customer_month row each), from the Parquet."""
    customers, branches = read(demo_source, "customers"), read(demo_source, "branches")
    c = customers.merge(branches[["branch_id", "region_id"]], left_on="home_branch_id", right_on="branch_id")
    month = pd.Timestamp(month)
    opened = pd.to_datetime(c["open_date"]).dt.to_period("M").dt.start_time <= month
    closed = pd.to_datetime(c["close_date"]).dt.to_period("M").dt.start_time
    still = closed.isna() | (closed >= month)
    return int((opened & still & (c["region_id"] == region)).sum())


def first_region(dash_duo) -> int:
    return int(next(iter(bars(dash_duo))))


def test_click_menu_actions_on_a_chart(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    region = first_region(dash_duo)

    # break down by another dimension: the clicked region's AUM by gender
    open_menu_on_bar(dash_duo, 0)
    dash_duo.select_dcc_dropdown("#frame--menu-by", value="Gender")
    data = chart_data(dash_duo, "#frame--menu-by-chart")
    shown = dict(zip(data["customdata"], data["y"], strict=True))
    want = expected_aum(demo_source, "gender", region_id=region)
    assert set(shown) == set(want.index)
    for gender, value in shown.items():
        assert value == pytest.approx(want[gender], rel=1e-9)

    # the rows behind the figure, paged on the server with the true total
    menu_action(dash_duo, "frame--menu-rows")
    total = customers_in(demo_source, latest_month(demo_source), region)
    dash_duo.wait_for_text_to_equal("#frame--menu-rows-total", f"Rows 1–50 of {total:,}", timeout=20)
    assert dash_duo.find_element("#frame--menu-export-csv").is_displayed()  # analysts may export
    menu_action(dash_duo, "frame--menu-next")
    dash_duo.wait_for_text_to_equal("#frame--menu-rows-total", f"Rows 51–100 of {total:,}", timeout=20)

    # drill down, then up again, along the organisation hierarchy
    menu_action(dash_duo, "frame--menu-down")
    wait_for_url(dash_duo, f"region={region}")
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=region))
    open_menu_on_bar(dash_duo, 0)
    dash_duo.wait_for_text_to_equal("#frame--menu-up", "Up to Region", timeout=20)
    menu_action(dash_duo, "frame--menu-up")
    wait_for_url(dash_duo, "/branches", absent=f"region={region}")
    wait_bars_match(dash_duo, expected_aum(demo_source, "region"))
    assert not severe_logs(dash_duo)


def open_menu_on_row(dash_duo, row: int = 0) -> int:
    """Click the first cell of the ranking's ``row``; the click menu opens. Returns its key."""
    selector = f'[id*="branches:units"] .ag-row[row-index="{row}"]'
    wait_until(lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, selector), "ranking rows")
    element = dash_duo.driver.find_element(By.CSS_SELECTOR, selector)
    key = int(element.get_attribute("row-id"))
    ActionChains(dash_duo.driver).move_to_element(
        element.find_element(By.CSS_SELECTOR, ".ag-cell")
    ).click().perform()
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    return key


def test_click_menu_actions_on_a_table_and_a_cross_filter(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    bars(dash_duo)
    units_chart = '[id*="branches:units"]'

    # a table cell opens the same menu: break down, rows behind
    region = open_menu_on_row(dash_duo, 0)
    dash_duo.select_dcc_dropdown("#frame--menu-by", value="Gender")
    data = chart_data(dash_duo, "#frame--menu-by-chart")
    want = expected_aum(demo_source, "gender", region_id=region)
    assert dict(zip(data["customdata"], data["y"], strict=True)) == pytest.approx(want.to_dict(), rel=1e-9)
    menu_action(dash_duo, "frame--menu-rows")
    total = customers_in(demo_source, latest_month(demo_source), region)
    dash_duo.wait_for_text_to_equal("#frame--menu-rows-total", f"Rows 1–50 of {total:,}", timeout=20)

    # select the row's region: a cross-filter of the other charts
    menu_action(dash_duo, "frame--menu-select")
    wait_for_url(dash_duo, "sel=")
    # the bars keep every region, the selected one highlighted, the others dimmed
    wait_until(lambda: len(set(chart_data(dash_duo, units_chart)["marker"]["opacity"])) == 2, "dim")
    # the trend chart is filtered to the selected region: its last AUM point is that region's
    trend = chart_data(dash_duo, "#branches--trend")
    assert trend["y"][-1] == pytest.approx(expected_aum(demo_source, "region")[region], rel=1e-9)
    wait_until(lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".modal.show"), "the menu closed")
    dash_duo.wait_for_element("#frame--clear-selection", timeout=20).click()
    wait_for_url(dash_duo, "/branches", absent="sel=")
    wait_until(lambda: set(chart_data(dash_duo, units_chart)["marker"]["opacity"]) == {1.0}, "undim")

    # drill down from the table, then up again
    key = open_menu_on_row(dash_duo, 0)
    menu_action(dash_duo, "frame--menu-down")
    wait_for_url(dash_duo, f"region={key}")
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=key))
    open_menu_on_row(dash_duo, 0)
    menu_action(dash_duo, "frame--menu-up")
    wait_for_url(dash_duo, "/branches", absent=f"region={key}")
    wait_bars_match(dash_duo, expected_aum(demo_source, "region"))
    assert not severe_logs(dash_duo)


def test_saved_view_reopened_and_filters_carried_between_pages(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    region = first_region(dash_duo)
    dash_duo.driver.get(url(dash_duo, f"/branches?region={region}&compare=last_year"))
    wait_until(lambda: dash_duo.find_element("#frame--region").text.strip() != "", "region in the bar")
    name_box = dash_duo.find_element("#frame--view-name")
    name_box.send_keys("My region")
    dash_duo.find_element("#frame--save-view").click()
    dash_duo.wait_for_text_to_equal("#frame--view-message", "Saved “My region”.", timeout=20)

    # the filters travel with the navigation links to another view
    nav = dash_duo.driver.find_element(By.CSS_SELECTOR, "#nav--overview a")
    wait_until(lambda: f"region={region}" in (nav.get_attribute("href") or ""), "filters on the nav link")
    nav.click()
    wait_for_url(dash_duo, f"region={region}")
    assert "compare=last_year" in dash_duo.driver.current_url

    dash_duo.driver.get(url(dash_duo, "/branches"))
    dash_duo.wait_for_element('[id*="branches:units"]', timeout=20)
    dash_duo.select_dcc_dropdown("#frame--views", value="My region")
    wait_for_url(dash_duo, f"region={region}")
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=region))
    assert not severe_logs(dash_duo)


def _kpi_text(dash_duo, key: str) -> str:
    return dash_duo.wait_for_element(f"#branches--kpi-{key} .kpi-value", timeout=20).text


def test_chinese_and_english_show_the_same_numbers(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst", lang="zh")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    zh_bars = bars(dash_duo)
    zh_customers = _kpi_text(dash_duo, "customers")
    zh_aum = _kpi_text(dash_duo, "aum")
    sign_in(dash_duo, "analyst", lang="en")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    en_bars = bars(dash_duo)
    assert zh_bars == en_bars
    assert _kpi_text(dash_duo, "customers") == zh_customers  # counts read alike
    total = expected_aum(demo_source, "region").sum()
    en_aum = _kpi_text(dash_duo, "aum")
    # the same amount, in 亿 (1e8) and in B (1e9)
    assert float(re.sub(r"[^\d.]", "", zh_aum)) == pytest.approx(total / 1e8, abs=0.005)
    assert float(re.sub(r"[^\d.]", "", en_aum)) == pytest.approx(total / 1e9, abs=0.005)
    assert not severe_logs(dash_duo)
