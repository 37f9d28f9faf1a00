"""The Export panel of a deck: PPTX, PDF, packs per branch or manager, with a progress bar.

:func:`export_panel` is the layout only (the decks page puts it in its ``decks--export`` div);
the callbacks live in ``pages/_deck_export.py``, which checks who asks, runs the export as a
background job and hands the file to the browser.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.i18n import t
from components.layout import section


class ExportIds:
    deck = "deck-export--deck"
    pptx = "deck-export--pptx"
    pdf = "deck-export--pdf"
    packs_branch = "deck-export--packs-branch"
    packs_manager = "deck-export--packs-manager"
    pack_format = "deck-export--pack-format"
    cancel = "deck-export--cancel"
    live = "deck-export--live"
    bar = "deck-export--progress"
    step = "deck-export--step"
    message = "deck-export--message"
    outcome = "deck-export--outcome"
    ticket = "deck-export--ticket"
    kill = "deck-export--kill"
    file = "deck-export--file"
    again = "deck-export--again"
    download = "deck-export--download"


START_BUTTONS = (ExportIds.pptx, ExportIds.pdf, ExportIds.packs_branch, ExportIds.packs_manager)


def export_panel(deck_id: int, lang: str) -> dbc.Card:
    """The Export card of deck ``deck_id``: what each button makes is decided (and allowed)
    on the server when it is clicked, under the signed-in user's scope."""
    buttons = dbc.ButtonGroup(
        [
            dbc.Button(t("export.pptx", lang), id=ExportIds.pptx, color="primary", size="sm"),
            dbc.Button(t("export.pdf", lang), id=ExportIds.pdf, color="primary", outline=True, size="sm"),
        ],
        className="me-3 mb-2",
    )
    packs = dbc.ButtonGroup(
        [
            dbc.Button(
                t("export.packs_branch", lang), id=ExportIds.packs_branch, color="secondary", size="sm"
            ),
            dbc.Button(
                t("export.packs_manager", lang), id=ExportIds.packs_manager, color="secondary", size="sm"
            ),
        ],
        className="me-2 mb-2",
    )
    pack_format = dbc.Select(
        id=ExportIds.pack_format,
        options=[{"label": t(f"export.format.{f}", lang), "value": f} for f in ("pptx", "pdf", "both")],
        value="pptx",
        size="sm",
        style={"width": "auto", "display": "inline-block"},
    )
    pack_format = html.Div(
        [
            html.Label(t("export.format", lang), htmlFor=ExportIds.pack_format, className="small me-1"),
            pack_format,
        ],
        className="d-inline-flex align-items-center mb-2",
    )
    live = html.Div(
        [
            dbc.Progress(id=ExportIds.bar, value=0, label="", style={"height": "14px"}, className="mb-1"),
            html.Div(id=ExportIds.step, className="small text-muted mb-1"),
            dbc.Button(t("export.cancel", lang), id=ExportIds.cancel, color="outline-danger", size="sm"),
        ],
        id=ExportIds.live,
        style={"display": "none"},
        className="mb-2",
    )
    body = html.Div(
        [
            html.Div([buttons, packs, pack_format], className="d-flex flex-wrap align-items-center"),
            live,
            html.Div(id=ExportIds.message),
            html.Div(id=ExportIds.outcome),
            dbc.Button(
                t("export.download", lang),
                id=ExportIds.again,
                color="link",
                size="sm",
                style={"display": "none"},
            ),
            dcc.Store(id=ExportIds.deck, data=int(deck_id)),
            dcc.Store(id=ExportIds.ticket),
            dcc.Store(id=ExportIds.kill),
            dcc.Store(id=ExportIds.file),
            dcc.Download(id=ExportIds.download),
        ]
    )
    return section(t("export.title", lang), body, t("export.note", lang))
