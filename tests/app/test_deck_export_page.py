"""The Export panel's callbacks over HTTP: who may ask for a file, and who may fetch it."""

from __future__ import annotations

import pytest

from auth import decks
from pages import _deck_export
from tests.app.conftest import sign_in

CALLBACK = "/_dash-update-component"


def _request(deck_id, button: str = "deck-export--pptx", pack_format="pptx") -> dict:
    buttons = (
        "deck-export--pptx",
        "deck-export--pdf",
        "deck-export--packs-branch",
        "deck-export--packs-manager",
    )
    return {
        "output": "..deck-export--ticket.data...deck-export--message.children..",
        "outputs": [
            {"id": "deck-export--ticket", "property": "data"},
            {"id": "deck-export--message", "property": "children"},
        ],
        "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == button else None} for b in buttons],
        "changedPropIds": [f"{button}.n_clicks"],
        "state": [
            {"id": "deck-export--deck", "property": "data", "value": deck_id},
            {"id": "deck-export--pack-format", "property": "value", "value": pack_format},
        ],
    }


def _answer(client, body) -> dict:
    response = client.post(CALLBACK, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


@pytest.fixture
def presenter_deck(mams_app, demo_home, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(demo_home))  # the app's home
    deck = decks.create_deck("presenter", "Export over HTTP")
    decks.add_slide("presenter", deck.id, "/branches", "", "kpis", "Branch KPIs")
    yield deck
    decks.delete_deck("presenter", deck.id)


def test_only_who_may_open_the_deck_gets_a_ticket(mams_app, presenter_deck):
    answer = _answer(
        sign_in(mams_app, "presenter"), _request(presenter_deck.id, "deck-export--packs-branch", "both")
    )
    ticket = answer["deck-export--ticket"]["data"]
    content, user = _deck_export.read_ticket(ticket)
    assert user.username == "presenter" and content["deck"] == presenter_deck.id
    assert (content["what"], content["kind"], content["formats"]) == ("packs", "branch", ["pptx", "pdf"])
    # an analyst the deck is not shared with, and a forged deck id: no ticket
    for client, deck_id in (
        (sign_in(mams_app, "analyst"), presenter_deck.id),
        (sign_in(mams_app, "presenter"), [1]),
    ):
        refused = _answer(client, _request(deck_id))
        assert refused["deck-export--ticket"]["data"] is None
        assert "may not export" in str(refused["deck-export--message"]["children"])
    # a relationship manager works no decks
    assert (
        _answer(sign_in(mams_app, "rm"), _request(presenter_deck.id))["deck-export--ticket"]["data"] is None
    )
    # a ticket is signed: an edited one is refused by the job
    forged = {"token": ticket["token"][:-2] + "xx"}
    assert _deck_export.read_ticket(forged) is None
    assert _deck_export.run_ticket(forged, lambda _p: None)[0] is None
