"""The Model runs page in headless Chromium: a segmentation run started from the page shows its
progress bar moving and ends as succeeded in the run list (and the Segmentation page then shows
its loadings); a cross-sell run cancelled from the page is recorded as cancelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mining import runs
from tests.app.browser import severe_logs, sign_in, url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Records every state the progress area shows (value, label and step text), however briefly.
RECORDER = """
window.__seen = [];
var live = document.querySelector('#models--live');
var record = function () {
  var bar = live.querySelector('.progress-bar');
  var step = document.querySelector('#models--step');
  window.__seen.push([bar ? bar.getAttribute('aria-valuenow') : '', bar ? bar.textContent : '',
                      step ? step.textContent : ''].join('|'));
};
new MutationObserver(record).observe(live, {subtree: true, childList: true, attributes: true,
                                            characterData: true});
"""


def _open(dash_duo, mams_app) -> set[str]:
    dash_duo.start_server(mams_app.app, navigate=False)
    sign_in(dash_duo, "analyst")
    dash_duo.driver.get(url(dash_duo, "/models"))
    dash_duo.wait_for_element("#models--start", timeout=30)
    frame = runs.list_runs()
    return set(frame["run_id"]) if len(frame) else set()


def _new_run(kind: str, before: set[str]) -> str:
    found: list[str] = []

    def started() -> bool:
        frame = runs.list_runs(kind)
        found[:] = [r for r in frame["run_id"] if r not in before] if len(frame) else []
        return bool(found)

    wait_until(started, f"a new {kind} run in the registry", timeout=30)
    return found[0]


def _wait_status(dash_duo, run_id: str, status: str, timeout: float) -> None:
    selector = f'tr[data-run="{run_id}"][data-status="{status}"]'
    wait_until(
        lambda: dash_duo.driver.find_elements(By.CSS_SELECTOR, selector), f"{run_id} {status}", timeout
    )


def test_a_segmentation_run_shows_its_progress_and_succeeds(dash_duo, mams_app):
    before = _open(dash_duo, mams_app)
    dash_duo.driver.execute_script(RECORDER)
    dash_duo.find_element("#models--start").click()
    run_id = _new_run("segmentation", before)
    _wait_status(dash_duo, run_id, "succeeded", timeout=180)
    seen = dash_duo.driver.execute_script("return window.__seen;")
    shown = {s for s in seen if s.split("|")[0] not in ("", "0") or s.split("|")[2]}
    assert len(shown) >= 2, seen  # the bar moved: at least two different states while running
    values = [float(s.split("|")[0]) for s in shown if s.split("|")[0]]
    assert max(values) > min(values)
    wait_until(lambda: "finished" in dash_duo.find_element("#models--outcome").text, "the outcome")
    record = runs.get_run(run_id)
    assert record.status == "succeeded" and record.created_by == "analyst"
    row = dash_duo.driver.find_element(By.CSS_SELECTOR, f'tr[data-run="{run_id}"]')
    assert f"segments {record.metrics['n_clusters']}" in row.text
    if "seg-loadings" in Path("pages/segmentation.py").read_text(encoding="utf-8"):
        dash_duo.driver.get(url(dash_duo, "/segmentation"))
        dash_duo.wait_for_element("#seg-loadings", timeout=60)
    assert not severe_logs(dash_duo)


def _progress(dash_duo) -> float:
    bar = dash_duo.driver.find_element(By.CSS_SELECTOR, "#models--progress .progress-bar")
    return float(bar.get_attribute("aria-valuenow") or 0)


def test_a_run_cancelled_from_the_page_is_recorded_as_cancelled(dash_duo, mams_app):
    before = _open(dash_duo, mams_app)
    Select(dash_duo.driver.find_element(By.ID, "models--kind")).select_by_value("crosssell")
    dash_duo.wait_for_element("#models--params-crosssell #models--cs-support", timeout=10)
    dash_duo.find_element("#models--start").click()
    run_id = _new_run("crosssell", before)
    cancel = dash_duo.find_element("#models--cancel")
    wait_until(lambda: cancel.is_enabled() and _progress(dash_duo) > 0, "the run under way", timeout=60)
    # a script click: while a callback of the page runs, the app's page-level dcc.Loading hides
    # the page (see the report: app.py's Loading should target page changes only)
    dash_duo.driver.execute_script("arguments[0].click();", cancel)
    _wait_status(dash_duo, run_id, "cancelled", timeout=60)
    record = runs.get_run(run_id)
    assert record.status == "cancelled" and record.message == "cancelled by analyst"
    row = dash_duo.find_element(f'tr[data-run="{run_id}"]')
    assert "cancelled" in row.get_attribute("textContent")
    assert not severe_logs(dash_duo)
