"""A campaign's evaluation section (效果评估, on the campaign detail of ``pages/campaigns.py``):
KPI tiles (targets, contact rate, success rate, amount, cost, revenue, ROI, uplift against the
control group with its 95% interval, p-value and a verdict in plain words), tables by branch,
relationship manager, channel and segment, the uplift by segment with interval bars, and for
analysts and administrators "Retrain the response model" (closed campaigns) and "Export for
the next load".

Figures come from :func:`marketing.evaluation.evaluate` (scope applied there: a branch manager
reads their branch's members, a relationship manager their own, a presenter nothing); names of
branches, managers and channels from ``cube.views.campaign_products``; no SQL here. The detail
page keeps the campaign id in the ``dcc.Store`` ``campaigns--detail-id``, which every callback
here reads.

Texts of the stable ids (language-independent, for tests): ``evaluation--contact-rate``,
``evaluation--success-rate`` and ``evaluation--roi`` are ``f"{rate * 100:.2f}%"`` ("87.25%");
``evaluation--uplift`` is ``f"{uplift * 100:+.2f} pp"`` ("+3.10 pp", percentage points);
``evaluation--uplift-interval`` is ``"[{low:+.2f} pp, {high:+.2f} pp]"``; ``evaluation--p-value``
is ``f"{p:.4f}"`` ("0.0123", "< 0.0001" below that); a missing figure is "-", and the interval
and p-value of an untestable uplift read "too few to test" (zh 样本太少，无法检验).
"""

from __future__ import annotations

import io
import zipfile

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.figures import interval_bars
from components.formatting import format_money_exact
from components.i18n import t
from components.layout import empty_state, section
from components.tables import data_grid
from cube.views import campaign_products
from marketing import evaluation, export, retrain
from marketing.acting import scope_of
from marketing.errors import MarketingInputError, NotPermitted
from pages._session import current_lang, require_role, require_user

DETAIL_ID = "campaigns--detail-id"
GRAPH = {"displayModeBar": False}
RETRAINERS = tuple(sorted(roles.MODEL_RUNNERS))  # admin, analyst
EXPORTERS = tuple(sorted({roles.ADMIN, roles.ANALYST, roles.MARKETING_HEAD}))  # the whole loop's rows
READERS = tuple(sorted(evaluation.READERS))


class Ids:
    root = "evaluation--root"
    body = "evaluation--body"
    refused = "evaluation--refused"
    targets = "evaluation--targets"
    contact_rate = "evaluation--contact-rate"
    success_rate = "evaluation--success-rate"
    amount = "evaluation--amount"
    cost = "evaluation--cost"
    revenue = "evaluation--revenue"
    roi = "evaluation--roi"
    uplift = "evaluation--uplift"
    interval = "evaluation--uplift-interval"
    p_value = "evaluation--p-value"
    verdict = "evaluation--verdict"
    by_branch = "evaluation--by-branch"
    by_manager = "evaluation--by-manager"
    by_channel = "evaluation--by-channel"
    by_segment = "evaluation--by-segment"
    uplift_segments = "evaluation--uplift-segments"
    chart = "evaluation--uplift-chart"
    retrain = "evaluation--retrain"
    retrain_result = "evaluation--retrain-result"
    export = "evaluation--export"
    download = "evaluation--download"
    export_result = "evaluation--export-result"


# --- texts ---------------------------------------------------------------------------------


def rate_text(value) -> str:
    """A rate as the tiles show it: two decimals, ``0.8725`` -> ``"87.25%"``; None -> ``"-"``."""
    return "-" if value is None or pd.isna(value) else f"{float(value) * 100:.2f}%"


def points_text(value) -> str:
    """A difference of rates in percentage points: ``0.031`` -> ``"+3.10 pp"``."""
    return "-" if value is None or pd.isna(value) else f"{float(value) * 100:+.2f} pp"


def interval_text(u: evaluation.Uplift, lang: str) -> str:
    if not u.testable:
        return t("evaluation.too_few", lang)
    return f"[{points_text(u.low)}, {points_text(u.high)}]"


def p_text(u: evaluation.Uplift, lang: str) -> str:
    if not u.testable:
        return t("evaluation.too_few", lang)
    return "< 0.0001" if u.p_value < 0.0001 else f"{u.p_value:.4f}"


def verdict_key(u: evaluation.Uplift) -> str:
    if not u.testable:
        return "evaluation.verdict.too_few"
    if not u.significant:
        return "evaluation.verdict.not_significant"
    return "evaluation.verdict.significant_up" if u.uplift > 0 else "evaluation.verdict.significant_down"


def _tile(title: str, value: str, element_id: str, sub: str | None = None) -> dbc.Col:
    body = [
        html.Div(title, className="small text-muted"),
        html.Div(value, id=element_id, className="fs-5 fw-bold"),
    ]
    if sub:
        body.append(html.Div(sub, className="small text-muted"))
    return dbc.Col(dbc.Card(dbc.CardBody(body), className="h-100"), xs=6, md=3, lg=3, className="mb-2")


def _tiles(ev: evaluation.Evaluation, lang: str) -> html.Div:
    o, u = ev.overall, ev.uplift
    arms = t(
        "evaluation.kpi.arms",
        lang,
        x1=f"{u.target_responders:,}",
        n1=f"{u.target_n:,}",
        x2=f"{u.control_responders:,}",
        n2=f"{u.control_n:,}",
    )
    first = [
        _tile(t("evaluation.kpi.targets", lang), f"{o['targets']:,}", Ids.targets),
        _tile(t("evaluation.kpi.contact_rate", lang), rate_text(o["contact_rate"]), Ids.contact_rate),
        _tile(t("evaluation.kpi.success_rate", lang), rate_text(o["success_rate"]), Ids.success_rate),
        _tile(t("evaluation.kpi.amount", lang), format_money_exact(o["amount"], lang), Ids.amount),
        _tile(t("evaluation.kpi.cost", lang), format_money_exact(o["cost"], lang), Ids.cost),
        _tile(t("evaluation.kpi.revenue", lang), format_money_exact(o["revenue"], lang), Ids.revenue),
        _tile(t("evaluation.kpi.roi", lang), rate_text(o["roi"]), Ids.roi),
        _tile(t("evaluation.kpi.uplift", lang), points_text(u.uplift), Ids.uplift, arms),
        _tile(t("evaluation.kpi.interval", lang), interval_text(u, lang), Ids.interval),
        _tile(t("evaluation.kpi.p_value", lang), p_text(u, lang), Ids.p_value),
    ]
    verdict = dbc.Alert(
        t(verdict_key(u), lang),
        color="success" if u.significant else "secondary",
        id=Ids.verdict,
        className="mt-2",
    )
    return html.Div([dbc.Row(first), verdict])


# --- tables and chart ----------------------------------------------------------------------


def labelled(frame: pd.DataFrame, kind: str, scope, lang: str) -> pd.DataFrame:
    """The ``key`` column as display names (branch, manager and channel names; "Branch pool"
    for a target without a manager; "(none)" for no segment)."""
    out = frame.copy()
    keys = out["key"].tolist()
    if kind in ("branch", "manager", "channel") and keys:
        known = [k for k in keys if k is not None]
        names = dict(zip(known, campaign_products.names(kind, known, scope, lang), strict=True))
    else:
        names = {k: str(k) for k in keys if k is not None}
    empty = t("evaluation.pool", lang) if kind == "manager" else t("evaluation.none", lang)
    out["name"] = [names.get(k, empty) if k is not None else empty for k in keys]
    return out


def _grid(frame: pd.DataFrame, headers: dict[str, str], formats: dict[str, str], lang: str, element_id: str):
    grid = data_grid(frame[list(headers)], headers, element_id, lang, formats)
    grid.style = {"height": f"{min(420, 60 + 42 * max(len(frame), 1))}px"}
    return grid


def group_table(ev: evaluation.Evaluation, kind: str, scope, lang: str, element_id: str):
    frame = labelled(ev.by[kind], kind, scope, lang)
    headers = {"name": t(f"evaluation.col.key.{kind}", lang)}
    headers |= {c: t(f"evaluation.col.{c}", lang) for c in evaluation.COLUMNS}
    formats = {c: "count" for c in evaluation.COUNT_COLUMNS}
    formats |= {c: "money" for c in evaluation.MONEY_COLUMNS} | {
        c: "percent" for c in evaluation.RATE_COLUMNS
    }
    return _grid(frame, headers, formats, lang, element_id)


def segment_uplift(ev: evaluation.Evaluation, lang: str):
    frame = ev.uplift_by_segment.copy()
    frame["name"] = [t("evaluation.none", lang) if s is None else str(s) for s in frame["segment"]]
    columns = ("target_n", "target_rate", "control_n", "control_rate", "uplift", "low", "high", "p_value")
    headers = {"name": t("evaluation.col.segment", lang)} | {
        c: t(f"evaluation.col.{c}", lang) for c in columns
    }
    formats = {"target_n": "count", "control_n": "count", "p_value": "number"}
    formats |= {c: "percent" for c in ("target_rate", "control_rate", "uplift", "low", "high")}
    table = _grid(frame, headers, formats, lang, Ids.uplift_segments)
    drawn = frame[frame["testable"].astype(bool)] if len(frame) else frame
    if drawn.empty:
        chart = empty_state(t("evaluation.no_segments", lang), f"{Ids.chart}-empty")
    else:
        figure = interval_bars(
            drawn, "name", "uplift", "low", "high", "percent", lang, y_title=t("evaluation.uplift_axis", lang)
        )
        chart = dcc.Graph(id=Ids.chart, figure=figure, config=GRAPH)
    return chart, table


def evaluation_body(user, campaign_id, lang: str):
    """The tiles, tables and chart of one campaign as ``user`` may read them."""
    return _body(*_evaluate(user, campaign_id, lang), user, lang)


def _evaluate(user, campaign_id, lang: str):
    try:
        return evaluation.evaluate(user, campaign_id), None
    except NotPermitted:
        return None, dbc.Alert(t("evaluation.refused", lang), color="info", id=Ids.refused)
    except MarketingInputError as problem:
        return None, dbc.Alert(str(problem), color="warning", id=Ids.refused)


def _body(ev: evaluation.Evaluation | None, refused, user, lang: str):
    if ev is None:
        return refused
    scope = scope_of(user)
    chart, segment_table = segment_uplift(ev, lang)
    parts = [_tiles(ev, lang)]
    if ev.scope != "all":
        parts.append(html.P(t("evaluation.scope_note", lang), className="small text-muted"))
    if ev.unpriced_products:
        parts.append(
            html.P(
                t("evaluation.unpriced", lang, products=", ".join(ev.unpriced_products)), className="small"
            )
        )
    for kind, element_id in (
        ("branch", Ids.by_branch),
        ("manager", Ids.by_manager),
        ("channel", Ids.by_channel),
        ("segment", Ids.by_segment),
    ):
        parts.append(html.H6(t(f"evaluation.by_{kind}", lang), className="mt-3"))
        if kind == "channel":
            parts.append(html.P(t("evaluation.channel_note", lang), className="small text-muted"))
        parts.append(group_table(ev, kind, scope, lang, element_id))
    parts += [html.H6(t("evaluation.uplift_chart", lang), className="mt-3"), chart]
    parts += [html.H6(t("evaluation.uplift_table", lang), className="mt-3"), segment_table]
    return html.Div(parts)


def _actions(user, ev: evaluation.Evaluation | None, lang: str):
    parts = []
    if user.role in RETRAINERS and ev is not None and ev.closed:
        parts += [
            html.P(t("evaluation.retrain_help", lang), className="small text-muted mt-3 mb-1"),
            dbc.Button(t("evaluation.retrain", lang), id=Ids.retrain, color="primary", size="sm"),
            dcc.Loading(html.Div(id=Ids.retrain_result, className="mt-2")),
        ]
    if user.role in EXPORTERS:
        parts += [
            html.P(t("evaluation.export_help", lang), className="small text-muted mt-3 mb-1"),
            dbc.Button(
                t("evaluation.export", lang), id=Ids.export, color="secondary", size="sm", outline=True
            ),
            html.Div(id=Ids.export_result, className="mt-2"),
            dcc.Download(id=Ids.download),
        ]
    return parts


def evaluation_section(campaign_id, lang: str):
    """The section for the campaign detail (the signed-in user's scope applies)."""
    user = require_user()
    if user.role not in evaluation.READERS:
        return html.Div(id=Ids.root)
    ev, refused = _evaluate(user, campaign_id, lang)
    body = [html.Div(_body(ev, refused, user, lang), id=Ids.body), *_actions(user, ev, lang)]
    return html.Div(
        section(t("evaluation.title", lang), html.Div(body), t("evaluation.note", lang)), id=Ids.root
    )


# --- callbacks -----------------------------------------------------------------------------


def _detail_id(value) -> int | None:
    if isinstance(value, dict):
        value = value.get("id", value.get("campaign_id"))
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@callback(Output(Ids.body, "children"), Input(DETAIL_ID, "data"), prevent_initial_call=True)
def update_evaluation(detail):
    """Redraw the evaluation when the detail shows another campaign (or reloads it)."""
    user = require_role(*READERS)
    campaign_id = _detail_id(detail)
    if campaign_id is None:
        raise PreventUpdate
    return evaluation_body(user, campaign_id, current_lang())


@callback(
    Output(Ids.retrain_result, "children"),
    Input(Ids.retrain, "n_clicks"),
    State(DETAIL_ID, "data"),
    prevent_initial_call=True,
)
def retrain_model(n_clicks, detail):
    """Retrain on the closed campaign's outcomes and show the comparison on the holdout."""
    user = require_role(*RETRAINERS)
    lang = current_lang()
    campaign_id = _detail_id(detail)
    if not n_clicks or campaign_id is None:
        raise PreventUpdate
    try:
        done = retrain.retrain(user, campaign_id)
    except (NotPermitted, MarketingInputError, ValueError) as problem:
        return dbc.Alert(t("evaluation.retrain_failed", lang, reason=str(problem)), color="warning")
    text = t(
        "evaluation.retrain_result",
        lang,
        rows=f"{done.holdout_rows:,}",
        auc_new=f"{done.new['auc']:.3f}",
        auc_old=f"{done.previous['auc']:.3f}",
        lift_new=f"{done.new['lift_10']:.2f}",
        lift_old=f"{done.previous['lift_10']:.2f}",
        chosen=t(f"evaluation.chosen.{done.chosen}", lang),
    )
    return dbc.Alert(text, color="success", id=f"{Ids.retrain_result}-done")


@callback(
    Output(Ids.download, "data"),
    Output(Ids.export_result, "children"),
    Input(Ids.export, "n_clicks"),
    prevent_initial_call=True,
)
def export_campaigns(n_clicks):
    """The loop's campaigns and contacts as a zip of the contract's two CSV files."""
    user = require_role(*EXPORTERS)
    lang = current_lang()
    if not n_clicks:
        raise PreventUpdate
    try:
        files = export.export_bytes(include_running=True)
    except (ValueError, KeyError) as problem:
        return None, dbc.Alert(t("evaluation.export_failed", lang, reason=str(problem)), color="warning")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    audit.record(
        user.username, "export", "loop campaigns for the next load (campaigns.csv, campaign_contacts.csv)"
    )
    return dcc.send_bytes(buffer.getvalue(), "campaigns_for_next_load.zip"), None
