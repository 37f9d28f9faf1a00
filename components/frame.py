"""The analysis frame around every view: the global filter bar, the click menu, saved views.

Pure layout builders: options and values are filled by the frame's callbacks
(``pages._frame``) from the URL, so the frame itself holds no data and no user state.
Charts and tables join the click menu by using :func:`chart_id` / :func:`grid_id` as their id.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.i18n import MESSAGES, t

CHART = "frame-chart"
GRID = "frame-grid"


class FrameIds:
    bar = "frame--filters"
    period = "frame--period"
    compare = "frame--compare"
    compare_to = "frame--compare-to"
    compare_to_col = "frame--compare-to-col"
    region = "frame--region"
    branch = "frame--branch"
    manager = "frame--manager"
    segment = "frame--segment"
    value_tier = "frame--value-tier"
    age_band = "frame--age-band"
    category = "frame--category"
    channel_type = "frame--channel-type"
    more = "frame--more"
    more_toggle = "frame--more-toggle"
    selection = "frame--selection"
    clear_selection = "frame--clear-selection"
    reset = "frame--reset"
    views = "frame--views"
    view_name = "frame--view-name"
    save_view = "frame--save-view"
    delete_view = "frame--delete-view"
    view_message = "frame--view-message"
    add_to_deck = "frame--add-to-deck"  # filled and handled by pages/decks.py
    menu = "frame--menu"
    menu_title = "frame--menu-title"
    menu_context = "frame--menu-context"
    menu_down = "frame--menu-down"
    menu_up = "frame--menu-up"
    menu_select = "frame--menu-select"
    menu_related = "frame--menu-related"
    menu_by = "frame--menu-by"
    menu_rows = "frame--menu-rows"
    menu_body = "frame--menu-body"
    menu_page = "frame--menu-page"
    menu_prev = "frame--menu-prev"
    menu_next = "frame--menu-next"
    menu_export_csv = "frame--menu-export-csv"
    menu_export_xlsx = "frame--menu-export-xlsx"
    menu_download = "frame--menu-download"
    menu_rows_area = "frame--menu-rows-area"
    menu_rows_grid = "frame--menu-rows-grid-box"
    menu_rows_total = "frame--menu-rows-total"
    menu_exports = "frame--menu-exports"
    # "Save as group" in the rows panel (handled by pages/groups.py)
    menu_group = "frame--menu-group"
    menu_group_name = "frame--menu-group-name"
    menu_save_group = "frame--menu-save-group"
    menu_group_message = "frame--menu-group-message"


CUSTOMER_FILTER_IDS = {
    "segment": FrameIds.segment,
    "value_tier": FrameIds.value_tier,
    "age_band": FrameIds.age_band,
    "category": FrameIds.category,
    "channel_type": FrameIds.channel_type,
}


def chart_id(key: str) -> dict:
    """Id of a chart that answers the click menu; ``key`` is ``"<page>:<chart>"``."""
    return {"type": CHART, "key": key}


def grid_id(key: str) -> dict:
    """Id of a table (AG Grid) whose cells answer the click menu."""
    return {"type": GRID, "key": key}


def _dropdown(element_id: str, label: str, lang: str, multi: bool = False, clearable: bool = True):
    return html.Div(
        [
            dbc.Label(label, html_for=element_id, className="small mb-0 text-muted"),
            dcc.Dropdown(
                id=element_id,
                multi=multi,
                clearable=clearable,
                placeholder=t("frame.all", lang),
                className="frame-dropdown",
            ),
        ]
    )


def filter_bar(lang: str) -> html.Div:
    """The global filters: period and comparison, organisation tree, customer filters,
    cross-filter chips and saved views."""
    compare_options = [
        {"label": t(f"frame.compare.{k}", lang), "value": k} for k in ("previous_month", "last_year", "month")
    ]
    main = dbc.Row(
        [
            dbc.Col(_dropdown(FrameIds.period, t("frame.period", lang), lang, clearable=False), md=2),
            dbc.Col(
                html.Div(
                    [
                        dbc.Label(
                            t("frame.compare", lang),
                            html_for=FrameIds.compare,
                            className="small mb-0 text-muted",
                        ),
                        dcc.Dropdown(
                            id=FrameIds.compare,
                            options=compare_options,
                            value="previous_month",
                            clearable=False,
                            className="frame-dropdown",
                        ),
                    ]
                ),
                md=2,
            ),
            dbc.Col(
                _dropdown(FrameIds.compare_to, t("frame.compare_to", lang), lang, clearable=False),
                md=2,
                id=FrameIds.compare_to_col,
                style={"display": "none"},
            ),
            dbc.Col(_dropdown(FrameIds.region, t("frame.region", lang), lang), md=2),
            dbc.Col(_dropdown(FrameIds.branch, t("frame.branch", lang), lang), md=2),
            dbc.Col(_dropdown(FrameIds.manager, t("frame.manager", lang), lang), md=2),
        ],
        className="g-2 align-items-end",
    )
    more = dbc.Collapse(
        dbc.Row(
            [
                dbc.Col(_dropdown(element_id, t(f"frame.{key}", lang), lang, multi=True), md=True)
                for key, element_id in CUSTOMER_FILTER_IDS.items()
            ],
            className="g-2 mt-1",
        ),
        id=FrameIds.more,
        is_open=False,
    )
    tools = html.Div(
        [
            dbc.Button(
                t("frame.customer_filters", lang),
                id=FrameIds.more_toggle,
                color="link",
                size="sm",
                className="px-0 me-3",
            ),
            html.Span(id=FrameIds.selection, className="me-2"),
            dbc.Button(
                t("frame.reset", lang), id=FrameIds.reset, color="link", size="sm", className="px-0 me-3"
            ),
            html.Div(
                [
                    dcc.Dropdown(
                        id=FrameIds.views,
                        placeholder=t("frame.saved_views", lang),
                        className="frame-dropdown",
                        style={"minWidth": "220px"},
                    ),
                    dbc.Input(
                        id=FrameIds.view_name,
                        placeholder=t("frame.view_name", lang),
                        size="sm",
                        maxLength=80,
                        style={"width": "200px"},
                    ),
                    dbc.Button(
                        t("frame.save_view", lang), id=FrameIds.save_view, size="sm", color="secondary"
                    ),
                    dbc.Button(
                        t("frame.delete_view", lang), id=FrameIds.delete_view, size="sm", color="link"
                    ),
                    dcc.Dropdown(
                        id=FrameIds.add_to_deck,
                        placeholder=t("decks.add_to_deck", lang),
                        className="frame-dropdown",
                        style={"minWidth": "170px", "display": "none"},
                        searchable=False,
                    ),
                    html.Span(id=FrameIds.view_message, className="small text-muted"),
                ],
                className="d-flex gap-2 align-items-center ms-auto",
            ),
        ],
        className="d-flex align-items-center mt-2 flex-wrap",
    )
    return html.Div([main, more, tools], id=FrameIds.bar, className="frame-filters border-bottom pb-2 mb-3")


def selection_chips(items: list[tuple[str, str]], lang: str):
    """The cross-filter in force: one chip per (dimension label, values text), and a clear button."""
    if not items:
        return []
    chips = [
        dbc.Badge(f"{dim}: {values}", color="info", className="me-1 frame-chip", pill=True)
        for dim, values in items
    ]
    return [
        html.Span(t("frame.selection", lang) + ": ", className="small text-muted me-1"),
        *chips,
        dbc.Button(
            t("frame.clear_selection", lang),
            id=FrameIds.clear_selection,
            size="sm",
            color="link",
            className="px-1",
        ),
    ]


def click_menu(lang: str) -> html.Div:
    """The one click menu every chart and table cell opens (actions filled per click)."""
    return html.Div(
        [
            dcc.Store(id=FrameIds.menu_context),
            dcc.Store(id=FrameIds.menu_page, data=0),
            dcc.Download(id=FrameIds.menu_download),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(id=FrameIds.menu_title)),
                    dbc.ModalBody(
                        [
                            html.Div(
                                [
                                    dbc.Button(id=FrameIds.menu_down, size="sm", color="primary"),
                                    dbc.Button(id=FrameIds.menu_up, size="sm", color="secondary"),
                                    dbc.Button(id=FrameIds.menu_select, size="sm", color="info"),
                                    dbc.Button(
                                        t("menu.rows", lang),
                                        id=FrameIds.menu_rows,
                                        size="sm",
                                        color="secondary",
                                    ),
                                    dcc.Link(
                                        id=FrameIds.menu_related,
                                        href="/",
                                        className="btn btn-sm btn-outline-primary",
                                    ),
                                ],
                                className="d-flex flex-wrap gap-2 mb-3",
                            ),
                            html.Div(
                                [
                                    dbc.Label(
                                        t("menu.drill_by", lang), html_for=FrameIds.menu_by, className="small"
                                    ),
                                    dcc.Dropdown(
                                        id=FrameIds.menu_by,
                                        className="frame-dropdown",
                                        placeholder=t("menu.drill_by_placeholder", lang),
                                    ),
                                ],
                                className="mb-3",
                            ),
                            dcc.Loading(html.Div(id=FrameIds.menu_body), type="circle"),
                            _rows_area(lang),
                        ]
                    ),
                ],
                id=FrameIds.menu,
                is_open=False,
                size="xl",
                scrollable=True,
            ),
        ]
    )


def _rows_area(lang: str) -> html.Div:
    """The rows behind a figure: a grid of one page, the pager with the true total, exports."""
    return html.Div(
        [
            dcc.Loading(html.Div(id=FrameIds.menu_rows_grid), type="circle"),
            html.Div(
                [
                    dbc.Button(t("menu.previous", lang), id=FrameIds.menu_prev, size="sm", disabled=True),
                    html.Span(id=FrameIds.menu_rows_total, className="mx-2 small"),
                    dbc.Button(t("menu.next", lang), id=FrameIds.menu_next, size="sm", disabled=True),
                    html.Span(
                        [
                            dbc.Button(t("menu.export_csv", lang), id=FrameIds.menu_export_csv, size="sm"),
                            dbc.Button(t("menu.export_xlsx", lang), id=FrameIds.menu_export_xlsx, size="sm"),
                        ],
                        id=FrameIds.menu_exports,
                        className="ms-3 d-inline-flex gap-2",
                    ),
                ],
                className="d-flex align-items-center mt-2",
            ),
            html.Div(
                [
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=FrameIds.menu_group_name,
                                placeholder=t("groups.save_as_placeholder", lang),
                                maxLength=100,
                            ),
                            dbc.Button(
                                t("groups.save_as", lang), id=FrameIds.menu_save_group, color="primary"
                            ),
                        ],
                        size="sm",
                        style={"maxWidth": "28rem"},
                    ),
                    html.Div(id=FrameIds.menu_group_message, className="small mt-1"),
                ],
                id=FrameIds.menu_group,
                className="mt-2",
                style={"display": "none"},
            ),
        ],
        id=FrameIds.menu_rows_area,
        style={"display": "none"},
    )


def filter_names(dimensions, lang: str) -> str:
    """The filter bar's names of ``dimensions`` (e.g. "Age band, Channel type")."""
    return ", ".join(t(f"frame.{d}", lang) if f"frame.{d}" in MESSAGES else d for d in dimensions)


def ignored_note(dimensions, lang: str, element_id: str | None = None):
    """Said above a chart whose cube cannot apply some active filters (``ViewState.ignored``),
    instead of silently showing unfiltered figures; None when it applies them all."""
    dimensions = list(dict.fromkeys(dimensions))
    if not dimensions:
        return None
    props = {"id": element_id} if element_id else {}
    text = t("frame.ignored", lang, names=filter_names(dimensions, lang))
    return html.Div(text, className="small text-warning mb-2", **props)
