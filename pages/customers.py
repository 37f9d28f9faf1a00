"""Customers: structure, behaviour, value, change and risk of the customer base.

Reads the ``customers`` cube (customer_month) and the ``customer_tiers`` cube (AUM tiers,
deciles and cohorts built at load time) through the declared queries of
``cube.views.customers``. Sections: a pivot of any two customer attributes with subtotals
(every figure a cube query), transactions per customer by channel and type, activity and
products by segment, the value pyramid (published value run), the Pareto curve and
contribution deciles, new/lost/net customers, cohort retention, AUM-tier migration, and the
risk lists' state. Every chart and table opens the frame's click menu; customer rows only
where the role may see them.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.figures import bar_chart, flow_bars, grouped_bars, pareto_chart
from components.formatting import format_value
from components.frame import chart_id, grid_id, ignored_note
from components.i18n import t
from components.layout import empty_state, section
from components.result_table import result_table
from components.scores_note import carried_scores_note
from components.tables import cut_note, data_grid
from cube import api
from cube.views import cross_sell as cross_sell_view
from cube.views import customers as view
from cube.views.state import ViewState
from pages._frame import register_chart, state_of, view_state
from pages._session import current_lang, current_scope, require_user

dash.register_page(__name__, path="/customers", name="Customers", order=1, nav_key="customers")

PAGE = "customers"
PIVOT = register_chart(view.PIVOT_CHART, PAGE, view.pivot_chart_query)
CHANNELS = register_chart(view.CHANNEL_CHART, PAGE, view.channel_query, "customers.txn_per_customer")
TYPES = register_chart(view.TYPE_CHART, PAGE, view.type_query, "transactions.txn_count")
SEGMENTS = register_chart(view.SEGMENT_CHART, PAGE, view.segment_query, "customers.customers")
PYRAMID = register_chart(view.PYRAMID_CHART, PAGE, view.pyramid_query, "customers.customers")
PARETO = register_chart(view.PARETO_CHART, PAGE, view.decile_query, "customer_tiers.aum")
DECILES = register_chart(
    view.DECILE_CHART, PAGE, view.contribution_decile_query, "customer_tiers.contribution"
)
FLOWS = register_chart(view.FLOW_CHART, PAGE, view.flow_query, "customers.new_customers")
COHORTS = register_chart(view.COHORT_CHART, PAGE, view.cohort_query, "customer_tiers.customers")
MIGRATION = register_chart(view.MIGRATION_CHART, PAGE, view.migration_chart_query, "customer_tiers.customers")
GRAPH = {"displayModeBar": False}


class Ids:
    state = "customers--state"
    pivot_rows = "customers--pivot-rows"
    pivot_cols = "customers--pivot-cols"
    pivot_measure = "customers--pivot-measure"
    pareto_summary = "customers--pareto-summary"
    value_not_run = "customers--value-not-run"
    not_scored = "customers--not-scored"
    big = "customers--big"
    no_rows = "customers--no-rows"
    churn = "customers--churn"
    segments_carried = "customers--segments-carried"
    value_carried = "customers--value-carried"
    churn_carried = "customers--churn-carried"
    dormant = "customers--dormant"
    migration_free = "customers--migration-free"


def _grid_height(rows: int) -> dict:
    return {"height": f"{min(460, 60 + 42 * rows)}px"}


def _segment_grid(frame, columns: dict, lang: str):
    """The segment table: headers and formats from the result's column metadata; fields
    without dots (AG Grid reads a dotted field as a path)."""
    label = api.label_column("customers.segment")
    shown = {"segment": frame[label]}
    headers = {"segment": columns["customers.segment"].label(lang)}
    formats = {}
    for c in (*view.SEGMENT_MEASURES, "inactive_customers"):
        key = c.split(".")[-1]
        shown[key] = frame[c]
        headers[key] = columns[c].label(lang)
        formats[key] = (
            columns[c].fmt if columns[c].fmt in ("money", "count", "percent", "number") else "number"
        )
    table = pd.DataFrame(shown)
    table["_row_id"] = [str(int(v)) if pd.notna(v) else "" for v in frame["customers.segment"]]
    grid = data_grid(table, headers, grid_id(SEGMENTS), lang, formats)
    grid.getRowId = "params.data._row_id"
    grid.style = _grid_height(len(table))
    return grid


# --- structure ------------------------------------------------------------------------------


def _pivot_section(state: ViewState, lang: str):
    controls = view.pivot_controls(state)
    result = view.pivot(state, current_scope(), lang)
    cube = result["cube"]

    def options(names):
        return [{"label": api.member_label(f"{view.TIERS}.{n}", lang), "value": n} for n in names]

    measures = [{"label": api.member_label(f"customers.{m}", lang), "value": m} for m in view.PIVOT_MEASURES]
    pickers = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(t("customers.pivot_rows", lang)),
                    _dropdown(Ids.pivot_rows, options(view.PIVOT_DIMENSIONS), controls["rows"]),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(t("customers.pivot_cols", lang)),
                    _dropdown(Ids.pivot_cols, options(view.PIVOT_DIMENSIONS), controls["cols"]),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(t("customers.pivot_measure", lang)),
                    _dropdown(Ids.pivot_measure, measures, controls["measure"]),
                ],
                md=4,
            ),
        ],
        className="mb-2",
    )
    table = result["table"].copy()
    total_label = t("customers.total", lang)
    table["label"] = table["label"].fillna(total_label)
    table["_row_id"] = [str(k) if k is not None else "total" for k in table["key"]]
    headers = {"label": api.member_label(result["rows"], lang)}
    headers |= {key: label for key, label in result["columns"]}
    headers["total"] = total_label
    fmt = result["fmt"] if result["fmt"] in ("money", "count", "percent", "number") else "number"
    grid = data_grid(table, headers, grid_id(PIVOT), lang, {c: fmt for c in headers if c != "label"})
    grid.getRowId = "params.data._row_id"
    grid.style = _grid_height(len(table))
    return section(
        t("customers.structure", lang),
        html.Div([ignored_note(state.ignored(cube), lang), pickers, grid]),
        t("customers.pivot_note", lang),
    )


def _dropdown(element_id: str, options: list[dict], value: str):
    return dcc.Dropdown(id=element_id, options=options, value=value, clearable=False)


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.pivot_rows, "value"),
    Input(Ids.pivot_cols, "value"),
    Input(Ids.pivot_measure, "value"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def choose_pivot(rows, cols, measure, search):
    """The pivot's controls live in the URL (``x_rows``, ``x_cols``, ``x_measure``)."""
    require_user()
    state = state_of(search)
    new = state
    for name, value in (("rows", rows), ("cols", cols), ("measure", measure)):
        ok = isinstance(value, str) and value != view.DEFAULT_PIVOT[name]
        new = new.with_param(name, value if ok else None)
    if new == state:
        raise PreventUpdate
    return new.search()


# --- behaviour ------------------------------------------------------------------------------


def _behaviour_section(state: ViewState, user, lang: str):
    scope = current_scope()
    per = t("customers.per_customer", lang)
    frame = view.channels(state, scope, lang)
    channels = (
        dcc.Graph(
            id=chart_id(CHANNELS),
            figure=grouped_bars(
                frame,
                "channel_label",
                "segment",
                "segment_label",
                "per_customer",
                "customers.segment",
                "number",
                lang,
                y_title=per,
            ),
            config=GRAPH,
        )
        if not frame.empty
        else empty_state(t("customers.empty", lang))
    )
    types = view.types(state, scope, lang)
    type_chart = dcc.Graph(
        id=chart_id(TYPES),
        figure=bar_chart(types, "label", "per_customer", "key", "number", lang, y_title=per),
        config=GRAPH,
    )
    seg = view.segments(state, scope, lang)
    note = (
        carried_scores_note(api.scored_months(), ("segmentation",), lang, Ids.segments_carried)
        if seg.frame.attrs.get("scored")
        else _not_run("customers.not_scored", "segmentation", user, lang, "info", Ids.not_scored)
    )
    seg_frame = seg.frame
    seg_columns = dict(seg.columns)
    seg_columns["inactive_customers"] = api.ColumnInfo(
        "inactive_customers", "measure", t("customers.inactive", "en"), t("customers.inactive", "zh"), "count"
    )
    grid = _segment_grid(seg_frame, seg_columns, lang)
    return html.Div(
        [
            html.H4(t("customers.behaviour", lang), className="mt-3"),
            dbc.Row(
                [
                    dbc.Col(section(t("customers.channels", lang), channels), lg=7),
                    dbc.Col(
                        section(
                            t("customers.types", lang),
                            html.Div([ignored_note(state.ignored("transactions"), lang), type_chart]),
                            t("customers.types_note", lang),
                        ),
                        lg=5,
                    ),
                ]
            ),
            section(t("customers.segments", lang), html.Div([note, grid])),
        ]
    )


# --- value ----------------------------------------------------------------------------------


def _value_section(state: ViewState, user, lang: str):
    scope = current_scope()
    pyramid = view.pyramid(state, scope, lang)
    if pyramid.empty:
        pyramid_body = _not_run("customers.value_not_run", "value", user, lang, "warning", Ids.value_not_run)
        big = None
    else:
        carried = carried_scores_note(api.scored_months(), ("value",), lang, Ids.value_carried)
        pyramid_body = dcc.Graph(
            id=chart_id(PYRAMID),
            figure=bar_chart(
                pyramid,
                "label",
                "customers",
                "key",
                "count",
                lang,
                horizontal=True,
                y_title=api.member_label("customers.customers", lang),
            ),
            config=GRAPH,
        )
        pyramid_body = html.Div([carried, pyramid_body]) if carried is not None else pyramid_body
        big = _big_customers(state, user, lang)
    curve = view.pareto(state, scope, lang)
    aum_label = api.member_label("customers.aum", lang)
    contribution_label = api.member_label("customers.contribution", lang)
    summary = html.Div(
        t(
            "customers.pareto_summary",
            lang,
            aum=format_value(view.share_of_top(curve, 0.2, "cum_aum"), "percent", lang),
            contribution=format_value(
                view.share_of_top(curve, 0.2, "cum_contribution", "cum_customers_c"), "percent", lang
            ),
        ),
        className="mb-1",
        id=Ids.pareto_summary,
    )
    pareto = dcc.Graph(
        id=chart_id(PARETO),
        figure=pareto_chart(
            curve.iloc[1:],
            "cum_customers",
            {
                "cum_aum": ("cum_customers", aum_label),
                "cum_contribution": ("cum_customers_c", contribution_label),
            },
            "decile",
            "customer_tiers.aum_decile",
            lang,
            x_title=t("customers.share_customers", lang),
            y_title=t("customers.share_held", lang),
        ),
        config=GRAPH,
    )
    deciles = view.deciles(state, scope, "contribution", lang)
    decile_chart = dcc.Graph(
        id=chart_id(DECILES),
        figure=bar_chart(
            deciles,
            "label",
            "contribution_share",
            "decile",
            "percent",
            lang,
            y_title=api.member_label("customers.contribution_share", lang),
        ),
        config=GRAPH,
    )
    return html.Div(
        [
            html.H4(t("customers.value", lang), className="mt-3"),
            dbc.Row(
                [
                    dbc.Col(section(t("customers.pyramid", lang), pyramid_body), lg=4),
                    dbc.Col(
                        section(
                            t("customers.pareto", lang),
                            html.Div([ignored_note(state.ignored(view.TIERS), lang), summary, pareto]),
                            t("customers.pareto_note", lang),
                        ),
                        lg=4,
                    ),
                    dbc.Col(section(t("customers.deciles", lang), decile_chart), lg=4),
                ]
            ),
            big,
            html.Div(t("customers.potential_missing", lang), className="small text-muted mb-3"),
        ]
    )


def _big_customers(state: ViewState, user, lang: str):
    title = t("customers.big", lang)
    if not roles.may_see_customers(user.role):
        return section(title, dbc.Alert(t("customers.rows_hidden", lang), color="info", id=Ids.no_rows))
    result = view.big_customers(state, current_scope(), lang)
    if result.frame.empty:
        return section(title, empty_state(t("customers.empty", lang)))
    note = cut_note(len(result.frame), result.total_rows, lang, "customers--big-cut")
    return section(title, html.Div([note, result_table(result, lang, Ids.big, key="customer_id")]))


# --- change ---------------------------------------------------------------------------------


def _change_section(state: ViewState, lang: str):
    scope = current_scope()
    flows = view.flows(state, scope, lang)
    flow_chart = dcc.Graph(
        id=chart_id(FLOWS),
        figure=flow_bars(
            flows,
            "month",
            ("new", t("customers.new", lang)),
            ("lost", t("customers.lost", lang)),
            ("net", t("customers.net", lang)),
            "key",
            "customers.month",
            lang,
            y_title=api.member_label("customers.customers", lang),
        ),
        config=GRAPH,
    )
    cohorts = view.cohorts(state, scope, lang)
    headers = {"cohort": t("customers.cohort", lang), "opened": t("customers.opened", lang)}
    headers |= {f"m{n}": t("customers.after", lang, n=n) for n in range(1, view.COHORTS)}
    cohort_grid = data_grid(
        cohorts.assign(_row_id=cohorts["key"]),
        headers,
        grid_id(COHORTS),
        lang,
        {"opened": "count", **{f"m{n}": "percent" for n in range(1, view.COHORTS)}},
    )
    cohort_grid.getRowId = "params.data._row_id"
    cohort_grid.style = _grid_height(len(cohorts))
    return html.Div(
        [
            html.H4(t("customers.change", lang), className="mt-3"),
            dbc.Row(
                [
                    dbc.Col(section(t("customers.flows", lang), flow_chart), lg=12),
                    dbc.Col(
                        section(t("customers.cohorts", lang), cohort_grid, t("customers.cohorts_note", lang)),
                        lg=12,
                    ),
                ]
            ),
            _migration_section(state, lang),
        ]
    )


def _migration_section(state: ViewState, lang: str):
    result = view.migration(state, current_scope(), lang)
    if result is None:
        title = t("customers.migration", lang, other="-")
        return section(
            title, dbc.Alert(t("customers.migration_free", lang), color="info", id=Ids.migration_free)
        )
    table = result["table"]
    headers = (
        {"label": t("customers.tier_then", lang)}
        | dict(result["columns"])
        | {"gone": t("customers.gone", lang)}
    )
    grid = data_grid(
        table.assign(_row_id=table["key"]),
        headers,
        grid_id(MIGRATION),
        lang,
        {c: "count" for c in headers if c != "label"},
    )
    grid.getRowId = "params.data._row_id"
    grid.style = _grid_height(len(table))
    summary = html.Div(
        t(
            "customers.migration_summary",
            lang,
            **{k: format_value(result[k], "count", lang) for k in ("up", "down", "same")},
        ),
        className="mb-1",
    )
    return section(
        t("customers.migration", lang, other=result["comparison"]),
        html.Div([summary, grid]),
        t("customers.tiers_note", lang),
    )


def _not_run(key: str, kind: str, user, lang: str, color: str, id_: str) -> dbc.Alert:
    """A model's output is missing for this data: say so, and where it runs (for who may run it)."""
    if roles.may_run_models(user.role):
        where = dcc.Link(t("customers.run_it", lang), href=f"/models?kind={kind}", className="alert-link")
    else:
        where = t("customers.ask_analyst", lang)
    return dbc.Alert([t(key, lang), " ", where], color=color, id=id_)


# --- risk -----------------------------------------------------------------------------------


def _churn_summary(state: ViewState, user, lang: str):
    """Customers by churn risk band from the churn run on the served data (and where their list
    is), or the honest "not run" state."""
    run = cross_sell_view.shown_run("churn", cross_sell_view.served_version())
    if run is None or not api.scored("customers.churn_band"):  # bands come from the published run
        return _not_run("customers.churn_not_run", "churn", user, lang, "warning", Ids.churn)
    bands = cross_sell_view.band_counts(state, current_scope(), run, "churn_band", lang)
    counts = {b: int(n) for b, n in zip(bands["band"], bands["customers"], strict=True)}
    text = t(
        "customers.churn_bands",
        lang,
        high=format_value(counts.get("high", 0), "count", lang),
        medium=format_value(counts.get("medium", 0), "count", lang),
        month=run.month or "-",
    )
    link = dcc.Link(t("customers.churn_list", lang), href="/cross-sell?x_tab=churn", className="alert-link")
    carried = carried_scores_note(api.scored_months(), ("churn",), lang, Ids.churn_carried)
    alert = dbc.Alert([text, " ", link], color="info", id=Ids.churn)
    return alert if carried is None else html.Div([carried, alert])


def _risk_section(state: ViewState, user, lang: str):
    dormant = view.dormant(state, current_scope(), lang)["dormant"]
    return html.Div(
        [
            html.H4(t("customers.risk", lang), className="mt-3"),
            _churn_summary(state, user, lang),
            section(
                t("customers.dormant", lang),
                html.Div(
                    t("customers.dormant_note", lang, dormant=format_value(dormant, "count", lang)),
                    id=Ids.dormant,
                ),
            ),
        ]
    )


def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    user = require_user()
    lang = current_lang()
    state = view_state(params)
    if state.period is None:
        return empty_state(t("frame.no_data_months", lang), "customers--empty")
    return html.Div(
        [
            dcc.Store(id=Ids.state, data=state.to_params()),
            html.H3(t("customers.title", lang)),
            html.Div(
                t("customers.period", lang, period=state.period, other=state.comparison() or "-"),
                className="small text-muted mb-2",
            ),
            ignored_note(state.ignored(view.CUBE), lang),
            _pivot_section(state, lang),
            _behaviour_section(state, user, lang),
            _value_section(state, user, lang),
            _change_section(state, lang),
            _risk_section(state, user, lang),
        ]
    )
