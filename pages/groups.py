"""Customer groups (``/groups``, 客户群): the filter builder with a live count and AUM, saving a
group with a name, and the saved groups (refresh to the current data with the difference shown,
share with users, delete).

Reads the customers cube through ``cube.views.groups`` (the filter engine, under the signed-in
user's scope) and stores groups through ``marketing.groups``. Also handles "Save as group" in
the other views: the click menu's rows panel (the customers behind the clicked figure, from
``pages._frame``) and the Cross-sell page's customer lists (the list's filters).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles, users
from components.formatting import format_value
from components.frame import FrameIds
from components.i18n import MESSAGES, t
from components.layout import empty_state
from components.scores_note import SCORE_KINDS, carried_scores_note
from components.tables import data_grid
from cube.api import CubeError, scored_months
from cube.views import cross_sell as cross_sell_view
from cube.views import groups as view
from cube.views import menu
from marketing import groups
from marketing.errors import MarketingInputError, NotPermitted
from pages._frame import LOCATION, _clicked, state_of
from pages._session import NotAllowed, current_lang, current_scope, require_role, require_user

MAKERS = tuple(sorted(roles.GROUP_MAKERS))
dash.register_page(
    __name__, path="/groups", name="Customer groups", order=7.2, nav_key="groups", roles=MAKERS, filters=False
)

ROWS = 8  # condition rows the builder offers
HIDDEN = {"display": "none"}
SHOWN: dict = {}


class Ids:
    active = "groups--active"
    add = "groups--add-condition"
    count = "groups--count"
    aum = "groups--aum"
    live_note = "groups--live-note"
    scores_carried = "groups--scores-carried"
    name = "groups--name"
    save = "groups--save"
    message = "groups--message"
    saved = "groups--saved"
    table = "groups--saved-table"
    tick = "groups--tick"
    refresh = "groups--refresh"
    share_users = "groups--share-users"
    share = "groups--share"
    delete = "groups--delete"
    confirm = "groups--confirm-delete"
    refused = "groups--refused"

    @staticmethod
    def row(i: int) -> str:
        return f"groups--row-{i}"

    @staticmethod
    def field(i: int) -> str:
        return f"groups--field-{i}"

    @staticmethod
    def op(i: int) -> str:
        return f"groups--op-{i}"

    @staticmethod
    def box(i: int) -> str:
        return f"groups--value-box-{i}"

    @staticmethod
    def value(i: int) -> str:
        return f"groups--value-{i}"

    @staticmethod
    def value2(i: int) -> str:
        return f"groups--value2-{i}"

    @staticmethod
    def remove(i: int) -> str:
        return f"groups--remove-{i}"


# --- pure helpers (tests call them) ---------------------------------------------------------------


def field_options(lang: str, published: frozenset[str]) -> list[dict]:
    """The builder's fields, grouped by kind under a disabled heading each."""
    out: list[dict] = []
    for kind in view.KINDS:
        out.append({"label": f"— {t(f'groups.kind.{kind}', lang)} —", "value": f"_{kind}", "disabled": True})
        for f in view.fields(kind):
            missing = f.score_kind and f.score_kind not in published
            label = f.label(lang) + (f" {t('groups.not_published', lang)}" if missing else "")
            out.append({"label": label, "value": f.name, "disabled": bool(missing)})
    return out


def op_options(field_name: str | None, lang: str) -> list[dict]:
    f = view.FIELD.get(field_name) if isinstance(field_name, str) else None
    return [{"label": t(f"groups.op.{op}", lang), "value": op} for op in (f.ops if f else ())]


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, float) and value != value)


def definition_from_rows(rows: list[tuple[Any, Any, Any, Any]]) -> tuple[view.GroupDefinition, list[int]]:
    """The definition of the builder's rows ``(field, op, value, value2)`` and the 1-based
    numbers of rows not filled in yet (left out). A filled row's values are checked later by
    the engine, which names the field."""
    conditions, incomplete = [], []
    for n, (field, op, value, value2) in enumerate(rows, start=1):
        if _blank(field):
            continue
        if _blank(op):
            incomplete.append(n)
            continue
        if op == "top_decile":
            values: tuple = ()
        elif op == "between":
            if _blank(value) or _blank(value2):
                incomplete.append(n)
                continue
            values = (value, value2)
        elif isinstance(value, list):
            if not value:
                incomplete.append(n)
                continue
            values = tuple(value)
        elif _blank(value):
            incomplete.append(n)
            continue
        else:
            values = (value,)
        conditions.append(view.Condition(str(field), str(op), values))
    return view.GroupDefinition(tuple(conditions)), incomplete


def _field_label(field: str, lang: str) -> str:
    f = view.FIELD.get(field)
    if f is not None:
        return f.label(lang)
    key = f"groups.field.{field}"
    return t(key, lang) if key in MESSAGES else field


def error_text(exc: Exception, lang: str) -> str:
    """A bad input in the user's words, naming the field (and the condition row)."""
    if isinstance(exc, view.ConditionError):
        if exc.index is not None:
            return t(
                "groups.field_error",
                lang,
                row=exc.index + 1,
                field=_field_label(exc.field, lang),
                reason=exc.reason,
            )
        return t("groups.error", lang, field=_field_label(exc.field, lang), reason=exc.reason)
    if isinstance(exc, MarketingInputError):
        reason = str(exc).split(": ", 1)[-1]
        if exc.row is not None:
            return t(
                "groups.field_error", lang, row=exc.row, field=_field_label(exc.field, lang), reason=reason
            )
        return t("groups.error", lang, field=_field_label(exc.field, lang), reason=reason)
    if isinstance(exc, (NotPermitted, NotAllowed)):
        return t("groups.not_permitted", lang, reason=str(exc))
    return str(exc)


def saved_frame(found: list[groups.Group], lang: str) -> pd.DataFrame:
    """The saved-groups table's rows."""
    rows = []
    for g in found:
        diff = g.last_diff
        rows.append(
            {
                "id": g.id,
                "name": g.name,
                "owner": g.owner,
                "origin": t(f"groups.origin.{g.origin}", lang),
                "members": g.member_count,
                "aum": g.aum,
                "data_version": (g.data_version or "").split("+")[0],
                "created": g.created_at.replace("T", " ")[:16],
                "shared": ", ".join(g.shared_with),
                "refresh": t("groups.diff", lang, added=diff.added, removed=diff.removed) if diff else "",
            }
        )
    columns = [
        "id",
        "name",
        "owner",
        "origin",
        "members",
        "aum",
        "data_version",
        "created",
        "shared",
        "refresh",
    ]
    return pd.DataFrame(rows, columns=columns)


# --- layout ---------------------------------------------------------------------------------------


def _value_controls(i: int, field_name: str | None, lang: str, scope) -> list:
    """The value control fitting the field: a dropdown of its members, or number inputs."""
    f = view.FIELD.get(field_name) if isinstance(field_name, str) else None
    if f is not None and f.type == "number":
        step = "any" if f.fmt in ("money", "number") else 1
        return [
            dbc.Input(
                id=Ids.value(i), type="number", step=step, placeholder=t("groups.value", lang), debounce=0.4
            ),
            dbc.Input(
                id=Ids.value2(i),
                type="number",
                step=step,
                placeholder=t("groups.value_to", lang),
                debounce=0.4,
                style=HIDDEN,
                className="mt-1",
            ),
        ]
    choices = view.options(f.name, scope, lang) if f is not None else []
    return [
        dcc.Dropdown(
            id=Ids.value(i),
            options=[{"label": o["label"], "value": o["value"]} for o in choices],
            multi=True,
            placeholder=t("groups.choose_values", lang),
        ),
        dbc.Input(id=Ids.value2(i), type="number", style=HIDDEN),
    ]


def _row(i: int, lang: str, fields: list[dict], scope, shown: bool) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(id=Ids.field(i), options=fields, placeholder=t("groups.choose_field", lang)),
                md=4,
            ),
            dbc.Col(dcc.Dropdown(id=Ids.op(i), options=[], clearable=False), md=3),
            dbc.Col(html.Div(_value_controls(i, None, lang, scope), id=Ids.box(i)), md=4),
            dbc.Col(
                dbc.Button("×", id=Ids.remove(i), color="link", size="sm", title=t("groups.remove", lang)),
                md=1,
            ),
        ],
        id=Ids.row(i),
        className="g-2 mb-2 align-items-start",
        style=SHOWN if shown else HIDDEN,
    )


def _result_card(title: str, element_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(title, className="small text-muted"),
                    html.Div("-", id=element_id, className="fs-4 fw-bold"),
                ]
            )
        ),
        md=3,
    )


def layout(**_query):
    """The builder (one empty condition row), the live figures, save, and the saved groups."""
    user = require_user()
    lang = current_lang()
    header = html.H3(t("groups.title", lang))
    if not roles.may_make_groups(user.role):
        return html.Div([header, dbc.Alert(t("groups.refused", lang), color="info", id=Ids.refused)])
    scope = current_scope()
    fields = field_options(lang, view.published_kinds())
    people = [
        {"label": u.username, "value": u.username}
        for u in users.list_users()
        if u.username != user.username and u.active and roles.may_see_customers(u.role)
    ]
    builder = dbc.Card(
        dbc.CardBody(
            [
                html.H5(t("groups.builder", lang), className="card-title"),
                # score conditions pick customers by the published scores, maybe last month's
                carried_scores_note(scored_months(), SCORE_KINDS, lang, Ids.scores_carried),
                dcc.Store(id=Ids.active, data=[0]),
                *(_row(i, lang, fields, scope, i == 0) for i in range(ROWS)),
                dbc.Button(
                    t("groups.add_condition", lang), id=Ids.add, color="secondary", size="sm", outline=True
                ),
                dcc.Loading(
                    html.Div(
                        [
                            dbc.Row(
                                [
                                    _result_card(t("groups.count", lang), Ids.count),
                                    _result_card(t("groups.aum", lang), Ids.aum),
                                ],
                                className="g-2 mt-3",
                            ),
                            html.Div(id=Ids.live_note, className="small mt-1"),
                        ]
                    ),
                    type="dot",
                    delay_show=150,
                    overlay_style={"visibility": "visible", "opacity": 0.5},
                ),
                dbc.InputGroup(
                    [
                        dbc.Input(id=Ids.name, placeholder=t("groups.name_placeholder", lang), maxLength=100),
                        dbc.Button(t("groups.save", lang), id=Ids.save, color="primary", n_clicks=0),
                    ],
                    className="mt-3",
                    style={"maxWidth": "36rem"},
                ),
            ]
        ),
        className="mb-3",
    )
    actions = html.Div(
        [
            dbc.Button(t("groups.refresh", lang), id=Ids.refresh, size="sm", color="secondary"),
            html.Div(
                dcc.Dropdown(
                    id=Ids.share_users, options=people, multi=True, placeholder=t("groups.share_with", lang)
                ),
                style={"minWidth": "16rem"},
            ),
            dbc.Button(t("groups.share", lang), id=Ids.share, size="sm", color="secondary"),
            dbc.Button(t("groups.delete", lang), id=Ids.delete, size="sm", color="danger", outline=True),
            dcc.ConfirmDialog(id=Ids.confirm),
        ],
        className="d-flex flex-wrap gap-2 align-items-center mb-2",
    )
    return html.Div(
        [
            header,
            html.P(t("groups.intro", lang), className="text-muted"),
            builder,
            html.Div(id=Ids.message, role="status"),
            dcc.Store(id=Ids.tick, data=0),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H5(t("groups.saved_title", lang), className="card-title"),
                        actions,
                        html.Div(_saved_table(user, lang), id=Ids.saved),
                    ]
                )
            ),
        ]
    )


def _saved_table(user, lang: str):
    frame = saved_frame(groups.list_for(user), lang)
    if frame.empty:
        grid = data_grid(frame, {"name": ""}, Ids.table, lang)  # the callbacks read its selection
        grid.style = {"display": "none"}  # the empty state says it all, not a second "no rows"
        return html.Div([empty_state(t("groups.saved_none", lang)), grid])
    headers = {c: t(f"groups.col.{c}", lang) for c in frame.columns if c != "id"}
    grid = data_grid(frame, headers, Ids.table, lang, {"members": "count", "aum": "money_compact"})
    grid.getRowId = "params.data.id"
    grid.dashGridOptions = {**grid.dashGridOptions, "rowSelection": "single"}
    grid.style = {"height": f"{min(420, 90 + 42 * len(frame))}px"}
    return grid


# --- the builder ----------------------------------------------------------------------------------


@callback(
    Output(Ids.active, "data"),
    *(Output(Ids.field(i), "value") for i in range(ROWS)),
    Input(Ids.add, "n_clicks"),
    *(Input(Ids.remove(i), "n_clicks") for i in range(ROWS)),
    State(Ids.active, "data"),
    prevent_initial_call=True,
)
def change_rows(_add, *rest):
    """Add a condition row (the first unused one) or remove one (its field cleared)."""
    require_role(*MAKERS)
    active = rest[-1] if isinstance(rest[-1], list) else [0]
    active = [i for i in active if isinstance(i, int) and 0 <= i < ROWS]
    trigger = dash.ctx.triggered_id
    cleared = [dash.no_update] * ROWS
    if trigger == Ids.add:
        free = [i for i in range(ROWS) if i not in active]
        if not free:
            raise PreventUpdate
        cleared[free[0]] = None
        return [*active, free[0]], *cleared
    if isinstance(trigger, str) and trigger.startswith("groups--remove-"):
        i = int(trigger.rsplit("-", 1)[1])
        cleared[i] = None
        return [j for j in active if j != i] or [], *cleared
    raise PreventUpdate


@callback(
    *(Output(Ids.row(i), "style") for i in range(ROWS)),
    Input(Ids.active, "data"),
)
def show_rows(active):
    active = active if isinstance(active, list) else []
    return tuple(SHOWN if i in active else HIDDEN for i in range(ROWS))


def _field_callback(i: int) -> None:
    @callback(
        Output(Ids.op(i), "options"),
        Output(Ids.op(i), "value"),
        Output(Ids.box(i), "children"),
        Input(Ids.field(i), "value"),
        prevent_initial_call=True,
    )
    def choose_field(field):
        """A field chosen: its operators, and the value control fitting it."""
        require_role(*MAKERS)
        lang = current_lang()
        options = op_options(field, lang)
        return (
            options,
            options[0]["value"] if options else None,
            _value_controls(i, field, lang, current_scope()),
        )

    @callback(
        Output(Ids.value(i), "style"),
        Output(Ids.value2(i), "style"),
        Input(Ids.op(i), "value"),
        State(Ids.field(i), "value"),
        prevent_initial_call=True,
    )
    def choose_op(op, field):
        """``between`` shows the second number, ``top_decile`` takes no value."""
        require_role(*MAKERS)
        f = view.FIELD.get(field) if isinstance(field, str) else None
        second = SHOWN if op == "between" and f is not None and f.type == "number" else HIDDEN
        return (HIDDEN if op == "top_decile" else SHOWN), second


for _i in range(ROWS):
    _field_callback(_i)


ROW_STATES = [
    part
    for i in range(ROWS)
    for part in (
        Input(Ids.field(i), "value"),
        Input(Ids.op(i), "value"),
        Input(Ids.value(i), "value"),
        Input(Ids.value2(i), "value"),
    )
]


def _rows_of(active, values) -> list[tuple]:
    active = active if isinstance(active, list) else []
    return [tuple(values[4 * i : 4 * i + 4]) for i in range(ROWS) if i in active]


@callback(
    Output(Ids.count, "children"),
    Output(Ids.aum, "children"),
    Output(Ids.live_note, "children"),
    Input(Ids.active, "data"),
    *ROW_STATES,
)
def update_count(active, *values):
    """The live count and AUM of the customers the complete rows select, under the user's scope."""
    require_role(*MAKERS)
    lang = current_lang()
    definition, incomplete = definition_from_rows(_rows_of(active, values))
    note = t("groups.incomplete", lang, rows=", ".join(map(str, incomplete))) if incomplete else ""
    try:
        found = view.live(definition, current_scope())
    except CubeError as exc:
        return "-", "-", html.Span(error_text(exc, lang), className="text-danger", id="groups--live-error")
    return (
        format_value(found.customers, "count", lang),
        format_value(found.aum, "money", lang),
        html.Span(note, className="text-muted"),
    )


@callback(
    Output(Ids.message, "children"),
    Output(Ids.tick, "data"),
    Input(Ids.save, "n_clicks"),
    State(Ids.name, "value"),
    State(Ids.active, "data"),
    *(State(s.component_id, s.component_property) for s in ROW_STATES),
    State(Ids.tick, "data"),
    prevent_initial_call=True,
)
def save_group(n_clicks, name, active, *rest):
    """Save the builder's conditions as a group with ``name``; the message names a bad field."""
    user = require_role(*MAKERS)
    lang = current_lang()
    if not n_clicks:
        raise PreventUpdate
    values, tick = rest[:-1], rest[-1] if isinstance(rest[-1], int) else 0
    definition, incomplete = definition_from_rows(_rows_of(active, values))
    if incomplete:
        text = t("groups.incomplete", lang, rows=", ".join(map(str, incomplete)))
        return dbc.Alert(text, color="warning", id="groups--save-error"), dash.no_update
    try:
        group = groups.save(user, name, definition)
    except (MarketingInputError, NotPermitted) as exc:
        return dbc.Alert(error_text(exc, lang), color="danger", id="groups--save-error"), dash.no_update
    text = t("groups.saved", lang, name=group.name, count=format_value(group.member_count, "count", lang))
    return dbc.Alert(text, color="success", id="groups--saved-ok"), tick + 1


# --- the saved groups -----------------------------------------------------------------------------


@callback(Output(Ids.saved, "children"), Input(Ids.tick, "data"), prevent_initial_call=True)
def update_saved(_tick):
    user = require_role(*MAKERS)
    return _saved_table(user, current_lang())


def _selected(rows) -> int | None:
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        value = rows[0].get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@callback(
    Output(Ids.message, "children", allow_duplicate=True),
    Output(Ids.tick, "data", allow_duplicate=True),
    Input(Ids.refresh, "n_clicks"),
    Input(Ids.share, "n_clicks"),
    State(Ids.table, "selectedRows"),
    State(Ids.share_users, "value"),
    State(Ids.tick, "data"),
    prevent_initial_call=True,
)
def refresh_or_share(refresh, share, selected, usernames, tick):
    """Refresh the selected group to the current data (the difference shown), or share it."""
    user = require_role(*MAKERS)
    lang = current_lang()
    if not (refresh or share):
        raise PreventUpdate
    tick = tick if isinstance(tick, int) else 0
    group_id = _selected(selected)
    if group_id is None:
        return dbc.Alert(t("groups.pick_group", lang), color="warning"), dash.no_update
    try:
        name = groups.get(user, group_id).name
        if dash.ctx.triggered_id == Ids.refresh:
            diff = groups.refresh(user, group_id)
            text = t("groups.refreshed", lang, name=name, added=diff.added, removed=diff.removed)
        else:
            names = groups.share(user, group_id, usernames if isinstance(usernames, list) else [])
            text = (
                t("groups.shared", lang, name=name, names=", ".join(names))
                if names
                else t("groups.unshared", lang, name=name)
            )
    except (MarketingInputError, NotPermitted) as exc:
        return dbc.Alert(error_text(exc, lang), color="danger", id="groups--action-error"), dash.no_update
    return dbc.Alert(text, color="success", id="groups--action-ok"), tick + 1


@callback(
    Output(Ids.confirm, "displayed"),
    Output(Ids.confirm, "message"),
    Output(Ids.message, "children", allow_duplicate=True),
    Input(Ids.delete, "n_clicks"),
    State(Ids.table, "selectedRows"),
    prevent_initial_call=True,
)
def ask_delete(n_clicks, selected):
    user = require_role(*MAKERS)
    lang = current_lang()
    if not n_clicks:
        raise PreventUpdate
    group_id = _selected(selected)
    if group_id is None:
        return False, "", dbc.Alert(t("groups.pick_group", lang), color="warning")
    try:
        name = groups.get(user, group_id).name
    except (MarketingInputError, NotPermitted) as exc:
        return False, "", dbc.Alert(error_text(exc, lang), color="danger")
    return True, t("groups.confirm_delete", lang, name=name), dash.no_update


@callback(
    Output(Ids.message, "children", allow_duplicate=True),
    Output(Ids.tick, "data", allow_duplicate=True),
    Input(Ids.confirm, "submit_n_clicks"),
    State(Ids.table, "selectedRows"),
    State(Ids.tick, "data"),
    prevent_initial_call=True,
)
def delete_group(submitted, selected, tick):
    """Delete the selected group once confirmed."""
    user = require_role(*MAKERS)
    lang = current_lang()
    group_id = _selected(selected)
    if not submitted or group_id is None:
        raise PreventUpdate
    try:
        name = groups.get(user, group_id).name
        groups.delete(user, group_id)
    except (MarketingInputError, NotPermitted) as exc:
        return dbc.Alert(error_text(exc, lang), color="danger", id="groups--action-error"), dash.no_update
    return dbc.Alert(t("groups.deleted", lang, name=name), color="success", id="groups--action-ok"), (
        tick if isinstance(tick, int) else 0
    ) + 1


# --- "Save as group" in the other views -----------------------------------------------------------


def save_as_controls(name_id, button_id, message_id, lang: str, style: dict | None = None) -> html.Div:
    """A name box, a "Save as group" button and its message (for a list of customers)."""
    return html.Div(
        [
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=name_id,
                        placeholder=t("groups.save_as_placeholder", lang),
                        maxLength=100,
                        size="sm",
                    ),
                    dbc.Button(
                        t("groups.save_as", lang), id=button_id, size="sm", color="primary", outline=True
                    ),
                ],
                size="sm",
                style={"maxWidth": "28rem"},
            ),
            html.Div(id=message_id, className="small mt-1"),
        ],
        className="mt-2",
        style=style or {},
    )


def _saved_as(user, name, save) -> Any:
    lang = current_lang()
    try:
        group = save()
    except (MarketingInputError, NotPermitted) as exc:
        return html.Span(error_text(exc, lang), className="text-danger")
    except CubeError as exc:
        return html.Span(str(exc), className="text-danger")
    count = format_value(group.member_count, "count", lang)
    return html.Span(t("groups.save_as_done", lang, name=group.name, count=count), className="text-success")


@callback(
    Output(FrameIds.menu_group, "style"),
    Output(FrameIds.menu_group_message, "children", allow_duplicate=True),
    Input(FrameIds.menu_rows, "n_clicks"),
    prevent_initial_call=True,
)
def offer_save_rows(_n):
    """The rows panel offers "Save as group" to the roles that make groups."""
    user = require_user()
    return (SHOWN if roles.may_make_groups(user.role) else HIDDEN), ""


@callback(
    Output(FrameIds.menu_group_message, "children"),
    Input(FrameIds.menu_save_group, "n_clicks"),
    State(FrameIds.menu_group_name, "value"),
    State(FrameIds.menu_context, "data"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def save_menu_rows(n_clicks, name, context, search):
    """The customers of the rows behind the clicked figure, saved as a group (origin: selection)."""
    user = require_user()
    if not n_clicks:
        raise PreventUpdate
    found = _clicked(context, search)  # rebuilt from the URL under the user's scope
    if found is None:
        raise PreventUpdate
    _state, click = found
    source = {
        "kind": "drill_through",
        "chart": click.chart,
        "member": click.member,
        "value": str(click.value),
    }
    filters = menu.point_filters(click)
    return _saved_as(
        user, name, lambda: groups.save_from_rows(user, name, click.query.cube, filters, "selection", source)
    )


def list_group_ids(kind: str) -> tuple[dict, dict, dict]:
    """Pattern ids of a Cross-sell customer list's "Save as group" controls."""
    return tuple(
        {"type": f"cross-sell-list-{part}", "kind": kind}
        for part in ("group-name", "save-group", "group-message")
    )


@callback(
    Output({"type": "cross-sell-list-group-message", "kind": MATCH}, "children"),
    Input({"type": "cross-sell-list-save-group", "kind": MATCH}, "n_clicks"),
    State({"type": "cross-sell-list-group-name", "kind": MATCH}, "value"),
    State({"type": "cross-sell-list-product", "kind": MATCH}, "value"),
    State({"type": "cross-sell-list-band", "kind": MATCH}, "value"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def save_model_list(n_clicks, name, product, band, search):
    """The customers of a model list (its band and product as chosen) saved as a group."""
    user = require_user()
    trigger = dash.ctx.triggered_id
    if not n_clicks or not isinstance(trigger, dict) or trigger.get("kind") not in cross_sell_view.LISTS:
        raise PreventUpdate
    kind = trigger["kind"]
    run = cross_sell_view.runs()["crosssell" if kind == "offers" else "churn"]
    if run is None:
        raise PreventUpdate
    codes = list(cross_sell_view.products(run)["product"]) if kind == "offers" else []
    product = product if isinstance(product, str) and product in codes else None
    band = band if isinstance(band, str) and band in cross_sell_view.BANDS else None
    filters = cross_sell_view.list_filters(state_of(search), run, kind, product, band)
    source = {"kind": "model_list", "list": kind, "run": run.run_id, "product": product, "band": band}
    return _saved_as(
        user, name, lambda: groups.save_from_rows(user, name, "customers", filters, "model", source)
    )
