"""The Decks and Present pages over HTTP: a presenter sees their deck, its slides and the export
panel; another user's unshared deck is refused; a relationship manager has no decks."""

from __future__ import annotations

from auth import decks
from tests.app.conftest import sign_in
from tests.app.test_http_guard import router_payload


def _page(client, path: str, search: str = "") -> str:
    response = client.post("/_dash-update-component", json=router_payload(path, search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return str(response.get_json()["response"]["_pages_content"]["children"])


def test_decks_and_present_pages_for_a_presenter(mams_app, demo_home, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(demo_home))  # the app's home, not this module's
    deck = decks.create_deck("presenter", "HTTP review")
    decks.add_slide("presenter", deck.id, "/branches", "", "kpis", "Branch KPIs", "my notes")
    try:
        client = sign_in(mams_app, "presenter")
        page = _page(client, "/decks", f"?deck={deck.id}")
        assert "HTTP review" in page and "decks--export" in page and "Branch KPIs" in page
        # the export panel is drawn inside it (its buttons), not swallowed by an error
        assert "deck-export--pack-format" in page
        assert f"/present?deck={deck.id}" in page
        shown = _page(client, "/present", f"?deck={deck.id}")
        assert "present--root" in shown and "1 / 1" in shown
        # another user's deck, not shared: the page says so and shows nothing of it
        refused = _page(sign_in(mams_app, "analyst"), "/present", f"?deck={deck.id}")
        assert "not shared with you" in refused and "Branch KPIs" not in refused
        # a relationship manager has no decks at all
        assert "decks--denied" in _page(sign_in(mams_app, "rm"), "/decks")
    finally:
        decks.delete_deck("presenter", deck.id)
