"""Products: holdings, holders, penetration, balances and contribution by category > product.

Shows, for the period, the categories (or the products of the one category chosen: a drill-down
from a category) as bars and a table, their 13-month trend of penetration and balance, who
holds a chosen product or category (customer attributes over- and under-represented among its
holders, as an index), the cross-holding matrix (share of a product's holders who also hold
another) and the use of channel types per item, with a link into the mining studio's
association rules and propensity list (/cross-sell) for the chosen item. Reads the
``holdings``, ``customers``, ``product_pairs`` and ``transactions`` cubes through the declared
queries of ``cube.views.products``. Every chart and table answers the frame's click menu.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.figures import bar_chart, heatmap, line_chart
from components.formatting import format_value
from components.frame import chart_id, filter_names, grid_id, ignored_note
from components.i18n import t
from components.layout import breadcrumb, empty_state, section
from components.tables import data_grid
from cube.api import member_label
from cube.views import products as view
from cube.views.state import ViewState
from pages._frame import register_chart, state_of, view_state
from pages._session import current_lang, current_scope, require_user
from pages._view_cache import cached_view

dash.register_page(__name__, path="/products", name="Products", order=2, nav_key="products")

PATH = "/products"
ITEMS = register_chart(view.ITEMS_CHART, "products", view.items_query, "holdings.holders")
TREND = register_chart(view.TREND_CHART, "products", view.trend_point_query, "holdings.holders")
TREND_BALANCE = register_chart(
    f"{view.TREND_CHART}-balance", "products", view.trend_point_query, "holdings.balance"
)
PROFILE = register_chart(
    view.PROFILE_CHART,
    "products",
    # the default item (most holders) depends on the data the user's scope holds
    lambda state: view.profile_point_query(state, view.default_subject(state, current_scope(), "en")),
    "holdings.holders",
)
PAIRS = register_chart(view.PAIRS_CHART, "products", view.pairs_query, "product_pairs.customers")
CHANNELS = register_chart(view.CHANNELS_CHART, "products", view.channels_query, "transactions.txn_count")
HIGHLIGHT_MIN_HOLDERS = 30  # a group this small swings its index by chance: not a highlight
HIGHLIGHTS = 3


class Ids:
    crumbs = "products--breadcrumb"
    ignored = "products--ignored"
    items = "products--items"
    table = "products--table"
    trend = "products--trend"
    profile = "products--profile"
    profile_item = "products--profile-item"
    profile_attribute = "products--profile-attribute"
    cross_sell = "products--cross-sell"
    highlights = "products--highlights"
    pairs = "products--pairs"
    channels = "products--channels"
    no_rows = "products--no-rows"


def _graph(key: str, figure, **style) -> dcc.Graph:
    return dcc.Graph(id=chart_id(key), figure=figure, config={"displayModeBar": False}, style=style or None)


# --- categories and products ---------------------------------------------------------------------


def _items_section(state: ViewState, frame: pd.DataFrame, lang: str):
    level = view.level(state)
    title = (
        t("products.by_product", lang, category=_category_name(state, lang))
        if level == "product"
        else t("products.by_category", lang)
    )
    if frame.empty:
        return section(title, empty_state(t("products.empty", lang), "products--empty"))
    selected = state.selected(ITEMS)
    shown = frame[frame["holders"] > 0]
    bars = _graph(
        ITEMS,
        bar_chart(
            shown,
            "name",
            "holders",
            "key",
            "count",
            lang,
            selected.values if selected else (),
            y_title=member_label("holdings.holders", lang),
        ),
    )
    headers = {
        "name": member_label(f"holdings.{level}", lang),
        "holders": member_label("holdings.holders", lang),
        "penetration": t("products.penetration", lang),
        "holdings": member_label("holdings.holdings", lang),
        "balance": member_label("holdings.balance", lang),
        "balance_share": member_label("holdings.balance_share", lang),
        "balance_per_holder": member_label("holdings.balance_per_holder", lang),
        "avg_daily_balance": member_label("holdings.avg_daily_balance", lang),
        "margin": member_label("holdings.margin", lang),
        "fee": member_label("transactions.fee", lang),
        "contribution": member_label("customers.contribution", lang),
    }
    formats = {
        "holders": "count",
        "holdings": "count",
        "penetration": "percent",
        "balance": "money_compact",
        "balance_share": "percent",
        "balance_per_holder": "money_compact",
        "avg_daily_balance": "money_compact",
        "margin": "money_compact",
        "fee": "money_compact",
        "contribution": "money_compact",
    }
    rows = frame.assign(_row_id=frame["key"].astype(str))
    grid = data_grid(rows, headers, grid_id(ITEMS), lang, formats)
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(520, 90 + 42 * len(rows))}px"}
    notes = [html.Div(t("products.contribution_note", lang), className="small text-muted mb-1")]
    if not view.fees_comparable(state):
        holdings = {f.member.split(".")[1] for f in state.filters(view.CUBE)}
        txn = {f.member.split(".")[1] for f in state.filters(view.TXN_CUBE)}
        missing = [d for d in holdings - txn]
        notes.append(
            html.Div(
                t("products.fees_hidden", lang, names=filter_names(sorted(missing), lang)),
                className="small text-warning mb-1",
                id="products--fees-hidden",
            )
        )
    return section(
        title,
        html.Div([html.Div(bars, id=Ids.items), *notes, html.Div(grid, id=Ids.table)]),
        t("products.menu_hint", lang),
    )


def _category_name(state: ViewState, lang: str) -> str:
    if not state.category:
        return ""
    return view.subject_label(("category", state.category[0]), current_scope(), lang)


def _trend_section(state: ViewState, frame: pd.DataFrame, lang: str):
    title = t("products.trend", lang)
    if frame.empty:
        return section(title, empty_state(t("products.empty", lang)))
    names = frame.drop_duplicates("key").set_index("key")["name"]
    order = frame[frame["month"] == frame["month"].max()].sort_values("holders", ascending=False)["key"]
    keys = [k for k in order if k in names.index] + [k for k in names.index if k not in set(order)]
    wide = {
        measure: frame.pivot_table(index="month", columns="key", values=measure, aggfunc="sum")
        .reindex(columns=keys)
        .reset_index()
        for measure in ("penetration", "balance")
    }
    charts = []
    for measure, key, fmt, label in (
        ("penetration", TREND, "percent", t("products.trend_penetration", lang)),
        ("balance", TREND_BALANCE, "money", t("products.trend_balance", lang)),
    ):
        data = wide[measure]
        data.columns = ["month", *[f"k{i}" for i in range(len(keys))]]
        series = {f"k{i}": str(names[k]) for i, k in enumerate(keys)}
        fig = line_chart(data, "month", series, fmt, lang, height=360)
        for trace, k in zip(fig.data, keys, strict=True):
            trace.customdata = [k] * len(data)
        charts.append(dbc.Col([html.H6(label), _graph(key, fig)], lg=6))
    return section(title, dbc.Row(charts, id=Ids.trend))


# --- who holds it ---------------------------------------------------------------------------------


def _profile_section(state: ViewState, result: dict, lang: str):
    title = t("products.profile", lang)
    subject = result.get("subject")
    if subject is None:
        return section(title, empty_state(t("products.empty", lang)))
    attribute = view.profile_attribute(state)
    frame = result["profile"]
    label = result["subject_label"]
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(
                        t("products.profile_item", lang), html_for=Ids.profile_item, className="small mb-0"
                    ),
                    dcc.Dropdown(
                        id=Ids.profile_item,
                        options=result["subject_options"],
                        value=view.subject_text(*subject),
                        clearable=False,
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(
                        t("products.profile_attribute", lang),
                        html_for=Ids.profile_attribute,
                        className="small mb-0",
                    ),
                    dcc.Dropdown(
                        id=Ids.profile_attribute,
                        options=[
                            {"label": member_label(f"customers.{a}", lang), "value": a}
                            for a in view.ATTRIBUTES
                        ],
                        value=attribute,
                        clearable=False,
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                dcc.Link(
                    t("products.cross_sell", lang, item=label),
                    href=result["cross_sell"],
                    id=Ids.cross_sell,
                    className="btn btn-sm btn-outline-primary",
                ),
                md=5,
                className="d-flex align-items-end",
            ),
        ],
        className="g-2 mb-2",
    )
    part = frame[frame["attribute"] == attribute].reset_index(drop=True)
    if part.empty or not part["holders"].sum():
        return section(title, html.Div([controls, empty_state(t("products.empty", lang))]))
    part = part.assign(key=[v if v is not None else "" for v in part["value"]])
    bars = bar_chart(part, "label", "index", "key", "number", lang, y_title=t("products.index", lang))
    bars.add_hline(y=100, line_dash="dash", line_color="#555")
    bars.data[0].hovertext = [
        f"{t('products.index', lang)} {format_value(i, 'number', lang)}<br>"
        f"{t('products.holder_share', lang)} {format_value(h, 'percent', lang)} "
        f"({format_value(n, 'count', lang)})<br>"
        f"{t('products.customer_share', lang)} {format_value(c, 'percent', lang)}"
        for i, h, n, c in zip(
            part["index"], part["holder_share"], part["holders"], part["customer_share"], strict=True
        )
    ]
    headers = {
        "label": member_label(f"customers.{attribute}", lang),
        "holders": member_label("holdings.holders", lang),
        "holder_share": t("products.holder_share", lang),
        "customers": member_label("customers.customers", lang),
        "customer_share": t("products.customer_share", lang),
        "index": t("products.index", lang),
    }
    formats = {
        "holders": "count",
        "holder_share": "percent",
        "customers": "count",
        "customer_share": "percent",
        "index": "number",
    }
    rows = part.assign(_row_id=[str(v) if v is not None else "" for v in part["value"]])
    grid = data_grid(rows, headers, grid_id(PROFILE), lang, formats)
    grid.getRowId = "params.data._row_id"
    grid.style = {"height": f"{min(460, 90 + 42 * len(rows))}px"}
    body = html.Div(
        [
            controls,
            html.H6(t("products.profile_for", lang, item=label)),
            _highlights(frame, lang),
            dbc.Row([dbc.Col(_graph(PROFILE, bars), lg=6), dbc.Col(grid, lg=6)], className="g-2"),
        ],
        id=Ids.profile,
    )
    return section(title, body, t("products.profile_note", lang))


def _highlights(frame: pd.DataFrame, lang: str):
    """The groups furthest above and below 100 over every attribute (enough holders only)."""
    usable = frame[(frame["holders"] >= HIGHLIGHT_MIN_HOLDERS) & frame["index"].notna()]
    if usable.empty:
        return None

    def text(rows: pd.DataFrame) -> str:
        parts = []
        for r in rows.to_dict("records"):
            attribute = member_label(f"customers.{r['attribute']}", lang)
            parts.append(f"{attribute} {r['label']} ({format_value(r['index'], 'number', lang)})")
        return "; ".join(parts)

    over = usable[usable["index"] > 100].sort_values("index", ascending=False).head(HIGHLIGHTS)
    under = usable[usable["index"] < 100].sort_values("index").head(HIGHLIGHTS)
    lines = []
    if len(over):
        lines.append(html.Div(t("products.highlights", lang, items=text(over)), className="small"))
    if len(under):
        lines.append(html.Div(t("products.highlights_under", lang, items=text(under)), className="small"))
    lines.append(
        html.Div(t("products.min_base", lang, n=HIGHLIGHT_MIN_HOLDERS), className="small text-muted")
    )
    return html.Div(lines, id=Ids.highlights, className="mb-2")


@callback(
    Output("_pages_location", "search", allow_duplicate=True),
    Input(Ids.profile_item, "value"),
    Input(Ids.profile_attribute, "value"),
    State("_pages_location", "search"),
    prevent_initial_call=True,
)
def choose_profile(item, attribute, search):
    """The profile's item and attribute live in the URL (``x_profile``, ``x_attr``); the
    defaults (the item with most holders, age band) stay out of it."""
    require_user()
    state = state_of(search)
    base = state.with_param("profile", None)
    default = view.default_subject(base, current_scope(), current_lang())
    subject = view.parse_subject(item) if isinstance(item, str) else None
    new = base.with_param("profile", item if subject and subject != default else None)
    valid = isinstance(attribute, str) and attribute in view.ATTRIBUTES
    new = new.with_param("attr", attribute if valid and attribute != view.DEFAULT_ATTRIBUTE else None)
    if new == state:
        raise PreventUpdate
    return new.search()


# --- cross-holding and channels ------------------------------------------------------------------


def _pairs_section(state: ViewState, frame: pd.DataFrame, lang: str):
    title = t("products.pairs", lang)
    note = ignored_note(state.ignored(view.PAIRS_CUBE), lang, "products--pairs-ignored")
    if frame.empty:
        return section(title, html.Div([note, empty_state(t("products.empty", lang))]))
    rows = frame[frame["product"] == frame["other_product"]].sort_values("both", ascending=False)
    order = list(rows["product"])
    columns = list(dict.fromkeys([*order, *frame["other_product"]]))
    row_names = dict(zip(frame["product"], frame["product_name"], strict=True))
    col_names = dict(zip(frame["other_product"], frame["other_name"], strict=True))
    # the diagonal (a product with itself) is 100% by definition: left blank, so the colour
    # scale shows the other cells; its holders are in every hover of the row
    shown = frame[frame["product"] != frame["other_product"]]
    fig = heatmap(
        shown,
        "other_product",
        "product",
        "share",
        "percent",
        lang,
        key="product",
        y_order=order,
        x_order=columns,
        y_labels=row_names,
        x_labels=col_names,
        x_title=t("products.also_holds", lang),
    )
    cells = {(r.product, r.other_product): r for r in frame.itertuples()}
    hover = []
    for a in order:
        line = []
        for b in columns:
            r = cells.get((a, b))
            line.append(
                t(
                    "products.pairs_hover",
                    lang,
                    a=row_names[a],
                    b=col_names[b],
                    share=format_value(r.share, "percent", lang),
                    both=format_value(r.both, "count", lang),
                    holders=format_value(r.holders, "count", lang),
                )
                if r is not None and a != b
                else f"{row_names[a]} → {col_names[b]}<br>-"
            )
        hover.append(line)
    fig.data[0].hovertext = hover
    fig.data[0].hovertemplate = "%{hovertext}<extra></extra>"
    fig.update_xaxes(tickangle=-35)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 120, "b": 10}, height=160 + 30 * len(order))
    return section(
        title, html.Div([note, html.Div(_graph(PAIRS, fig), id=Ids.pairs)]), t("products.pairs_note", lang)
    )


def _channels_section(state: ViewState, frame: pd.DataFrame, lang: str):
    title = t("products.channels", lang)
    note = ignored_note(state.ignored(view.TXN_CUBE), lang, "products--channels-ignored")
    if frame.empty:
        return section(title, html.Div([note, empty_state(t("products.empty", lang))]))
    totals = frame.groupby("key", sort=False)["txn_count"].sum().sort_values(ascending=False)
    names = dict(zip(frame["key"], frame["name"], strict=True))
    channel_names = dict(zip(frame["channel_type"], frame["channel_name"], strict=True))
    channel_order = list(frame.groupby("channel_type")["txn_count"].sum().sort_values(ascending=False).index)
    fig = heatmap(
        frame,
        "channel_type",
        "key",
        "txn_share",
        "percent",
        lang,
        key="key",
        y_order=list(totals.index),
        x_order=channel_order,
        y_labels=names,
        x_labels=channel_names,
    )
    cells = {(r.key, r.channel_type): r for r in frame.itertuples()}
    fig.data[0].hovertext = [
        [
            t(
                "products.channels_hover",
                lang,
                item=names[k],
                channel=channel_names[c],
                share=format_value(cells[(k, c)].txn_share, "percent", lang),
                count=format_value(cells[(k, c)].txn_count, "count", lang),
                amount=format_value(cells[(k, c)].amount, "money", lang),
            )
            if (k, c) in cells
            else f"{names[k]} · {channel_names[c]}<br>-"
            for c in channel_order
        ]
        for k in totals.index
    ]
    fig.data[0].hovertemplate = "%{hovertext}<extra></extra>"
    return section(
        title,
        html.Div([note, html.Div(_graph(CHANNELS, fig), id=Ids.channels)]),
        t("products.channels_note", lang),
    )


# --- the page -------------------------------------------------------------------------------------


def _crumbs(state: ViewState, lang: str):
    items = [(t("products.all_categories", lang), state.with_(category=(), selection=()).href(PATH))]
    if view.level(state) == "product":
        items.append((_category_name(state, lang), None))
    else:
        items[-1] = (items[-1][0], None)
    return breadcrumb(items, Ids.crumbs)


@cached_view("products")
def layout(**params):
    """Rendered per request from the URL, under the signed-in user's scope."""
    user = require_user()
    lang = current_lang()
    state = view_state(params)
    if state.period is None:
        return empty_state(t("frame.no_data_months", lang), "products--empty")
    result = view.render(state, current_scope(), lang)
    no_rows = (
        None
        if roles.may_see_customers(user.role)
        else dbc.Alert(t("products.no_rows_role", lang), color="info", id=Ids.no_rows, className="py-1 small")
    )
    return html.Div(
        [
            html.H3(t("products.title", lang)),
            _crumbs(state, lang),
            html.Div(t("products.subtitle", lang, period=state.period), className="small text-muted mb-2"),
            ignored_note(state.ignored(view.CUBE), lang, Ids.ignored),
            no_rows,
            _items_section(state, result["items"], lang),
            _trend_section(state, result["trend"], lang),
            _profile_section(state, result, lang),
            dbc.Row(
                [
                    dbc.Col(_pairs_section(state, result["pairs"], lang), xl=7),
                    dbc.Col(_channels_section(state, result["channels"], lang), xl=5),
                ]
            ),
        ]
    )
