"""End to end in headless Chromium: sign in as each role, drill region > branch > manager and
back through the click menu, check the bars against pandas over the generated Parquet, and
switch the language."""

from __future__ import annotations

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from tests.app.browser import (
    bars,
    crumbs,
    expected_aum,
    menu_action,
    open_menu_on_bar,
    severe_logs,
    sign_in,
    url,
    wait_bars_match,
    wait_for_url,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def drill_into_first_bar(dash_duo, fragment_key: str) -> int:
    key = int(next(iter(bars(dash_duo))))
    open_menu_on_bar(dash_duo, 0)
    menu_action(dash_duo, "frame--menu-down")
    wait_for_url(dash_duo, f"{fragment_key}={key}")
    return key


def test_analyst_drills_down_and_back_with_figures_matching_pandas(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)  # '/' redirects to sign-in
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    wait_bars_match(dash_duo, expected_aum(demo_source, "region"))

    region = drill_into_first_bar(dash_duo, "region")
    wait_until(lambda: crumbs(dash_duo) == 2, "breadcrumb at region")
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=region))

    branch = drill_into_first_bar(dash_duo, "branch")
    wait_until(lambda: crumbs(dash_duo) == 3, "breadcrumb at branch")
    wait_bars_match(dash_duo, expected_aum(demo_source, "manager", branch_id=branch))

    dash_duo.driver.back()  # Back undoes the drill
    wait_for_url(dash_duo, f"region={region}", absent="branch=")
    wait_until(lambda: crumbs(dash_duo) == 2, "breadcrumb back at region")
    wait_bars_match(dash_duo, expected_aum(demo_source, "branch", region_id=region))
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#branches--breadcrumb a").click()  # up to all regions
    wait_until(lambda: crumbs(dash_duo) == 1, "breadcrumb at the top")
    wait_bars_match(dash_duo, expected_aum(demo_source, "region"))
    # analysts see customer rows, with identities masked by the cube
    dash_duo.wait_for_element("#branches--customers", timeout=20)

    dash_duo.find_element("#nav--lang").click()  # switch to Chinese (a full page load)
    dash_duo.wait_for_text_to_equal("#nav--branches", "网点", timeout=45)
    dash_duo.find_element("#nav--lang").click()
    dash_duo.wait_for_text_to_equal("#nav--branches", "Branches", timeout=45)
    assert not severe_logs(dash_duo)


def test_each_role_sees_only_what_it_may(dash_duo, mams_app, demo_source):
    from auth.users import get_user

    dash_duo.start_server(mams_app.app, navigate=False)  # '/' redirects to sign-in
    own = get_user("branch").branch_id
    branches = pd.read_parquet(demo_source / "branches.parquet").set_index("branch_id")
    region = int(branches.loc[own, "region_id"])

    sign_in(dash_duo, "branch")
    dash_duo.driver.get(url(dash_duo, "/branches"))  # lands on the own branch: its managers
    wait_until(lambda: crumbs(dash_duo) == 3, "the branch manager's own branch")
    wait_bars_match(dash_duo, expected_aum(demo_source, "manager", branch_id=own))
    dash_duo.driver.get(url(dash_duo, f"/branches?region={region}"))
    assert [int(k) for k in bars(dash_duo)] == [own]  # only the own branch in the own region
    other = int(branches.index[branches.index != own][0])
    dash_duo.driver.get(url(dash_duo, f"/branches?region={branches.loc[other, 'region_id']}&branch={other}"))
    dash_duo.wait_for_element("#branches--kpis", timeout=20)
    assert branches.loc[other, "name_en"] not in dash_duo.driver.page_source

    sign_in(dash_duo, "presenter")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    dash_duo.wait_for_element("#branches--no-rows", timeout=20)
    assert not dash_duo.driver.find_elements(By.ID, "branches--export-csv")

    sign_in(dash_duo, "rm")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    dash_duo.wait_for_element("#branches--kpis", timeout=20)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, '[id*="branches:units"]')  # a single manager

    sign_in(dash_duo, "admin")
    dash_duo.driver.get(url(dash_duo, "/admin"))
    dash_duo.wait_for_element("#admin--users", timeout=20)
    assert "branch" in dash_duo.find_element("#admin--users").text
    assert not severe_logs(dash_duo)
