"""Channels: how customers use counters, machines, phones and apps.

Volume, amount, transacting customers and fees by channel or channel type over 13 months; the
period's channel mix; the share of each channel in each branch; when customers come (weekday x
hour); how customers' main channel moved since the comparison month; channel preference by age
band, segment or value tier; and the channel anomalies (channel x branch x month cells far from
their seasonal baseline), each drillable to its transactions. Reads the ``transactions`` and
``customers`` cubes through the declared queries of ``cube.views.channels``. Every chart and
table answers the frame's click menu.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from components.figures import bar_chart, heatmap, line_chart
from components.formatting import format_value
from components.frame import chart_id, grid_id, ignored_note
from components.i18n import t
from components.layout import empty_state, section
from components.tables import data_grid
from cube.api import member_label
from cube.views import channels as view
from cube.views.options import months
from cube.views.state import ViewState
from pages._frame import register_chart, state_of, view_state
from pages._session import current_lang, current_scope, require_user
from pages._view_cache import cached_view

dash.register_page(__name__, path="/channels", name="Channels", order=3, nav_key="channels")

TREND = register_chart(view.TREND_CHART, "channels", view.trend_query)
MIX = register_chart(view.MIX_CHART, "channels", view.mix_query, "transactions.txn_count")
SHARE = register_chart(view.SHARE_CHART, "channels", view.share_query)
BUSY = register_chart(view.BUSY_CHART, "channels", view.busy_query)
MIGRATION = register_chart(view.MIGRATION_CHART, "channels", view.migration_query)
PREFERENCE = register_chart(view.PREFERENCE_CHART, "channels", view.preference_query, "customers.txn_count")
ANOMALIES = register_chart(
    view.ANOMALY_CHART,
    "channels",
    view.anomaly_scan_query,
    "transactions.txn_count",
    row=view.anomaly_cell_query,
)
GRAPH = {"displayModeBar": False}


class Ids:
    measure = "channels--measure"
    level = "channels--level"
    channel = "channels--busy-channel"
    pref = "channels--pref"
    migration_summary = "channels--migration-summary"
    ignored = "channels--ignored"


def _dropdown(label: str, element_id: str, options: list[dict], value, md: int = 3):
    return dbc.Col(
        [
            dbc.Label(label, html_for=element_id, className="small mb-0 text-muted"),
            dcc.Dropdown(id=element_id, options=options, value=value, clearable=False),
        ],
        md=md,
    )


# --- trend and mix -----------------------------------------------------------------------------


def _trend_section(state: ViewState, c: dict, lang: str):
    frame = view.trend(state, current_scope(), lang)
    head = dbc.Row(
        [
            _dropdown(
                t("channels.measure", lang),
                Ids.measure,
                [{"label": view.measure_label(k, lang), "value": k} for k in view.MEASURES],
                c["measure"],
            ),
            _dropdown(
                t("channels.level", lang),
                Ids.level,
                [{"label": member_label(f"transactions.{lvl}", lang), "value": lvl} for lvl in view.LEVELS],
                c["level"],
            ),
        ],
        className="g-2 mb-2",
    )
    if frame.empty:
        return section(t("channels.trend", lang), html.Div([head, empty_state(t("channels.empty", lang))]))
    measure = c["measure"]
    wide = frame.pivot_table(index="month", columns="key", values=measure, aggfunc="sum").reset_index()
    names = dict(zip(frame["key"], frame["label"], strict=False))
    keys = [k for k in wide.columns if k != "month"]
    wide.columns = ["month", *[f"k{k}" for k in keys]]
    fmt = view.MEASURES[measure]
    info_fmt = "money" if measure in ("amount", "fee") else "count"
    figure = line_chart(
        wide, "month", {f"k{k}": names[k] for k in keys}, info_fmt, lang, y_title=member_label(fmt, lang)
    )
    for trace, key in zip(figure.data, keys, strict=True):
        trace.customdata = [view._key(key)] * len(wide)
    chart = dcc.Graph(id=chart_id(TREND), figure=figure, config=GRAPH)
    return section(t("channels.trend", lang), html.Div([head, chart]), t("channels.trend_note", lang))


def _mix_section(state: ViewState, lang: str):
    frame, result = view.mix(state, current_scope(), lang)
    title = t("channels.mix", lang, period=state.period)
    if frame.empty:
        return section(title, empty_state(t("channels.empty", lang)))
    member = view.mix_query(state).dimensions[0]
    shown = pd.DataFrame(
        {
            "label": frame[f"{member}.label"].astype(str),
            "value": frame["transactions.txn_count"],
            "key": frame[member],
        }
    )
    selected = state.selected(MIX)
    bars = bar_chart(
        shown,
        "label",
        "value",
        "key",
        "count",
        lang,
        selected.values if selected else (),
        y_title=member_label("transactions.txn_count", lang),
        horizontal=True,
    )
    # AG Grid reads dotted field names as paths: the table gets plain column names, with the
    # headers and formats the cube's column metadata gives
    measures = [m for m in view.mix_query(state).measures if m in frame]
    table_frame = pd.DataFrame(
        {
            "label": frame[f"{member}.label"].astype(str),
            **{m.split(".")[1]: frame[m].astype(float) for m in measures},
            "_row_id": frame[member].astype(str),
        }
    )
    headers = {"label": result.columns[member].label(lang)}
    headers |= {m.split(".")[1]: result.columns[m].label(lang) for m in measures}
    formats = {m.split(".")[1]: result.columns[m].fmt for m in measures}
    table = data_grid(table_frame, headers, grid_id(MIX), lang, formats)
    table.getRowId = "params.data._row_id"
    table.style = {"height": f"{min(420, 90 + 42 * len(frame))}px"}
    return section(
        title,
        dbc.Row(
            [
                dbc.Col(dcc.Graph(id=chart_id(MIX), figure=bars, config=GRAPH), lg=5),
                dbc.Col(table, lg=7),
            ]
        ),
    )


# --- matrices ---------------------------------------------------------------------------------


def _share_section(state: ViewState, lang: str):
    frame = view.share(state, current_scope(), lang)
    title = t("channels.share", lang)
    if frame.empty:
        return section(title, empty_state(t("channels.empty", lang)))
    order = frame.groupby("key")["txn_count"].sum().sort_values(ascending=False).index.tolist()
    figure = heatmap(
        frame,
        "key",
        "branch",
        "share",
        "percent",
        lang,
        key="branch",
        x_order=order,
        x_labels=dict(zip(frame["key"], frame["label"], strict=False)),
        y_labels=dict(zip(frame["branch"], frame["branch_label"], strict=False)),
    )
    figure.update_layout(margin={"l": 220, "r": 10, "t": 60, "b": 10})
    return section(
        title,
        dcc.Graph(id=chart_id(SHARE), figure=figure, config=GRAPH),
        t("channels.share_note", lang, period=state.period),
    )


def _channel_options(state: ViewState, lang: str) -> list[dict]:
    frame, result = view.mix(state.with_param("level", "channel"), current_scope(), lang)
    opts = [{"label": t("channels.all_channels", lang), "value": ""}]
    member = "transactions.channel"
    return opts + [
        {"label": str(lbl), "value": str(view._key(k))}
        for k, lbl in zip(frame[member], frame[f"{member}.label"], strict=True)
    ]


def _busy_section(state: ViewState, c: dict, lang: str):
    frame = view.busy(state, current_scope(), lang)
    head = dbc.Row(
        _dropdown(
            t("channels.busy_channel", lang),
            Ids.channel,
            _channel_options(state, lang),
            str(c["channel"]) if c["channel"] else "",
            md=6,
        ),
        className="g-2 mb-2",
    )
    title = t("channels.busy", lang)
    if frame.empty:
        return section(title, html.Div([head, empty_state(t("channels.empty", lang))]))
    days = frame.drop_duplicates("weekday").sort_values("weekday")
    figure = heatmap(
        frame,
        "hour",
        "weekday",
        "txn_count",
        "count",
        lang,
        x_order=list(range(24)),
        y_order=days["weekday"].tolist(),
        y_labels=dict(zip(days["weekday"], days["weekday_label"], strict=True)),
        x_title=t("channels.hour", lang),
        show_text=False,
        height=300,
    )
    figure.update_traces(showscale=True)
    return section(
        title,
        html.Div([head, dcc.Graph(id=chart_id(BUSY), figure=figure, config=GRAPH)]),
        t("channels.busy_note", lang, period=state.period),
    )


def _migration_section(state: ViewState, lang: str):
    frame = view.migration(state, current_scope(), lang)
    title = t("channels.migration", lang)
    if frame.empty:
        return section(title, empty_state(t("channels.empty", lang)))
    names = {**view.channel_names(lang), view.NONE_KEY: t("channels.none", lang)}
    order = [*view.channel_codes(), view.NONE_KEY]
    present = set(frame["before"]) | set(frame["after"])
    order = [c for c in order if c in present]
    frame = frame.assign(_key=[None if b == view.NONE_KEY else b for b in frame["before"]])
    figure = heatmap(
        frame,
        "after",
        "before",
        "customers",
        "count",
        lang,
        key="_key",
        x_order=order,
        y_order=order,
        x_labels=names,
        y_labels=names,
    )
    figure.update_xaxes(tickangle=-45)
    figure.update_layout(margin={"l": 160, "r": 10, "t": 110, "b": 10}, height=520)
    basis = view.migration_basis(state)
    before = t(f"channels.{basis}", lang)
    summary = view.migration_summary(frame)
    counts = {k: format_value(v, "count", lang) for k, v in summary.items()}
    notes = [
        html.Div(
            t("channels.migration_summary", lang, **counts), className="small mb-1", id=Ids.migration_summary
        )
    ]
    if state.compare == "month":
        notes.append(html.Div(t("channels.migration_month_note", lang), className="small text-warning"))
    return section(
        title,
        html.Div([*notes, dcc.Graph(id=chart_id(MIGRATION), figure=figure, config=GRAPH)]),
        t("channels.migration_note", lang, period=state.period, before=before),
    )


def _preference_section(state: ViewState, c: dict, lang: str):
    frame = view.preference(state, current_scope(), lang)
    head = dbc.Row(
        _dropdown(
            t("channels.preference", lang),
            Ids.pref,
            [{"label": member_label(f"customers.{b}", lang), "value": b} for b in view.PREFERENCE_BY],
            c["pref"],
        ),
        className="g-2 mb-2",
    )
    title = t("channels.preference", lang) + " " + member_label(f"customers.{c['pref']}", lang)
    if frame.empty:
        return section(title, html.Div([head, empty_state(t("channels.empty", lang))]))
    frame = frame.assign(
        _group=frame["label"], _key=[view._key(k) if pd.notna(k) else None for k in frame["key"]]
    )
    groups = list(dict.fromkeys(frame["_group"]))
    figure = heatmap(
        frame,
        "channel",
        "_group",
        "share",
        "percent",
        lang,
        key="_key",
        x_order=view.channel_codes(),
        y_order=groups,
        x_labels=view.channel_names(lang),
    )
    figure.update_layout(margin={"l": 120, "r": 10, "t": 60, "b": 10})
    return section(
        title,
        html.Div([head, dcc.Graph(id=chart_id(PREFERENCE), figure=figure, config=GRAPH)]),
        t("channels.preference_note", lang, period=state.period),
    )


# --- anomalies --------------------------------------------------------------------------------


def _what(row, lang: str) -> str:
    if row["driver"] == "days":
        return t(
            "channels.what.days",
            lang,
            observed=format_value(row["window_observed"], "count", lang),
            days=int(row["window_days"]),
            start=row["window_start"],
            expected=format_value(round(row["window_expected"]), "count", lang),
        )
    return t(f"channels.what.{row['driver']}", lang, direction=t(f"channels.{row['direction']}", lang))


def _anomaly_section(state: ViewState, lang: str):
    frame = view.anomalies(state, current_scope(), lang)
    title = t("channels.anomalies", lang)
    note = t("channels.anomalies_note", lang, period=state.period)
    if frame.empty:
        return section(title, empty_state(t("channels.no_anomalies", lang), "channels--no-anomalies"), note)
    shown = pd.DataFrame(
        {
            "month": frame["month"],
            "branch": frame["branch_label"],
            "channel": frame["channel_label"],
            "txn_count": frame["txn_count"].astype(float),
            "expected": frame["expected_txn_count"].round(0),
            "change": frame["txn_count"] / frame["expected_txn_count"] - 1,
            "z": frame["severity"].where(frame["direction"] == "up", -frame["severity"]).round(1),
            "what": [_what(r, lang) for _, r in frame.iterrows()],
            "_row_id": frame["row_id"],
        }
    )
    headers = {
        c: t(f"channels.col.{c}", lang)
        for c in ("month", "branch", "channel", "txn_count", "expected", "change", "z", "what")
    }
    formats = {"txn_count": "count", "expected": "count", "change": "percent", "z": "number"}
    grid = data_grid(shown, headers, grid_id(ANOMALIES), lang, formats, page_size=20)
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(520, 90 + 42 * len(shown))}px"}
    return section(title, grid, note)


# --- the page ---------------------------------------------------------------------------------


@cached_view("channels")
def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    require_user()
    lang = current_lang()
    state = view_state(params)
    if state.period is None:
        return empty_state(t("frame.no_data_months", lang), "channels--empty")
    c = view.controls(state)
    other = state.comparison(months(current_scope()))
    return html.Div(
        [
            html.H3(t("channels.title", lang)),
            html.Div(
                t("channels.subtitle", lang, period=state.period, other=other or "-"),
                className="small text-muted mb-2",
            ),
            ignored_note(state.ignored(view.TXN) + state.ignored(view.CUS), lang, Ids.ignored),
            _trend_section(state, c, lang),
            _mix_section(state, lang),
            _anomaly_section(state, lang),
            _share_section(state, lang),
            dbc.Row(
                [
                    dbc.Col(_busy_section(state, c, lang), lg=6),
                    dbc.Col(_migration_section(state, lang), lg=6),
                ]
            ),
            _preference_section(state, c, lang),
        ]
    )


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.measure, "value"),
    Input(Ids.level, "value"),
    Input(Ids.channel, "value"),
    Input(Ids.pref, "value"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def choose_channel_controls(measure, level, channel, pref, search):
    """The page's controls live in the URL (``x_measure`` ...), so a view can be saved; values
    equal to the defaults stay out of it."""
    require_user()
    state = state_of(search)
    defaults = {"measure": view.DEFAULT_MEASURE, "level": view.DEFAULT_LEVEL, "pref": view.DEFAULT_PREFERENCE}
    new = state
    for name, value in (("measure", measure), ("level", level), ("channel", channel), ("pref", pref)):
        value = value if isinstance(value, str) and value != defaults.get(name) else None
        new = new.with_param(name, value)
    if new == state:
        raise PreventUpdate
    return new.search()
