"""End to end in headless Chromium: sign in as each role, drill region > branch > manager and
back, check the bars against pandas over the generated Parquet, and switch the language."""

from __future__ import annotations

import functools
import time

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from auth.demo import DEMO_PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BARS_JS = "var g = document.querySelector('#branches--bars .js-plotly-plot'); return g ? g.data[0] : null;"


@functools.cache
def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def expected_aum(demo_source, level: str, **where) -> pd.Series:
    """AUM (month-end deposit + investment balances) per unit in the latest month, from the
    generated Parquet with pandas: independent of the warehouse and the cube."""
    holdings, products, customers, branches = (
        _read(demo_source, name) for name in ("holdings", "products", "customers", "branches")
    )
    latest = holdings[holdings["month_date"] == holdings["month_date"].max()]
    aum_products = products.loc[products["balance_type"].isin(["deposit", "investment"]), "product_id"]
    latest = latest[latest["product_id"].isin(aum_products)]
    units = customers[["customer_id", "home_branch_id", "manager_id"]].merge(
        branches[["branch_id", "region_id"]], left_on="home_branch_id", right_on="branch_id"
    )
    frame = latest.merge(units, on="customer_id")
    for column, value in where.items():
        frame = frame[frame[column] == value]
    key = {"region": "region_id", "branch": "branch_id", "manager": "manager_id"}[level]
    return frame.groupby(key)["balance"].sum()


def url(dash_duo, path: str) -> str:
    return dash_duo.server.url.rstrip("/") + path


def sign_in(dash_duo, username: str) -> None:
    dash_duo.driver.get(url(dash_duo, "/logout"))
    dash_duo.driver.get(url(dash_duo, "/login?lang=en"))
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#nav--user", timeout=20)


def bars(dash_duo) -> dict:
    dash_duo.wait_for_element("#branches--bars .js-plotly-plot", timeout=20)
    data = dash_duo.driver.execute_script(BARS_JS)
    return dict(zip(data["customdata"], data["y"], strict=True))


def assert_bars_match(shown: dict, expected: pd.Series) -> None:
    assert sorted(int(k) for k in shown) == sorted(int(k) for k in expected.index)
    for key, value in shown.items():
        assert value == pytest.approx(expected[int(key)], rel=1e-9)


def click_bar(dash_duo, index: int = 0) -> None:
    points = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#branches--bars .point path")
    # Plotly's drag layer lies on top of the bars: click at the bar's position instead.
    ActionChains(dash_duo.driver).move_to_element(points[index]).click().perform()


def wait_for_view(dash_duo, fragment: str, depth: int) -> None:
    """Wait until the URL holds ``fragment`` and the page shows ``depth`` breadcrumb items."""
    deadline = time.time() + 20
    while time.time() < deadline:
        crumbs = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#branches--breadcrumb li")
        if fragment in dash_duo.driver.current_url and len(crumbs) == depth:
            return
        time.sleep(0.1)
    raise AssertionError(f"view {fragment} at depth {depth} not shown: {dash_duo.driver.current_url}")


def test_analyst_drills_down_and_back_with_figures_matching_pandas(dash_duo, mams_app, demo_source):
    dash_duo.start_server(mams_app.app, navigate=False)  # '/' redirects to sign-in
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    regions = bars(dash_duo)
    assert_bars_match(regions, expected_aum(demo_source, "region"))

    region = int(next(iter(regions)))
    click_bar(dash_duo, 0)
    wait_for_view(dash_duo, f"region={region}", 2)
    branch_bars = bars(dash_duo)
    assert_bars_match(branch_bars, expected_aum(demo_source, "branch", region_id=region))

    branch = int(next(iter(branch_bars)))
    click_bar(dash_duo, 0)
    wait_for_view(dash_duo, f"branch={branch}", 3)
    assert_bars_match(bars(dash_duo), expected_aum(demo_source, "manager", branch_id=branch))

    dash_duo.driver.back()  # Back undoes the drill
    wait_for_view(dash_duo, f"region={region}", 2)
    assert "branch=" not in dash_duo.driver.current_url
    assert_bars_match(bars(dash_duo), expected_aum(demo_source, "branch", region_id=region))
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#branches--breadcrumb a").click()  # up to all regions
    wait_for_view(dash_duo, "/branches", 1)
    assert_bars_match(bars(dash_duo), expected_aum(demo_source, "region"))
    # analysts see customer rows, with identities masked by the cube
    dash_duo.wait_for_element("#branches--customers", timeout=20)

    dash_duo.find_element("#nav--lang").click()  # switch to Chinese
    dash_duo.wait_for_text_to_equal("#nav--branches", "网点", timeout=20)
    dash_duo.find_element("#nav--lang").click()
    dash_duo.wait_for_text_to_equal("#nav--branches", "Branches", timeout=20)
    assert not [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]


def test_each_role_sees_only_what_it_may(dash_duo, mams_app, demo_source):
    from auth.users import get_user

    dash_duo.start_server(mams_app.app, navigate=False)  # '/' redirects to sign-in
    own = get_user("branch").branch_id
    branches = pd.read_parquet(demo_source / "branches.parquet").set_index("branch_id")
    region = int(branches.loc[own, "region_id"])

    sign_in(dash_duo, "branch")
    dash_duo.driver.get(url(dash_duo, "/branches"))
    assert [int(k) for k in bars(dash_duo)] == [region]  # only the own region, with only...
    dash_duo.driver.get(url(dash_duo, f"/branches?region={region}"))
    assert [int(k) for k in bars(dash_duo)] == [own]  # ...the own branch in it
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
    assert len(bars(dash_duo)) == 1

    sign_in(dash_duo, "admin")
    dash_duo.driver.get(url(dash_duo, "/admin"))
    dash_duo.wait_for_element("#admin--users", timeout=20)
    assert "branch" in dash_duo.find_element("#admin--users").text
