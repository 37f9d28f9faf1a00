"""Work list (``/worklist``, 执行与反馈): a relationship manager's assigned customers in running
campaigns (a branch manager: the branch's; an administrator: all), with the recommended product,
the reason, the contacts so far and the over-contact state; a click on a row picks the customer
(``worklist--customer`` holds ``{"campaign_id", "customer_id"}``), the contact form records a
contact (``marketing.contacts.record``: every field checked, the guard applied) and the
customer's loop history shows below. Customer numbers link to Customer 360.

Reads ``marketing.contacts`` (the ops store, names through the cube's masked drill-through);
no SQL here.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.formatting import format_value
from components.i18n import MESSAGES, t
from components.layout import empty_state, section
from components.tables import data_grid
from cube.views import cross_sell as cross_sell_view
from cube.views import customer360 as c360_view
from marketing import contacts
from marketing.errors import MarketingInputError, NotPermitted
from pages._session import current_lang, current_scope, require_role, require_user

RECORDERS = tuple(sorted(roles.CONTACT_RECORDERS))

dash.register_page(
    __name__,
    path="/worklist",
    name="Work list",
    order=7.4,  # after Campaigns (7), before Customer 360 (8)
    nav_key="worklist",
    roles=RECORDERS,
    filters=False,
)

CUSTOMER_PAGE = "/customer-360"
ALL = "all"  # the campaign selector's "all running campaigns" (an empty value would show blank)


class Ids:
    campaign = "worklist--campaign"
    table = "worklist--table"
    count = "worklist--count"
    customer = "worklist--customer"
    selected = "worklist--selected"
    channel = "worklist--channel"
    contacted_at = "worklist--contacted-at"
    reached = "worklist--reached"
    outcome = "worklist--outcome"
    product = "worklist--product"
    amount = "worklist--amount"
    note = "worklist--note"
    save = "worklist--save"
    message = "worklist--message"
    history = "worklist--history"
    refused = "worklist--refused"
    empty = "worklist--empty"


# --- the list -------------------------------------------------------------------------------------


def _date_text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("T", " ")[:16]


def _reason(row, lang: str) -> str:
    propensity = row["propensity"]
    if row["segment"] is None and (propensity is None or pd.isna(propensity)):
        return ""
    return t(
        "worklist.reason",
        lang,
        segment=row["segment"] or "-",
        propensity=format_value(propensity, "percent", lang),
    )


def rows_of(frame: pd.DataFrame, lang: str) -> list[dict]:
    """The work list's rows as the grid shows them (row id ``campaign:customer``)."""
    rows = []
    for _, row in frame.iterrows():
        until = row["limit_until"]
        rows.append(
            {
                "_row_id": f"{int(row['campaign_id'])}:{int(row['customer_id'])}",
                "customer_id": int(row["customer_id"]),
                "customer_name": row["customer_name"] or "-",
                "campaign_name": row["campaign_name"],
                "product": row["recommended_product_name"] or row["recommended_product"] or "-",
                "reason": _reason(row, lang),
                "contacts": int(row["contacts"]),
                "last_contact": _date_text(row["last_contact_at"]),
                "status": t(f"worklist.status.{row['status']}", lang),
                "limit": t("worklist.limit_until", lang, date=until.isoformat())
                if row["limit_reached"]
                else "",
            }
        )
    return rows


def _headers(lang: str) -> dict[str, str]:
    return {
        "customer_id": t("worklist.col.customer_id", lang),
        "customer_name": t("worklist.col.customer_name", lang),
        "campaign_name": t("worklist.col.campaign", lang),
        "product": t("worklist.col.product", lang),
        "reason": t("worklist.col.reason", lang),
        "contacts": t("worklist.col.contacts", lang),
        "last_contact": t("worklist.col.last_contact", lang),
        "status": t("worklist.col.status", lang),
        "limit": t("worklist.col.limit", lang),
    }


def _grid(rows: list[dict], lang: str):
    headers = _headers(lang)
    frame = pd.DataFrame(rows, columns=["_row_id", *headers])
    grid = data_grid(frame[list(headers)], headers, Ids.table, lang, {"contacts": "count"})
    grid.rowData = rows
    grid.getRowId = "params.data._row_id"
    for spec in grid.columnDefs:
        if spec["field"] == "customer_id":
            spec["cellRenderer"] = "MamsCustomerLink"
            spec["cellRendererParams"] = {"href": CUSTOMER_PAGE, "title": t("table.open_customer", lang)}
    grid.dashGridOptions = grid.dashGridOptions | {"pagination": True, "paginationPageSize": 20}
    return grid


def _campaign_id(value) -> int | None:
    try:
        number = int(value) if isinstance(value, str | int) and value != ALL else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and 0 < number < 2**63 else None


# --- the form -------------------------------------------------------------------------------------


def _now_text() -> str:
    return contacts.now().strftime("%Y-%m-%dT%H:%M")


def _field(label: str, control, width: int = 4) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width, className="mb-2")


def _form(lang: str):
    outcomes = [{"label": t("worklist.outcome.none", lang), "value": ""}] + [
        {"label": t(f"worklist.outcome.{o}", lang), "value": o} for o in contacts.OUTCOMES
    ]
    return html.Div(
        [
            html.Div(t("worklist.pick_hint", lang), id=Ids.selected, className="fw-semibold mb-2"),
            dbc.Row(
                [
                    _field(t("worklist.channel", lang), dbc.Select(id=Ids.channel, options=[], value=None)),
                    _field(
                        t("worklist.contacted_at", lang),
                        dbc.Input(id=Ids.contacted_at, type="datetime-local", value=_now_text(), step=60),
                    ),
                    _field(
                        " ",
                        dbc.Switch(id=Ids.reached, label=t("worklist.reached", lang), value=False),
                    ),
                ]
            ),
            dbc.Row(
                [
                    _field(
                        t("worklist.outcome", lang), dbc.Select(id=Ids.outcome, options=outcomes, value="")
                    ),
                    _field(t("worklist.product", lang), dbc.Select(id=Ids.product, options=[], value="")),
                    _field(
                        t("worklist.amount", lang),
                        dbc.Input(id=Ids.amount, type="number", min=0, step=0.01, value=None),
                    ),
                ]
            ),
            _field(
                t("worklist.note", lang),
                dbc.Textarea(id=Ids.note, maxLength=contacts.NOTE_MAX, rows=2, value=""),
                12,
            ),
            dbc.Button(t("worklist.save", lang), id=Ids.save, color="primary", n_clicks=0),
            html.Div(id=Ids.message, className="mt-2"),
        ]
    )


def layout(**_query):
    """The campaign selector, the work list, the contact form and the picked customer's history."""
    user = require_user()
    lang = current_lang()
    header = html.H3(t("worklist.title", lang))
    if user.role not in roles.CONTACT_RECORDERS:
        return html.Div([header, dbc.Alert(t("worklist.refused", lang), color="info", id=Ids.refused)])
    campaigns = contacts.running_campaigns(user)
    frame = contacts.work_list(user, None, lang)
    options = [{"label": t("worklist.all_campaigns", lang), "value": ALL}] + [
        {"label": f"{row['name']} (#{int(row['id'])})", "value": str(int(row["id"]))}
        for _, row in campaigns.iterrows()
    ]
    picker = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(t("worklist.campaign", lang), html_for=Ids.campaign),
                    dbc.Select(id=Ids.campaign, options=options, value=ALL),
                ],
                md=5,
            ),
            dbc.Col(
                html.Div(t("worklist.count", lang, n=len(frame)), id=Ids.count, className="text-muted mt-4"),
                md=3,
            ),
        ],
        className="mb-2",
    )
    listing = (
        _grid(rows_of(frame, lang), lang)
        if len(frame) or len(campaigns)
        else empty_state(t("worklist.none", lang), Ids.empty)
    )
    return html.Div(
        [
            header,
            html.P(t("worklist.intro", lang), className="text-muted"),
            picker,
            listing,
            dcc.Store(id=Ids.customer, data=None),
            dbc.Row(
                [
                    dbc.Col(section(t("worklist.save", lang), _form(lang)), lg=5),
                    dbc.Col(section(t("worklist.history", lang), html.Div(id=Ids.history)), lg=7),
                ],
                className="mt-3",
            ),
        ]
    )


# --- history ----------------------------------------------------------------------------------------


def history_table(frame: pd.DataFrame, lang: str, element_id: str):
    """One customer's loop history as a small table (shared with Customer 360)."""
    if frame.empty:
        return empty_state(t("worklist.history_empty", lang), f"{element_id}-empty")
    channels = c360_view.channel_names(lang)
    codes = [p for p in frame["product"] if isinstance(p, str)]
    products = cross_sell_view.product_names(codes, current_scope(), lang) if codes else {}
    yes, no = t("worklist.yes", lang), t("worklist.no", lang)
    shown = pd.DataFrame(
        {
            "campaign": frame["campaign_name"],
            "arm": [t(f"worklist.arm.{a}", lang) for a in frame["arm"]],
            "contacted_at": [
                _date_text(v) if isinstance(v, str) else t("worklist.not_contacted", lang)
                for v in frame["contacted_at"]
            ],
            "channel": [channels.get(c, c) if isinstance(c, str) else "" for c in frame["channel"]],
            "reached": ["" if r is None else (yes if r else no) for r in frame["reached"]],
            "outcome": [
                t(f"worklist.outcome.{o}", lang) if isinstance(o, str) else "" for o in frame["outcome"]
            ],
            "product": [products.get(p, p) if isinstance(p, str) else "" for p in frame["product"]],
            "amount": frame["amount"],
            "note": [n or "" for n in frame["note"]],
            "by": [b or "" for b in frame["recorded_by"]],
        }
    )
    headers = {c: t(f"worklist.hcol.{c}", lang) for c in shown.columns}
    grid = data_grid(shown, headers, element_id, lang, {"amount": "money"})
    grid.style = {"height": f"{min(420, 60 + 42 * max(len(shown), 1))}px"}
    return grid


def _history(user, customer_id: int, lang: str):
    return history_table(contacts.history(user, customer_id), lang, f"{Ids.history}-table")


# --- callbacks ----------------------------------------------------------------------------------------


@callback(
    Output(Ids.table, "rowData"),
    Output(Ids.count, "children"),
    Input(Ids.campaign, "value"),
    prevent_initial_call=True,
)
def filter_campaign(value):
    """The work list of one running campaign (or of all)."""
    user = require_role(*RECORDERS)
    lang = current_lang()
    frame = contacts.work_list(user, _campaign_id(value), lang)
    return rows_of(frame, lang), t("worklist.count", lang, n=len(frame))


@callback(Output(Ids.customer, "data"), Input(Ids.table, "cellClicked"), prevent_initial_call=True)
def pick_customer(cell):
    """A click on a row picks its customer (the row id is ``campaign:customer``)."""
    require_role(*RECORDERS)
    row_id = cell.get("rowId") if isinstance(cell, dict) else None
    parts = row_id.split(":") if isinstance(row_id, str) else []
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise PreventUpdate
    return {"campaign_id": int(parts[0]), "customer_id": int(parts[1])}


def _picked(picked) -> tuple[int, int] | None:
    if not isinstance(picked, dict):
        return None
    try:
        found = int(picked["campaign_id"]), int(picked["customer_id"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return found if all(0 < v < 10**18 for v in found) else None


@callback(
    Output(Ids.selected, "children"),
    Output(Ids.channel, "options"),
    Output(Ids.channel, "value"),
    Output(Ids.product, "options"),
    Output(Ids.product, "value"),
    Output(Ids.contacted_at, "value"),
    Output(Ids.history, "children"),
    Output(Ids.message, "children", allow_duplicate=True),
    Input(Ids.customer, "data"),
    prevent_initial_call=True,
)
def show_customer(picked):
    """The form set up for the picked customer's campaign, and their history."""
    user = require_role(*RECORDERS)
    lang = current_lang()
    found = _picked(picked)
    if found is None:
        raise PreventUpdate
    campaign_id, customer_id = found
    campaigns = contacts.running_campaigns(user).set_index("id")
    if campaign_id not in campaigns.index:
        raise PreventUpdate
    campaign = campaigns.loc[campaign_id]
    channels = c360_view.channel_names(lang)
    products = cross_sell_view.product_names(campaign["products"], current_scope(), lang)
    channel_options = [{"label": channels.get(c, c), "value": c} for c in campaign["channels"]]
    product_options = [{"label": t("worklist.product.none", lang), "value": ""}] + [
        {"label": products.get(p, p), "value": p} for p in campaign["products"]
    ]
    title = html.Div(
        [
            html.Div(t("worklist.form_title", lang, customer=customer_id), id=f"{Ids.selected}-customer"),
            html.Div(
                t("worklist.form_campaign", lang, campaign=campaign["name"]), className="small text-muted"
            ),
        ]
    )
    first = campaign["channels"][0] if campaign["channels"] else None
    return (
        title,
        channel_options,
        first,
        product_options,
        "",
        _now_text(),
        _history(user, customer_id, lang),
        None,
    )


@callback(
    Output(Ids.message, "children"),
    Output(Ids.table, "rowData", allow_duplicate=True),
    Output(Ids.history, "children", allow_duplicate=True),
    Input(Ids.save, "n_clicks"),
    State(Ids.customer, "data"),
    State(Ids.channel, "value"),
    State(Ids.contacted_at, "value"),
    State(Ids.reached, "value"),
    State(Ids.outcome, "value"),
    State(Ids.product, "value"),
    State(Ids.amount, "value"),
    State(Ids.note, "value"),
    State(Ids.campaign, "value"),
    prevent_initial_call=True,
)
def save_contact(clicks, picked, channel, contacted_at, reached, outcome, product, amount, note, shown):
    """Record the contact; a confirmation, or the field that is wrong and why."""
    user = require_role(*RECORDERS)
    lang = current_lang()
    if not clicks:
        raise PreventUpdate
    found = _picked(picked)
    if found is None:
        return dbc.Alert(t("worklist.pick_first", lang), color="warning"), dash.no_update, dash.no_update
    campaign_id, customer_id = found
    data = contacts.ContactInput(
        campaign_id=campaign_id,
        customer_id=customer_id,
        channel=channel if isinstance(channel, str) else None,
        contacted_at=contacted_at if isinstance(contacted_at, str) else None,
        reached=bool(reached) if isinstance(reached, bool) else reached,
        outcome=outcome if isinstance(outcome, str) and outcome else None,
        product=product if isinstance(product, str) and product else None,
        amount=amount if isinstance(amount, int | float | str) and not isinstance(amount, bool) else None,
        note=note if isinstance(note, str) else None,
    )
    try:
        contact_id = contacts.record(user, data)
    except NotPermitted:
        return dbc.Alert(t("worklist.not_permitted", lang), color="danger"), dash.no_update, dash.no_update
    except MarketingInputError as problem:
        return (
            dbc.Alert(field_error(problem, lang), color="danger", id=f"{Ids.message}-error"),
            dash.no_update,
            dash.no_update,
        )
    frame = contacts.work_list(user, _campaign_id(shown), lang)
    saved = dbc.Alert(
        t("worklist.saved", lang, id=contact_id, customer=customer_id),
        color="success",
        id=f"{Ids.message}-saved",
    )
    return saved, rows_of(frame, lang), _history(user, customer_id, lang)


def field_error(problem: MarketingInputError, lang: str) -> str:
    """ "Not saved. Amount: must be greater than 0 ..." with the field's name in ``lang``."""
    key = f"worklist.field.{problem.field}"
    label = t(key, lang) if key in MESSAGES else problem.field
    text = str(problem)
    prefix = f"{problem.field}: "
    return t(
        "worklist.error", lang, field=label, message=text[len(prefix) :] if text.startswith(prefix) else text
    )
