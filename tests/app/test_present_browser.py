"""Presenter mode in headless Chromium: a presenter opens a three-slide deck full screen, moves
through it with the keyboard (→, End, Home, ←) and leaves it with Esc; the slide number and the
slide's content follow every key, and the figures are the cube's for the presenter's scope."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from auth import decks
from components import slides
from components.i18n import t
from cube.api import Scope
from tests.app.browser import severe_logs, sign_in, url, wait_for_url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLIDES = (  # page, part, title
    ("/branches", "kpis", "Branch figures"),
    ("/channels", "mix", "Channels this month"),
    ("/", "kpis", "The bank at a glance"),
)


def _text(dash_duo, selector: str) -> str:
    return dash_duo.find_element(selector).text


def _press(dash_duo, key) -> None:
    dash_duo.find_element("body").send_keys(key)


def _on_slide(dash_duo, n: int) -> None:
    title = SLIDES[n - 1][2]
    wait_until(
        lambda: (
            _text(dash_duo, "#present--number") == f"{n} / {len(SLIDES)}"
            and _text(dash_duo, ".present-title") == title
        ),
        f"slide {n} ({title}) shown",
    )


def test_presenter_moves_through_a_deck_with_the_keyboard_and_leaves(dash_duo, mams_app):
    deck = decks.create_deck("presenter", "Browser review")
    for path, part, title in SLIDES:
        decks.add_slide("presenter", deck.id, path, "", part, title, f"notes for {title}")
    try:
        dash_duo.start_server(mams_app.app, navigate=False)
        sign_in(dash_duo, "presenter")
        dash_duo.driver.get(url(dash_duo, f"/present?deck={deck.id}"))
        dash_duo.wait_for_element("#present--root .present-title", timeout=30)
        _on_slide(dash_duo, 1)
        # full screen: the navbar is hidden, the deck's data version is in the footer
        assert not dash_duo.driver.find_element(By.CSS_SELECTOR, ".navbar").is_displayed()
        assert deck.data_version in _text(dash_duo, "#present--version")
        # the first slide's KPI figures are the cube's for the presenter's scope
        first = decks.get_deck("presenter", deck.id).slides[0]
        want = slides.build_slide(first, Scope.for_role("presenter"), "en", deck.data_version)
        shown = [e.text for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".present-kpi-value")]
        assert shown == [k.text for k in want.kpis]

        _press(dash_duo, Keys.ARROW_RIGHT)
        _on_slide(dash_duo, 2)
        assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".present-stage .js-plotly-plot")
        _press(dash_duo, Keys.END)
        _on_slide(dash_duo, 3)
        _press(dash_duo, Keys.ARROW_RIGHT)  # past the end: stays on the last slide
        _on_slide(dash_duo, 3)
        _press(dash_duo, Keys.HOME)
        _on_slide(dash_duo, 1)
        _press(dash_duo, Keys.SPACE)
        _on_slide(dash_duo, 2)
        _press(dash_duo, Keys.ARROW_LEFT)
        _on_slide(dash_duo, 1)

        _press(dash_duo, Keys.ESCAPE)
        wait_for_url(dash_duo, f"/decks?deck={deck.id}")
        dash_duo.wait_for_element("#decks--panel", timeout=20)
        assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#present--root")
        assert dash_duo.driver.find_element(By.CSS_SELECTOR, ".navbar").is_displayed()
        assert t("decks.present", "en") in _text(dash_duo, "#decks--present")
        assert severe_logs(dash_duo) == []
    finally:
        decks.delete_deck("presenter", deck.id)
