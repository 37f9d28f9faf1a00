"""The analysis frame's callbacks: the filter bar carried in the URL, the click menu on every
chart and table cell, saved personal views.

Pages take part by building their state with :func:`view_state`, registering each chart or
table with :func:`register_chart` (the declared query behind it) and giving it the id
``components.frame.chart_id(key)`` / ``grid_id(key)``. Every callback here checks who is
asking and rebuilds the queries from the URL under the user's own scope, so nothing a browser
sends can widen what it sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import dash
import pandas as pd
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles, saved_views
from components import figures
from components.downloads import table_download
from components.frame import CHART, CUSTOMER_FILTER_IDS, GRID, FrameIds, selection_chips
from components.i18n import t
from components.layout import empty_state
from components.result_table import result_table
from cube import api
from cube.api import CubeError, Query
from cube.views import menu, options
from cube.views.state import ViewState
from pages._args import as_int, as_list, as_str
from pages._response_cache import pure
from pages._session import current_lang, current_scope, require_user

LOCATION = "_pages_location"
ROWS_PAGE_SIZE = 50
HIDDEN = {"display": "none"}
EXPORT_LIMIT = 100_000
# How many organisation levels a scoped role's views open on (branch manager: region and
# branch; relationship manager: down to their own customers).
HOME_LEVELS = {roles.BRANCH_MANAGER: 2, roles.RELATIONSHIP_MANAGER: 3}
# The view that explains a dimension's values (the page a click can jump to).
RELATED_VIEWS = {
    "region": "branches",
    "branch": "branches",
    "manager": "branches",
    "category": "products",
    "product": "products",
    "channel_type": "channels",
    "channel": "channels",
    "segment": "segmentation",
    "value_tier": "segmentation",
}
PAGE_PATHS = {
    "overview": "/",
    "customers": "/customers",
    "products": "/products",
    "channels": "/channels",
    "branches": "/branches",
    "segmentation": "/segmentation",
}


@dataclass(frozen=True)
class ChartSpec:
    """A chart or table of a page: the declared query it shows, rebuilt from the state."""

    key: str
    page: str
    query: Callable[[ViewState], Query | None]
    measure: str | None = None  # the measure the chart plots (a break-down shows it too)
    # A table whose row id names several members ("2025-03-01|12|6"): ``row(state, row_id)``
    # is the query that row stands for (its first dimension is what the id starts with).
    row: Callable[[ViewState, str], Query | None] | None = None


CHARTS: dict[str, ChartSpec] = {}


def register_chart(
    key: str,
    page: str,
    query: Callable[[ViewState], Query | None],
    measure: str | None = None,
    row: Callable[[ViewState, str], Query | None] | None = None,
) -> str:
    """Declare that chart ``key`` (``"<page>:<chart>"``) of ``page`` shows ``query(state)``
    (plotting ``measure``, by default the query's first); ``row``: see :class:`ChartSpec`."""
    CHARTS[key] = ChartSpec(key, page, query, measure, row)
    return key


# --- the state of the view --------------------------------------------------------------------


def params_of(search: str | None) -> dict[str, str]:
    search = search if isinstance(search, str) else ""  # a forged search may be any JSON
    return dict(parse_qsl(search.lstrip("?"), keep_blank_values=False))


def view_state(params: dict | None) -> ViewState:
    """The signed-in user's view: the URL's filters, the home unit of a scoped role when the
    URL names none, and the period resolved to a month with data."""
    user = require_user()
    scope = current_scope()
    state = ViewState.from_params(params)
    levels = HOME_LEVELS.get(user.role)
    if levels and state.org_level() is None:
        state = options.home_state(state, scope, levels)
    return state.resolve(options.months(scope))


def state_of(search: str | None) -> ViewState:
    return view_state(params_of(search))


# --- filter bar -----------------------------------------------------------------------------

_VALUE_OUTPUTS = [Output(i, "value") for i in CUSTOMER_FILTER_IDS.values()]
_OPTION_OUTPUTS = [Output(i, "options") for i in CUSTOMER_FILTER_IDS.values()]


def _month_options(months: list[str]) -> list[dict]:
    return [{"label": m, "value": m} for m in reversed(months)]


def _selection_items(state: ViewState, lang: str) -> list[tuple[str, str]]:
    items = []
    for s in state.selection:
        spec = CHARTS.get(s.chart)
        query = spec.query(state) if spec else None
        cube = query.cube if query else "customers"
        try:
            label = api.member_label(f"{cube}.{s.dimension}", lang)
        except CubeError:
            label = s.dimension
        items.append((label, ", ".join(str(v) for v in s.values)))
    return items


@callback(
    Output(FrameIds.bar, "style"),
    Output(FrameIds.period, "options"),
    Output(FrameIds.period, "value"),
    Output(FrameIds.compare, "value"),
    Output(FrameIds.compare_to, "options"),
    Output(FrameIds.compare_to, "value"),
    Output(FrameIds.compare_to_col, "style"),
    Output(FrameIds.region, "options"),
    Output(FrameIds.region, "value"),
    Output(FrameIds.branch, "options"),
    Output(FrameIds.branch, "value"),
    Output(FrameIds.manager, "options"),
    Output(FrameIds.manager, "value"),
    *_OPTION_OUTPUTS,
    *_VALUE_OUTPUTS,
    Output(FrameIds.selection, "children"),
    Output({"type": "frame-nav", "key": ALL}, "href"),
    Input(LOCATION, "pathname"),
    Input(LOCATION, "search"),
    State({"type": "frame-nav", "key": ALL}, "id"),
)
@pure
def sync_filter_bar(pathname, search, nav_ids):
    """The filter bar shows the URL's state (and the options the user's scope holds); the
    navigation links carry the filters to the other views."""
    require_user()
    lang = current_lang()
    scope = current_scope()
    page = dash.page_registry.get(_page_module(pathname), {})
    hidden = {"display": "none"} if page.get("filters") is False else {}
    state = state_of(search)
    months = options.months(scope)
    region_opts = options.org_options("region", state, scope, lang)
    branch_opts = options.org_options("branch", state, scope, lang) if state.region is not None else []
    manager_opts = options.org_options("manager", state, scope, lang) if state.branch is not None else []
    value_opts = [options.value_options(k, scope, lang) for k in CUSTOMER_FILTER_IDS]
    carried = state.for_other_page().search()
    nav_ids = nav_ids or []
    hrefs = [
        PAGE_PATHS.get(i["key"], _path_of(i["key"])) + (carried if i["key"] in PAGE_PATHS else "")
        for i in nav_ids
    ]
    return (
        hidden,
        _month_options(months),
        state.period,
        state.compare,
        _month_options(months),
        state.compare_to,
        {} if state.compare == "month" else {"display": "none"},
        region_opts,
        state.region,
        branch_opts,
        state.branch,
        manager_opts,
        state.manager,
        *value_opts,
        *[list(getattr(state, k)) for k in CUSTOMER_FILTER_IDS],
        selection_chips(_selection_items(state, lang), lang),
        hrefs,
    )


def _page_module(pathname: str | None) -> str:
    for module, page in dash.page_registry.items():
        if page.get("path") == (pathname or "/"):
            return module
    return ""


def _path_of(key: str) -> str:
    for page in dash.page_registry.values():
        if page.get("nav_key") == key:
            return page["path"]
    return "/"


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Input(FrameIds.period, "value"),
    Input(FrameIds.compare, "value"),
    Input(FrameIds.compare_to, "value"),
    Input(FrameIds.region, "value"),
    Input(FrameIds.branch, "value"),
    Input(FrameIds.manager, "value"),
    *[Input(i, "value") for i in CUSTOMER_FILTER_IDS.values()],
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
@pure
def apply_filter_bar(period, compare, compare_to, region, branch, manager, *rest):
    """A change in the filter bar writes the URL (so Back undoes it); a new region clears the
    branch and manager below it. Values the bar set from the URL itself change nothing."""
    require_user()
    *values, search = rest
    current = state_of(search)
    changed = dash.ctx.triggered_id
    org = {"region": region, "branch": branch, "manager": manager}
    if changed == FrameIds.region:
        org.update(branch=None, manager=None)
    elif changed == FrameIds.branch:
        org.update(manager=None)
    params = {
        **current.to_params(),
        "period": as_str(period, ""),
        "compare": as_str(compare, ""),
        "compare_to": as_str(compare_to, ""),
        **{k: str(as_int(v, "")) for k, v in org.items()},
        **{k: ",".join(map(str, as_list(v))) for k, v in zip(CUSTOMER_FILTER_IDS, values, strict=True)},
    }
    new = ViewState.from_params(params).with_(selection=current.selection, extra=current.extra)
    if changed != FrameIds.region and new.region is None and current.region is not None:
        new = new.with_(region=current.region)  # options still loading: keep the unit
    if new == current:
        raise PreventUpdate
    return new.search()


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Input(FrameIds.clear_selection, "n_clicks"),
    Input(FrameIds.reset, "n_clicks"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
@pure
def clear_filters(clear, reset, search):
    """Clear the cross-filter, or every filter (back to the user's home view)."""
    require_user()
    if not (clear or reset):
        raise PreventUpdate
    if dash.ctx.triggered_id == FrameIds.reset:
        return ""
    return state_of(search).clear_selection().search()


@callback(
    Output(FrameIds.more, "is_open"), Input(FrameIds.more_toggle, "n_clicks"), State(FrameIds.more, "is_open")
)
@pure
def toggle_customer_filters(n, is_open):
    require_user()
    return (not is_open) if n else bool(is_open)


# --- saved views ----------------------------------------------------------------------------


@callback(
    Output(FrameIds.views, "options"),
    Output(FrameIds.view_message, "children"),
    Input(FrameIds.save_view, "n_clicks"),
    Input(FrameIds.delete_view, "n_clicks"),
    State(FrameIds.view_name, "value"),
    State(FrameIds.views, "value"),
    State(LOCATION, "pathname"),
    State(LOCATION, "search"),
)
def save_or_delete_view(save, delete, name, chosen, pathname, search):
    """Save the current URL under a name, or delete the chosen saved view; list the user's."""
    user = require_user()
    lang = current_lang()
    message = ""
    trigger = dash.ctx.triggered_id
    try:
        if trigger == FrameIds.save_view and save:
            view = saved_views.save(user.username, name or "", pathname or "/", search or "")
            audit.record(user.username, "view_saved", view.name)
            message = t("frame.view_saved", lang, name=view.name)
        elif (
            trigger == FrameIds.delete_view
            and delete
            and isinstance(chosen, str)
            and saved_views.delete(user.username, chosen)
        ):
            message = t("frame.view_deleted", lang, name=chosen)
    except ValueError as exc:
        message = str(exc)
    views = saved_views.list_views(user.username)
    return [{"label": v.name, "value": v.name} for v in views], message


@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(FrameIds.views, "value"),
    prevent_initial_call=True,
)
def open_saved_view(name):
    """Choosing a saved view opens its page with its filters (under today's scope)."""
    user = require_user()
    view = saved_views.get(user.username, name) if isinstance(name, str) else None
    if view is None:
        raise PreventUpdate
    return view.path, view.search


# --- click menu -------------------------------------------------------------------------------


def _clicked(context: dict | None, search: str | None) -> tuple[ViewState, menu.Clicked] | None:
    """The click in ``context`` re-read under the user's scope: the chart's query is rebuilt
    from the URL, never taken from the browser."""
    if not isinstance(context, dict):
        return None
    chart = context.get("chart")
    spec = CHARTS.get(chart) if isinstance(chart, str) else None  # a forged list is unhashable
    if spec is None:
        return None
    state = state_of(search)
    query = spec.query(state)
    if spec.row is not None:  # the row's own query, from the row id kept in the context
        query = spec.row(state, context.get("row", context.get("value")))
    member = context.get("member") or (query.dimensions[0] if query and query.dimensions else None)
    if query is None or member not in query.dimensions:
        return None
    try:
        value = menu.coerce(query, member, context.get("value"))
    except (ValueError, CubeError):
        return None
    return state, menu.Clicked(spec.key, query, member, value)


@callback(
    Output(FrameIds.menu, "is_open"),
    Output(FrameIds.menu_context, "data"),
    Output(FrameIds.menu_title, "children"),
    Output(FrameIds.menu_down, "children"),
    Output(FrameIds.menu_down, "disabled"),
    Output(FrameIds.menu_up, "children"),
    Output(FrameIds.menu_up, "style"),
    Output(FrameIds.menu_select, "children"),
    Output(FrameIds.menu_related, "children"),
    Output(FrameIds.menu_related, "href"),
    Output(FrameIds.menu_related, "style"),
    Output(FrameIds.menu_rows, "style"),
    Output(FrameIds.menu_by, "options"),
    Output(FrameIds.menu_by, "value"),
    Output(FrameIds.menu_body, "children"),
    Output(FrameIds.menu_rows_area, "style"),
    Input({"type": CHART, "key": ALL}, "clickData"),
    Input({"type": GRID, "key": ALL}, "cellClicked"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
@pure
def open_menu(_charts, _grids, search):
    """A click on any registered chart point or table cell opens the one click menu."""
    user = require_user()
    lang = current_lang()
    trigger = dash.ctx.triggered_id
    fired = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
    if not isinstance(trigger, dict) or not fired:
        raise PreventUpdate
    context = _context_of(trigger, fired)
    found = _clicked(context, search)
    if found is None:
        raise PreventUpdate
    state, click = found
    down = menu.drill_down(state, click)
    up = menu.drill_up(state, click)
    selected = state.selected(click.chart)
    is_selected = bool(selected and click.value in selected.values)
    related_key = RELATED_VIEWS.get(click.dimension)
    related_href, related_style, related_text = "/", {"display": "none"}, ""
    if related_key and related_key in PAGE_PATHS and related_key != CHARTS[click.chart].page:
        target = menu.with_value(state.for_other_page(), click.dimension, click.value)
        if target is None:
            target = state.for_other_page().toggle_selection("link", click.dimension, click.value)
        related_href = target.href(PAGE_PATHS[related_key])
        related_style = {}
        related_text = t("menu.related", lang, view=t(f"nav.{related_key}", lang))
    value_label = _value_label(click, state, lang)
    by = [{"label": api.member_label(m, lang), "value": m} for m in menu.break_down_options(click)]
    return (
        True,
        {
            "chart": click.chart,
            "member": click.member,
            "value": _jsonable(click.value),
            "row": context.get("value"),  # a multi-member row id (ChartSpec.row), else unused
        },
        t("menu.title", lang, dimension=api.member_label(click.member, lang), value=value_label),
        t("menu.drill_down", lang, level=api.member_label(f"{click.query.cube}.{down[0]}", lang))
        if down
        else t("menu.no_drill_down", lang),
        down is None,
        t("menu.drill_up", lang, level=api.member_label(f"{click.query.cube}.{up[0]}", lang)) if up else "",
        {} if up else {"display": "none"},
        t("menu.unselect" if is_selected else "menu.select", lang),
        related_text,
        related_href,
        related_style,
        {} if roles.may_see_customers(user.role) else {"display": "none"},
        by,
        None,
        None,
        {"display": "none"},
    )


def _context_of(trigger: dict, fired) -> dict | None:
    key = trigger.get("key")
    spec = CHARTS.get(key) if isinstance(key, str) else None  # a forged list is unhashable
    if spec is None:
        return None
    if trigger.get("type") == CHART:
        points = fired.get("points") if isinstance(fired, dict) else None
        if not points or not isinstance(points[0], dict):
            return None
        value = points[0].get("customdata")
        member = None
        if isinstance(value, list) and value:
            member, value = value[0], value[1] if len(value) > 1 else None
        return {"chart": key, "member": member, "value": value}
    if trigger.get("type") == GRID and isinstance(fired, dict):
        row = fired.get("rowId")
        return {"chart": key, "member": None, "value": row}
    return None


def _jsonable(value):
    return value.item() if hasattr(value, "item") else value


def _value_label(click: menu.Clicked, state: ViewState, lang: str) -> str:
    query = Query(click.query.cube, click.query.measures[:1], (click.member,), menu.point_filters(click))
    try:
        frame = api.execute(query, current_scope(), lang).frame
    except CubeError:
        return str(click.value)
    column = api.label_column(click.member)
    if len(frame) and column in frame:
        return str(frame[column].iloc[0])
    return str(click.value)


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Output(FrameIds.menu, "is_open", allow_duplicate=True),
    Input(FrameIds.menu_down, "n_clicks"),
    Input(FrameIds.menu_up, "n_clicks"),
    Input(FrameIds.menu_select, "n_clicks"),
    State(FrameIds.menu_context, "data"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
@pure
def act_on_click(down, up, select, context, search):
    """Drill down, drill up or toggle the cross-filter: each is a new URL state."""
    require_user()
    found = _clicked(context, search)
    trigger = dash.ctx.triggered_id
    if found is None or not (down or up or select):
        raise PreventUpdate
    state, click = found
    if trigger == FrameIds.menu_down:
        step = menu.drill_down(state, click)
        new = step[1] if step else None
    elif trigger == FrameIds.menu_up:
        step = menu.drill_up(state, click)
        new = step[1] if step else None
    else:
        new = state.toggle_selection(click.chart, click.dimension, click.value)
    if new is None:
        raise PreventUpdate
    return new.search(), False


clientside_callback(  # a new page closes the menu, in the browser (assets/frame.js): no request
    ClientsideFunction(namespace="mamsFrame", function_name="closeMenu"),
    Output(FrameIds.menu, "is_open", allow_duplicate=True),
    Input(LOCATION, "pathname"),
    prevent_initial_call=True,
)


@callback(
    Output(FrameIds.menu_body, "children", allow_duplicate=True),
    Output(FrameIds.menu_rows_area, "style", allow_duplicate=True),
    Input(FrameIds.menu_by, "value"),
    State(FrameIds.menu_context, "data"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
@pure
def break_down(by, context, search):
    """The clicked figure split by another dimension, as bars and a table."""
    require_user()
    lang = current_lang()
    found = _clicked(context, search)
    if found is None or not isinstance(by, str):
        raise PreventUpdate
    _state, click = found
    try:
        result = api.execute(menu.break_down_query(click, by), current_scope(), lang)
    except (CubeError, ValueError) as exc:
        return html.Div(t("menu.failed", lang, error=exc), className="text-danger"), HIDDEN
    frame = result.frame
    if frame.empty:
        return empty_state(t("menu.rows_none", lang)), HIDDEN
    measure = CHARTS[click.chart].measure or click.query.measures[0]
    labels = frame[api.label_column(by)] if api.label_column(by) in frame else frame[by].astype(str)
    shown = pd.DataFrame(
        {"label": labels.astype(str), "value": frame[measure].astype(float), "key": frame[by]}
    )
    info = result.columns[measure]
    figure = figures.bar_chart(shown, "label", "value", "key", info.fmt, lang)
    table = result_table(result, lang, element_id="frame--menu-by-table")
    chart = dcc.Graph(figure=figure, config={"displayModeBar": False}, id="frame--menu-by-chart")
    return html.Div([html.H6(info.label(lang)), chart, table]), HIDDEN


@callback(
    Output(FrameIds.menu_body, "children", allow_duplicate=True),
    Output(FrameIds.menu_rows_area, "style", allow_duplicate=True),
    Output(FrameIds.menu_rows_grid, "children"),
    Output(FrameIds.menu_rows_total, "children"),
    Output(FrameIds.menu_prev, "disabled"),
    Output(FrameIds.menu_next, "disabled"),
    Output(FrameIds.menu_exports, "style"),
    Output(FrameIds.menu_page, "data"),
    Input(FrameIds.menu_rows, "n_clicks"),
    Input(FrameIds.menu_prev, "n_clicks"),
    Input(FrameIds.menu_next, "n_clicks"),
    State(FrameIds.menu_page, "data"),
    State(FrameIds.menu_context, "data"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def show_rows(_rows, _prev, _next, page, context, search):
    """The rows behind the clicked figure, paged on the server with the true total."""
    user = require_user()
    lang = current_lang()
    if not dash.ctx.triggered or not dash.ctx.triggered[0]["value"]:
        raise PreventUpdate
    if not roles.may_see_customers(user.role):
        note = html.Div(t("menu.no_rows_role", lang), id="frame--menu-no-rows")
        return note, HIDDEN, None, "", True, True, HIDDEN, 0
    found = _clicked(context, search)
    if found is None:
        raise PreventUpdate
    _state, click = found
    trigger = dash.ctx.triggered_id
    page = page if isinstance(page, int) and 0 <= page < 10**6 else 0
    page = 0 if trigger == FrameIds.menu_rows else max(page + (1 if trigger == FrameIds.menu_next else -1), 0)
    filters = menu.point_filters(click)
    result = api.drill_through(
        click.query.cube, filters, current_scope(), page=page, page_size=ROWS_PAGE_SIZE, lang=lang
    )
    total = result.total_rows or 0
    if total == 0:
        return empty_state(t("menu.rows_none", lang)), HIDDEN, None, "", True, True, HIDDEN, 0
    first = page * ROWS_PAGE_SIZE + 1
    last = first + len(result.frame) - 1
    grid = result_table(result, lang, element_id="frame--menu-rows-grid", page_size=ROWS_PAGE_SIZE)
    text = t("menu.rows_total", lang, first=f"{first:,}", last=f"{last:,}", total=f"{total:,}")
    exports = {} if roles.may_export(user.role) else HIDDEN
    return None, {}, grid, text, page == 0, last >= total, exports, page


@callback(
    Output(FrameIds.menu_download, "data"),
    Input(FrameIds.menu_export_csv, "n_clicks"),
    Input(FrameIds.menu_export_xlsx, "n_clicks"),
    State(FrameIds.menu_context, "data"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def export_rows(csv, xlsx, context, search):
    """The rows behind the clicked figure as CSV or Excel; role-checked and audited."""
    user = require_user()
    if not (csv or xlsx):
        raise PreventUpdate
    if not roles.may_export(user.role):
        audit.record(user.username, "export_refused", f"menu {context}")
        raise PreventUpdate
    found = _clicked(context, search)
    if found is None:
        raise PreventUpdate
    _state, click = found
    lang = current_lang()
    frames = list(
        api.iter_drill_through(
            click.query.cube, menu.point_filters(click), current_scope(), max_rows=EXPORT_LIMIT, lang=lang
        )
    )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    # headers in the user's language, from the cube's column metadata
    head = api.drill_through(click.query.cube, menu.point_filters(click), current_scope(), 0, 1, lang)
    frame = frame.rename(columns={c: info.label(lang) for c, info in head.columns.items()})
    as_excel = dash.ctx.triggered_id == FrameIds.menu_export_xlsx
    audit.record(user.username, "export", f"{click.chart} {click.member}={click.value} {len(frame)} rows")
    name = f"{click.chart.replace(':', '-')}-{click.value}"
    return table_download(frame, name, as_excel)
