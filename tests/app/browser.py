"""Helpers for the browser tests: sign in, read a chart's data, click a bar, use the click menu,
and the pandas figures they are compared with (from the generated Parquet, not the cube)."""

from __future__ import annotations

import functools
import time

import pandas as pd
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from auth.demo import DEMO_PASSWORDS

UNITS_CHART = '[id*="branches:units"]'


@functools.cache
def read(folder, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def latest_month(demo_source) -> pd.Timestamp:
    return pd.Timestamp(read(demo_source, "holdings")["month_date"].max())


def units(demo_source) -> pd.DataFrame:
    """customer -> home branch, region and manager (the org the customers cube uses)."""
    customers, branches = read(demo_source, "customers"), read(demo_source, "branches")
    return customers[["customer_id", "home_branch_id", "manager_id", "gender"]].merge(
        branches[["branch_id", "region_id"]], left_on="home_branch_id", right_on="branch_id"
    )


def expected_aum(demo_source, level: str, month=None, **where) -> pd.Series:
    """AUM (month-end deposit + investment balances) per unit in a month (default the latest)."""
    holdings, products = read(demo_source, "holdings"), read(demo_source, "products")
    month = month or latest_month(demo_source)
    rows = holdings[pd.to_datetime(holdings["month_date"]) == pd.Timestamp(month)]
    aum_products = products.loc[products["balance_type"].isin(["deposit", "investment"]), "product_id"]
    rows = rows[rows["product_id"].isin(aum_products)].merge(units(demo_source), on="customer_id")
    for column, value in where.items():
        rows = rows[rows[column] == value]
    key = {"region": "region_id", "branch": "branch_id", "manager": "manager_id", "gender": "gender"}[level]
    return rows.groupby(key)["balance"].sum()


def url(dash_duo, path: str) -> str:
    return dash_duo.server.url.rstrip("/") + path


def sign_in(dash_duo, username: str, lang: str = "en") -> None:
    dash_duo.driver.get(url(dash_duo, "/logout"))
    dash_duo.driver.get(url(dash_duo, f"/login?lang={lang}"))
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#nav--user", timeout=20)


def chart_data(dash_duo, selector: str, trace: int = 0, timeout: float = 20) -> dict:
    dash_duo.wait_for_element(f"{selector} .js-plotly-plot", timeout=timeout)
    js = (
        "var g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g ? g.data[arguments[1]] : null;"
    )
    return dash_duo.driver.execute_script(js, selector, trace)


def bars(dash_duo, selector: str = UNITS_CHART) -> dict:
    data = chart_data(dash_duo, selector)
    return dict(zip(data["customdata"], data["y"], strict=True))


def assert_bars_match(shown: dict, expected: pd.Series) -> None:
    import pytest

    assert sorted(str(k) for k in shown) == sorted(str(k) for k in expected.index)
    for key, value in shown.items():
        want = expected[int(key)] if not isinstance(expected.index[0], str) else expected[str(key)]
        assert value == pytest.approx(want, rel=1e-9)


def wait_bars_match(dash_duo, expected: pd.Series, selector: str = UNITS_CHART) -> dict:
    """Wait until the chart shows ``expected``'s members (a re-render may still be on its way),
    then check every value."""
    want = sorted(str(k) for k in expected.index)
    wait_until(lambda: sorted(str(k) for k in bars(dash_duo, selector)) == want, "the chart's members")
    shown = bars(dash_duo, selector)
    assert_bars_match(shown, expected)
    return shown


def click_bar(dash_duo, index: int = 0, selector: str = UNITS_CHART) -> None:
    points = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"{selector} .point path")
    # Plotly's drag layer lies on top of the bars: click at the bar's position instead.
    ActionChains(dash_duo.driver).move_to_element(points[index]).click().perform()


def open_menu_on_bar(dash_duo, index: int = 0, selector: str = UNITS_CHART) -> None:
    click_bar(dash_duo, index, selector)
    dash_duo.wait_for_element("#frame--menu-title", timeout=20)
    wait_until(lambda: dash_duo.find_element("#frame--menu-title").text.strip() != "", "menu title")


def menu_action(dash_duo, element_id: str) -> None:
    dash_duo.wait_for_element(f"#{element_id}", timeout=20)
    dash_duo.find_element(f"#{element_id}").click()


def wait_until(condition, what: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - the page is still rendering; look again
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_url(dash_duo, fragment: str, absent: str | None = None) -> None:
    wait_until(
        lambda: (
            fragment in dash_duo.driver.current_url
            and (absent is None or absent not in dash_duo.driver.current_url)
        ),
        f"URL with {fragment!r}: {dash_duo.driver.current_url}",
    )


def crumbs(dash_duo) -> int:
    return len(dash_duo.driver.find_elements(By.CSS_SELECTOR, "#branches--breadcrumb li"))


def severe_logs(dash_duo) -> list:
    return [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
