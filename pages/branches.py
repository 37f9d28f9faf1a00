"""Branches: region > branch > relationship manager performance, one level at a time.

Shows the unit's KPIs with the change on the comparison month, the units one level down
(AUM bars and a ranking by composite score), target versus actual, the monthly trend and
(where the role allows) the customers behind the figures with CSV/Excel export. Reads the
``customers`` cube through the declared queries of ``cube.views.branches``; the view state is
the frame's global filters in the URL, so a view can be shared and Back undoes a drill. Every
chart and table cell opens the frame's click menu.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.downloads import table_download
from components.figures import attainment_bars, bar_chart, line_chart
from components.formatting import format_value
from components.frame import chart_id, grid_id, ignored_note
from components.i18n import t
from components.layout import breadcrumb, empty_state, kpi_card, section
from components.result_table import result_table
from components.tables import cut_note, data_grid
from cube.api import label_column as api_label
from cube.api import not_loaded
from cube.views import branches as view
from cube.views.options import months
from cube.views.state import ORG_LEVELS, ViewState
from pages._frame import register_chart, view_state
from pages._session import current_lang, current_scope, require_user
from pages._view_cache import cached_view

dash.register_page(__name__, path="/branches", name="Branches", order=4, nav_key="branches")

PATH = "/branches"
UNITS = register_chart(view.UNITS_CHART, "branches", view.units_query, "customers.aum")
RANKING = view.RANKING_CHART
MIX = {name: register_chart(key, "branches", view.mix_query(name)) for name, key in view.MIX_CHARTS.items()}
MIX_MEASURES = {  # what each mix chart plots, and the page that explains it
    "customers": ("customers.customers", "/customers"),
    "products": ("holdings.balance", "/products"),
    "channels": ("transactions.txn_count", "/channels"),
}
SMALL_BASE = 30  # a change on fewer than this many shows the counts behind the percentage


class Ids:
    crumbs = "branches--breadcrumb"
    kpis = "branches--kpis"
    bars = "branches--bars"
    ranking = "branches--ranking"
    targets = "branches--targets"
    targets_not_loaded = "branches--targets-not-loaded"
    trend = "branches--trend"
    customers = "branches--customers"
    export_csv = "branches--export-csv"
    export_xlsx = "branches--export-xlsx"
    download = "branches--download"
    state = "branches--state"


def _change_text(now: float, before: float | None, key: str, fmt: str, lang: str, label: str):
    if before is None or not before:
        return None, None
    ratio = (now - before) / abs(before)
    good = None if now == before else (now > before) != (key in view.LOWER_IS_BETTER)
    text = f"{ratio:+.1%}"
    if fmt == "count" and abs(before) < SMALL_BASE:  # a tiny base: show the counts behind it
        text += f" ({format_value(before, fmt, lang)}→{format_value(now, fmt, lang)})"
    return f"{text} {label}", good


def _kpi_row(state: ViewState, comparison: str | None, lang: str) -> dbc.Row:
    scope = current_scope()
    now = view.kpis(state, scope)
    before = view.kpis(state, scope, comparison) if comparison else {}
    label = t("branches.vs", lang, period=comparison) if comparison else ""
    meta = view.kpi_meta(lang)
    cards = []
    for key in view.KPIS:
        title, fmt = meta[key]
        change, good = _change_text(now[key], before.get(key), key, fmt, lang, label)
        value = format_value(now[key], fmt, lang)
        cards.append(dbc.Col(kpi_card(title, value, change, good, f"branches--kpi-{key}"), md=True))
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
            y_title=view.kpi_meta(lang)["aum"][0],
        ),
        config={"displayModeBar": False},
    )
    meta = view.kpi_meta(lang)
    ranking = units.assign(score_shown=units["score"].round(1))
    headers = {
        "rank": t("col.rank", lang),
        "name": t("col.name", lang),
        "score_shown": t("col.score", lang),
        **{k: label for k, (label, _fmt) in meta.items()},
        "attainment": t("col.attainment", lang),
    }
    formats = {"score_shown": "number", "attainment": "percent", **{k: fmt for k, (_l, fmt) in meta.items()}}
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
    missing = not_loaded("branch_targets", "manager_targets")
    if frame.empty and missing:
        text = t("data.not_loaded", lang, files=", ".join(sorted(missing)))
        return section(t("branches.targets", lang), empty_state(text, Ids.targets_not_loaded))
    if frame.empty:
        return section(t("branches.targets", lang), empty_state(t("branches.no_targets", lang)))
    meta = view.kpi_meta(lang)
    frame = frame.assign(label=[meta[m][0] for m in frame["metric"]])
    rows = [
        html.Tr(
            [
                html.Td(r.label),
                html.Td(format_value(r.target, meta[r.metric][1], lang), className="text-end"),
                html.Td(format_value(r.actual, meta[r.metric][1], lang), className="text-end"),
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
    meta = view.kpi_meta(lang)
    series = {m: meta[m.split(".")[1]][0] for m in view.TREND_MEASURES}
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
    result = view.customers(state, current_scope(), lang, view.SHOWN_CUSTOMERS)
    if result.frame.empty:
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
    grid = result_table(result, lang, Ids.customers, key="customer_id")
    note = cut_note(len(result.frame), result.total_rows, lang, "branches--cut")
    return section(t("branches.customers", lang), html.Div([buttons, note, grid]))


def _mix_chart(name: str, result, state: ViewState, lang: str):
    measure, path = MIX_MEASURES[name]
    member = result.query.dimensions[0]
    frame = result.frame
    if frame.empty:
        return section(t(f"branches.mix.{name}", lang), empty_state(t("branches.empty", lang)))
    label = api_label(member)
    shown = frame.assign(_label=frame[label].astype(str) if label in frame else frame[member].astype(str))
    info = result.columns[measure]
    figure = bar_chart(shown, "_label", measure, member, info.fmt, lang, y_title=info.label(lang))
    figure.update_layout(height=240)
    link = dcc.Link(
        t("menu.related", lang, view=t(f"nav.{name}", lang)),
        href=state.for_other_page().href(path),
        id=f"branches--mix-{name}-link",
        className="small",
    )
    chart = dcc.Graph(id=chart_id(MIX[name]), figure=figure, config={"displayModeBar": False})
    return section(t(f"branches.mix.{name}", lang), html.Div([chart, link]))


def _mix_section(state: ViewState, lang: str):
    results = view.mix(state, current_scope(), lang)
    return html.Div(
        [
            html.H5(t("branches.mix", lang), className="mt-2"),
            dbc.Row([dbc.Col(_mix_chart(name, r, state, lang), md=4) for name, r in results.items()]),
        ],
        id="branches--mix",
    )


def _peer_section(state: ViewState, user, lang: str):
    """A branch manager on their own branch: its rank in the region and the region's median."""
    if user.role != roles.BRANCH_MANAGER:
        return None
    peers = view.peer_rank(state, current_scope(), lang)
    if peers is None or state.branch != peers["branch"]:
        return None
    meta = view.kpi_meta(lang)
    rows = [
        html.Tr(
            [
                html.Td(meta[k][0] if k in meta else t(f"col.{k}", lang)),
                html.Td(_peer_value(peers["own"][k], k, meta, lang), className="text-end"),
                html.Td(_peer_value(peers["median"][k], k, meta, lang), className="text-end"),
            ]
        )
        for k in (*view.KPIS, "attainment", "score")
    ]
    head = html.Thead(
        html.Tr(
            [
                html.Th(t("col.metric", lang)),
                html.Th(t("branches.own", lang)),
                html.Th(t("branches.median", lang)),
            ]
        )
    )
    title = t("branches.peer_rank", lang, rank=peers["rank"], of=peers["of"])
    return section(
        title,
        dbc.Table([head, html.Tbody(rows)], size="sm", id="branches--peers"),
        t("branches.peer_note", lang),
    )


def _peer_value(value, key: str, meta: dict, lang: str) -> str:
    if key == "score":
        return f"{value:.1f}"
    if key == "attainment":
        return format_value(value, "percent", lang)
    return format_value(value, meta[key][1], lang)


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


@cached_view("branches")
def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope (cached per state,
    role, scope, language and data version: pages/_view_cache.py)."""
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
            ignored_note(state.ignored(view.CUBE), lang, "branches--ignored"),
            _kpi_row(state, comparison, lang),
            _peer_section(state, user, lang),
            _units_section(state, lang),
            dbc.Row(
                [
                    dbc.Col(_targets_section(state, lang), md=6),
                    dbc.Col(_trend_section(state, lang), md=6),
                ]
            ),
            _mix_section(state, lang),
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
    result = view.customers(view_st, current_scope(), lang, view.EXPORT_LIMIT)
    headers = {c: info.label(lang) for c, info in result.columns.items()}
    frame = result.frame.rename(columns=headers)
    as_excel = dash.ctx.triggered_id == Ids.export_xlsx
    audit.record(
        user.username,
        "export",
        f"branches {view_st.to_params()} {len(frame)} rows {'xlsx' if as_excel else 'csv'}",
    )
    name = f"customers-{view_st.period}"
    return table_download(frame, name, as_excel)
