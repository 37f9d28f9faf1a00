"""Branches: region > branch > relationship manager performance, one level at a time.

Shows the unit's KPIs with the change on the comparison month, the units one level down
(AUM bars and a ranking by composite score), target versus actual, the monthly trend and
(where the role allows) the customers behind the figures with CSV/Excel export. Reads the
``customers`` cube through the declared queries of ``cube.views.branches``; the view state is
the frame's global filters in the URL, so a view can be shared and Back undoes a drill. Every
chart and table cell opens the frame's click menu.
"""

from __future__ import annotations

import io

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.figures import attainment_bars, bar_chart, line_chart
from components.formatting import format_value
from components.frame import chart_id, grid_id
from components.i18n import MESSAGES, t
from components.layout import breadcrumb, empty_state, kpi_card, section
from components.tables import cut_note, data_grid
from cube.views import branches as view
from cube.views.options import months
from cube.views.state import ORG_LEVELS, ViewState
from pages._frame import register_chart, view_state
from pages._session import current_lang, current_scope, require_user

dash.register_page(__name__, path="/branches", name="Branches", order=4, nav_key="branches")

PATH = "/branches"
UNITS = register_chart(view.UNITS_CHART, "branches", view.units_query, "customers.aum")
RANKING = register_chart(view.RANKING_CHART, "branches", view.units_query)
FORMATS = {"customers": "count", "new_customers": "count", "lost_customers": "count"}


class Ids:
    crumbs = "branches--breadcrumb"
    kpis = "branches--kpis"
    bars = "branches--bars"
    ranking = "branches--ranking"
    targets = "branches--targets"
    trend = "branches--trend"
    customers = "branches--customers"
    export_csv = "branches--export-csv"
    export_xlsx = "branches--export-xlsx"
    download = "branches--download"
    state = "branches--state"


def _fmt(key: str) -> str:
    return FORMATS.get(key, "money")


def _change_text(now: float, before: float | None, key: str, lang: str, label: str):
    if before is None or not before:
        return None, None
    ratio = (now - before) / abs(before)
    good = ratio >= 0 if key not in view.LOWER_IS_BETTER else ratio <= 0
    return f"{ratio:+.1%} {label}", good


def _kpi_row(state: ViewState, comparison: str | None, lang: str) -> dbc.Row:
    scope = current_scope()
    now = view.kpis(state, scope)
    before = view.kpis(state, scope, comparison) if comparison else {}
    label = t("branches.vs", lang, period=comparison) if comparison else ""
    cards = []
    for key in view.KPIS:
        change, good = _change_text(now[key], before.get(key), key, lang, label)
        value = format_value(now[key], _fmt(key), lang)
        cards.append(
            dbc.Col(kpi_card(t(f"kpi.{key}", lang), value, change, good, f"branches--kpi-{key}"), md=True)
        )
    return dbc.Row(cards, className="g-2 mb-3", id=Ids.kpis)


def _units_section(state: ViewState, lang: str):
    level = state.child_level()
    if level is None:
        return html.Div()
    units = view.units(state, current_scope(), lang)
    title = t("branches.by_level", lang, level=t(f"branches.level.{level}", lang))
    if units.empty:
        return section(title, empty_state(t("branches.empty", lang), "branches--empty"))
    selected = state.selected(UNITS)
    bars = dcc.Graph(
        id=chart_id(UNITS),
        figure=bar_chart(
            units,
            "name",
            "aum",
            "key",
            "money",
            lang,
            selected.values if selected else (),
            y_title=t("kpi.aum", lang),
        ),
        config={"displayModeBar": False},
    )
    ranking = units.assign(score_shown=units["score"].round(1))
    headers = {
        "rank": t("col.rank", lang),
        "name": t("col.name", lang),
        "score_shown": t("col.score", lang),
        **{k: t(f"kpi.{k}", lang) for k in view.KPIS},
        "attainment": t("col.attainment", lang),
    }
    formats = {"score_shown": "number", "attainment": "percent", **{k: _fmt(k) for k in view.KPIS}}
    grid = data_grid(
        ranking.assign(_row_id=ranking["key"].astype(str)), headers, grid_id(RANKING), lang, formats
    )
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(420, 60 + 42 * len(ranking))}px"}
    return html.Div(
        [
            html.Div(id=Ids.bars, children=section(title, bars, t("branches.menu_hint", lang))),
            html.Div(
                id=Ids.ranking,
                children=section(t("branches.score", lang), grid, t("branches.score_explained", lang)),
            ),
        ]
    )


def _targets_section(state: ViewState, lang: str):
    frame = view.targets(state, current_scope())
    if frame.empty:
        return section(t("branches.targets", lang), empty_state(t("branches.no_targets", lang)))
    frame = frame.assign(label=[t(f"kpi.{m}", lang) for m in frame["metric"]])
    rows = [
        html.Tr(
            [
                html.Td(r.label),
                html.Td(format_value(r.target, _fmt(r.metric), lang), className="text-end"),
                html.Td(format_value(r.actual, _fmt(r.metric), lang), className="text-end"),
                html.Td(format_value(r.attainment, "percent", lang), className="text-end"),
            ]
        )
        for r in frame.itertuples()
    ]
    head = html.Thead(
        html.Tr([html.Th(t(k, lang)) for k in ("col.metric", "col.target", "col.actual", "col.attainment")])
    )
    return section(
        t("branches.targets", lang),
        html.Div(
            [
                dbc.Table([head, html.Tbody(rows)], size="sm", id=Ids.targets),
                dcc.Graph(
                    figure=attainment_bars(frame.fillna({"attainment": 0}), "label", "attainment", lang=lang),
                    config={"displayModeBar": False},
                ),
            ]
        ),
    )


def _trend_section(state: ViewState, lang: str):
    frame = view.trend(state, current_scope())
    if frame.empty:
        return section(t("branches.trend", lang), empty_state(t("branches.empty", lang)))
    series = {m: t(f"kpi.{m.split('.')[1]}", lang) for m in view.TREND_MEASURES}
    figure = line_chart(frame, "month", series, "money", lang, y_title=t("branches.balance", lang))
    return section(
        t("branches.trend", lang), dcc.Graph(id=Ids.trend, figure=figure, config={"displayModeBar": False})
    )


def _customers_section(state: ViewState, user, lang: str):
    if not roles.may_see_customers(user.role):
        return section(
            t("branches.customers", lang),
            dbc.Alert(t("branches.customers_hidden", lang), color="info", id="branches--no-rows"),
        )
    frame, total = view.customers(state, current_scope(), lang, view.SHOWN_CUSTOMERS)
    if frame.empty:
        return section(t("branches.customers", lang), empty_state(t("branches.empty", lang)))
    buttons = html.Div(
        [
            dbc.Button(t("branches.export_csv", lang), id=Ids.export_csv, size="sm", className="me-2"),
            dbc.Button(t("branches.export_xlsx", lang), id=Ids.export_xlsx, size="sm"),
        ]
        if roles.may_export(user.role)
        else [],
        className="mb-2",
    )
    headers = customer_headers(lang)
    keep = {c: h for c, h in headers.items() if c in frame.columns}
    money = {c: "money" for c in ("aum", "deposit_balance", "loan_balance", "contribution")}
    grid = data_grid(frame, keep, Ids.customers, lang, {**money, "txn_count": "count"})
    return section(
        t("branches.customers", lang),
        html.Div([buttons, cut_note(len(frame), total, lang, "branches--cut"), grid]),
    )


CUSTOMER_COLUMNS = {  # the customers cube's detail columns, with their headers (en, zh)
    "customer_id": ("Customer", "客户号"),
    "customer_name": ("Name", "客户姓名"),  # masked by the cube outside the user's own customers
    "customer_phone": ("Phone", "手机号"),
    "customer_id_card_no": ("ID card number", "身份证号"),
    "branch_id": ("Branch", "网点"),
    "manager_id": ("Manager", "客户经理"),
    "age_band": ("Age band", "年龄段"),
    "aum": ("AUM", "管理资产"),
    "deposit_balance": ("Deposits", "存款"),
    "loan_balance": ("Loans", "贷款"),
    "contribution": ("Contribution", "贡献"),
    "txn_count": ("Transactions", "交易笔数"),
}


def customer_headers(lang: str) -> dict[str, str]:
    i = 1 if lang == "zh" else 0
    return {c: labels[i] for c, labels in CUSTOMER_COLUMNS.items()}


def _crumbs(state: ViewState, lang: str):
    items = [(t("branches.all_regions", lang), state.at_unit("region", None).href(PATH))]
    scope = current_scope()
    for level in ORG_LEVELS:
        key = getattr(state, level)
        if key is None:
            break
        name = view.unit_name(level, key, scope, lang) or str(key)
        items.append((name, state.at_unit(level, key).href(PATH)))
    items[-1] = (items[-1][0], None)
    return breadcrumb(items, Ids.crumbs)


def _ignored_note(state: ViewState, lang: str):
    ignored = state.ignored(view.CUBE)
    if not ignored:
        return None
    names = ", ".join(t(f"frame.{d}", lang) if f"frame.{d}" in MESSAGES else d for d in ignored)
    return html.Div(
        t("frame.ignored", lang, names=names), className="small text-warning mb-2", id="branches--ignored"
    )


def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    user = require_user()
    lang = current_lang()
    state = view_state(params)
    if state.period is None:
        return empty_state(t("frame.no_data_months", lang), "branches--empty")
    comparison = state.comparison(months(current_scope()))
    return html.Div(
        [
            dcc.Store(id=Ids.state, data=state.to_params()),
            dcc.Download(id=Ids.download),
            html.H3(t("branches.title", lang)),
            _crumbs(state, lang),
            html.Div(
                t("branches.compared", lang, period=state.period, other=comparison or "-"),
                className="small text-muted mb-2",
            ),
            _ignored_note(state, lang),
            _kpi_row(state, comparison, lang),
            _units_section(state, lang),
            dbc.Row(
                [
                    dbc.Col(_targets_section(state, lang), md=6),
                    dbc.Col(_trend_section(state, lang), md=6),
                ]
            ),
            _customers_section(state, user, lang),
        ]
    )


@callback(
    Output(Ids.download, "data"),
    Input(Ids.export_csv, "n_clicks"),
    Input(Ids.export_xlsx, "n_clicks"),
    State(Ids.state, "data"),
    prevent_initial_call=True,
)
def export_customers(_csv, _xlsx, state):
    """The customers behind the current view, as CSV or Excel; audited, role-checked."""
    user = require_user()
    if not roles.may_export(user.role) or not isinstance(state, dict):
        audit.record(user.username, "export_refused", f"branches {state}")
        raise PreventUpdate
    lang = current_lang()
    view_st = view_state({k: v for k, v in state.items() if v is not None})
    frame, _total = view.customers(view_st, current_scope(), lang, view.EXPORT_LIMIT)
    keep = {c: h for c, h in customer_headers(lang).items() if c in frame.columns}
    frame = (
        frame[list(keep)].rename(columns=keep) if len(frame) else pd.DataFrame(columns=list(keep.values()))
    )
    as_excel = dash.ctx.triggered_id == Ids.export_xlsx
    audit.record(
        user.username,
        "export",
        f"branches {view_st.to_params()} {len(frame)} rows {'xlsx' if as_excel else 'csv'}",
    )
    name = f"customers-{view_st.period}"
    if as_excel:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, engine="openpyxl")
        return dcc.send_bytes(buffer.getvalue(), f"{name}.xlsx")
    return dcc.send_string(frame.to_csv(index=False), f"{name}.csv")
