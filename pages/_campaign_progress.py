"""A campaign's progress section (on the campaign detail of ``pages/campaigns.py``): contacts
made, customers reached, outcomes and amounts by branch and by relationship manager, a
day-by-day chart, and, for the roles that import outcomes, the upload of a call centre's or the
product system's file with its row errors in a table.

The detail page calls :func:`progress_section` with the campaign id and keeps that id in the
``dcc.Store`` ``campaigns--detail-id``, which the upload reads. Figures come from
``marketing.progress`` (scope applied there: a branch manager reads their branch), files go to
``marketing.outcomes.import_outcomes``; no SQL here.
"""

from __future__ import annotations

import base64
import binascii

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.figures import grouped_bars
from components.i18n import t
from components.layout import empty_state, section
from components.tables import data_grid
from marketing import outcomes, progress
from marketing.errors import MarketingInputError, NotPermitted
from pages._session import current_lang, require_role, require_user

DETAIL_ID = "campaigns--detail-id"  # the campaign detail's store holding the campaign id
GRAPH = {"displayModeBar": False}
COUNT_COLUMNS = (
    "targets",
    "contacts",
    "customers_contacted",
    "customers_reached",
    "declined",
    "interested",
    "accepted",
)


class Ids:
    root = "progress--root"
    body = "progress--body"
    refused = "progress--refused"
    by_branch = "progress--by-branch"
    by_manager = "progress--by-manager"
    by_day = "progress--by-day"
    chart = "progress--chart"
    empty = "progress--empty"
    upload = "progress--upload"
    kind = "progress--upload-kind"
    result = "progress--upload-result"
    errors = "progress--upload-errors"


def _table(frame: pd.DataFrame, first: dict[str, str], lang: str, element_id: str):
    headers = dict(first)
    for column in (*COUNT_COLUMNS, "amount", "reach_rate"):
        if column in frame:
            headers[column] = t(f"progress.col.{column}", lang)
    formats = {c: "count" for c in COUNT_COLUMNS} | {"amount": "money", "reach_rate": "percent"}
    grid = data_grid(
        frame[list(headers)], headers, element_id, lang, {c: f for c, f in formats.items() if c in headers}
    )
    grid.style = {"height": f"{min(420, 60 + 42 * max(len(frame), 1))}px"}
    return grid


def _chart(days: pd.DataFrame, lang: str) -> dcc.Graph:
    shown = ("contacts", "customers_reached", "accepted")
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "day": days["day"].dt.strftime("%Y-%m-%d"),
                    "measure": m,
                    "label": t(f"progress.col.{m}", lang),
                    "value": days[m].astype(float),
                }
            )
            for m in shown
        ],
        ignore_index=True,
    )
    figure = grouped_bars(long, "day", "measure", "label", "value", "progress.day", "count", lang)
    figure.update_xaxes(type="category")
    return dcc.Graph(id=Ids.chart, figure=figure, config=GRAPH)


def progress_body(user, campaign_id, lang: str):
    """The progress tables and the chart of one campaign as ``user`` may read them."""
    try:
        branches = progress.progress(user, campaign_id, "branch", lang)
        managers = progress.progress(user, campaign_id, "manager", lang)
        days = progress.progress(user, campaign_id, "day", lang)
    except NotPermitted:
        return dbc.Alert(t("progress.refused", lang), color="info", id=Ids.refused)
    except MarketingInputError as problem:
        return dbc.Alert(str(problem), color="warning", id=Ids.refused)
    managers = managers.assign(manager=[m if m else t("progress.pool", lang) for m in managers["manager"]])
    parts = [
        html.H6(t("progress.by_branch", lang)),
        _table(branches, {"branch": t("progress.col.branch", lang)}, lang, Ids.by_branch),
        html.H6(t("progress.by_manager", lang), className="mt-3"),
        _table(
            managers,
            {"manager": t("progress.col.manager", lang), "branch": t("progress.col.branch", lang)},
            lang,
            Ids.by_manager,
        ),
        html.H6(t("progress.by_day", lang), className="mt-3"),
    ]
    if days.empty:
        parts.append(empty_state(t("progress.empty", lang), Ids.empty))
    else:
        parts.append(_chart(days, lang))
        shown = days.assign(day=days["day"].dt.strftime("%Y-%m-%d"))
        parts.append(
            _table(
                shown,
                {"day": t("progress.col.day", lang)},
                lang,
                Ids.by_day,
            )
        )
    return html.Div(parts)


def _upload(lang: str):
    kinds = [{"label": t(f"progress.upload_kind.{k}", lang), "value": k} for k in outcomes.KINDS]
    return html.Div(
        [
            html.H6(t("progress.upload_title", lang), className="mt-3"),
            html.P(t("progress.upload_help", lang), className="small text-muted"),
            dbc.RadioItems(id=Ids.kind, options=kinds, value="contacts", inline=True, className="mb-2"),
            dcc.Upload(
                id=Ids.upload,
                children=html.Div(t("progress.upload_prompt", lang)),
                max_size=outcomes.MAX_BYTES,
                multiple=False,
                accept=".csv,.txt,.xlsx,.xlsm",
                style={
                    "borderWidth": "1px",
                    "borderStyle": "dashed",
                    "borderRadius": "6px",
                    "padding": "14px",
                    "textAlign": "center",
                    "cursor": "pointer",
                },
            ),
            html.Div(id=Ids.result, className="mt-2"),
        ]
    )


def progress_section(campaign_id, lang: str):
    """The section for the campaign detail (the signed-in user's scope applies)."""
    user = require_user()
    if user.role not in roles.CAMPAIGN_READERS:
        return html.Div(id=Ids.root)
    body = [html.Div(progress_body(user, campaign_id, lang), id=Ids.body)]
    if user.role in roles.OUTCOME_IMPORTERS:
        body.append(_upload(lang))
    return html.Div(section(t("progress.title", lang), html.Div(body), t("progress.note", lang)), id=Ids.root)


def _detail_id(value) -> int | None:
    if isinstance(value, dict):
        value = value.get("id", value.get("campaign_id"))
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None


def _content(contents) -> bytes | None:
    if not isinstance(contents, str) or "," not in contents:
        return None
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def error_table(errors: list[outcomes.RowError], lang: str):
    frame = pd.DataFrame([e.as_dict() for e in errors], columns=["row", "column", "message"])
    headers = {c: t(f"progress.ecol.{c}", lang) for c in frame.columns}
    grid = data_grid(frame, headers, Ids.errors, lang, {"row": "count"})
    grid.style = {"height": f"{min(420, 60 + 42 * max(len(frame), 1))}px"}
    return grid


@callback(
    Output(Ids.result, "children"),
    Output(Ids.body, "children"),
    Output(Ids.upload, "contents"),
    Input(Ids.upload, "contents"),
    State(Ids.upload, "filename"),
    State(Ids.kind, "value"),
    State(DETAIL_ID, "data"),
    prevent_initial_call=True,
)
def import_file(contents, filename, kind, detail):
    """Import the uploaded file: how many rows were stored, or every row error (nothing stored)."""
    user = require_role(*sorted(roles.OUTCOME_IMPORTERS))
    lang = current_lang()
    campaign_id = _detail_id(detail)
    content = _content(contents)
    if campaign_id is None or content is None:
        raise PreventUpdate
    name = filename if isinstance(filename, str) else "upload.csv"
    kind = kind if kind in outcomes.KINDS else "contacts"
    try:
        done = outcomes.import_outcomes(user, campaign_id, name, content, kind)
    except NotPermitted:
        return dbc.Alert(t("progress.upload_not_permitted", lang), color="danger"), dash.no_update, None
    except outcomes.OutcomeFileError as refused:
        alert = dbc.Alert(
            t("progress.upload_refused", lang, file=name, n=refused.total),
            color="danger",
            id=f"{Ids.result}-refused",
        )
        return (
            html.Div([alert, error_table(refused.errors, lang)]),
            progress_body(user, campaign_id, lang),
            None,
        )
    except MarketingInputError as problem:
        refused = [outcomes.RowError(0, problem.field, str(problem))]
        alert = dbc.Alert(
            t("progress.upload_refused", lang, file=name, n=1), color="danger", id=f"{Ids.result}-refused"
        )
        return html.Div([alert, error_table(refused, lang)]), progress_body(user, campaign_id, lang), None
    alert = dbc.Alert(
        t("progress.imported", lang, file=name, rows=done.rows, id=done.import_id),
        color="success",
        id=f"{Ids.result}-done",
    )
    return alert, progress_body(user, campaign_id, lang), None
