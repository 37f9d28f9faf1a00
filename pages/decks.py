"""Review decks: the signed-in user's decks and those shared with them, and the deck editor.

Create, rename, delete and share a deck; add slides from a saved view or from a page and the
part of it to show (its key figures, one chart, or the whole view); set titles and speaker
notes, reorder, remove. The deck's data version (and its date) is shown with a "move to current
data" action; "Present" and "TV mode" open ``/present``. The export controls (PPTX, PDF, packs)
sit in the ``decks--export`` box. Reads and writes the ops store through ``auth.decks``; the
slides themselves are computed by ``components.slides`` in presenter mode and the export.

Open to the roles that hold decks (``auth.decks.DECK_ROLES``: presenter, analyst, admin, branch
manager); only a deck's owner changes it, a user it is shared with may present it.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import decks, saved_views
from components import slides
from components.frame import FrameIds
from components.i18n import t
from components.layout import section
from cube.views import branches as branches_view
from pages._session import current_lang, current_scope, require_role, require_user

dash.register_page(
    __name__,
    path="/decks",
    name="Review decks",
    order=8.5,
    nav_key="decks",
    roles=tuple(sorted(decks.DECK_ROLES)),
    filters=False,
)

_log = logging.getLogger(__name__)

try:  # the export controls (PPTX, PDF, packs) and their callbacks, when installed
    from components.deck_export_panel import export_panel
    from pages import _deck_export  # noqa: F401 - registers the export callbacks
except ImportError:  # pragma: no cover - depends on the export module being present
    export_panel = None


class Ids:
    body = "decks--body"
    current = "decks--current"
    new_name = "decks--new-name"
    create = "decks--create"
    rename_name = "decks--rename-name"
    rename = "decks--rename"
    delete = "decks--delete"
    confirm = "decks--confirm-delete"
    move_current = "decks--move-current"
    share_name = "decks--share-name"
    share = "decks--share"
    unshare = "decks--unshare"  # pattern: {"type": unshare, "user": name}
    view_name = "decks--view-name"
    add_view = "decks--add-view"
    page = "decks--page"
    part = "decks--part"
    add_page = "decks--add-page"
    tv_seconds = "decks--tv-seconds"
    tv = "decks--tv"
    present = "decks--present"
    presenter = "decks--presenter-view"
    message = "decks--message"
    export = "decks--export"
    slide_act = "decks--slide-act"  # pattern: {"type": slide_act, "slide": id, "act": ...}
    slide_title = "decks--slide-title"  # pattern: {"type": ..., "slide": id}
    slide_notes = "decks--slide-notes"
    slide_part = "decks--slide-part"


PAGE_PATHS = list(slides.PAGES)


def _pin_box(deck: decks.Deck, mine: bool, lang: str):
    version = deck.data_version
    text = t("decks.pinned", lang, version=version or "-", date=decks.version_date(version) or "-")
    if decks.is_current(version):
        status, colour = t("decks.pinned_current", lang), "light"
    elif decks.version_kept(version):
        status, colour = t("decks.pinned_older", lang), "info"
    else:
        status, colour = t("decks.pinned_gone", lang), "warning"
    button = None
    if mine and not decks.is_current(version):
        button = dbc.Button(
            t("decks.move_to_current", lang),
            id=Ids.move_current,
            size="sm",
            color="primary",
            className="ms-2",
        )
    return dbc.Alert(
        [html.Span(text, id="decks--version"), html.Br(), html.Span(status, className="small"), button],
        color=colour,
        className="py-2",
        id="decks--pin",
    )


def _present_links(deck: decks.Deck, lang: str):
    base = f"/present?deck={deck.id}"
    return html.Div(
        [
            dbc.Button(
                t("decks.present", lang), href=base, id=Ids.present, color="success", className="me-2"
            ),
            dbc.Button(
                t("decks.presenter_view", lang),
                href=base + "&view=presenter",
                target="_blank",
                id=Ids.presenter,
                color="secondary",
                outline=True,
                className="me-2",
            ),
            dbc.InputGroup(
                [
                    dbc.InputGroupText(t("decks.tv_seconds", lang)),
                    dbc.Input(id=Ids.tv_seconds, type="number", min=5, max=3600, step=5, value=20),
                    dbc.Button(t("decks.tv", lang), href=base + "&tv=20", id=Ids.tv, color="secondary"),
                ],
                size="sm",
                style={"maxWidth": "22rem"},
                className="d-inline-flex align-middle",
            ),
        ],
        className="mb-3",
    )


FILTER_LABELS = {  # URL key -> catalog key of its name in the filter bar
    "period": "filter.period",
    "compare": "filter.compare",
    "region": "filter.region",
    "branch": "filter.branch",
    "manager": "frame.manager",
    "segment": "frame.segment",
    "value_tier": "frame.value_tier",
    "age_band": "frame.age_band",
    "category": "frame.category",
    "channel_type": "frame.channel_type",
}


def _filters_text(search: str, lang: str) -> str:
    """The slide's filters as a banker reads them: names of the filters, units by name (as far
    as the viewer's scope holds them); the page's own controls are not spelled out."""
    shown = []
    for key, value in parse_qsl((search or "").lstrip("?")):
        if key not in FILTER_LABELS:
            continue
        if key in ("region", "branch", "manager") and value.isdigit():
            value = branches_view.unit_name(key, int(value), current_scope(), lang) or value
        shown.append(f"{t(FILTER_LABELS[key], lang)} {value}")
    return t("decks.filters", lang, filters=", ".join(shown) if shown else t("decks.no_filters", lang))


def _page_name(path: str, lang: str) -> str:
    key = slides.page_key(path)
    return t(f"nav.{key}", lang) if key else path


def _slide_card(slide: decks.Slide, index: int, total: int, mine: bool, lang: str):
    def sid(kind: str) -> dict:
        return {"type": kind, "slide": slide.id}

    def act(name: str, label: str, **kw):
        return dbc.Button(
            label,
            id={"type": Ids.slide_act, "slide": slide.id, "act": name},
            size="sm",
            className="me-1",
            **kw,
        )

    page = dcc.Link(_page_name(slide.path, lang), href=slide.href)
    head = html.Div(
        [
            html.Strong(f"{index + 1}. "),
            page,
            html.Span(" · " + _filters_text(slide.search, lang), className="small text-muted"),
        ]
    )
    if not mine:
        part = dict(slides.parts_for(slide.path, lang)).get(slide.part, slide.part)
        return dbc.ListGroupItem(
            [head, html.Div(slide.title or "-"), html.Div(part, className="small text-muted")]
        )
    parts = [{"label": label, "value": value} for value, label in slides.parts_for(slide.path, lang)]
    return dbc.ListGroupItem(
        [
            head,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Input(
                            id=sid(Ids.slide_title),
                            value=slide.title,
                            placeholder=t("decks.slide_title", lang),
                            maxLength=decks.MAX_TITLE,
                            size="sm",
                        ),
                        md=5,
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=sid(Ids.slide_part), options=parts, value=slide.part, clearable=False
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        [
                            act("save", t("decks.save_slide", lang), color="primary"),
                            act("up", "↑", disabled=index == 0, title=t("decks.up", lang), outline=True),
                            act(
                                "down",
                                "↓",
                                disabled=index == total - 1,
                                title=t("decks.down", lang),
                                outline=True,
                            ),
                            act("remove", t("decks.remove", lang), color="danger", outline=True),
                        ],
                        md=3,
                        className="text-nowrap",
                    ),
                ],
                className="g-1 my-1",
            ),
            dbc.Textarea(
                id=sid(Ids.slide_notes),
                value=slide.notes,
                placeholder=t("decks.slide_notes", lang),
                maxLength=decks.MAX_NOTES,
                rows=2,
                size="sm",
            ),
        ],
        id=f"decks--slide-{index + 1}",
    )


def _add_slide_form(username: str, lang: str):
    views = saved_views.list_views(username)
    view_row = (
        dbc.InputGroup(
            [
                dbc.Select(
                    id=Ids.view_name,
                    options=[{"label": v.name, "value": v.name} for v in views],
                    value=views[0].name,
                ),
                dbc.Button(t("decks.add_from_view", lang), id=Ids.add_view, color="secondary"),
            ],
            size="sm",
            className="mb-2",
        )
        if views
        else html.Div(t("decks.no_saved_views", lang), className="small text-muted mb-2")
    )
    first = PAGE_PATHS[0]
    page_row = dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.page,
                    options=[{"label": _page_name(p, lang), "value": p} for p in PAGE_PATHS],
                    value=first,
                    clearable=False,
                ),
                md=4,
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.part,
                    options=[{"label": label, "value": v} for v, label in slides.parts_for(first, lang)],
                    value=slides.DEFAULT_PART,
                    clearable=False,
                ),
                md=5,
            ),
            dbc.Col(
                dbc.Button(t("decks.add_from_page", lang), id=Ids.add_page, size="sm", color="secondary"),
                md=3,
            ),
        ],
        className="g-1",
    )
    return html.Div([html.H6(t("decks.add", lang)), view_row, page_row], className="mt-3")


def _share_box(deck: decks.Deck, lang: str):
    chips = [
        dbc.Badge(
            [
                name,
                html.Button(
                    "×",
                    id={"type": Ids.unshare, "user": name},
                    title=t("decks.unshare", lang),
                    className="btn-close btn-close-white ms-1",
                    style={"fontSize": "0.55rem"},
                ),
            ],
            color="secondary",
            className="me-1",
        )
        for name in deck.shared_with
    ]
    label = html.Span(t("decks.shared_label", lang), className="small text-muted me-1")
    return html.Div(
        [
            html.Div(
                [label, *chips] if chips else t("decks.not_shared", lang),
                className="mb-1",
                id="decks--shared",
            ),
            dbc.InputGroup(
                [
                    dbc.Input(id=Ids.share_name, placeholder=t("decks.share", lang), maxLength=64),
                    dbc.Button(t("decks.share_button", lang), id=Ids.share, color="secondary"),
                ],
                size="sm",
                style={"maxWidth": "24rem"},
            ),
        ],
        className="mb-3",
    )


def _export_box(deck: decks.Deck, lang: str):
    children = None
    if export_panel is not None:
        try:
            children = export_panel(deck.id, lang)
        except Exception:  # noqa: BLE001 - the export controls failing must not take the deck with them
            _log.exception("the export controls of deck %s could not be drawn", deck.id)
    return html.Div(children, id=Ids.export, className="mb-3")


def _deck_panel(deck: decks.Deck, username: str, lang: str):
    mine = deck.is_owner(username)
    head = [html.H4(deck.name, id="decks--deck-name")]
    if mine:
        head.append(
            dbc.InputGroup(
                [
                    dbc.Input(id=Ids.rename_name, value=deck.name, maxLength=decks.MAX_NAME),
                    dbc.Button(t("decks.rename", lang), id=Ids.rename, color="secondary"),
                    dbc.Button(t("decks.delete", lang), id=Ids.delete, color="danger", outline=True),
                ],
                size="sm",
                className="mb-2",
                style={"maxWidth": "32rem"},
            )
        )
        head.append(dcc.ConfirmDialog(id=Ids.confirm, message=t("decks.delete_confirm", lang)))
    else:
        head.append(
            dbc.Alert(t("decks.read_only", lang, owner=deck.owner), color="light", className="py-1 small")
        )
    total = len(deck.slides)
    items = [_slide_card(s, i, total, mine, lang) for i, s in enumerate(deck.slides)]
    body = [
        *head,
        _pin_box(deck, mine, lang),
        _present_links(deck, lang) if total else None,
        _share_box(deck, lang) if mine else None,
        _export_box(deck, lang) if total else html.Div(id=Ids.export),
        html.H5(t("decks.slides", lang)),
        dbc.ListGroup(items, id="decks--slides")
        if items
        else html.Div(t("decks.no_slides", lang), className="text-muted"),
        _add_slide_form(username, lang) if mine else None,
    ]
    return html.Div(body, id="decks--panel")


def _deck_list(title: str, items: list[decks.Deck], current: int | None, lang: str, element_id: str):
    entries = [
        dbc.ListGroupItem(
            [
                html.Div(d.name, className="fw-semibold"),
                html.Div(
                    t(
                        "decks.list_meta",
                        lang,
                        n=len(d.slides),
                        date=decks.version_date(d.data_version) or (d.data_version or "-"),
                    )
                    + ("" if decks.version_kept(d.data_version) else " ⚠"),
                    className="small text-muted",
                ),
            ],
            href=f"/decks?deck={d.id}",
            active=d.id == current,
            action=True,
        )
        for d in items
    ]
    return html.Div(
        [html.H6(title, className="mt-2"), dbc.ListGroup(entries, id=element_id) if entries else None]
    )


def _body(username: str, lang: str, selected: int | None, message: str = "", colour: str = "success"):
    owned_and_shared = decks.list_decks(username)
    mine = [d for d in owned_and_shared if d.owner == username]
    shared = [d for d in owned_and_shared if d.owner != username]
    current = next((d for d in owned_and_shared if d.id == selected), None)
    if current is None and owned_and_shared:
        current = owned_and_shared[0]
    create = dbc.InputGroup(
        [
            dbc.Input(id=Ids.new_name, placeholder=t("decks.new_name", lang), maxLength=decks.MAX_NAME),
            dbc.Button(t("decks.create", lang), id=Ids.create, color="primary"),
        ],
        size="sm",
        className="mt-3",
    )
    left = [
        _deck_list(t("decks.mine", lang), mine, current and current.id, lang, "decks--mine"),
        _deck_list(
            t("decks.shared_with_me", lang), shared, current and current.id, lang, "decks--shared-list"
        ),
        html.Div(t("decks.none", lang), className="text-muted small") if not owned_and_shared else None,
        create,
    ]
    alert = dbc.Alert(message, color=colour, id=Ids.message, className="py-1", is_open=bool(message))
    right = _deck_panel(current, username, lang) if current else html.Div(id="decks--panel")
    return html.Div(
        [
            dcc.Store(id=Ids.current, data=current.id if current else None),
            alert,
            dbc.Row([dbc.Col(section(t("decks.list", lang), html.Div(left)), lg=3), dbc.Col(right, lg=9)]),
        ]
    )


def _int(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def layout(deck=None, **_other):
    """The user's decks, the chosen one (``?deck=ID``) open in the editor."""
    user = require_user()
    lang = current_lang()
    if user.role not in decks.DECK_ROLES:
        return dbc.Alert(t("decks.denied", lang), color="warning", id="decks--denied")
    return html.Div(
        [
            html.H3(t("decks.title", lang)),
            html.Div(t("decks.intro", lang), className="small text-muted mb-2"),
            html.Div(_body(user.username, lang, _int(deck)), id=Ids.body),
        ]
    )


# --- callbacks: every write goes through auth.decks (owner checks, validation, audit) -----------


def _run(username: str, lang: str, selected, action) -> object:
    """Run ``action`` (a function returning the deck id to show next) and redraw the body with
    what happened; refusals and invalid input are shown in words."""
    try:
        selected = action()
        return _body(username, lang, selected, t("decks.saved", lang))
    except decks.DeckInputError as exc:
        return _body(username, lang, _int(selected), str(exc), "warning")
    except decks.DeckRefused as exc:
        return _body(username, lang, _int(selected), str(exc), "danger")


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.create, "n_clicks"),
    Input(Ids.new_name, "n_submit"),
    State(Ids.new_name, "value"),
    prevent_initial_call=True,
)
def create_deck(_clicks, _submit, name):
    user = require_role(*decks.DECK_ROLES)
    return _run(user.username, current_lang(), None, lambda: decks.create_deck(user.username, name).id)


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.rename, "n_clicks"),
    State(Ids.rename_name, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def rename_deck(clicks, name, deck_id):
    if not clicks:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    return _run(
        user.username,
        current_lang(),
        deck_id,
        lambda: decks.rename_deck(user.username, _int(deck_id), name).id,
    )


@callback(
    Output(Ids.confirm, "displayed"),
    Input(Ids.delete, "n_clicks"),
    prevent_initial_call=True,
)
def ask_before_deleting(clicks):
    require_role(*decks.DECK_ROLES)
    if not clicks:
        raise PreventUpdate
    return True


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.confirm, "submit_n_clicks"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def delete_deck(confirmed, deck_id):
    if not confirmed:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)

    def action():
        decks.delete_deck(user.username, _int(deck_id))
        return None

    return _run(user.username, current_lang(), deck_id, action)


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.move_current, "n_clicks"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def move_to_current_data(clicks, deck_id):
    if not clicks:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    return _run(
        user.username, current_lang(), deck_id, lambda: decks.move_to_current(user.username, _int(deck_id)).id
    )


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.share, "n_clicks"),
    Input(Ids.share_name, "n_submit"),
    State(Ids.share_name, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def share_deck(clicks, submit, target, deck_id):
    if not clicks and not submit:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    return _run(
        user.username, current_lang(), deck_id, lambda: decks.share(user.username, _int(deck_id), target).id
    )


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input({"type": Ids.unshare, "user": ALL}, "n_clicks"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def unshare_deck(clicks, deck_id):
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    target = trigger.get("user")
    return _run(
        user.username, current_lang(), deck_id, lambda: decks.unshare(user.username, _int(deck_id), target).id
    )


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.add_view, "n_clicks"),
    State(Ids.view_name, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def add_saved_view(clicks, view_name, deck_id):
    if not clicks:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    return _run(
        user.username,
        current_lang(),
        deck_id,
        lambda: decks.add_saved_view(user.username, _int(deck_id), view_name).deck_id,
    )


@callback(
    Output(Ids.part, "options"),
    Output(Ids.part, "value"),
    Input(Ids.page, "value"),
    prevent_initial_call=True,
)
def offer_parts(path):
    require_role(*decks.DECK_ROLES)
    lang = current_lang()
    return [{"label": label, "value": v} for v, label in slides.parts_for(path, lang)], slides.DEFAULT_PART


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input(Ids.add_page, "n_clicks"),
    State(Ids.page, "value"),
    State(Ids.part, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def add_page(clicks, path, part, deck_id):
    if not clicks:
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    lang = current_lang()

    def action():
        if slides.page_key(path) is None or part not in dict(slides.parts_for(path, lang)):
            raise decks.DeckInputError("page", "choose a page and what the slide shows")
        title = t(f"nav.{slides.page_key(path)}", lang)
        if part != slides.DEFAULT_PART:
            title += " · " + dict(slides.parts_for(path, lang))[part]
        return decks.add_slide(user.username, _int(deck_id), path, "", part, title).deck_id

    return _run(user.username, lang, deck_id, action)


@callback(
    Output(Ids.body, "children", allow_duplicate=True),
    Input({"type": Ids.slide_act, "slide": ALL, "act": ALL}, "n_clicks"),
    State({"type": Ids.slide_title, "slide": ALL}, "value"),
    State({"type": Ids.slide_notes, "slide": ALL}, "value"),
    State({"type": Ids.slide_part, "slide": ALL}, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def change_slide(clicks, titles, notes, parts, deck_id):
    """Save, move or remove one slide (the button pressed names it)."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks or []):
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    slide_id, what = trigger.get("slide"), trigger.get("act")
    ids = [s["id"]["slide"] for s in dash.ctx.states_list[0]]
    by_id = {
        sid: (title, note, part) for sid, title, note, part in zip(ids, titles, notes, parts, strict=False)
    }

    def action():
        deck = decks.get_deck(user.username, _int(deck_id))
        position = next((i for i, s in enumerate(deck.slides) if s.id == slide_id), None)
        if position is None:
            raise decks.DeckRefused("no such slide in this deck")
        if what == "save":
            title, note, part = by_id.get(slide_id, (None, None, None))
            decks.edit_slide(user.username, slide_id, title=title, notes=note, part=part)
        elif what in ("up", "down"):
            decks.move_slide(user.username, slide_id, position + (-1 if what == "up" else 1))
        elif what == "remove":
            decks.remove_slide(user.username, slide_id)
        else:
            raise PreventUpdate
        return deck.id

    return _run(user.username, current_lang(), deck_id, action)


@callback(
    Output(Ids.tv, "href"),
    Input(Ids.tv_seconds, "value"),
    State(Ids.current, "data"),
    prevent_initial_call=True,
)
def set_tv_interval(seconds, deck_id):
    require_role(*decks.DECK_ROLES)
    from pages.present import tv_seconds  # the page that reads it keeps the bounds

    return f"/present?deck={_int(deck_id)}&tv={tv_seconds(seconds) or 20}"


# --- "Add to deck" in every view's filter bar (components.frame) ------------------------------

LOCATION = "_pages_location"


@callback(
    Output(FrameIds.add_to_deck, "options"),
    Output(FrameIds.add_to_deck, "style"),
    Input(LOCATION, "pathname"),
)
def offer_decks(pathname):
    """The user's own decks, on a page a slide can show, for a role that has decks. (The
    chosen value is not reset here: adding resets it, and a reset on every page change would
    fire :func:`add_view_to_deck` for nothing, a request per page.)"""
    user = require_user()
    hidden = {"minWidth": "170px", "display": "none"}
    if user.role not in decks.DECK_ROLES or slides.page_key(pathname) is None:
        return [], hidden
    own = [d for d in decks.list_decks(user.username) if d.owner == user.username]
    options = [{"label": d.name, "value": d.id} for d in own]
    if not options:
        options = [{"label": t("decks.no_deck", current_lang()), "value": -1, "disabled": True}]
    return options, {"minWidth": "170px"}


@callback(
    Output(FrameIds.view_message, "children", allow_duplicate=True),
    Output(FrameIds.add_to_deck, "value", allow_duplicate=True),
    Input(FrameIds.add_to_deck, "value"),
    State(LOCATION, "pathname"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def add_view_to_deck(deck_id, pathname, search):
    """The page on screen, with its filters, becomes the chosen deck's last slide."""
    if deck_id in (None, -1):
        raise PreventUpdate
    user = require_role(*decks.DECK_ROLES)
    lang = current_lang()
    key = slides.page_key(pathname)
    if key is None:
        raise PreventUpdate
    try:
        slide = decks.add_slide(
            user.username, _int(deck_id), pathname, search or "", title=t(f"nav.{key}", lang)
        )
        name = decks.get_deck(user.username, slide.deck_id).name
        return t("decks.added", lang, deck=name), None
    except (decks.DeckInputError, decks.DeckRefused) as exc:
        return str(exc), None
