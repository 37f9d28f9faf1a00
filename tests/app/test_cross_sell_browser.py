"""The Cross-sell page in headless Chromium: the association graph (dash-cytoscape) draws, the
propensity tab's gain curve equals the scored holdout computed in pandas, a changed threshold
filters the rules table, and the console stays clean."""

from __future__ import annotations

import numpy as np
import pytest
from selenium.webdriver.common.by import By

from cube.views import cross_sell as view
from tests.app.browser import chart_data, severe_logs, sign_in, url, wait_until
from tests.cube.test_cross_sell_view import pandas_gain

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_graph_rules_and_propensity_charts(dash_duo, mams_app, crosssell_and_churn_runs):
    from data import warehouse

    run = view.runs(warehouse.data_version())["crosssell"]
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/cross-sell"))
    dash_duo.wait_for_element("#cross-sell--graph canvas", timeout=30)
    dash_duo.wait_for_element("#cross-sell--rules .ag-row", timeout=30)
    every = len(view.rules(run))
    first = len(view.rules(run, view.RuleFilter(improving_only=True)))
    assert f"{first:,} of {every:,}" in dash_duo.find_element("#cross-sell--rules-count").text
    # a higher minimum lift leaves what pandas leaves
    box = dash_duo.find_element("#cross-sell--min-lift")
    box.clear()
    box.send_keys("2\n")
    want = len(view.rules(run, view.RuleFilter(min_lift=2.0, improving_only=True)))
    wait_until(
        lambda: f"{want:,} of" in dash_duo.find_element("#cross-sell--rules-count").text, "filtered rules"
    )
    # switched off, the rules a shorter one explains come back
    dash_duo.find_element("label[for='cross-sell--improving-only']").click()
    want = len(view.rules(run, view.RuleFilter(min_lift=2.0)))
    wait_until(lambda: f"{want:,} of" in dash_duo.find_element("#cross-sell--rules-count").text, "all rules")
    # the propensity tab: the default product's gain curve from its holdout
    tab = [
        a
        for a in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#cross-sell--tabs a")
        if "Propensity" in a.text
    ]
    tab[0].click()
    gain = chart_data(dash_duo, "#cross-sell--propensity-gain", timeout=30)
    product = view.products(run)["product"].iloc[0]
    holdout = view.output(run, "holdout")
    holdout = holdout[holdout["product"] == product].assign(y=lambda f: f["y"].astype(float))
    assert np.allclose(gain["y"], pandas_gain(holdout, gain["x"]), rtol=1e-9)
    assert not severe_logs(dash_duo)
