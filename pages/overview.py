"""Overview: the page a management review starts from.

KPI tiles for the bank or the chosen unit (value, change on the comparison month and on the
same month last year, attainment of target, a 13-month sparkline), the movers behind the
change, a waterfall that explains the change of a KPI between two months by a chosen
dimension (mix and rate effects apart for ratios), and the exceptions that need attention,
each a link into the view that explains it. Reads the ``customers``, ``holdings`` and
``transactions`` cubes through the declared queries of ``cube.views.overview``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from components.figures import sparkline, waterfall
from components.formatting import format_value
from components.frame import chart_id, grid_id, ignored_note
from components.i18n import t
from components.layout import empty_state, section
from components.tables import data_grid
from cube.api import CubeError, member_label, not_loaded
from cube.views import overview as view
from cube.views.state import ViewState
from pages._frame import register_chart, state_of, view_state
from pages._session import current_lang, current_scope, require_user
from pages._view_cache import cached_view

dash.register_page(__name__, path="/", name="Overview", order=0, nav_key="overview")

SMALL_BASE = 30  # a change on fewer than this many shows the counts behind the percentage
for _key in view.KPIS:
    register_chart(f"{view.TILE_CHART}:{_key}", "overview", lambda state, k=_key: view.tile_query(state, k))
register_chart(view.EXPLAIN_CHART, "overview", view.explain_point_query)
register_chart(f"{view.EXPLAIN_CHART}-table", "overview", view.explain_point_query)
for _dim in ("region", "branch", "manager", "product", "segment"):
    register_chart(
        f"{view.MOVERS_CHART}:{_dim}", "overview", lambda state, d=_dim: view.movers_point_query(state, d)
    )


class Ids:
    tiles = "overview--tiles"
    targets_not_loaded = "overview--targets-not-loaded"
    explain_kpi = "overview--explain-kpi"
    explain_by = "overview--explain-by"
    explain_a = "overview--explain-a"
    explain_b = "overview--explain-b"
    waterfall = "overview--waterfall"
    effects = "overview--effects"
    movers = "overview--movers"
    exceptions = "overview--exceptions"


# --- tiles --------------------------------------------------------------------------------


def _change_line(tile: dict, change: str, pct: str, month_key: str, lang: str):
    delta, ratio, month = tile[change], tile[pct], tile[month_key]
    if delta is None or month is None:
        return html.Div(t("overview.no_comparison", lang, month=month or "-"), className="small text-muted")
    before = tile["comparison_value"] if change == "change" else tile["last_year_value"]
    sign = "+" if delta > 0 else ""
    text = f"{sign}{format_value(delta, tile['fmt'], lang)}"
    if ratio is not None:
        text += f" ({ratio:+.1%}"
        if tile["fmt"] == "count" and before is not None and abs(before) < SMALL_BASE:
            text += f", {format_value(before, 'count', lang)}→{format_value(tile['value'], 'count', lang)}"
        text += ")"
    good = None if not delta else (delta > 0) == tile["higher_is_better"]
    colour = "text-muted" if good is None else ("text-success" if good else "text-danger")
    return html.Div(
        [html.Span(t("overview.vs", lang, month=month) + " ", className="text-muted"), html.Span(text)],
        className=f"small {colour}",
    )


def _tile(tile: dict, lang: str):
    key = tile["key"]
    target = None
    if tile["attainment"] is not None:
        ok = tile["attainment"] >= 1
        target = html.Div(
            [
                html.Span(t("overview.target", lang, target=format_value(tile["target"], tile["fmt"], lang))),
                dbc.Badge(
                    format_value(tile["attainment"], "percent", lang),
                    color="success" if ok else "warning",
                    className="ms-1",
                ),
            ],
            className="small",
        )
    frame = pd.DataFrame(
        {"month": pd.to_datetime([f"{m}-01" for m in tile["sparkline_months"]]), "value": tile["sparkline"]}
    )
    figure = sparkline(frame, "month", "value", lang, tile["fmt"])
    figure.data[0].customdata = [f"{m}-01" for m in tile["sparkline_months"]]
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(tile["label"], className="small text-muted"),
                html.Div(format_value(tile["value"], tile["fmt"], lang), className="fs-4 fw-bold kpi-value"),
                _change_line(tile, "change", "change_pct", "comparison_month", lang),
                _change_line(tile, "yoy_change", "yoy_change_pct", "last_year_month", lang),
                target,
                dcc.Graph(
                    id=chart_id(f"{view.TILE_CHART}:{key}"),
                    figure=figure,
                    config={"displayModeBar": False},
                    style={"height": "60px"},
                ),
            ],
            className="p-2",
        ),
        id=f"overview--tile-{key}",
        className="h-100",
    )


def _tiles(state: ViewState, lang: str):
    tiles = view.kpi_tiles(state, current_scope(), lang)
    row = dbc.Row(
        [dbc.Col(_tile(tile, lang), className="mb-2") for tile in tiles],
        className="row-cols-1 row-cols-md-3 row-cols-xl-5 g-2 mb-2",
        id=Ids.tiles,
    )
    missing = not_loaded("branch_targets", "manager_targets")
    if not missing or any(tile["attainment"] is not None for tile in tiles):
        return row
    note = html.P(
        f"{t('col.attainment', lang)}: {t('data.not_loaded', lang, files=', '.join(sorted(missing)))}",
        className="small text-muted",
        id=Ids.targets_not_loaded,
    )
    return html.Div([row, note])


# --- explain the change --------------------------------------------------------------------


def _dim_label(kpi_key: str, dimension: str, lang: str) -> str:
    cube = view.kpi(kpi_key).cube
    if cube == "customers" and dimension in view.PRODUCT_DIMENSIONS:
        cube = "holdings"  # balances by product are read from holdings
    return member_label(f"{cube}.{dimension}", lang)


def _explain_controls(controls: dict, months: list[str], lang: str):
    kpi = view.kpi(controls["kpi"])
    kpi_options = [{"label": k.label(lang), "value": key} for key, k in view.EXPLAIN_KPIS.items()]
    by_options = [{"label": _dim_label(kpi.key, d, lang), "value": d} for d in kpi.dimensions]
    month_options = [{"label": m, "value": m} for m in reversed(months)]

    def col(label_key, element_id, options, value):
        return dbc.Col(
            [
                dbc.Label(t(label_key, lang), html_for=element_id, className="small mb-0 text-muted"),
                dcc.Dropdown(id=element_id, options=options, value=value, clearable=False),
            ],
            md=3,
        )

    return dbc.Row(
        [
            col("overview.explain_kpi", Ids.explain_kpi, kpi_options, kpi.key),
            col("overview.explain_by", Ids.explain_by, by_options, controls["by"]),
            col("overview.explain_from", Ids.explain_a, month_options, controls["a"]),
            col("overview.explain_to", Ids.explain_b, month_options, controls["b"]),
        ],
        className="g-2 mb-2",
    )


def _explain_section(state: ViewState, months: list[str], lang: str):
    controls = view.explain_controls(state, months)
    title = t("overview.explain", lang)
    head = _explain_controls(controls, months, lang)
    if not controls["a"] or not controls["b"]:
        return section(title, html.Div([head, empty_state(t("overview.no_comparison_data", lang))]))
    try:
        frame = view.explain_change(
            state, current_scope(), controls["kpi"], controls["by"], controls["a"], controls["b"], lang
        )
    except CubeError as exc:
        return section(
            title, html.Div([head, dbc.Alert(str(exc), color="warning", id="overview--explain-error")])
        )
    kpi = view.kpi(controls["kpi"])
    members = frame[frame["kind"].isin(["member", "others"])]
    others = t("figure.other", lang)
    labels = [
        others if k == "others" else str(lbl)
        for k, lbl in zip(members["kind"], members["label"], strict=True)
    ]
    keys = [None if k == "others" else _py(v) for k, v in zip(members["kind"], members["key"], strict=True)]
    figure = waterfall(
        labels,
        members["total"].astype(float).tolist(),
        controls["a"],
        frame.attrs["start"],
        controls["b"],
        frame.attrs["end"],
        kpi.fmt,
        lang,
        keys,
        y_title=kpi.label(lang),
    )
    chart = dcc.Graph(id=chart_id(view.EXPLAIN_CHART), figure=figure, config={"displayModeBar": False})
    return section(
        title,
        html.Div([head, chart, _effects_table(frame, kpi, members, labels, keys, lang)]),
        t("overview.explain_note_ratio" if kpi.is_ratio else "overview.explain_note", lang),
    )


def _py(value):
    return value.item() if hasattr(value, "item") else value


def _effects_table(frame, kpi, members, labels, keys, lang):
    change = frame.attrs["end"] - frame.attrs["start"]
    shown = pd.DataFrame(
        {
            "label": labels,
            "total": members["total"].astype(float).to_numpy(),
            "share": (members["total"].astype(float) / change).to_numpy() if change else float("nan"),
            "_row_id": [str(k) if k is not None else "" for k in keys],
        }
    )
    headers = {"label": t("col.name", lang)}
    formats = {"total": kpi.fmt, "share": "percent"}
    if kpi.is_ratio:
        shown.insert(1, "mix", members["mix"].astype(float).to_numpy())
        shown.insert(2, "rate", members["rate"].astype(float).to_numpy())
        headers.update({"mix": t("overview.mix", lang), "rate": t("overview.rate", lang)})
        formats.update({"mix": kpi.fmt, "rate": kpi.fmt})
    headers.update({"total": t("overview.contribution", lang), "share": t("overview.share", lang)})
    grid_fmts = {c: ("money" if f == "money" else f) for c, f in formats.items()}
    grid = data_grid(shown, headers, grid_id(f"{view.EXPLAIN_CHART}-table"), lang, grid_fmts, page_size=12)
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(460, 90 + 42 * len(shown))}px"}
    summary = None
    if kpi.is_ratio:
        summary = html.Div(
            t(
                "overview.effects",
                lang,
                mix=format_value(float(members["mix"].sum()), kpi.fmt, lang),
                rate=format_value(float(members["rate"].sum()), kpi.fmt, lang),
            ),
            className="small mb-1",
            id=Ids.effects,
        )
    return html.Div([summary, grid])


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.explain_kpi, "value"),
    Input(Ids.explain_by, "value"),
    Input(Ids.explain_a, "value"),
    Input(Ids.explain_b, "value"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def choose_what_to_explain(kpi, by, period_a, period_b, search):
    """The waterfall's controls live in the URL (``x_kpi`` ...), so a view can be saved."""
    require_user()
    state = state_of(search)
    new = state
    for name, value in (("kpi", kpi), ("by", by), ("a", period_a), ("b", period_b)):
        new = new.with_param(name, value if isinstance(value, str) else None)
    if isinstance(kpi, str) and kpi in view.EXPLAIN_KPIS and by not in view.kpi(kpi).dimensions:
        new = new.with_param("by", None)  # a new KPI: its own default dimension
    # Values equal to the defaults stay out of the URL: rendering the page changes nothing.
    defaults = view.explain_controls(state.with_(extra=()), view.months(current_scope()))
    for name, value in defaults.items():
        if new.param(name) == value:
            new = new.with_param(name, None)
    if new == state:
        raise PreventUpdate
    return new.search()


# --- movers and exceptions -----------------------------------------------------------------


def _movers_section(state: ViewState, lang: str):
    frame = view.movers(state, current_scope(), view.DEFAULT_KPI, lang)
    title = t("overview.movers", lang, kpi=view.kpi(view.DEFAULT_KPI).label(lang))
    if frame.empty:
        return section(title, empty_state(t("overview.no_comparison_data", lang)), None)
    cols = []
    for dim, part in frame.groupby("dimension", sort=False):
        shown = part.assign(_row_id=[str(_py(k)) if k is not None else "" for k in part["key"]])
        headers = {
            "label": _dim_label(view.DEFAULT_KPI, dim, lang),
            "contribution": t("overview.contribution", lang),
            "share": t("overview.share", lang),
        }
        grid = data_grid(
            shown,
            headers,
            grid_id(f"{view.MOVERS_CHART}:{dim}"),
            lang,
            {"contribution": "money", "share": "percent"},
        )
        grid.getRowId = "params.data._row_id"
        grid.style = {"height": f"{90 + 42 * len(shown)}px"}
        cols.append(dbc.Col(grid, md=4))
    return section(title, dbc.Row(cols, className="g-2", id=Ids.movers), t("overview.movers_note", lang))


def _exception_text(row, lang: str) -> str:
    if row["kind"] == "target":
        return t(
            "overview.exception_target",
            lang,
            value=format_value(row["value"], row["fmt"], lang),
            target=format_value(row["target"], row["fmt"], lang),
            attainment=format_value(row["attainment"], "percent", lang),
        )
    return t(
        "overview.exception_unusual",
        lang,
        value=format_value(row["value"], row["fmt"], lang),
        expected=format_value(row["expected"], row["fmt"], lang),
        z=f"{row['z']:+.1f}",
    )


def _exceptions_section(state: ViewState, lang: str):
    frame = view.exceptions(state, current_scope(), lang)
    title = t("overview.exceptions", lang)
    if frame.empty:
        return section(title, empty_state(t("overview.no_exceptions", lang), "overview--no-exceptions"))
    rows = []
    for _, row in frame.head(20).iterrows():
        href = row["page"] + "?" + urlencode(row["params"])
        kind = t(f"overview.kind.{row['kind']}", lang)
        rows.append(
            html.Tr(
                [
                    html.Td(dbc.Badge(kind, color="danger" if row["kind"] == "target" else "warning")),
                    html.Td(dcc.Link(str(row["label"]), href=href)),
                    html.Td(row["kpi_label"]),
                    html.Td(_exception_text(row, lang)),
                ]
            )
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in ("overview.col_kind", "col.name", "col.metric", "overview.col_what")
            ]
        )
    )
    note = t("overview.exceptions_note", lang, shown=min(20, len(frame)), total=len(frame))
    return section(title, dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, id=Ids.exceptions), note)


# --- the page ------------------------------------------------------------------------------


def _subtitle(state: ViewState, months: list[str], lang: str) -> str:
    return t("overview.subtitle", lang, period=state.period, other=state.comparison(months) or "-")


@cached_view("overview")
def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    require_user()
    lang = current_lang()
    state = view_state(params)
    if state.period is None:
        return empty_state(t("frame.no_data_months", lang), "overview--empty")
    months = view.months(current_scope())
    return html.Div(
        [
            html.H3(t("overview.title", lang)),
            html.Div(_subtitle(state, months, lang), className="small text-muted mb-2"),
            ignored_note(state.ignored("customers"), lang),
            _tiles(state, lang),
            _explain_section(state, months, lang),
            dbc.Row(
                [
                    dbc.Col(_movers_section(state, lang), lg=7),
                    dbc.Col(_exceptions_section(state, lang), lg=5),
                ]
            ),
        ]
    )
