"""Customer 360 (``/customer-360?customer=<id>``): one customer on one page.

A search box (customer number), then the profile card (identities masked as the role requires),
balances over time, holdings by product category and the products held, transactions by
channel, the AUM tier and deciles month by month with the published segment and value tier,
churn risk, the best next offers with their reasons, the campaign and contact history, and the
relationship manager's notes. Every figure comes from the declared queries of
``cube.views.customer360`` run under the signed-in user's scope: a customer outside it reads
exactly like a number that does not exist, and a presenter (aggregates only) opens none.
Customer numbers in every customer list of the product link here (``components.result_table``).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.figures import grouped_bars, line_chart
from components.formatting import format_value
from components.i18n import t
from components.layout import empty_state, kpi_card, section
from components.scores_note import SCORE_KINDS, carried_scores_note
from components.tables import data_grid
from cube import api
from cube.views import cross_sell as cross_sell_view
from cube.views import customer360 as view
from marketing import contacts as loop_contacts
from marketing import notes as loop_notes
from marketing.errors import MarketingInputError, NotPermitted
from pages._frame import LOCATION
from pages._session import NotAllowed, current_lang, current_scope, require_user
from pages.cross_sell import feature_label  # the churn driver in the Cross-sell lists' words
from pages.worklist import history_table  # the loop's history, as the work list shows it

dash.register_page(
    __name__, path="/customer-360", name="Customer 360", order=8, nav_key="customer360", filters=False
)

GRAPH = {"displayModeBar": False}
BLANK = "\u00a0"  # a KPI card without a change line (the card would show a dash)


class Ids:
    search = "c360--search"
    open = "c360--open"
    search_message = "c360--search-message"
    customer = "c360--customer"
    content = "c360--content"
    hint = "c360--hint"
    not_found = "c360--not-found"
    refused = "c360--refused"
    profile = "c360--profile"
    balances = "c360--balances"
    holdings = "c360--holdings"
    positions = "c360--positions"
    channels = "c360--channels"
    standing = "c360--standing"
    churn = "c360--churn"
    offers = "c360--offers"
    other_offers = "c360--other-offers"
    campaigns = "c360--campaigns"
    loop = "c360--loop-history"
    notes = "c360--notes"
    scores_carried = "c360--scores-carried"
    note_body = "c360--note-body"
    note_add = "c360--note-add"
    note_message = "c360--note-message"


# --- small helpers --------------------------------------------------------------------------------


def _fmt(value, fmt: str, lang: str) -> str:
    return format_value(value, fmt, lang)


def _month_text(value, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    stamp = pd.Timestamp(value)
    return f"{stamp.year}年{stamp.month}月" if lang == "zh" else stamp.strftime("%Y-%m")


def _or_dash(value) -> str:
    return "-" if value is None or value == "" else str(value)


def _not_run(key: str, kind: str, user, lang: str, element_id: str) -> dbc.Alert:
    if roles.may_run_models(user.role):
        where = dcc.Link(t("c360.run_it", lang), href=f"/models?kind={kind}", className="alert-link")
    else:
        where = t("c360.ask_analyst", lang)
    return dbc.Alert([t(key, lang), " ", where], color="warning", id=element_id)


def _fact(label: str, value, element_id: str | None = None) -> dbc.Col:
    props = {"id": element_id} if element_id else {}
    return dbc.Col(
        [
            html.Div(label, className="small text-muted"),
            html.Div(_or_dash(value), className="fw-semibold", **props),
        ],
        xs=6,
        md=3,
        className="mb-2",
    )


def _text_card(title: str, value, note: str | None, element_id: str) -> dbc.Card:
    """A KPI card for a word (tier, segment): smaller type than a number, wrapped, never cut."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="small text-muted"),
                html.Div(
                    _or_dash(value), className="fw-bold", style={"fontSize": "1.05rem", "lineHeight": 1.25}
                ),
                html.Div(note or "", className="small text-muted"),
            ]
        ),
        id=element_id,
        className="h-100",
    )


def _grid(frame: pd.DataFrame, headers: dict, element_id: str, lang: str, formats: dict, rows: int):
    """A small sortable table sized to its rows; no filter menus (a customer's few rows), the
    first column wide enough for a product or campaign name."""
    grid = data_grid(frame, headers, element_id, lang, formats)
    for i, spec in enumerate(grid.columnDefs):
        spec["filter"] = False
        spec["minWidth"] = 170 if i == 0 else min(spec.get("minWidth", 100), 130)
        if i == 0:
            spec["flex"] = 2  # names are the longest cells
    grid.style = {"height": f"{min(420, 60 + 42 * max(rows, 1))}px"}
    return grid


def _score(value, lang: str) -> str:
    """A probability as a percentage; a tiny one as "<0.1%" rather than a misleading 0.0%."""
    if isinstance(value, int | float) and 0 < value < 0.001:
        return "<0.1%"
    return _fmt(value, "percent", lang)


# --- layout ---------------------------------------------------------------------------------------


def _search_box(customer, lang: str):
    return dbc.Form(
        [
            dbc.Label(t("c360.search_label", lang), html_for=Ids.search),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=Ids.search,
                        type="text",
                        inputMode="numeric",
                        maxLength=view.MAX_ID_DIGITS + 2,
                        value=customer or "",
                        placeholder=t("c360.search_placeholder", lang),
                        autoComplete="off",
                        debounce=True,
                    ),
                    dbc.Button(t("c360.open", lang), id=Ids.open, color="primary", n_clicks=0),
                ],
                style={"maxWidth": "28rem"},
            ),
            html.Div(id=Ids.search_message, className="small text-danger mt-1"),
        ],
        className="mb-3",
        # the form never posts: the callback navigates
        prevent_default_on_submit=True,
    )


def layout(customer=None, **_query):
    """The search box, and the customer's sections (filled by a callback) when a number is given."""
    user = require_user()
    lang = current_lang()
    header = html.H3(t("c360.title", lang))
    if not roles.may_see_customers(user.role):
        return html.Div([header, dbc.Alert(t("c360.refused", lang), color="info", id=Ids.refused)])
    customer = customer if isinstance(customer, str) and len(customer) <= 64 else None
    return html.Div(
        [
            header,
            _search_box(customer, lang),
            dcc.Store(id=Ids.customer, data=customer),
            dcc.Loading(
                html.Div(id=Ids.content, className="c360-content"),
                type="default",
                delay_show=150,
                overlay_style={"visibility": "visible", "opacity": 0.4},
                custom_spinner=html.Div(t("c360.loading", lang), className="text-muted p-4"),
            ),
        ]
    )


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Output(Ids.search_message, "children"),
    Input(Ids.open, "n_clicks"),
    Input(Ids.search, "n_submit"),
    State(Ids.search, "value"),
    prevent_initial_call=True,
)
def open_customer(_clicks, _submit, value):
    """Open the typed customer number (it goes into the URL, so Back and links work)."""
    require_user()
    lang = current_lang()
    if not value:
        raise PreventUpdate
    cid = view.parse_customer(value)
    if cid is None:
        return dash.no_update, t("c360.bad_id", lang)
    return f"?customer={cid}", ""


@callback(Output(Ids.content, "children"), Input(Ids.customer, "data"))
def show_customer(customer):
    """The customer's sections under the user's scope, or why there are none."""
    user = require_user()
    lang = current_lang()
    if not customer:
        return html.Div(t("c360.search_hint", lang), className="text-muted", id=Ids.hint)
    cid = view.parse_customer(customer)
    if cid is None:
        return dbc.Alert(t("c360.bad_id", lang), color="warning", id=Ids.not_found)
    try:
        found = view.customer360(cid, current_scope(), lang)
    except view.Refused:
        return dbc.Alert(t("c360.refused", lang), color="info", id=Ids.refused)
    except view.NotFound:
        return dbc.Alert(t("c360.not_found", lang, customer=cid), color="warning", id=Ids.not_found)
    return render(found, user, lang, api.scored_months())


def render(
    found: view.Customer360, user, lang: str, carried: dict[str, str | None] | None = None
) -> html.Div:
    """Every section of one customer (pure: the view's answer in, layout out). ``carried``:
    ``cube.api.scored_months()``, the month of scores an append carried over, by kind."""
    carried = carried or {}
    return html.Div(
        [
            _profile_card(found, user, lang, carried),
            dbc.Row(
                [
                    dbc.Col(_balances_section(found, lang), lg=6),
                    dbc.Col(_channels_section(found, lang), lg=6),
                ]
            ),
            _holdings_section(found, lang),
            dbc.Row(
                [
                    dbc.Col(_offers_section(found, user, lang, carried), lg=6),
                    dbc.Col(_churn_section(found, user, lang, carried), lg=6),
                ]
            ),
            _standing_section(found, lang),
            _campaigns_section(found, lang),
            _loop_section(found, user, lang),
            _notes_section(found, user, lang),
        ]
    )


# --- profile --------------------------------------------------------------------------------------


def _scored_month(found: view.Customer360, carried: dict[str, str | None], kind: str) -> str | None:
    """``"YYYY-MM"`` the cube's ``kind`` scores describe: the month an append carried them over
    from (the run shown, fitted on the served data, is then not the one published), else the
    shown run's month."""
    month = carried.get(kind)
    return month[:7] if month else found.runs.get(kind)


def _profile_card(found: view.Customer360, user, lang: str, carried: dict[str, str | None]) -> dbc.Card:
    p = found.profile
    b = found.balances
    aum = float(b["aum"].iloc[-1]) if len(b) else None
    before = float(b["aum"].iloc[-2]) if len(b) > 1 else None
    change = None
    if aum is not None and before is not None:
        delta = aum - before
        change = t("c360.vs_previous", lang, change=("+" if delta >= 0 else "") + _fmt(delta, "money", lang))
    last12 = float(b["contribution"].tail(12).sum()) if len(b) else None
    status = "active" if p["active"] else "dormant" if p["dormant"] else "inactive"
    seg = found.model.get("segmentation", {})
    value = found.model.get("value", {})

    def scored(values: dict, name: str, kind: str) -> tuple[str, str | None]:
        if not values:
            return t("c360.not_run", lang), None
        month = _scored_month(found, carried, kind)
        return values.get(f"{name}_label") or "-", t("c360.as_of_run", lang, month=month) if month else None

    name = p.get("customer_name") or ""
    title = t("c360.customer", lang, customer=found.customer_id) + (f" · {name}" if name else "")
    facts = dbc.Row(
        [
            _fact(t("c360.name", lang), p.get("customer_name"), "c360--name"),
            _fact(t("c360.phone", lang), p.get("customer_phone"), "c360--phone"),
            _fact(t("c360.id_card", lang), p.get("customer_id_card_no"), "c360--id-card"),
            _fact(t("c360.region", lang), p.get("region_label")),
            _fact(
                t("c360.org", lang), f"{_or_dash(p.get('branch_label'))} / {_or_dash(p.get('manager_label'))}"
            ),
            _fact(
                t("c360.demographics", lang),
                f"{_or_dash(p.get('gender_label'))} / {_or_dash(p.get('age_band_label'))}",
            ),
            _fact(
                t("c360.income_occupation", lang),
                f"{_or_dash(p.get('income_band_label'))} / {_or_dash(p.get('occupation_label'))}",
            ),
            _fact(t("c360.city", lang), p.get("city")),
            _fact(t("c360.credit_grade", lang), p.get("credit_grade")),
            _fact(t("c360.opened", lang), _month_text(p.get("opened"), lang)),
            _fact(t("c360.tenure", lang), p.get("tenure_band_label")),
            _fact(t("c360.status", lang), t(f"c360.status.{status}", lang), "c360--status"),
        ]
    )
    up = None if change is None else aum >= before
    kpis = dbc.Row(
        [
            dbc.Col(
                kpi_card(t("c360.aum", lang), _fmt(aum, "money", lang), change, up, "c360--kpi-aum"), md=2
            ),
            dbc.Col(
                kpi_card(
                    t("c360.contribution_12m", lang),
                    _fmt(last12, "money", lang),
                    BLANK,
                    None,
                    "c360--kpi-contribution",
                ),
                md=2,
            ),
            dbc.Col(
                kpi_card(
                    t("c360.products", lang),
                    _fmt(len(found.positions), "count", lang),
                    BLANK,
                    None,
                    "c360--kpi-products",
                ),
                md=2,
            ),
            dbc.Col(
                _text_card(t("c360.aum_tier", lang), p.get("aum_tier_label"), None, "c360--kpi-tier"), md=2
            ),
            dbc.Col(
                _text_card(
                    t("c360.segment", lang), *scored(seg, "segment", "segmentation"), "c360--kpi-segment"
                ),
                md=2,
            ),
            dbc.Col(
                _text_card(
                    t("c360.value_tier", lang), *scored(value, "value_tier", "value"), "c360--kpi-value"
                ),
                md=2,
            ),
        ],
        className="g-2 mb-3",
    )
    notes = [t("c360.as_of", lang, month=_month_text(p["month"], lang))]
    if p.get("closed"):
        notes.append(t("c360.closed", lang, month=_month_text(p["month"], lang)))
    if roles.masks_identities(user.role) or (name and "*" in name):
        notes.append(t("c360.masked_note", lang))
    return dbc.Card(
        dbc.CardBody(
            [
                html.H4(title, className="card-title", id="c360--title"),
                html.Div(" · ".join(notes), className="small text-muted mb-2"),
                carried_scores_note(carried, SCORE_KINDS, lang, Ids.scores_carried),
                kpis,
                facts,
            ]
        ),
        className="mb-3",
        id=Ids.profile,
    )


# --- balances, holdings, channels -----------------------------------------------------------------


def _balances_section(found: view.Customer360, lang: str):
    b = found.balances
    series = {
        m: api.member_label(f"customers.{m}", lang) for m in ("aum", "deposits", "investments", "loans")
    }
    series = {m: label for m, label in series.items() if m == "aum" or b[m].abs().sum() > 0}
    figure = line_chart(b, "month", series, "money", lang, height=300)
    return section(
        t("c360.balances", lang),
        dcc.Graph(id=Ids.balances, figure=figure, config=GRAPH),
        t("c360.balances_note", lang),
    )


def _channels_section(found: view.Customer360, lang: str):
    c = found.channels
    title = t("c360.channels", lang)
    if c.empty or not c["txn_count"].sum():
        return section(title, empty_state(t("c360.no_transactions", lang), f"{Ids.channels}-empty"))
    figure = grouped_bars(
        c,
        "month",
        "channel",
        "channel_label",
        "txn_count",
        "customers.channel",
        "count",
        lang,
        y_title=api.member_label("customers.txn_count", lang),
        barmode="stack",
    )
    figure.update_layout(height=300)
    figure.update_xaxes(tickformat="%Y-%m")  # months read alike in both languages
    return section(
        title, dcc.Graph(id=Ids.channels, figure=figure, config=GRAPH), t("c360.channels_note", lang)
    )


def _holdings_section(found: view.Customer360, lang: str):
    h = found.holdings
    h = h[h.groupby("category")["balance"].transform(lambda s: s.abs().sum()).to_numpy() > 0]
    chart = empty_state(t("c360.no_positions", lang), f"{Ids.holdings}-empty")
    if len(h):
        figure = grouped_bars(
            h,
            "month",
            "category",
            "category_label",
            "balance",
            "holdings.category",
            "money",
            lang,
            y_title=api.member_label("holdings.balance", lang),
            barmode="stack",
        )
        figure.update_xaxes(tickformat="%Y-%m")
        chart = dcc.Graph(id=Ids.holdings, figure=figure, config=GRAPH)
    pos = found.positions
    month = _month_text(found.profile["month"], lang)
    if pos.empty:
        table = empty_state(t("c360.no_positions", lang), f"{Ids.positions}-empty")
    else:
        headers = {
            "product_label": t("c360.col.product", lang),
            "balance": t("c360.col.balance", lang),
            "avg_daily_balance": t("c360.col.adb", lang),
            "margin": t("c360.col.margin", lang),
        }
        formats = {"balance": "money", "avg_daily_balance": "money", "margin": "money"}
        table = _grid(pos[list(headers)], headers, Ids.positions, lang, formats, len(pos))
    return dbc.Row(
        [
            dbc.Col(section(t("c360.holdings", lang), chart, t("c360.holdings_note", lang)), lg=6),
            dbc.Col(section(t("c360.positions", lang, month=month), table), lg=6),
        ]
    )


# --- standing ----------------------------------------------------------------------------------


def _standing_section(found: view.Customer360, lang: str):
    s = found.standing
    title = t("c360.standing", lang)
    if s.empty:
        return section(title, empty_state(t("c360.no_transactions", lang)))
    changes = int((s["aum_tier"] != s["aum_tier"].shift()).iloc[1:].sum())
    summary = html.Div(t("c360.tier_changes", lang, n=changes, months=len(s)), className="mb-1")
    keys = s[["aum_tier", "aum_decile", "contribution_decile"]]
    moved = (keys != keys.shift()).any(axis=1).to_numpy().copy()
    moved[-1] = True  # the latest month always shows
    shown = s[moved].iloc[::-1].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "month": [_month_text(m, lang) for m in shown["month"]],
            "aum_tier_label": shown["aum_tier_label"],
            "aum_decile": shown["aum_decile"],
            "contribution_decile": shown["contribution_decile"],
            "aum": shown["aum"],
        }
    )
    headers = {
        "month": t("c360.col.month", lang),
        "aum_tier_label": t("c360.col.aum_tier", lang),
        "aum_decile": t("c360.col.aum_decile", lang),
        "contribution_decile": t("c360.col.contribution_decile", lang),
        "aum": t("c360.col.aum", lang),
    }
    formats = {"aum_decile": "count", "contribution_decile": "count", "aum": "money"}
    grid = _grid(frame, headers, Ids.standing, lang, formats, min(len(frame), 8))
    only = html.Div(t("c360.changes_only", lang), className="small text-muted mb-1")
    return section(title, html.Div([summary, only, grid]), t("c360.standing_note", lang))


# --- churn, offers --------------------------------------------------------------------------------


def _driver_text(driver, lang: str) -> str:
    if not isinstance(driver, str):
        return "-"
    code = driver[len("holds_") :] if driver.startswith("holds_") else None
    names = cross_sell_view.product_names([code], current_scope(), lang) if code else {}
    return feature_label(driver, names, lang)


def _churn_section(found: view.Customer360, user, lang: str, carried: dict[str, str | None]):
    title = t("c360.churn", lang)
    churn = found.model.get("churn")
    if churn is None:
        return section(title, _not_run("c360.churn_not_run", "churn", user, lang, Ids.churn))
    if churn.get("churn_band") is None:
        return section(title, dbc.Alert(t("c360.not_scored", lang), color="light", id=Ids.churn))
    facts = [
        _fact(t("c360.churn_band", lang), churn.get("churn_band_label"), "c360--churn-band"),
        _fact(t("c360.churn_score", lang), _score(churn.get("churn_score"), lang)),
        _fact(t("c360.value_at_risk", lang), _fmt(churn.get("value_at_risk"), "money", lang)),
        _fact(t("c360.churn_driver", lang), _driver_text(churn.get("churn_driver"), lang)),
    ]
    if churn.get("activation_band") is not None:
        facts.append(_fact(t("c360.activation", lang), _fmt(churn.get("activation_value"), "money", lang)))
    month = _scored_month(found, carried, "churn")
    note = t("c360.run_month", lang, month=month) if month else None
    return section(title, dbc.Row(facts, id=Ids.churn), note)


def _offers_section(found: view.Customer360, user, lang: str, carried: dict[str, str | None]):
    title = t("c360.offers", lang)
    if "crosssell" not in found.model:
        return section(title, _not_run("c360.offers_not_run", "crosssell", user, lang, Ids.offers))
    offer = found.offers
    if offer is None:
        return section(title, dbc.Alert(t("c360.no_offer", lang), color="light", id=Ids.offers))
    band = offer.get("propensity_band")
    reasons = [
        t(
            "c360.reason_band" if band in ("high", "medium") else "c360.reason_band_low",
            lang,
            band=offer.get("propensity_band_label") or "-",
        ),
        t("c360.reason_value", lang, value=_fmt(offer.get("offer_value"), "money", lang)),
    ]
    if offer.get("segment_label"):
        reasons.append(t("c360.reason_segment", lang, segment=offer["segment_label"]))
    for _, rule in offer["rules"].iterrows():
        reasons.append(
            t(
                "c360.reason_rule",
                lang,
                antecedent=rule["antecedent"],
                confidence=_fmt(rule["confidence"], "percent", lang),
                lift=_fmt(rule["lift"], "number", lang),
            )
        )
    best = html.Div(
        [
            html.Div(t("c360.best_offer", lang), className="small text-muted"),
            html.Div(offer["product_label"], className="fs-4 fw-bold", id="c360--best-offer"),
            dbc.Row(
                [
                    _fact(t("c360.propensity_band", lang), offer.get("propensity_band_label")),
                    _fact(t("c360.offer_score", lang), _score(offer.get("offer_score"), lang)),
                    _fact(t("c360.offer_value", lang), _fmt(offer.get("offer_value"), "money", lang)),
                ]
            ),
            html.Div(t("c360.reasons", lang), className="fw-semibold mt-1"),
            html.Ul([html.Li(r) for r in reasons], className="mb-2", id="c360--reasons"),
        ],
        id=Ids.offers,
    )
    body = [best]
    others = found.other_offers
    if others is not None and len(others):
        items = [
            html.Li(
                [
                    html.Span(row["product_label"], className="fw-semibold"),
                    " — ",
                    t(
                        "c360.other_offer",
                        lang,
                        antecedent=row["antecedent"],
                        confidence=_fmt(row["confidence"], "percent", lang),
                        lift=_fmt(row["lift"], "number", lang),
                    ),
                ]
            )
            for _, row in others.iterrows()
        ]
        body += [
            html.Div(t("c360.other_offers", lang), className="fw-semibold"),
            html.Ul(items, id=Ids.other_offers, className="mb-0"),
        ]
    month = _scored_month(found, carried, "crosssell")
    return section(title, html.Div(body), t("c360.run_month", lang, month=month) if month else None)


# --- campaigns ------------------------------------------------------------------------------------


def _campaigns_section(found: view.Customer360, lang: str):
    title = t("c360.campaigns", lang)
    c = found.campaigns
    if c.empty:
        return section(title, empty_state(t("c360.no_campaigns", lang), f"{Ids.campaigns}-empty"))
    summary = html.Div(
        t(
            "c360.campaign_summary",
            lang,
            targeted=_fmt(len(c), "count", lang),
            contacted=_fmt(int(c["contacted"].sum()), "count", lang),
            responded=_fmt(int(c["responded"].sum()), "count", lang),
            amount=_fmt(float(c["response_amount"].sum()), "money", lang),
        ),
        className="mb-1",
        id="c360--campaign-summary",
    )
    yes, no = t("c360.yes", lang), t("c360.no", lang)
    frame = pd.DataFrame(
        {
            "campaign_label": c["campaign_label"],
            "start_month": [_month_text(m, lang) for m in c["start_month"]],
            "channel_label": c["channel_label"],
            "product_label": c["product_label"],
            "contacted_date": [m.strftime("%Y-%m-%d") if pd.notna(m) else "-" for m in c["contacted_date"]],
            "contacted": [yes if v else no for v in c["contacted"]],
            "responded": [yes if v else no for v in c["responded"]],
            "response_amount": c["response_amount"],
        }
    )
    headers = {
        "campaign_label": t("c360.col.campaign", lang),
        "start_month": t("c360.col.start_month", lang),
        "channel_label": t("c360.col.channel", lang),
        "product_label": t("c360.col.offered", lang),
        "contacted_date": t("c360.col.contacted_date", lang),
        "contacted": t("c360.col.contacted", lang),
        "responded": t("c360.col.responded", lang),
        "response_amount": t("c360.col.response_amount", lang),
    }
    grid = _grid(frame, headers, Ids.campaigns, lang, {"response_amount": "money"}, len(frame))
    return section(title, html.Div([summary, grid]), t("c360.campaigns_note", lang))


# --- the marketing loop: its campaigns and contacts, the relationship manager's notes ----------


def _loop_section(found: view.Customer360, user, lang: str):
    try:
        frame = loop_contacts.history(user, found.customer_id)
    except NotPermitted:
        frame = pd.DataFrame()
    if frame.empty:
        body = empty_state(t("c360loop.history_empty", lang), f"{Ids.loop}-empty")
    else:
        body = history_table(frame, lang, Ids.loop)
    return section(t("c360loop.history", lang), body, t("c360loop.history_note", lang))


def _notes_list(user, customer_id: int, lang: str):
    frame = loop_notes.list_for(user, customer_id)
    if frame.empty:
        return empty_state(t("c360.notes_empty", lang))
    items = [
        html.Li(
            [
                html.Div(row["body"], style={"whiteSpace": "pre-wrap"}),
                html.Div(
                    t(
                        "c360loop.note_by",
                        lang,
                        author=row["author"],
                        at=str(row["written_at"])[:16].replace("T", " "),
                    ),
                    className="small text-muted",
                ),
            ],
            className="list-group-item",
        )
        for _, row in frame.iterrows()
    ]
    return html.Ul(items, className="list-group mb-2")


def _notes_section(found: view.Customer360, user, lang: str):
    parts = [html.Div(_notes_list(user, found.customer_id, lang), id=Ids.notes)]
    if loop_notes.may_write(user):
        parts += [
            dbc.Textarea(
                id=Ids.note_body,
                maxLength=loop_notes.BODY_MAX,
                rows=2,
                placeholder=t("c360loop.note_placeholder", lang),
                className="mb-2",
            ),
            dbc.Button(t("c360loop.note_add", lang), id=Ids.note_add, color="primary", size="sm", n_clicks=0),
            html.Div(id=Ids.note_message, className="small mt-1"),
        ]
    else:
        parts.append(html.Div(t("c360loop.notes_read_only", lang), className="small text-muted"))
    return section(t("c360.notes", lang), html.Div(parts))


@callback(
    Output(Ids.notes, "children"),
    Output(Ids.note_message, "children"),
    Output(Ids.note_body, "value"),
    Input(Ids.note_add, "n_clicks"),
    State(Ids.note_body, "value"),
    State(Ids.customer, "data"),
    prevent_initial_call=True,
)
def add_note(clicks, body, customer):
    """Store a note on the open customer (relationship and branch managers, in their scope)."""
    user = require_user()
    lang = current_lang()
    cid = view.parse_customer(customer)
    if not clicks or cid is None:
        raise PreventUpdate
    try:
        loop_notes.add(user, cid, body)
    except NotPermitted as refused:
        raise NotAllowed(str(refused)) from refused
    except MarketingInputError as problem:
        message = html.Span(t("c360loop.note_error", lang, message=str(problem)), className="text-danger")
        return dash.no_update, message, dash.no_update
    saved = html.Span(t("c360loop.note_saved", lang), className="text-success")
    return _notes_list(user, cid, lang), saved, ""
