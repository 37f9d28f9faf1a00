"""Presenter mode: a review deck full screen, one slide at a time, for a projector or a TV.

``/present?deck=ID`` shows the deck's slides in large type with slide numbers; the keyboard
moves through them (→, Space, PageDown next; ←, PageUp previous; Home, End; Esc leaves back to
the deck). ``&view=presenter`` is the presenter's own window: the current slide, the next one
and the speaker notes, following the slide shown in the audience window (both windows keep
the slide number in the browser's localStorage). ``&tv=SECONDS`` rotates the slides for a
screen in a branch lobby. ``&slide=N`` opens at slide N.

Every slide is computed by ``components.slides.build_slide`` under the VIEWER's scope at the
deck's pinned data version; the keyboard handling is ``assets/present.js``.
"""

from __future__ import annotations

import copy

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import decks
from components import slides
from components.i18n import t
from cube.api import CubeError
from pages._args import as_dict
from pages._session import current_lang, current_scope, require_role, require_user

dash.register_page(__name__, path="/present", name="Present", order=99, filters=False)

TV_MIN, TV_MAX, TV_DEFAULT = 5, 3600, 20
NEXT, PREV, FIRST, LAST = "next", "prev", "first", "last"


class Ids:
    root = "present--root"
    meta = "present--meta"
    index = "present--index"
    sync = "present--sync"
    slide = "present--slide"
    number = "present--number"
    next = "present--next"
    prev = "present--prev"
    first = "present--first"
    last = "present--last"
    tv = "present--tv"
    leave = "present--leave"
    stored = "present--stored"


def _int(value, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def tv_seconds(value) -> int:
    """Seconds per slide in TV mode (0: off), kept within [TV_MIN, TV_MAX]."""
    seconds = _int(value, 0)
    return 0 if seconds <= 0 else max(TV_MIN, min(TV_MAX, seconds))


def _version_line(deck: decks.Deck, lang: str) -> str:
    return t(
        "present.footer",
        lang,
        deck=deck.name,
        version=deck.data_version or "-",
        date=decks.version_date(deck.data_version) or "-",
    )


# --- drawing one slide ----------------------------------------------------------------------


def _figure(fig, font: int, compact: bool):
    """The chart filling what the slide leaves free (a fixed height in the presenter's view)."""
    fig = copy.deepcopy(fig)
    fig.update_layout(height=None, autosize=True, font={"size": font}, margin={"t": 50, "b": 40})
    style = {"height": "32vh"} if compact else {"flex": "1 1 auto", "minHeight": "0"}
    return dcc.Graph(
        figure=fig,
        config={"displayModeBar": False, "responsive": True},
        style=style,
        className="present-chart",
    )


def _table(frame):
    head = html.Thead(html.Tr([html.Th(str(c)) for c in frame.columns]))
    body = html.Tbody([html.Tr([html.Td(str(v)) for v in row]) for row in frame.itertuples(index=False)])
    return dbc.Table([head, body], bordered=False, className="present-table")


def slide_body(content, compact: bool = False):
    """The slide as the audience sees it (``compact``: the presenter's preview)."""
    parts = [
        html.H1(content.title, className="present-title"),
        html.Div(content.subtitle, className="present-subtitle"),
    ]
    if content.kpis:
        cards = [
            html.Div(
                [
                    html.Div(k.label, className="present-kpi-label"),
                    html.Div(k.text, className="present-kpi-value"),
                    html.Div(k.note, className="present-kpi-note") if k.note else None,
                ],
                className="present-kpi",
            )
            for k in content.kpis
        ]
        parts.append(html.Div(cards, className="present-kpis"))
    if content.figure is not None:
        parts.append(_figure(content.figure, 14 if compact else 18, compact))
    if content.table is not None:
        parts.append(_table(content.table))
    if content.message:
        parts.append(html.Div(content.message, className="present-message"))
    return html.Div(parts, className="present-slide" + (" present-compact" if compact else ""))


def _build(deck: decks.Deck, index: int, lang: str):
    try:
        return slides.build_slide(deck.slides[index], current_scope(), lang, deck.data_version)
    except CubeError as exc:  # VersionUnavailable included: the deck says so, not a blank page
        message = t("decks.pinned_gone", lang) if "cannot be served" in str(exc) else str(exc)
        return slides.SlideContent(title=deck.slides[index].title or "", message=message)


def _presenter_body(deck: decks.Deck, index: int, lang: str):
    content = _build(deck, index, lang)
    following = None
    if index + 1 < len(deck.slides):
        following = slide_body(_build(deck, index + 1, lang), compact=True)
    notes = content.notes or t("present.no_notes", lang)
    return dbc.Row(
        [
            dbc.Col([slide_body(content, compact=True)], lg=7),
            dbc.Col(
                [
                    html.H4(t("present.notes", lang)),
                    html.Div(notes, className="present-notes", id="present--notes"),
                    html.H5(t("present.next_slide", lang), className="mt-4"),
                    following or html.Div(t("present.last_slide", lang), className="text-muted"),
                ],
                lg=5,
            ),
        ]
    )


# --- the page -------------------------------------------------------------------------------


def _refused(text: str):
    return html.Div(
        [html.H3(text), dcc.Link(t("present.back", current_lang()), href="/decks")],
        className="present-root present-refused",
        id=Ids.root,
    )


def layout(deck=None, tv=None, slide=None, view=None, **_other):
    """The deck's first (or ``slide``-th) slide; the callbacks below draw the others."""
    user = require_user()
    lang = current_lang()
    if user.role not in decks.DECK_ROLES:
        return _refused(t("present.no_deck", lang))
    try:
        found = decks.get_deck(user.username, deck)
    except decks.DeckRefused:
        return _refused(t("present.no_deck", lang))
    total = len(found.slides)
    if not total:
        return _refused(t("present.empty_deck", lang))
    presenter = view == "presenter"
    seconds = 0 if presenter else tv_seconds(tv)
    index = max(0, min(total - 1, _int(slide, 1) - 1))
    meta = {"deck": found.id, "total": total, "view": "presenter" if presenter else "audience"}
    hidden = {"display": "none"}
    return html.Div(
        [
            dcc.Store(id=Ids.meta, data=meta),
            dcc.Store(id=Ids.index, data=index),
            dcc.Store(id=Ids.sync),  # the slide the other window moved to (present.js)
            dcc.Store(id=Ids.stored),  # written to localStorage (clientside)
            html.Button(id=Ids.first, style=hidden),
            html.Button(id=Ids.last, style=hidden),
            dcc.Interval(id=Ids.tv, interval=max(seconds, 1) * 1000, disabled=not seconds),
            html.Div(id=Ids.slide, className="present-stage"),
            html.Div(
                [
                    html.Button("◀", id=Ids.prev, title=t("present.prev", lang), className="present-nav"),
                    html.Span(
                        t("present.slide_of", lang, n=index + 1, total=total),
                        id=Ids.number,
                        className="present-number",
                    ),
                    html.Button("▶", id=Ids.next, title=t("present.next", lang), className="present-nav"),
                    html.Span(_version_line(found, lang), className="present-version", id="present--version"),
                    html.Span(
                        t("present.tv_every", lang, seconds=seconds) if seconds else t("present.keys", lang),
                        className="present-keys",
                    ),
                    html.A(
                        t("present.leave", lang),
                        href=f"/decks?deck={found.id}",
                        id=Ids.leave,
                        className="present-leave",
                    ),
                ],
                className="present-footer",
            ),
        ],
        id=Ids.root,
        className="present-root" + (" present-presenter" if presenter else ""),
        **{"data-deck": str(found.id), "data-total": str(total)},
    )


@callback(
    Output(Ids.index, "data"),
    Input(Ids.next, "n_clicks"),
    Input(Ids.prev, "n_clicks"),
    Input(Ids.first, "n_clicks"),
    Input(Ids.last, "n_clicks"),
    Input(Ids.tv, "n_intervals"),
    Input(Ids.sync, "data"),
    State(Ids.index, "data"),
    State(Ids.meta, "data"),
    prevent_initial_call=True,
)
def move_slide(_next, _prev, _first, _last, _tick, synced, index, meta):
    """The slide to show after a key, a click, a TV tick or the other window's move."""
    require_role(*decks.DECK_ROLES)
    total = _int(as_dict(meta).get("total"), 0)
    if total <= 0:
        raise PreventUpdate
    index = _int(index, 0)
    trigger = dash.ctx.triggered_id
    if trigger == Ids.sync:
        new = _int(synced, index)
    elif trigger == Ids.next:
        new = index + 1
    elif trigger == Ids.prev:
        new = index - 1
    elif trigger == Ids.first:
        new = 0
    elif trigger == Ids.last:
        new = total - 1
    elif trigger == Ids.tv:
        new = (index + 1) % total  # a lobby screen goes round
    else:
        raise PreventUpdate
    new = max(0, min(total - 1, new))
    if new == index:
        raise PreventUpdate
    return new


@callback(
    Output(Ids.slide, "children"),
    Output(Ids.number, "children"),
    Input(Ids.index, "data"),
    State(Ids.meta, "data"),
)
def show_slide(index, meta):
    """Draw slide ``index`` of the deck for the signed-in viewer (their scope, the deck's
    pinned data); the deck is read again, so a forged deck number shows nothing."""
    user = require_role(*decks.DECK_ROLES)
    lang = current_lang()
    try:
        deck = decks.get_deck(user.username, as_dict(meta).get("deck"))
    except decks.DeckRefused:
        return html.Div(t("present.no_deck", lang), className="present-message"), ""
    total = len(deck.slides)
    if not total:
        return html.Div(t("present.empty_deck", lang), className="present-message"), ""
    index = max(0, min(total - 1, _int(index, 0)))
    number = t("present.slide_of", lang, n=index + 1, total=total)
    if as_dict(meta).get("view") == "presenter":
        return _presenter_body(deck, index, lang), number
    return slide_body(_build(deck, index, lang)), number


# the slide number goes to localStorage, where the other window of the same deck reads it
clientside_callback(
    ClientsideFunction(namespace="mamsPresent", function_name="remember"),
    Output(Ids.stored, "data"),
    Input(Ids.index, "data"),
    State(Ids.meta, "data"),
)
