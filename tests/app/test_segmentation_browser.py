"""The Segmentation page in headless Chromium: the segment bars show what pandas counts from the
run's file joined to customer_month; a bar opens the click menu and its rows are the segment's
customers (a branch manager's only their branch's); the map and the loadings are drawn."""

from __future__ import annotations

import pandas as pd
import pytest

from cube.views import segmentation as sv
from tests.app.browser import (
    bars,
    menu_action,
    open_menu_on_bar,
    read,
    severe_logs,
    sign_in,
    url,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEGMENTS = "[id*='\"segmentation:segments\"']"


def expected(demo_source, branch: int | None = None) -> dict:
    """Customers per segment (scored only) in the run's month, from the Parquet files."""
    run = sv.latest("segmentation")
    labels = pd.read_parquet(run.output("customers"), columns=["customer_id", "segment"])
    holdings_months = pd.to_datetime(read(demo_source, "holdings")["month_date"])
    assert sv.run_month(run) == holdings_months.max().strftime("%Y-%m")  # the run's month: the latest
    customers = read(demo_source, "customers")[["customer_id", "home_branch_id"]]
    rows = labels.merge(customers, on="customer_id")
    if branch is not None:
        rows = rows[rows["home_branch_id"] == branch]
    return {str(k): float(v) for k, v in rows.groupby("segment").size().items()}


def shown_segments(dash_duo) -> dict:
    return {str(k): v for k, v in bars(dash_duo, SEGMENTS).items() if k is not None}


def test_a_segment_bar_opens_its_customers(dash_duo, mams_app, demo_source, segmentation_and_value_runs):
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/segmentation"))
    want = expected(demo_source)
    wait_until(lambda: shown_segments(dash_duo) == want, "the segment bars")
    dash_duo.wait_for_element("#seg-loadings .js-plotly-plot", timeout=20)
    dash_duo.wait_for_element("[id*='\"segmentation:map\"'] .js-plotly-plot", timeout=20)
    keys = list(bars(dash_duo, SEGMENTS))
    index = keys.index(0)
    open_menu_on_bar(dash_duo, index, SEGMENTS)
    menu_action(dash_duo, "frame--menu-rows")
    total = f"{int(want['0']):,}"
    wait_until(lambda: total in dash_duo.find_element("#frame--menu-rows-total").text, "the rows' total")
    assert not severe_logs(dash_duo)


def test_a_branch_manager_sees_their_branch(dash_duo, mams_app, demo_source, segmentation_and_value_runs):
    from auth.users import get_user

    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "branch", "zh")
    dash_duo.driver.get(url(dash_duo, "/segmentation"))
    want = expected(demo_source, branch=get_user("branch").branch_id)
    wait_until(lambda: shown_segments(dash_duo) == want, "the branch's segment bars")
    assert dash_duo.find_element("#segmentation--header").text.startswith("细分运行")
    assert not severe_logs(dash_duo)
