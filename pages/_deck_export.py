"""Export callbacks of the decks page: PPTX, PDF and packs per branch or manager.

The layout is ``components.deck_export_panel.export_panel``; ``pages/decks.py`` imports this
module so the callbacks are registered. Starting is two steps, as on the Model runs page:
``request_export`` (a normal callback, with the request's signed-in user) checks the role and
that the user may open the deck, then signs a ticket; ``execute_export``, a background job in
another process, re-reads the user (role, active, scope) and the deck from the ticket, builds
every figure under that user's scope at the deck's pinned data version
(``components.packs``), writes the file into a private folder and audits it (one audit line
per generated pack). ``deliver_file`` hands the file to the browser only for the user it was
made for. Presenters may export decks: the slides hold aggregates only.
"""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from itsdangerous import BadSignature, URLSafeTimedSerializer

from auth import audit, decks, users
from auth.secret import secret_key
from components import packs
from components.deck_export import ChartRenderer, ExportError, to_pdf, to_pptx
from components.deck_export_panel import START_BUTTONS
from components.deck_export_panel import ExportIds as Ids
from components.i18n import t
from cube.api import Scope
from pages._session import NotAllowed, current_lang, require_role
from settings import get_settings

TICKET_SALT = "decks.export"
FILE_SALT = "decks.export.file"
TICKET_MAX_AGE = 600  # seconds a ticket may wait for its background job
FILE_MAX_AGE = 24 * 3600  # a made file can be downloaded (and is kept) for a day
WHAT = {  # button -> (what, pack kind)
    Ids.pptx: ("pptx", None),
    Ids.pdf: ("pdf", None),
    Ids.packs_branch: ("packs", "branch"),
    Ids.packs_manager: ("packs", "manager"),
}
PACK_FORMATS = {"pptx": ("pptx",), "pdf": ("pdf",), "both": ("pptx", "pdf")}
MEDIA = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


def _alert(text: str, colour: str) -> dbc.Alert:
    return dbc.Alert(text, color=colour, className="py-2 small mb-2")


def _requester():
    """The signed-in user if their role works with decks (raises NotAllowed otherwise)."""
    return require_role(*decks.DECK_ROLES)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=salt)


def exports_dir() -> Path:
    """Private folder of made files, one random sub-folder each; files older than a day go."""
    # in the shared folder: a worker node makes the file, any web node hands it out
    settings = get_settings()
    folder = Path(settings.shared_dir or settings.home).resolve() / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    cutoff = time.time() - FILE_MAX_AGE
    for old in folder.iterdir():
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    return folder


def scope_of(user) -> Scope:
    """The cube scope of a stored user (the job has no request; the same rule as
    ``pages._session.current_scope``)."""
    return Scope.for_role(user.role, user.region_id, user.branch_id, user.manager_id)


# --- tickets --------------------------------------------------------------------------------------


def make_ticket(deck_id: int, username: str, lang: str, what: str, kind: str | None, formats) -> dict:
    content = {"deck": deck_id, "by": username, "lang": lang, "what": what, "kind": kind, "formats": formats}
    return {"token": _serializer(TICKET_SALT).dumps(content)}


def read_ticket(ticket) -> tuple[dict, users.User] | None:
    """The ticket's content and its user, if genuine, recent, and the user still works with
    decks and may still open the deck."""
    if not isinstance(ticket, dict) or not isinstance(ticket.get("token"), str):
        return None
    try:
        content = _serializer(TICKET_SALT).loads(ticket["token"], max_age=TICKET_MAX_AGE)
    except BadSignature:
        return None
    user = users.get_user(str(content.get("by", "")))
    if user is None or not user.is_active or user.role not in decks.DECK_ROLES:
        return None
    return content, user


def _file_ticket(path: Path, username: str) -> dict:
    token = _serializer(FILE_SALT).dumps({"dir": path.parent.name, "name": path.name, "by": username})
    return {"token": token, "name": path.name}


def file_for(ticket, username: str) -> Path | None:
    """The made file a file ticket names, for the user it was made for only."""
    if not isinstance(ticket, dict) or not isinstance(ticket.get("token"), str):
        return None
    try:
        content = _serializer(FILE_SALT).loads(ticket["token"], max_age=FILE_MAX_AGE)
    except BadSignature:
        return None
    if content.get("by") != username:
        return None
    folder = exports_dir()
    path = (folder / str(content.get("dir", "")) / str(content.get("name", ""))).resolve()
    if path.parent.parent != folder or not path.is_file():
        return None
    return path


# --- the job --------------------------------------------------------------------------------------


def export(content: dict, user, progress=None) -> tuple[Path, int]:
    """Make the file a ticket asks for, as ``user`` may see it; returns where it was written
    and how many packs it holds (1 for a single deck).

    Raises
    ------
    auth.decks.DeckRefused
        If the user may not open the deck.
    components.packs.PackRefused
        If the scope holds no unit for packs (or too many).
    """
    deck = decks.get_deck(user.username, content["deck"])
    lang, what = content.get("lang", "en"), content.get("what")
    scope = scope_of(user)
    say = progress or (lambda fraction, text: None)
    folder = exports_dir() / secrets.token_urlsafe(12)
    folder.mkdir(mode=0o700)
    version = deck.data_version
    if what in ("pptx", "pdf"):
        say(0.05, t("export.step.slides", lang))
        cover, contents = packs.build_deck(deck.name, deck.slides, scope, lang, version, user.username)
        say(0.5, t("export.step.writing", lang))
        with ChartRenderer() as renderer:
            data = (to_pptx if what == "pptx" else to_pdf)(cover, contents, renderer)
        path = folder / f"{packs.safe_name(deck.name)}.{what}"
        path.write_bytes(data)
        audit.record(
            user.username,
            "deck_export",
            f"deck {deck.id} {what} version {version} scope {cover.scope} slides {len(contents)}",
        )
        return path, 1
    kind = content.get("kind")

    def unit_progress(done: int, total: int, unit) -> None:
        text = t("export.step.unit", lang, done=done + 1, total=total, unit=unit.name) if unit else ""
        say(done / max(total, 1), text or t("export.step.writing", lang))

    def audited(unit, files) -> None:
        audit.record(
            user.username,
            "deck_pack",
            f"deck {deck.id} {kind} {unit.key} {unit.name} version {version} files {', '.join(files)}",
        )

    result = packs.make_packs(
        deck.name,
        deck.slides,
        scope,
        kind,
        lang,
        version,
        formats=content.get("formats") or ("pptx",),
        author=user.username,
        progress=unit_progress,
        on_pack=audited,
    )
    path = folder / f"{packs.safe_name(deck.name)}_{kind}_packs.zip"
    path.write_bytes(result.archive)
    audit.record(
        user.username,
        "deck_packs",
        f"deck {deck.id} {kind} {len(result.units)} packs version {version} file {path.name}",
    )
    return path, len(result.units)


def run_ticket(ticket, set_progress):
    """The background job: (file ticket, message); never a traceback on the page."""
    read = read_ticket(ticket)
    if read is None:
        return None, (_alert(t("export.bad_ticket", "en"), "danger") if ticket else None)
    content, user = read
    lang = content.get("lang", "en")

    def progress(fraction: float, text: str) -> None:
        set_progress((round(fraction * 100), f"{fraction:.0%}", text))

    try:
        path, count = export(content, user, progress)
    except decks.DeckRefused:
        return None, _alert(t("export.denied", lang), "warning")
    except packs.PackRefused as exc:
        return None, _alert(t(exc.key, lang, **exc.params), "warning")
    except (ExportError, LookupError) as exc:  # no browser or fonts; a pinned version gone
        return None, _alert(t("export.failed", lang, reason=str(exc)), "danger")
    done = (
        t("export.done_packs", lang, count=count, name=path.name)
        if content.get("what") == "packs"
        else t("export.done", lang, name=path.name)
    )
    return _file_ticket(path, user.username), _alert(done, "success")


# --- callbacks ------------------------------------------------------------------------------------


@callback(
    Output(Ids.ticket, "data"),
    Output(Ids.message, "children"),
    *(Input(b, "n_clicks") for b in START_BUTTONS),
    State(Ids.deck, "data"),
    State(Ids.pack_format, "value"),
    prevent_initial_call=True,
)
def request_export(_pptx, _pdf, _branch, _manager, deck_id, pack_format):
    """Check the role and the deck, then hand the background job a signed ticket."""
    lang = current_lang()
    trigger = ctx.triggered_id
    if not isinstance(trigger, str) or trigger not in WHAT or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    try:
        user = _requester()
        deck = decks.get_deck(user.username, deck_id)
    except (NotAllowed, decks.DeckRefused):
        return None, _alert(t("export.denied", lang), "warning")
    what, kind = WHAT[trigger]
    chosen = PACK_FORMATS.get(pack_format) if isinstance(pack_format, str) else None
    formats = (chosen or ("pptx",)) if what == "packs" else (what,)
    ticket = make_ticket(deck.id, user.username, lang, what, kind, list(formats))
    return ticket, _alert(t("export.started", lang), "info")


@callback(
    Output(Ids.file, "data"),
    Output(Ids.outcome, "children"),
    Input(Ids.ticket, "data"),
    background=True,
    progress=[Output(Ids.bar, "value"), Output(Ids.bar, "label"), Output(Ids.step, "children")],
    running=[
        *((Output(b, "disabled"), True, False) for b in START_BUTTONS),
        (Output(Ids.cancel, "disabled"), False, True),
        (Output(Ids.live, "style"), {}, {"display": "none"}),
    ],
    cancel=[Input(Ids.kill, "data")],
    interval=500,
    prevent_initial_call=True,
)
def execute_export(set_progress, ticket):
    """Runs in the background-job process: the signed ticket (made after the role and deck
    checks, re-checked against the stored user) authorises it; the scope comes from the
    stored user, never from the browser."""
    return run_ticket(ticket, set_progress)


@callback(
    Output(Ids.kill, "data"),
    Output(Ids.message, "children", allow_duplicate=True),
    Input(Ids.cancel, "n_clicks"),
    prevent_initial_call=True,
)
def cancel_export(clicks):
    """Stop the running job (the background callback's cancel input)."""
    lang = current_lang()
    try:
        _requester()
    except NotAllowed:
        return no_update, _alert(t("export.denied", lang), "warning")
    if not clicks:
        raise PreventUpdate
    return time.time(), _alert(t("export.cancelled", lang), "secondary")


@callback(
    Output(Ids.download, "data"),
    Output(Ids.again, "style"),
    Input(Ids.file, "data"),
    Input(Ids.again, "n_clicks"),
    prevent_initial_call=True,
)
def deliver_file(file_ticket, _again):
    """The made file, to the user it was made for (right after the job, or again on a click)."""
    try:
        user = _requester()
    except NotAllowed:
        raise PreventUpdate from None
    if not file_ticket:
        return no_update, {"display": "none"}
    path = file_for(file_ticket, user.username)
    if path is None:
        return no_update, {"display": "none"}
    return dcc.send_file(str(path), filename=path.name, type=MEDIA.get(path.suffix[1:])), {}
