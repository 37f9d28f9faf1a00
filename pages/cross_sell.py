"""Cross-sell (交叉销售): association rules and their product graph, propensity models per
product with their holdout quality, every customer's best next offer, churn warning, dormant
customers to reactivate and the campaign response model.

Shows only the latest succeeded runs on the data version being served (a header names them);
without a run a panel links to the Model runs page. Figures of model quality come from the
run's outputs; counts and customer lists from the ``customers`` cube (published dimensions
``best_offer``, ``propensity_band``, ``churn_band``, ``activation_band``) under the user's
scope, through the declared readers and queries of ``cube.views.cross_sell``. Presenters see
no customer lists; exports where the role allows, audited.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import dash_cytoscape as cyto
import pandas as pd
from dash import MATCH, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import audit, roles
from components.downloads import table_download
from components.formatting import format_value
from components.i18n import MESSAGES, t
from components.layout import empty_state, kpi_card, section
from components.model_charts import (
    GRAPH_STYLESHEET,
    calibration_chart,
    drivers_chart,
    gain_chart,
    graph_elements,
    lift_chart,
)
from components.result_table import result_table
from components.scores_note import carried_scores_note
from components.tables import data_grid
from cube.api import CubeError, not_loaded, scored_months
from cube.views import cross_sell as view
from pages._frame import state_of, view_state
from pages._session import current_lang, current_scope, require_user
from pages.groups import list_group_ids, save_as_controls

dash.register_page(
    __name__, path="/cross-sell", name="Cross-sell", order=6, nav_key="cross_sell", filters=False
)

MODELS_PAGE = "/models"
LIST_KINDS = tuple(view.LISTS)  # offers, churn, dormant


class Ids:
    header = "cross-sell--header"
    carried = "cross-sell--scores-carried"
    tabs = "cross-sell--tabs"
    rules = "cross-sell--rules"
    rules_count = "cross-sell--rules-count"
    min_support = "cross-sell--min-support"
    min_confidence = "cross-sell--min-confidence"
    min_lift = "cross-sell--min-lift"
    rule_product = "cross-sell--rule-product"
    improving_only = "cross-sell--improving-only"
    graph = "cross-sell--graph"
    product = "cross-sell--product"
    propensity = "cross-sell--propensity"
    products = "cross-sell--products"
    offer_counts = "cross-sell--offer-counts"
    churn_counts = "cross-sell--churn-counts"
    dormant_counts = "cross-sell--dormant-counts"
    no_rows = "cross-sell--no-rows"

    @staticmethod
    def of(part: str, kind: str) -> dict:
        """Pattern ids of a customer list's controls (one set per list kind)."""
        return {"type": f"cross-sell-list-{part}", "kind": kind}


# --- small helpers --------------------------------------------------------------------------------


def _fmt(value, fmt: str, lang: str) -> str:
    return format_value(value, fmt, lang)


def feature_label(feature: str, names: dict[str, str], lang: str) -> str:
    """A model feature in words (``holds_CL01`` -> "Holds Consumer loan")."""
    if feature.startswith("holds_"):
        code = feature[len("holds_") :]
        return t("cross_sell.holds", lang, product=names.get(code, code))
    if feature.startswith("share_"):
        return t("cross_sell.feature.share", lang, channel=feature[len("share_") :])
    key = f"cross_sell.feature.{feature}"
    return t(key, lang) if key in MESSAGES else feature


def _band_label(band, lang: str) -> str:
    return t(f"cross_sell.band.{band}", lang) if band in view.BANDS else t("cross_sell.not_scored", lang)


def _runs_header(result: dict, lang: str):
    lines = [html.Div(t("cross_sell.version", lang, version=result["version"]), className="small")]
    for kind, run in result["runs"].items():
        if run is None:
            continue
        lines.append(
            html.Div(
                t(
                    "cross_sell.run_line",
                    lang,
                    model=t(f"cross_sell.model.{kind}", lang),
                    run_id=run.run_id,
                    month=run.month or "-",
                    date=(run.finished_at or "")[:10],
                ),
                className="small text-muted",
                id=f"cross-sell--run-{kind}",
            )
        )
    return html.Div(lines, id=Ids.header, className="mb-2")


def _no_run(kind: str, version: str | None, lang: str, extra: str | None = None):
    """The panel shown where a model has not run on the current data."""
    body = [html.P(t("cross_sell.no_run", lang, model=t(f"cross_sell.model.{kind}", lang), version=version))]
    if extra:
        body.append(html.P(extra, className="small"))
    body.append(
        dcc.Link(
            t("cross_sell.start_run", lang),
            href=f"{MODELS_PAGE}?kind={kind}",
            className="btn btn-sm btn-primary",
            id=f"cross-sell--start-{kind}",
        )
    )
    return dbc.Alert(body, color="light", id=f"cross-sell--no-run-{kind}", className="my-3")


def _graph(element_id: str, figure) -> dcc.Graph:
    return dcc.Graph(id=element_id, figure=figure, config={"displayModeBar": False})


# --- model quality (propensity, churn, dormancy, response) ----------------------------------------


def quality_panel(q: view.Quality | None, prefix: str, names: dict[str, str], lang: str):
    """KPI cards (AUC, top-decile lift, base rate, holdout rows) and the gain, lift,
    calibration and drivers charts of one model."""
    if q is None or q.gain is None:
        return empty_state(t("cross_sell.no_quality", lang), f"cross-sell--{prefix}-none")
    m = q.metrics
    figures = (
        ("auc", "auc", "number", m.get("auc")),
        ("lift10", "lift_10", "number", m.get("lift_10")),
        ("base", "base_rate", "percent", m.get("base_rate")),
        ("rows", "holdout_rows", "count", m.get("rows", m.get("holdout_rows"))),
    )
    cards = dbc.Row(
        [
            dbc.Col(
                kpi_card(
                    t(f"cross_sell.{label}", lang),
                    _fmt(v, fmt, lang),
                    None,
                    None,
                    f"cross-sell--{prefix}-{key}",
                ),
                md=3,
            )
            for key, label, fmt, v in figures
        ],
        className="g-2 mb-2",
    )
    charts = []
    for title, figure, key in (
        (t("cross_sell.gain", lang), gain_chart(q.gain, lang), "gain"),
        (
            t("cross_sell.lift_chart", lang),
            lift_chart(q.deciles, lang) if q.deciles is not None else None,
            "lift",
        ),
        (
            t("cross_sell.calibration", lang),
            calibration_chart(q.calibration, lang) if q.calibration is not None else None,
            "calibration",
        ),
    ):
        if figure is not None:
            charts.append(dbc.Col([html.H6(title), _graph(f"cross-sell--{prefix}-{key}", figure)], lg=4))
    rows = [cards, dbc.Row(charts, className="g-2")]
    if q.drivers is not None and len(q.drivers):
        labels = {f: feature_label(f, names, lang) for f in q.drivers["feature"]}
        rows.append(html.H6(t("cross_sell.drivers", lang), className="mt-2"))
        rows.append(_graph(f"cross-sell--{prefix}-drivers", drivers_chart(q.drivers, labels, lang)))
    return html.Div(rows, id=f"cross-sell--{prefix}-quality")


# --- association rules ----------------------------------------------------------------------------


def rules_rows(frame: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    """Grid rows of the rules table: products by name; conviction None where it is infinite
    (the grid shows "∞")."""
    rows = []
    for r in frame.itertuples(index=False):
        conviction = float(r.conviction)
        rows.append(
            {
                "antecedent": " + ".join(names.get(a, a) for a in r.antecedent),
                "consequent": names.get(r.consequent, r.consequent),
                "support": float(r.support),
                "confidence": float(r.confidence),
                "lift": float(r.lift),
                "leverage": float(r.leverage),
                "conviction": None if conviction == float("inf") else conviction,
                "_row_id": "|".join([*r.antecedent, ">", r.consequent]),
            }
        )
    return rows


def _rules_grid(rows: list[dict], lang: str):
    headers = {
        "antecedent": t("cross_sell.antecedent", lang),
        "consequent": t("cross_sell.consequent", lang),
        "support": t("cross_sell.support", lang),
        "confidence": t("cross_sell.confidence", lang),
        "lift": t("cross_sell.lift", lang),
        "leverage": t("cross_sell.leverage", lang),
        "conviction": t("cross_sell.conviction", lang),
    }
    formats = {c: "number" for c in ("lift", "leverage", "conviction")} | {
        "support": "percent",
        "confidence": "percent",
    }
    grid = data_grid(pd.DataFrame(rows, columns=[*headers, "_row_id"]), headers, Ids.rules, lang, formats)
    grid.rowData = rows
    grid.getRowId = "params.data._row_id"
    for column in grid.columnDefs:
        if column["field"] == "leverage":
            column["valueFormatter"] = {"function": f"mamsFormat(params.value, 'number', '{lang}')"}
        if column["field"] == "conviction":
            # conviction is infinite when every holder of the antecedent holds the consequent
            column["valueFormatter"] = {
                "function": f"params.value == null ? '∞' : mamsFormat(params.value, 'number', '{lang}')"
            }
    return grid


def _rules_tab(result: dict, lang: str):
    names = result["names"]
    frame = result["rules"]
    nodes, edges = result["graph"]
    options = [
        {"label": names.get(c, c), "value": c} for c in sorted(nodes["item"], key=lambda c: names.get(c, c))
    ]
    controls = dbc.Row(
        [
            dbc.Col(_number(Ids.min_support, t("cross_sell.min_support", lang), 0.0, 0.005), md=2),
            dbc.Col(_number(Ids.min_confidence, t("cross_sell.min_confidence", lang), 0.0, 0.05), md=2),
            dbc.Col(_number(Ids.min_lift, t("cross_sell.min_lift", lang), 0.0, 0.1), md=2),
            dbc.Col(
                [
                    dbc.Label(
                        t("cross_sell.product", lang), html_for=Ids.rule_product, className="small mb-0"
                    ),
                    dcc.Dropdown(
                        id=Ids.rule_product, options=options, placeholder=t("cross_sell.all_products", lang)
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                dbc.Switch(
                    id=Ids.improving_only,
                    label=t("cross_sell.improving_only", lang),
                    value=True,
                    className="small",
                ),
                md=2,
                className="d-flex align-items-end",
            ),
        ],
        className="g-2 mb-2",
    )
    rows = rules_rows(view.rules(result["runs"]["crosssell"], view.RuleFilter(improving_only=True)), names)
    table = html.Div(
        [
            html.Div(_rules_count(len(rows), len(frame), lang), id=Ids.rules_count, className="small mb-1"),
            _rules_grid(rows, lang),
        ]
    )
    if nodes.empty:
        drawing = empty_state(t("cross_sell.graph_empty", lang), "cross-sell--graph-empty")
    else:
        drawing = cyto.Cytoscape(
            id=Ids.graph,
            elements=graph_elements(nodes, edges, names),
            stylesheet=GRAPH_STYLESHEET,
            layout={"name": "cose", "animate": False, "randomize": False},
            style={"width": "100%", "height": "460px"},
        )
    return html.Div(
        [
            section(
                t("cross_sell.rules", lang), html.Div([controls, table]), t("cross_sell.rules_note", lang)
            ),
            section(t("cross_sell.graph", lang), drawing, t("cross_sell.graph_note", lang)),
        ]
    )


def _number(element_id: str, label: str, value: float, step: float):
    return html.Div(
        [
            dbc.Label(label, html_for=element_id, className="small mb-0"),
            dbc.Input(id=element_id, type="number", min=0, step=step, value=value, size="sm", debounce=True),
        ]
    )


def _rules_count(shown: int, total: int, lang: str) -> str:
    if shown == 0:
        return t("cross_sell.rules_none", lang)
    return t(
        "cross_sell.rules_count", lang, shown=_fmt(shown, "count", lang), total=_fmt(total, "count", lang)
    )


@callback(
    Output(Ids.rule_product, "value"),
    Input(Ids.graph, "tapNodeData"),
    prevent_initial_call=True,
)
def show_product_rules(node):
    """A click on a product of the graph shows the rules it takes part in."""
    require_user()
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        raise PreventUpdate
    return node["id"]


@callback(
    Output(Ids.rules, "rowData"),
    Output(Ids.rules_count, "children"),
    Input(Ids.min_support, "value"),
    Input(Ids.min_confidence, "value"),
    Input(Ids.min_lift, "value"),
    Input(Ids.rule_product, "value"),
    Input(Ids.improving_only, "value"),
    prevent_initial_call=True,
)
def filter_rules(support, confidence, lift, product, improving_only=True):
    """The rules table under the thresholds, the product chosen (or clicked in the graph) and,
    when asked, without rules a shorter one explains as well; re-read from the served version's run."""
    require_user()
    lang = current_lang()
    run = view.runs()["crosssell"]
    if run is None:
        raise PreventUpdate
    every = view.rules(run)
    frame = view.rules(run, view.RuleFilter.parse(support, confidence, lift, product, improving_only))
    names = view.product_names([*every["consequent"]], current_scope(), lang)
    return rules_rows(frame, names), _rules_count(len(frame), len(every), lang)


# --- propensity -----------------------------------------------------------------------------------


def _propensity_tab(result: dict, lang: str):
    names = result["names"]
    table = result["products"]
    options = [{"label": names.get(p, p), "value": p} for p in table["product"]]
    chooser = html.Div(
        [
            dbc.Label(t("cross_sell.product", lang), html_for=Ids.product, className="small mb-0"),
            dcc.Dropdown(id=Ids.product, options=options, value=result["product"], clearable=False),
        ],
        className="mb-2",
        style={"maxWidth": "420px"},
    )
    panel = quality_panel(result["propensity"], "propensity", names, lang)
    shown = table.assign(name=[names.get(p, p) for p in table["product"]], _row_id=table["product"])
    headers = {
        "name": t("cross_sell.product", lang),
        "holders": t("cross_sell.holders", lang),
        "auc": t("cross_sell.auc", lang),
        "lift_10": t("cross_sell.lift_10", lang),
        "alift": t("cross_sell.alift", lang),
        "base_rate": t("cross_sell.base_rate", lang),
    }
    formats = {
        "holders": "count",
        "auc": "number",
        "lift_10": "number",
        "alift": "number",
        "base_rate": "percent",
    }
    grid = data_grid(shown, headers, Ids.products, lang, formats)
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(520, 90 + 42 * len(shown))}px"}
    return html.Div(
        [
            section(
                t("cross_sell.propensity", lang),
                html.Div([chooser, html.Div(panel, id=Ids.propensity)]),
                t("cross_sell.propensity_note", lang),
            ),
            section(t("cross_sell.products_table", lang), grid),
        ]
    )


@callback(Output(Ids.propensity, "children"), Input(Ids.product, "value"), prevent_initial_call=True)
def choose_product(product):
    """The chosen product's propensity model quality."""
    require_user()
    lang = current_lang()
    run = view.runs()["crosssell"]
    if run is None or not isinstance(product, str):
        raise PreventUpdate
    names = view.product_names(list(view.products(run)["product"]), current_scope(), lang)
    q = view.propensity_quality(run, product)
    return quality_panel(q, "propensity", names, lang)


# --- customer lists -------------------------------------------------------------------------------


def readable(frame: pd.DataFrame, names: dict[str, str], lang: str) -> pd.DataFrame:
    """A list's codes in words: products by name, bands and drivers in ``lang``."""
    out = frame.copy()
    if "best_offer" in out:
        out["best_offer"] = [names.get(c, c) if isinstance(c, str) else None for c in out["best_offer"]]
    for band in ("propensity_band", "churn_band", "activation_band"):
        if band in out:
            out[band] = [_band_label(b, lang) if isinstance(b, str) else None for b in out[band]]
    if "churn_driver" in out:
        out["churn_driver"] = [
            feature_label(f, names, lang) if isinstance(f, str) else None for f in out["churn_driver"]
        ]
    return out


def _list_controls(kind: str, product_options: list[dict], lang: str):
    band_options = [{"label": _band_label(b, lang), "value": b} for b in view.BANDS]
    product_style = {} if kind == "offers" else {"display": "none"}
    return dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.of("product", kind),
                    options=product_options if kind == "offers" else [],
                    placeholder=t("cross_sell.all_products", lang),
                ),
                md=4,
                style=product_style,
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=Ids.of("band", kind), options=band_options, placeholder=t("cross_sell.all_bands", lang)
                ),
                md=3,
            ),
        ],
        className="g-2 mb-2",
    )


def list_block(kind: str, result: dict, lang: str, user) -> html.Div:
    """A customer list: band (and product) choosers, one page of rows with the true total,
    paging and exports where the role allows; presenters get a note instead."""
    if not roles.may_see_customers(user.role):
        return dbc.Alert(
            t("cross_sell.no_rows_role", lang),
            color="info",
            className="py-1 small",
            id=f"{Ids.no_rows}-{kind}",
        )
    names = result.get("names", {})
    options = [
        {"label": names.get(p, p), "value": p}
        for p in result.get("products", pd.DataFrame({"product": []}))["product"]
    ]
    first = result.get({"offers": "offers", "churn": "churn_list", "dormant": "dormant_list"}[kind])
    grid, total, prev_off, next_off = _list_page(first, 0, names, lang, kind)
    exports = html.Span(
        [
            dbc.Button(t("cross_sell.export_csv", lang), id=Ids.of("csv", kind), size="sm"),
            dbc.Button(t("cross_sell.export_xlsx", lang), id=Ids.of("xlsx", kind), size="sm"),
            dcc.Download(id=Ids.of("download", kind)),
        ],
        className="ms-3 d-inline-flex gap-2",
        style={} if roles.may_export(user.role) else {"display": "none"},
    )
    masked = (
        html.Div(t("cross_sell.masked", lang), className="small text-muted mb-1")
        if roles.masks_identities(user.role)
        else None
    )
    return html.Div(
        [
            _list_controls(kind, options, lang),
            masked,
            dcc.Store(id=Ids.of("page", kind), data=0),
            html.Div(grid, id=Ids.of("grid", kind)),
            html.Div(
                [
                    dbc.Button(
                        t("cross_sell.previous", lang), id=Ids.of("prev", kind), size="sm", disabled=prev_off
                    ),
                    html.Span(total, id=Ids.of("total", kind), className="mx-2 small"),
                    dbc.Button(
                        t("cross_sell.next", lang), id=Ids.of("next", kind), size="sm", disabled=next_off
                    ),
                    exports,
                ],
                className="d-flex align-items-center mt-2",
            ),
            save_as_controls(*list_group_ids(kind), lang) if roles.may_make_groups(user.role) else None,
        ],
        id=f"cross-sell--list-{kind}",
    )


def _list_page(result, page: int, names: dict[str, str], lang: str, kind: str):
    """(grid, total text, previous disabled, next disabled) of one page of a list."""
    if result is None or not result.total_rows:
        return empty_state(t("cross_sell.list_empty", lang), f"cross-sell--list-empty-{kind}"), "", True, True
    shown = type(result)(result.query, readable(result.frame, names, lang), result.columns)
    grid = result_table(
        shown, lang, {"type": "cross-sell-list-rows", "kind": kind}, page_size=view.LIST_PAGE_SIZE
    )
    first = page * view.LIST_PAGE_SIZE + 1
    last = first + len(result.frame) - 1
    text = t(
        "cross_sell.list_total",
        lang,
        first=_fmt(first, "count", lang),
        last=_fmt(last, "count", lang),
        total=_fmt(result.total_rows, "count", lang),
    )
    return grid, text, page == 0, last >= result.total_rows


def _list_run(kind: str):
    return view.runs()["crosssell" if kind == "offers" else "churn"]


def _choice(value, allowed) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


@callback(
    Output(Ids.of("grid", MATCH), "children"),
    Output(Ids.of("total", MATCH), "children"),
    Output(Ids.of("prev", MATCH), "disabled"),
    Output(Ids.of("next", MATCH), "disabled"),
    Output(Ids.of("page", MATCH), "data"),
    Input(Ids.of("product", MATCH), "value"),
    Input(Ids.of("band", MATCH), "value"),
    Input(Ids.of("prev", MATCH), "n_clicks"),
    Input(Ids.of("next", MATCH), "n_clicks"),
    State(Ids.of("page", MATCH), "data"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def page_list(product, band, _prev, _next, page, search):
    """Another band, product or page of a customer list, under the user's own scope."""
    user = require_user()
    lang = current_lang()
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("kind") not in LIST_KINDS:
        raise PreventUpdate
    kind = trigger["kind"]
    if not roles.may_see_customers(user.role):
        raise PreventUpdate
    run = _list_run(kind)
    if run is None:
        raise PreventUpdate
    page = page if isinstance(page, int) and 0 <= page < 10**6 else 0
    part = trigger.get("type", "")
    page = 0 if part.endswith(("product", "band")) else max(page + (1 if part.endswith("next") else -1), 0)
    scope = current_scope()
    state = state_of(search)
    codes = list(view.products(run)["product"]) if kind == "offers" else []
    try:
        result = view.customer_list(
            state, scope, run, kind, _choice(product, codes), _choice(band, view.BANDS), page, lang
        )
    except CubeError as exc:
        return (
            html.Div(t("cross_sell.list_failed", lang, error=exc), className="text-danger"),
            "",
            True,
            True,
            0,
        )
    names = view.product_names(codes, scope, lang) if codes else {}
    grid, total, prev_off, next_off = _list_page(result, page, names, lang, kind)
    return grid, total, prev_off, next_off, page


@callback(
    Output(Ids.of("download", MATCH), "data"),
    Input(Ids.of("csv", MATCH), "n_clicks"),
    Input(Ids.of("xlsx", MATCH), "n_clicks"),
    State(Ids.of("product", MATCH), "value"),
    State(Ids.of("band", MATCH), "value"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def export_list(csv, xlsx, product, band, search):
    """The whole list as CSV or Excel; role-checked and audited."""
    user = require_user()
    trigger = dash.ctx.triggered_id
    if not (csv or xlsx) or not isinstance(trigger, dict) or trigger.get("kind") not in LIST_KINDS:
        raise PreventUpdate
    kind = trigger["kind"]
    if not roles.may_export(user.role):
        audit.record(user.username, "export_refused", f"cross-sell {kind}")
        raise PreventUpdate
    run = _list_run(kind)
    if run is None:
        raise PreventUpdate
    lang = current_lang()
    scope = current_scope()
    state = state_of(search)
    codes = list(view.products(run)["product"]) if kind == "offers" else []
    product, band = _choice(product, codes), _choice(band, view.BANDS)
    frame = view.export_list(state, scope, run, kind, product, band, lang)
    names = view.product_names(codes, scope, lang) if codes else {}
    frame = readable(frame, names, lang)
    audit.record(
        user.username,
        "export",
        f"cross-sell {kind} run={run.run_id} product={product} band={band} {len(frame)} rows",
    )
    return table_download(frame, f"cross-sell-{kind}-{run.month}", "xlsx" in trigger.get("type", ""))


# --- counts -------------------------------------------------------------------------------------


def offer_counts_grid(frame: pd.DataFrame, names: dict[str, str], lang: str):
    """Customers per best offer (rows) and band (columns), with totals."""
    scored = frame[frame["best_offer"].notna()]
    wide = scored.pivot_table(
        index="best_offer", columns="band", values="customers", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(columns=list(view.BANDS), fill_value=0)
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False).reset_index()
    wide["name"] = [names.get(c, c) for c in wide["best_offer"]]
    wide["_row_id"] = wide["best_offer"]
    headers = {"name": t("cross_sell.product", lang)} | {b: _band_label(b, lang) for b in view.BANDS}
    headers["total"] = t("cross_sell.customers", lang)
    grid = data_grid(wide, headers, Ids.offer_counts, lang, {c: "count" for c in (*view.BANDS, "total")})
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(520, 90 + 42 * len(wide))}px"}
    return grid


def band_bars(frame: pd.DataFrame, element_id: str, lang: str, unscored: str):
    """Customers per band as bars (the group without a band last)."""
    import plotly.graph_objects as go

    bands = [b if isinstance(b, str) else "" for b in frame["band"]]
    labels = [_band_label(b, lang) if b else unscored for b in bands]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=frame["customers"].tolist(),
            customdata=bands,
            marker_color="#1f6fb2",
            hovertext=[_fmt(v, "count", lang) for v in frame["customers"]],
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
        )
    )
    fig.update_layout(height=260, margin={"l": 40, "r": 10, "t": 10, "b": 40}, template="plotly_white")
    return _graph(element_id, fig)


# --- tabs ---------------------------------------------------------------------------------------


def _offers_tab(result: dict, lang: str, user):
    names = result["names"]
    counts = offer_counts_grid(result["offer_counts"], names, lang)
    return section(
        t("cross_sell.offers", lang),
        html.Div(
            [
                html.H6(t("cross_sell.offer_counts", lang)),
                counts,
                html.Hr(),
                list_block("offers", result, lang, user),
            ]
        ),
        t("cross_sell.offers_note", lang),
    )


def _churn_tab(result: dict, lang: str, user):
    run = result["runs"]["churn"]
    names = result.get("names", {})
    note = t(
        "cross_sell.churn_note",
        lang,
        horizon=run.params.get("horizon", 3),
        test_month=str(run.metrics.get("test_month", ""))[:7],
    )
    return section(
        t("cross_sell.churn", lang),
        html.Div(
            [
                quality_panel(result["churn"], "churn", names, lang),
                html.H6(t("cross_sell.churn_counts", lang), className="mt-3"),
                band_bars(result["churn_counts"], Ids.churn_counts, lang, t("cross_sell.not_scored", lang)),
                html.H6(t("cross_sell.churn_list", lang), className="mt-3"),
                list_block("churn", result, lang, user),
            ]
        ),
        note,
    )


def _dormancy_tab(result: dict, lang: str, user):
    run = result["runs"]["churn"]
    names = result.get("names", {})
    quality = result["dormancy"]
    return section(
        t("cross_sell.dormancy", lang),
        html.Div(
            [
                quality_panel(quality, "dormancy", names, lang)
                if quality is not None
                else empty_state(t("cross_sell.no_dormancy", lang), "cross-sell--dormancy-none"),
                html.H6(t("cross_sell.dormant_counts", lang), className="mt-3"),
                band_bars(
                    result["dormant_counts"], Ids.dormant_counts, lang, t("cross_sell.not_dormant", lang)
                ),
                html.H6(t("cross_sell.dormant_list", lang), className="mt-3"),
                list_block("dormant", result, lang, user),
            ]
        ),
        t("cross_sell.dormancy_note", lang, horizon=run.params.get("horizon", 3)),
    )


def _response_tab(result: dict, lang: str):
    run = result["runs"]["response"]
    missing = not_loaded("campaigns", "campaign_contacts")
    if run is None and missing:
        text = t("data.not_loaded", lang, files=", ".join(sorted(missing)))
        return section(t("cross_sell.response", lang), empty_state(text, "cross-sell--response-not-loaded"))
    if run is None:
        return _no_run("response", result["version"], lang, t("cross_sell.response_needs", lang))
    note = t(
        "cross_sell.response_note",
        lang,
        category=run.metrics.get("product_category", "-"),
        channel=run.metrics.get("channel_code", "-"),
    )
    return section(
        t("cross_sell.response", lang), quality_panel(result["response"], "response", {}, lang), note
    )


def _opening_tab(state, tabs) -> str:
    """The tab a link asked for (``?x_tab=churn``, e.g. from the Customers view), else the first."""
    asked = state.param("tab")
    ids = [tab.tab_id for tab in tabs]
    return asked if asked in ids else ids[0]


def layout(**params):
    """Rendered per request, under the signed-in user's scope, for the served data version."""
    user = require_user()
    lang = current_lang()
    state = view_state(params)
    result = view.render(state, current_scope(), lang, lists=roles.may_see_customers(user.role))
    if result["version"] is None:
        return empty_state(t("cross_sell.no_version", lang), "cross-sell--empty")
    found = result["runs"]
    tabs = []
    if found["crosssell"] is None:
        missing = _no_run("crosssell", result["version"], lang)
        tabs += [dbc.Tab(missing, label=t(f"cross_sell.tab.{k}", lang), tab_id=k) for k in ("rules",)]
    else:
        tabs += [
            dbc.Tab(_rules_tab(result, lang), label=t("cross_sell.tab.rules", lang), tab_id="rules"),
            dbc.Tab(
                _propensity_tab(result, lang), label=t("cross_sell.tab.propensity", lang), tab_id="propensity"
            ),
            dbc.Tab(_offers_tab(result, lang, user), label=t("cross_sell.tab.offers", lang), tab_id="offers"),
        ]
    if found["churn"] is None:
        tabs.append(
            dbc.Tab(
                _no_run("churn", result["version"], lang),
                label=t("cross_sell.tab.churn", lang),
                tab_id="churn",
            )
        )
    else:
        tabs += [
            dbc.Tab(_churn_tab(result, lang, user), label=t("cross_sell.tab.churn", lang), tab_id="churn"),
            dbc.Tab(
                _dormancy_tab(result, lang, user), label=t("cross_sell.tab.dormancy", lang), tab_id="dormancy"
            ),
        ]
    tabs.append(
        dbc.Tab(_response_tab(result, lang), label=t("cross_sell.tab.response", lang), tab_id="response")
    )
    return html.Div(
        [
            html.H3(t("cross_sell.title", lang)),
            _runs_header(result, lang),
            carried_scores_note(scored_months(), ("crosssell", "churn"), lang, Ids.carried),
            dbc.Tabs(tabs, id=Ids.tabs, active_tab=_opening_tab(state, tabs)),
        ]
    )
