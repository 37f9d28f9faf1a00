"""Branches: region > branch > relationship manager performance, drilled by clicking.

Shows KPIs with period-over-period change, a composite score and ranking of the units one
level down, target versus actual, monthly trends and (where the role allows) the customers
behind the figures with CSV/Excel export. Reads the cube through ``pages._branches_data``;
the whole view state lives in the URL query string (period, region, branch, manager), so a
view can be shared and the browser's Back undoes a drill.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.figures import attainment_bars, drill_bar, trend_lines
from components.i18n import t
from components.layout import breadcrumb, empty_state, kpi_card, section
from components.tables import data_grid, link_table
from pages import _branches_data as bd
from pages._branch_score import composite_score
from pages._session import current_lang, require_user

dash.register_page(__name__, path="/branches", name="Branches", order=4)

KPI_KEYS = ("customers", "aum", "deposits", "loans", "contribution", "new_customers", "lost_customers")


class Ids:
    period = "branches--period"
    region = "branches--region"
    branch = "branches--branch"
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


def view_href(**state) -> str:
    """The URL of a view state; empty values are left out so URLs stay short."""
    query = {k: v for k, v in state.items() if v not in (None, "")}
    return "/branches" + (f"?{urlencode(query)}" if query else "")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _change(current: float, previous: float, lang: str) -> tuple[str | None, bool | None]:
    if not previous:
        return None, None
    ratio = (current - previous) / abs(previous)
    return f"{ratio:+.1%} {t('kpi.vs_previous', lang)}", ratio >= 0


def _kpi_row(node: bd.Node, period: str, previous: str | None, lang: str) -> dbc.Row:
    now = bd.kpis(node, period)
    before = bd.kpis(node, previous) if previous else {}
    cards = []
    for key in KPI_KEYS:
        change, up = _change(now[key], before.get(key, 0), lang)
        if key == "lost_customers" and up is not None:
            up = not up  # fewer lost customers is good news
        cards.append(
            dbc.Col(
                kpi_card(
                    t(f"kpi.{key}", lang), bd.fmt(now[key], key, lang), change, up, f"branches--kpi-{key}"
                ),
                md=True,
            )
        )
    return dbc.Row(cards, className="g-2 mb-3", id=Ids.kpis)


def _children_section(node: bd.Node, period: str, lang: str):
    level = bd.child_level(node)
    if level is None:
        return html.Div()
    children = bd.children(node, period, lang)
    title = t("branches.by_level", lang, level=t(f"branches.level.{level}", lang))
    if children.empty:
        return section(title, empty_state(t("branches.empty", lang), "branches--empty"))
    children = children.merge(bd.attainment_by_child(node, period), on="key", how="left")
    scored = composite_score(children.fillna({"attainment": 0.0}))
    scored["href"] = [view_href(period=period, **bd.drill_state(node, level, key)) for key in scored["key"]]
    shown = scored.assign(**{c: [bd.fmt(v, c, lang) for v in scored[c]] for c in (*KPI_KEYS, "attainment")})
    headers = {
        "rank": t("col.rank", lang),
        "name": t("col.name", lang),
        "score": t("col.score", lang),
        **{k: t(f"kpi.{k}", lang) for k in KPI_KEYS},
        "attainment": t("col.attainment", lang),
    }
    bars = dcc.Graph(
        id=Ids.bars,
        figure=drill_bar(scored, "name", "aum", "key", list(shown["aum"])),
        config={"displayModeBar": False},
    )
    ranking = link_table(shown, headers, "name", "href", Ids.ranking)
    return html.Div(
        [
            section(title, bars, t("branches.drill_hint", lang)),
            section(t("branches.score", lang), ranking, t("branches.score_explained", lang)),
        ]
    )


def _targets_section(node: bd.Node, period: str, lang: str):
    frame = bd.targets(node, period)
    if frame.empty:
        return section(t("branches.targets", lang), empty_state(t("branches.no_targets", lang)))
    frame = frame.assign(attainment=frame["actual"] / frame["target"].where(frame["target"] > 0))
    frame["label"] = [t(f"kpi.{m}", lang) for m in frame["metric"]]
    shown = pd.DataFrame(
        {
            "label": frame["label"],
            "target": [bd.fmt(v, m, lang) for v, m in zip(frame["target"], frame["metric"], strict=True)],
            "actual": [bd.fmt(v, m, lang) for v, m in zip(frame["actual"], frame["metric"], strict=True)],
            "attainment": [bd.fmt(v, "attainment", lang) for v in frame["attainment"]],
        }
    )
    headers = {
        "label": t("col.metric", lang),
        "target": t("col.target", lang),
        "actual": t("col.actual", lang),
        "attainment": t("col.attainment", lang),
    }
    return section(
        t("branches.targets", lang),
        html.Div(
            [
                link_table(shown, headers, "", "", Ids.targets),
                dcc.Graph(
                    figure=attainment_bars(frame.fillna({"attainment": 0}), "label", "attainment"),
                    config={"displayModeBar": False},
                ),
            ]
        ),
    )


def _trend_section(node: bd.Node, lang: str):
    frame = bd.trend(node)
    if frame.empty:
        return section(t("branches.trend", lang), empty_state(t("branches.empty", lang)))
    series = {k: t(f"kpi.{k}", lang) for k in ("aum", "deposits", "loans")}
    return section(
        t("branches.trend", lang),
        dcc.Graph(
            id=Ids.trend, figure=trend_lines(frame, "month_date", series), config={"displayModeBar": False}
        ),
    )


def _customers_section(node: bd.Node, period: str, user, lang: str):
    if not roles.may_see_customers(user.role):
        return section(
            t("branches.customers", lang),
            dbc.Alert(t("branches.customers_hidden", lang), color="info", id="branches--no-rows"),
        )
    frame = bd.customers(node, period, lang, limit=bd.SHOWN_CUSTOMERS)
    if frame.empty:
        return section(t("branches.customers", lang), empty_state(t("branches.empty", lang)))
    buttons = (
        html.Div(
            [
                dbc.Button(t("branches.export_csv", lang), id=Ids.export_csv, size="sm", className="me-2"),
                dbc.Button(t("branches.export_xlsx", lang), id=Ids.export_xlsx, size="sm"),
                dcc.Download(id=Ids.download),
            ],
            className="mb-2",
        )
        if roles.may_export(user.role)
        else html.Div()
    )
    headers = bd.customer_headers(lang)
    return section(
        t("branches.customers", lang), html.Div([buttons, data_grid(frame, headers, Ids.customers)])
    )


def _filter_bar(node: bd.Node, period: str, periods: list[str], lang: str) -> dbc.Row:
    regions = bd.region_options(lang)
    branches = bd.branch_options(node.region, lang) if node.region is not None else []
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(t("filter.period", lang)),
                    dcc.Dropdown(id=Ids.period, options=periods, value=period, clearable=False),
                ],
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label(t("filter.region", lang)),
                    dcc.Dropdown(
                        id=Ids.region, options=regions, value=node.region, placeholder=t("filter.all", lang)
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(t("filter.branch", lang)),
                    dcc.Dropdown(
                        id=Ids.branch, options=branches, value=node.branch, placeholder=t("filter.all", lang)
                    ),
                ],
                md=3,
            ),
        ],
        className="mb-3",
    )


def layout(period: str | None = None, region=None, branch=None, manager=None, **_other):
    """Rendered per request from the URL, under the signed-in user's scope."""
    user = require_user()
    lang = current_lang()
    periods = bd.periods()
    if not periods:
        return empty_state(t("branches.empty", lang), "branches--empty")
    period = period if period in periods else periods[-1]
    previous = bd.previous_period(period, periods)
    node = bd.Node(_int(region), _int(branch), _int(manager))
    trail = bd.trail(node, lang)
    crumbs = [
        (label, view_href(period=period, **state) if i < len(trail) - 1 else None)
        for i, (label, state) in enumerate(trail)
    ]
    return html.Div(
        [
            dcc.Store(id=Ids.state, data={"period": period, **node.as_query()}),
            html.H3(t("branches.title", lang)),
            _filter_bar(node, period, periods, lang),
            html.Div(
                t("filter.compare", lang, period=previous) if previous else "", className="small text-muted"
            ),
            breadcrumb(crumbs, Ids.crumbs),
            _kpi_row(node, period, previous, lang),
            _children_section(node, period, lang),
            dbc.Row(
                [
                    dbc.Col(_targets_section(node, period, lang), md=6),
                    dbc.Col(_trend_section(node, lang), md=6),
                ]
            ),
            _customers_section(node, period, user, lang),
        ]
    )


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.bars, "clickData"),
    State(Ids.state, "data"),
    prevent_initial_call=True,
)
def drill_from_bar(click, state):
    """A click on a bar drills one level down: the URL changes, Back goes up again."""
    require_user()
    if not click or not state:
        return dash.no_update
    node = bd.Node.from_query(state)
    level = bd.child_level(node)
    key = click["points"][0].get("customdata")
    if level is None or key is None:
        return dash.no_update
    return view_href(period=state["period"], **bd.drill_state(node, level, key))[len("/branches") :]


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.period, "value"),
    Input(Ids.region, "value"),
    Input(Ids.branch, "value"),
    State(Ids.state, "data"),
    prevent_initial_call=True,
)
def apply_filters(period, region, branch, state):
    """The filter bar writes the URL; a new region drops the branch and manager below it."""
    require_user()
    if not state:
        return dash.no_update
    if region != state.get("region"):
        branch, manager = None, None
    elif branch != state.get("branch"):
        manager = None
    else:
        manager = state.get("manager")
    new = {"period": period, "region": region, "branch": branch, "manager": manager}
    if new == {**{"region": None, "branch": None, "manager": None}, **state}:
        return dash.no_update
    return view_href(**new)[len("/branches") :]


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
    if not roles.may_export(user.role) or not state:
        audit.record(user.username, "export_refused", f"branches {state}")
        raise PreventUpdate
    lang = current_lang()
    node = bd.Node.from_query(state)
    frame = bd.customers(node, state["period"], lang, limit=None)
    frame = frame.rename(columns=bd.customer_headers(lang))
    as_excel = dash.ctx.triggered_id == Ids.export_xlsx
    audit.record(
        user.username, "export", f"branches {state} {len(frame)} rows {'xlsx' if as_excel else 'csv'}"
    )
    name = f"customers-{state['period']}"
    if as_excel:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, engine="openpyxl")
        return dcc.send_bytes(buffer.getvalue(), f"{name}.xlsx")
    return dcc.send_string(frame.to_csv(index=False), f"{name}.csv")
