"""The Overview in headless Chromium: a waterfall bar opens the click menu and jumps to the
Branches view of that region; the waterfall's KPI control lives in the URL, so Back undoes it.
Figures are compared with pandas over the generated Parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.browser import (
    chart_data,
    click_bar,
    expected_aum,
    latest_month,
    menu_action,
    read,
    severe_logs,
    sign_in,
    url,
    wait_bars_match,
    wait_for_url,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The waterfall's graph (its id holds the key in quotes; the contributions table's key is
# "overview:explain-table", so the quotes keep it out).
WATERFALL = "[id*='\"overview:explain\"']"


def test_a_waterfall_bar_opens_the_menu_and_the_branches_of_its_region(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/"))
    data = chart_data(dash_duo, WATERFALL)
    assert data["type"] == "waterfall"
    # the bars are start, one per region (largest change first), end
    latest = latest_month(demo_source)
    now = expected_aum(demo_source, "region")
    before = expected_aum(demo_source, "region", latest - pd.DateOffset(months=1))
    assert data["y"][0] == pytest.approx(before.sum(), rel=1e-9)
    assert data["y"][-1] == pytest.approx(now.sum(), rel=1e-9)
    region = int(data["customdata"][1])
    assert data["y"][1] == pytest.approx(now[region] - before[region], rel=1e-9)
    name = read(demo_source, "regions").set_index("region_id").loc[region, "name_en"]
    assert data["x"][1] == name

    click_bar(dash_duo, 1, WATERFALL)  # bar 0 is the start total
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    wait_until(lambda: name in dash_duo.find_element("#frame--menu-title").text, "the region in the menu")
    dash_duo.wait_for_text_to_equal("#frame--menu-related", "Open in Branches", timeout=20)
    menu_action(dash_duo, "frame--menu-related")
    wait_for_url(dash_duo, "/branches")
    assert f"region={region}" in dash_duo.driver.current_url
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=region))
    assert not severe_logs(dash_duo)


def test_the_explained_kpi_is_in_the_url_and_back_undoes_it(dash_duo, mams_app):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/"))
    chart_data(dash_duo, WATERFALL)
    assert not dash_duo.driver.find_elements("css selector", "#overview--effects")  # additive: no mix/rate
    dash_duo.select_dcc_dropdown("#overview--explain-kpi", value="AUM per customer")
    wait_for_url(dash_duo, "x_kpi=avg_aum")
    effects = dash_duo.wait_for_element("#overview--effects", timeout=20)
    assert effects.text.startswith("Mix effect ¥") and "rate effect ¥" in effects.text
    wait_until(lambda: len(chart_data(dash_duo, WATERFALL)["y"]) > 2, "the ratio's waterfall")

    dash_duo.driver.back()
    wait_for_url(dash_duo, "/", absent="x_kpi")
    wait_until(
        lambda: not dash_duo.driver.find_elements("css selector", "#overview--effects"), "mix/rate gone"
    )
    wait_until(
        lambda: dash_duo.find_element("#overview--explain-kpi").text.strip() == "AUM", "AUM chosen again"
    )
    assert not severe_logs(dash_duo)
