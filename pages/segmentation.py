"""Segmentation (客户细分): the segments and value tiers of the models run on the served data.

Shows, for the latest succeeded segmentation and value runs on the data version being served
(``cube.views.segmentation``): which runs they are; the factor loadings and the variance each
factor explains; the silhouette and stability of every candidate k; the segments on a 2-D map
(a sample); each segment's size and shares of customers, AUM and contribution (the ``customers``
cube, by the published ``customers.segment``) and its features' z-scores; names an analyst can
edit in both languages; migration between periods or runs; the value pyramid and the potential
big customers. Every segment bar, row, point and cell opens the frame's click menu (the
customers behind it, under the user's scope) and links open the other views filtered to it.
Without a run on the current data the page says so and links to the Model runs page.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.figures import bar_chart, heatmap
from components.formatting import format_value
from components.frame import chart_id, grid_id, ignored_note
from components.i18n import t
from components.layout import empty_state, section
from components.result_table import result_table
from components.scores_note import carried_scores_note
from components.tables import cut_note, data_grid
from cube.api import member_label, scored_months
from cube.views import segmentation as view
from cube.views.state import ViewState, shift_month
from pages._frame import LOCATION, register_chart, state_of, view_state
from pages._session import NotAllowed, current_lang, current_scope, require_role, require_user

dash.register_page(__name__, path=view.PATH, name="Segmentation", order=5, nav_key="segmentation")

PAGE = view.PAGE
SEGMENTS = register_chart(view.SEGMENTS_CHART, PAGE, view.segment_query, "customers.customers")
ZSCORES = register_chart(view.ZSCORE_CHART, PAGE, view.segment_query, "customers.customers")
MAP = register_chart(view.MAP_CHART, PAGE, view.segment_query, "customers.customers")
MIGRATION = register_chart(view.MIGRATION_CHART, PAGE, view.segment_query, "customers.customers")
PYRAMID = register_chart(view.PYRAMID_CHART, PAGE, view.pyramid_query, "customers.customers")
PYRAMID_AUM = register_chart(f"{view.PYRAMID_CHART}-aum", PAGE, view.pyramid_query, "customers.aum")
POTENTIAL = register_chart(view.POTENTIAL_CHART, PAGE, view.potential_query, "customers.customers")
EDITORS = (roles.ANALYST, roles.ADMIN)
GRAPH = {"displayModeBar": False}
SEGMENT_MEMBER = "customers.segment"
# diverging: a loading or z-score below zero is blue, above red, zero white
DIVERGING = "RdBu_r"


class Ids:
    header = "segmentation--header"
    value_header = "segmentation--value-header"
    not_run = "segmentation--not-run"
    value_not_run = "segmentation--value-not-run"
    not_in_cube = "segmentation--not-in-cube"
    carried = "segmentation--scores-carried"
    loadings = "seg-loadings"
    variance = "seg-variance"
    k_choice = "seg-k-choice"
    links = "segmentation--links"
    name_segment = "segmentation--name-segment"
    name_en = "segmentation--name-en"
    name_zh = "segmentation--name-zh"
    name_save = "segmentation--name-save"
    name_message = "segmentation--name-message"
    migration_vs = "segmentation--migration-vs"
    potential = "segmentation--potential"
    no_rows = "segmentation--no-rows"


def _graph(key, figure) -> dcc.Graph:
    return dcc.Graph(id=chart_id(key) if ":" in key else key, figure=figure, config=GRAPH)


def _n(value, lang: str) -> str:
    return format_value(value, "count", lang) if value is not None else "-"


# --- header -----------------------------------------------------------------------------------


def _not_run(kind: str, lang: str, element_id: str):
    key = "segmentation.not_run" if kind == "segmentation" else "segmentation.value_not_run"
    return dbc.Alert(
        [
            html.Span(t(key, lang) + " "),
            dcc.Link(t("segmentation.start_run", lang), href=view.not_run_href(kind)),
        ],
        color="warning",
        id=element_id,
        className="py-2",
    )


def _headers(result: dict, lang: str) -> list:
    out = []
    seg, value = result["segmentation"], result["value"]
    if seg is None:
        out.append(_not_run("segmentation", lang, Ids.not_run))
    else:
        text = t(
            "segmentation.run_header",
            lang,
            run_id=seg["run_id"],
            month=seg["month"],
            finished=seg["finished_at"],
            k=seg["k"],
            customers=_n(seg["customers"], lang),
            version=seg["data_version"],
        )
        out.append(html.Div(text, id=Ids.header, className="small fw-bold mb-1"))
        if not seg["in_cube"]:
            out.append(dbc.Alert(t("segmentation.not_in_cube", lang), color="info", id=Ids.not_in_cube))
    if value is None:
        out.append(_not_run("value", lang, Ids.value_not_run))
    else:
        text = t(
            "segmentation.value_header",
            lang,
            run_id=value["run_id"],
            month=value["month"],
            finished=value["finished_at"],
            customers=_n(value["customers"], lang),
            potential=_n(value["potential"], lang),
            version=value["data_version"],
        )
        out.append(html.Div(text, id=Ids.value_header, className="small fw-bold mb-2"))
    return out


# --- factors and the choice of k --------------------------------------------------------------


def _factors_section(result: dict, lang: str):
    frame, variance = result["loadings"], result["factors"]
    if frame.empty:
        return section(t("segmentation.factors", lang), empty_state(t("segmentation.no_output", lang)))
    features = list(dict.fromkeys(frame["feature"]))
    factors = list(dict.fromkeys(frame["factor"]))
    heat = heatmap(
        frame,
        "factor",
        "feature",
        "loading",
        "number",
        lang,
        x_order=factors,
        y_order=features,
        x_labels=dict(zip(frame["factor"], frame["factor_label"], strict=True)),
        y_labels=dict(zip(frame["feature"], frame["feature_label"], strict=True)),
        height=80 + 24 * len(features),
    )
    heat.update_traces(colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1, showscale=True)
    heat.update_layout(margin={"l": 10, "r": 10, "t": 90, "b": 10})
    bars = bar_chart(
        variance,
        "factor_label",
        "proportion",
        "factor",
        "percent",
        lang,
        y_title=t("segmentation.variance_axis", lang),
    )
    bars.add_trace(
        go.Scatter(
            x=variance["factor_label"].tolist(),
            y=variance["cumulative"].tolist(),
            name=t("segmentation.cumulative", lang),
            mode="lines+markers",
            hovertext=[format_value(v, "percent", lang) for v in variance["cumulative"]],
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
        )
    )
    bars.update_layout(showlegend=False)
    return section(
        t("segmentation.factors", lang),
        dbc.Row(
            [
                dbc.Col(
                    [
                        html.H6(t("segmentation.loadings", lang)),
                        dcc.Graph(id=Ids.loadings, figure=heat, config=GRAPH),
                    ],
                    lg=7,
                ),
                dbc.Col(
                    [
                        html.H6(t("segmentation.variance", lang)),
                        dcc.Graph(id=Ids.variance, figure=bars, config=GRAPH),
                    ],
                    lg=5,
                ),
            ]
        ),
        t("segmentation.loadings_note", lang),
    )


def _k_figure(frame: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    for column, key in (("silhouette", "segmentation.silhouette"), ("stability", "segmentation.stability")):
        values = frame[column].astype("float64")
        fig.add_trace(
            go.Scatter(
                x=frame["k"].tolist(),
                y=[None if pd.isna(v) else float(v) for v in values],
                name=t(key, lang),
                mode="lines+markers",
                hovertemplate="k = %{x}<br>%{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    chosen = frame[frame["chosen"]]
    if len(chosen):
        k = int(chosen["k"].iloc[0])
        fig.add_vline(x=k, line_dash="dash", line_color="#555")
        fig.add_annotation(
            x=k, y=1.02, yref="paper", text=t("segmentation.chosen_k", lang, k=k), showarrow=False
        )
    fig.update_xaxes(title_text="k", dtick=1)
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 30, "b": 40},
        height=320,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def _k_section(result: dict, lang: str):
    frame = result["k_choice"]
    if frame.empty:
        return section(t("segmentation.k_choice", lang), empty_state(t("segmentation.no_output", lang)))
    given = frame["silhouette"].isna().all()
    body = [dcc.Graph(id=Ids.k_choice, figure=_k_figure(frame, lang), config=GRAPH)]
    if given:
        body.insert(0, html.Div(t("segmentation.k_given", lang), className="small text-muted"))
    return section(t("segmentation.k_choice", lang), html.Div(body), t("segmentation.k_note", lang))


# --- the map ------------------------------------------------------------------------------------


def _map_figure(points: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    fig = go.Figure()
    for segment, part in points.groupby("segment", sort=True):
        segment = int(segment)
        fig.add_trace(
            go.Scattergl(
                x=part["x"].tolist(),
                y=part["y"].tolist(),
                mode="markers",
                name=names.get(segment, str(segment)),
                marker={"size": 4, "opacity": 0.6},
                customdata=[segment] * len(part),  # the segment query's one dimension
                hovertemplate="%{fullData.name}<extra></extra>",
            )
        )
    fig.update_layout(
        margin={"l": 30, "r": 10, "t": 10, "b": 30},
        height=420,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.12},
    )
    return fig


def _map_section(result: dict, names: dict[int, str], lang: str):
    points = result["map"]
    title = t("segmentation.map", lang)
    if points.empty:
        return section(title, empty_state(t("segmentation.no_output", lang)))
    note = t(
        "segmentation.map_note",
        lang,
        shown=_n(len(points), lang),
        total=_n(result["segmentation"]["customers"], lang),
    )
    return section(title, _graph(MAP, _map_figure(points, names)), note)


# --- profiles ----------------------------------------------------------------------------------


def _profiles_section(state: ViewState, result: dict, lang: str):
    title = t("segmentation.profiles", lang)
    frame = result["profiles"]
    month = result["segmentation"]["month"]
    parts = [ignored_note(state.ignored(view.CUBE), lang)]
    if not result["segmentation"]["in_cube"]:
        parts.append(empty_state(t("segmentation.not_in_cube", lang)))
    elif frame.empty or not frame["customers"].sum():
        parts.append(empty_state(t("segmentation.empty", lang), "segmentation--empty"))
    else:
        selected = state.selected(SEGMENTS)
        bars = bar_chart(
            frame,
            "name",
            "customers",
            "segment",
            "count",
            lang,
            selected.values if selected else (),
            y_title=member_label("customers.customers", lang),
        )
        headers = {
            "name": t("segmentation.segment", lang),
            "customers": member_label("customers.customers", lang),
            "share": t("segmentation.share", lang),
            "aum": member_label("customers.aum", lang),
            "aum_share": t("segmentation.aum_share", lang),
            "contribution": member_label("customers.contribution", lang),
            "contribution_share": t("segmentation.contribution_share", lang),
        }
        formats = {
            "customers": "count",
            "share": "percent",
            "aum": "money_compact",
            "aum_share": "percent",
            "contribution": "money_compact",
            "contribution_share": "percent",
        }
        rows = frame.assign(_row_id=["" if s is None else str(s) for s in frame["segment"]])
        grid = data_grid(rows, headers, grid_id(SEGMENTS), lang, formats)
        grid.getRowId = "params.data._row_id"
        grid.style = {"height": f"{min(460, 90 + 42 * len(rows))}px"}
        parts += [
            dbc.Row([dbc.Col(_graph(SEGMENTS, bars), lg=5), dbc.Col(grid, lg=7)], className="g-2"),
            _links(state, frame, lang),
        ]
    parts.append(_zscore_block(result, lang))
    return section(title, html.Div(parts), t("segmentation.profiles_note", lang, month=month))


def _links(state: ViewState, frame: pd.DataFrame, lang: str):
    lines = []
    for segment, name in zip(frame["segment"], frame["name"], strict=True):
        if segment is None:
            continue
        hrefs = view.related_hrefs(state, segment)
        links = [
            dcc.Link(
                t(f"nav.{key}", lang), href=href, className="me-2", id=f"segmentation--link-{key}-{segment}"
            )
            for key, href in hrefs.items()
        ]
        lines.append(
            html.Div(
                [html.Span(t("segmentation.open_in", lang, segment=name) + ": ", className="me-1"), *links]
            )
        )
    return html.Div(
        [html.H6(t("segmentation.open_links", lang), className="mt-2"), *lines],
        id=Ids.links,
        className="small",
    )


def _zscore_block(result: dict, lang: str):
    frame = result["zscores"]
    if frame.empty:
        return empty_state(t("segmentation.no_output", lang))
    names = view.name_map_of(result["names"], lang)
    features = list(dict.fromkeys(frame["feature"]))
    segments = sorted(frame["segment"].unique().tolist())
    fig = heatmap(
        frame,
        "feature",
        "segment",
        "z",
        "number",
        lang,
        x_order=features,
        y_order=segments,
        x_labels=dict(zip(frame["feature"], frame["feature_label"], strict=True)),
        y_labels=names,
        height=140 + 34 * len(segments),
    )
    fig.update_traces(colorscale=DIVERGING, zmid=0, showscale=True)
    fig.update_xaxes(tickangle=-40)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 130, "b": 10})
    return html.Div(
        [
            html.H6(t("segmentation.zscores", lang), className="mt-3"),
            html.Div(t("segmentation.zscores_note", lang), className="small text-muted"),
            _graph(ZSCORES, fig),
        ]
    )


# --- names ---------------------------------------------------------------------------------------


def _names_section(result: dict, user, lang: str):
    if user.role not in EDITORS or result.get("segmentation") is None:
        return None
    names = result["names"]
    column = "segment_name_zh" if lang == "zh" else "segment_name"
    options = [
        {
            "label": f"{s} · {n}" + (f" ({t('segmentation.edited', lang)})" if e else ""),
            "value": int(s),
        }
        for s, n, e in zip(names["segment"], names[column], names["edited"], strict=True)
    ]
    first = names.iloc[0] if len(names) else None
    body = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(
                        t("segmentation.segment", lang), html_for=Ids.name_segment, className="small mb-0"
                    ),
                    dcc.Dropdown(
                        id=Ids.name_segment,
                        options=options,
                        value=int(first["segment"]) if first is not None else None,
                        clearable=False,
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(t("segmentation.name_en", lang), html_for=Ids.name_en, className="small mb-0"),
                    dbc.Input(
                        id=Ids.name_en,
                        value=first["segment_name"] if first is not None else "",
                        maxLength=view.NAME_MAX_LENGTH,
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(t("segmentation.name_zh", lang), html_for=Ids.name_zh, className="small mb-0"),
                    dbc.Input(
                        id=Ids.name_zh,
                        value=first["segment_name_zh"] if first is not None else "",
                        maxLength=view.NAME_MAX_LENGTH,
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                dbc.Button(t("segmentation.save_name", lang), id=Ids.name_save, color="primary", size="sm"),
                md=2,
                className="d-flex align-items-end",
            ),
            html.Div(id=Ids.name_message, className="small mt-2"),
        ],
        className="g-2",
    )
    return section(t("segmentation.names", lang), body, t("segmentation.names_note", lang))


@callback(
    Output(Ids.name_en, "value"),
    Output(Ids.name_zh, "value"),
    Input(Ids.name_segment, "value"),
    prevent_initial_call=True,
)
def fill_segment_names(segment):
    """The chosen segment's current names, ready to edit."""
    require_role(*EDITORS)
    run = view.latest("segmentation")
    if run is None or not isinstance(segment, int):
        raise PreventUpdate
    names = view.names(run).set_index("segment")
    if segment not in names.index:
        raise PreventUpdate
    return names.loc[segment, "segment_name"], names.loc[segment, "segment_name_zh"]


@callback(
    Output(Ids.name_message, "children"),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(Ids.name_save, "n_clicks"),
    State(Ids.name_segment, "value"),
    State(Ids.name_en, "value"),
    State(Ids.name_zh, "value"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def save_segment_names(clicks, segment, name_en, name_zh, search):
    """An analyst's or admin's names for a segment: saved, audited, and shown everywhere (the
    page reloads with a new ``x_names`` revision so every chart shows them)."""
    lang = current_lang()
    if not clicks:
        raise PreventUpdate
    try:
        user = require_role(*EDITORS)
    except NotAllowed:
        return html.Span(t("segmentation.name_not_allowed", lang), className="text-danger"), no_update
    run = view.latest("segmentation")
    if run is None or isinstance(segment, bool) or not isinstance(segment, int):
        raise PreventUpdate
    try:
        change = view.rename(run, segment, name_en, name_zh, user.username)
    except view.InvalidName as exc:
        return html.Span(t("segmentation.name_invalid", lang, error=exc), className="text-danger"), no_update
    audit.record(
        user.username,
        "segment_renamed",
        f"{change.run_id} segment {change.segment}: {change.before[0]} / {change.before[1]} -> "
        f"{change.after[0]} / {change.after[1]}",
    )
    message = t("segmentation.name_saved", lang, segment=segment, en=change.after[0], zh=change.after[1])
    if not change.published:
        message += " " + t("segmentation.name_saved_not_published", lang)
    state = state_of(search).with_param("names", str(change.revision))
    return html.Span(message, className="text-success"), state.search()


# --- migration -----------------------------------------------------------------------------------


def _migration_options(result: dict, lang: str) -> list[dict]:
    seg = result["segmentation"]
    run = view.latest("segmentation")
    back = (run.params or {}).get("compare_months_back", 6) if run else 6
    earlier = shift_month(seg["month"], -back) if back else "-"
    options = [{"label": t("segmentation.migration_period", lang, months=back, month=earlier), "value": ""}]
    options += [
        {"label": t("segmentation.migration_run", lang, run_id=r["run_id"], k=r["k"]), "value": r["run_id"]}
        for r in result["previous"]
    ]
    return options


def _migration_section(result: dict, lang: str):
    title = t("segmentation.migration", lang)
    chooser = html.Div(
        [
            dbc.Label(
                t("segmentation.migration_vs", lang), html_for=Ids.migration_vs, className="small mb-0"
            ),
            dcc.Dropdown(
                id=Ids.migration_vs,
                options=_migration_options(result, lang),
                value=result["compared"] or "",
                clearable=False,
            ),
        ],
        className="mb-2",
        style={"maxWidth": "520px"},
    )
    frame = result["migration"]
    if frame.empty:
        return section(title, html.Div([chooser, empty_state(t("segmentation.migration_none", lang))]))
    before = list(dict.fromkeys(frame["before"]))
    after = list(dict.fromkeys(frame["after"]))
    fig = heatmap(
        frame,
        "after",
        "before",
        "share",
        "percent",
        lang,
        x_order=after,
        y_order=before,
        x_labels=dict(zip(frame["after"], frame["after_label"], strict=True)),
        y_labels=dict(zip(frame["before"], frame["before_label"], strict=True)),
        x_title=t("segmentation.after", lang),
        y_title=t("segmentation.before", lang),
        height=150 + 34 * len(before),
    )
    cells = {(r.before, r.after): r for r in frame.itertuples()}
    fig.data[0].customdata = [
        [[SEGMENT_MEMBER, a if isinstance(a, int) else None] for a in after] for _ in before
    ]
    fig.data[0].text = [
        [_n(cells[(b, a)].customers, lang) if (b, a) in cells else "" for a in after] for b in before
    ]
    fig.data[0].hovertext = [
        [
            t(
                "segmentation.migration_hover",
                lang,
                before=cells[(b, a)].before_label,
                after=cells[(b, a)].after_label,
                customers=_n(cells[(b, a)].customers, lang),
                share=format_value(cells[(b, a)].share, "percent", lang),
            )
            if (b, a) in cells
            else ""
            for a in after
        ]
        for b in before
    ]
    fig.data[0].hovertemplate = "%{hovertext}<extra></extra>"
    fig.update_xaxes(tickangle=-30)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 140, "b": 10})
    return section(title, html.Div([chooser, _graph(MIGRATION, fig)]), t("segmentation.migration_note", lang))


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Input(Ids.migration_vs, "value"),
    State(LOCATION, "search"),
    prevent_initial_call=True,
)
def choose_migration(vs, search):
    """What the migration compares with lives in the URL (``x_vs``: an earlier run's id)."""
    require_user()
    state = state_of(search)
    value = vs if isinstance(vs, str) and vs and len(vs) <= 64 else None
    new = state.with_param("vs", value)
    if new == state:
        raise PreventUpdate
    return new.search()


# --- value --------------------------------------------------------------------------------------


def _value_section(state: ViewState, result: dict, user, lang: str):
    value = result["value"]
    if value is None:
        return None
    title = t("segmentation.value", lang)
    if not value["in_cube"]:
        return section(title, dbc.Alert(t("segmentation.not_in_cube", lang), color="info"))
    pyramid = result["pyramid"]
    if pyramid.empty or not pyramid["customers"].sum():
        return section(title, empty_state(t("segmentation.empty", lang)))
    charts = []
    for key, column, fmt in (
        (PYRAMID, "customers", "count"),
        (PYRAMID_AUM, "aum", "money"),
    ):
        fig = bar_chart(
            pyramid,
            "label",
            column,
            "key",
            fmt,
            lang,
            horizontal=True,
            y_title=member_label(f"customers.{column}", lang),
        )
        share = pyramid["share" if column == "customers" else "aum_share"]
        fig.data[0].hovertext = [
            f"{format_value(v, fmt, lang)} ({format_value(s, 'percent', lang)})"
            for v, s in zip(pyramid[column], share, strict=True)
        ]
        charts.append(dbc.Col(_graph(key, fig), lg=4))
    by_tier = result["potential_by_tier"]
    potential_chart = (
        _graph(POTENTIAL, bar_chart(by_tier, "label", "customers", "key", "count", lang, horizontal=True))
        if len(by_tier)
        else empty_state(t("segmentation.empty", lang))
    )
    charts.append(dbc.Col([html.H6(t("segmentation.potential_by_tier", lang)), potential_chart], lg=4))
    return html.Div(
        [
            section(
                t("segmentation.pyramid", lang),
                dbc.Row(charts),
                t("segmentation.pyramid_note", lang, month=value["month"]),
            ),
            _potential_list(result, user, lang),
        ]
    )


def _potential_list(result: dict, user, lang: str):
    title = t("segmentation.potential", lang)
    if not roles.may_see_customers(user.role):
        return section(title, dbc.Alert(t("segmentation.rows_hidden", lang), color="info", id=Ids.no_rows))
    rows = result.get("potential")
    if rows is None or rows.frame.empty:
        return section(title, empty_state(t("segmentation.empty", lang)))
    note = cut_note(len(rows.frame), rows.total_rows, lang, "segmentation--potential-cut")
    table = result_table(rows, lang, Ids.potential, key="customer_id", height="460px")
    text = t("segmentation.potential_note", lang, total=_n(rows.total_rows, lang))
    return section(title, html.Div([html.Div(text, className="small text-muted mb-1"), note, table]))


# --- the page -------------------------------------------------------------------------------------


def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    user = require_user()
    lang = current_lang()
    state = view_state(params)
    result = view.render(state, current_scope(), lang, with_rows=roles.may_see_customers(user.role))
    version = result["version"]
    head = [
        html.H3(t("segmentation.title", lang)),
        html.Div(t("segmentation.subtitle", lang, version=version or "-"), className="small text-muted mb-2"),
    ]
    if version is None:
        return html.Div([*head, empty_state(t("segmentation.no_version", lang), "segmentation--empty")])
    body = [
        *head,
        *_headers(result, lang),
        carried_scores_note(scored_months(), ("segmentation", "value"), lang, Ids.carried),
    ]
    if result["segmentation"] is not None:
        names = view.name_map_of(result["names"], lang)
        body += [
            _factors_section(result, lang),
            dbc.Row(
                [
                    dbc.Col(_k_section(result, lang), xl=5),
                    dbc.Col(_map_section(result, names, lang), xl=7),
                ]
            ),
            _profiles_section(state, result, lang),
            _names_section(result, user, lang),
            _migration_section(result, lang),
        ]
    body.append(_value_section(state, result, user, lang))
    return html.Div(body)
