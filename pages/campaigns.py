"""Campaigns (``/campaigns``, 营销活动): the campaigns the user may see, the create form (for
campaign makers), and a campaign's detail at ``/campaigns?id=N``: its facts, the lifecycle
buttons the user's role may press (submit; approve with the over-contact conflict report and
the resolution; reject with a note; start; close), members and their assignment by branch and
manager (reassignment for branch managers and head office), then the progress section
(pages._campaign_progress) and the evaluation (pages._campaign_eval), both reading the campaign
id from the ``campaigns--detail-id`` store. Administrators set the over-contact limit and the
managers' capacity here.

Reads and writes through ``marketing.campaigns`` / ``assignment`` / ``guard`` / ``settings`` (the
ops store, members chosen through the cube under the user's scope); no SQL here. Relationship
managers are sent to their work list. The note that the bank's data has no campaign files
(``campaigns--not-loaded``) stays, for the historic campaign measures of the cube.
"""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from auth import roles
from components.formatting import format_value
from components.i18n import t
from components.layout import empty_state, section
from components.tables import data_grid
from cube.api import not_loaded
from cube.views import campaign_products
from marketing import assignment, campaigns, guard
from marketing import settings as loop_settings
from marketing.errors import MarketingInputError, NotPermitted, StaleCampaign
from pages._campaign_eval import evaluation_section
from pages._campaign_progress import progress_section
from pages._session import current_lang, current_scope, require_role, require_user

dash.register_page(__name__, path="/campaigns", name="Campaigns", order=7, nav_key="campaigns", filters=False)

NOT_LOADED_ID = "campaigns--not-loaded"
READERS = tuple(sorted(roles.CAMPAIGN_READERS | roles.CAMPAIGN_APPROVERS))
MAKERS = tuple(sorted(roles.CAMPAIGN_MAKERS))
APPROVERS = tuple(sorted(roles.CAMPAIGN_APPROVERS))
RUNNERS = tuple(sorted(campaigns.RUNNERS))
REASSIGNERS = tuple(sorted(assignment.HEAD_OFFICE | {roles.BRANCH_MANAGER}))
MEMBERS_SHOWN = 500
BADGE = {
    "draft": "secondary",
    "submitted": "warning",
    "approved": "info",
    "running": "primary",
    "closed": "dark",
    "rejected": "danger",
}


class Ids:
    list = "campaigns--list"
    new = "campaigns--new"
    name = "campaigns--name"
    objective = "campaigns--objective"
    products = "campaigns--products"
    channels = "campaigns--channels"
    start = "campaigns--start"
    end = "campaigns--end"
    cost = "campaigns--cost"
    budget = "campaigns--budget"
    group = "campaigns--group"
    control_share = "campaigns--control-share"
    priority = "campaigns--priority"
    create = "campaigns--create"
    message = "campaigns--message"
    location = "campaigns--location"
    detail = "campaigns--detail"
    detail_id = "campaigns--detail-id"
    status = "campaigns--status"
    submit = "campaigns--submit"
    approve = "campaigns--approve"
    resolution = "campaigns--resolution"
    reject = "campaigns--reject"
    reject_final = "campaigns--reject-final"
    reject_note = "campaigns--reject-note"
    start_run = "campaigns--start-run"
    close = "campaigns--close"
    conflicts = "campaigns--conflicts"
    assignment = "campaigns--assignment"
    members = "campaigns--members"
    reassign_customers = "campaigns--reassign-customers"
    reassign_manager = "campaigns--reassign-manager"
    reassign = "campaigns--reassign"
    reassign_message = "campaigns--reassign-message"
    limit = "campaigns--limit"
    window = "campaigns--window"
    capacity = "campaigns--capacity"
    save_settings = "campaigns--save-settings"
    settings_message = "campaigns--settings-message"
    refused = "campaigns--refused"
    empty = "campaigns--empty"


# --- pieces ---------------------------------------------------------------------------------------


def _error(exc: Exception, lang: str) -> dbc.Alert:
    """The message for a refused step, naming the field."""
    if isinstance(exc, MarketingInputError):
        key = f"campaigns.field.{exc.field}"
        field_name = t(key, lang) if key in _FIELD_KEYS else exc.field
        message = str(exc).split(": ", 1)[-1]
        return dbc.Alert(t("campaigns.error", lang, field=field_name, message=message), color="danger")
    if isinstance(exc, StaleCampaign):
        return dbc.Alert(t("campaigns.stale", lang, message=str(exc)), color="warning")
    return dbc.Alert(t("campaigns.not_permitted", lang, message=str(exc)), color="danger")


def _field_keys() -> frozenset[str]:
    from components.messages_campaigns import MESSAGES

    return frozenset(MESSAGES)


_FIELD_KEYS = _field_keys()


def status_badge(status: str, lang: str, element_id: str | None = None) -> dbc.Badge:
    props = {"id": element_id} if element_id else {}
    return dbc.Badge(t(f"campaigns.status.{status}", lang), color=BADGE.get(status, "secondary"), **props)


def _money(value: float, lang: str) -> str:
    return format_value(value, "money", lang)


def _count(value: int, lang: str) -> str:
    return format_value(value, "count", lang)


def campaign_table(found: list[campaigns.Campaign], lang: str):
    """The list of campaigns, each linking to its detail."""
    if not found:
        return empty_state(t("campaigns.none", lang), Ids.empty)
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"campaigns.col.{c}", lang))
                for c in ("id", "name", "status", "dates", "group", "targets", "controls", "budget")
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(str(c.id)),
                    html.Td(dcc.Link(c.name, href=f"/campaigns?id={c.id}")),
                    html.Td(status_badge(c.status, lang)),
                    html.Td(f"{c.start_date.isoformat()} – {c.end_date.isoformat()}"),
                    html.Td(c.group_name or f"#{c.group_id}"),
                    html.Td(_count(c.targets, lang), className="text-end"),
                    html.Td(_count(c.controls, lang), className="text-end"),
                    html.Td(_money(c.budget, lang), className="text-end"),
                ]
            )
            for c in found
        ]
    )
    return dbc.Table([head, body], hover=True, size="sm", responsive=True)


def _labelled(label: str, control, width: int = 4) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=width, className="mb-2")


def create_form(user, lang: str):
    """The new-campaign form (campaign makers)."""
    products = campaigns.known_products(lang)
    channels = campaigns.known_channels(lang)
    groups = campaigns.groups_for(user)
    group_options = [
        {
            "label": t("campaigns.group_option", lang, name=g["name"], n=_count(g["member_count"], lang)),
            "value": g["id"],
        }
        for g in groups
    ]
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    month = (dt.date.today() + dt.timedelta(days=31)).isoformat()
    body = [
        dbc.Row(
            [
                _labelled(t("campaigns.name", lang), dbc.Input(id=Ids.name, maxLength=campaigns.MAX_NAME), 6),
                _labelled(
                    t("campaigns.group", lang),
                    dcc.Dropdown(id=Ids.group, options=group_options, value=None, clearable=False),
                    6,
                ),
            ]
        ),
        _labelled(
            t("campaigns.objective", lang),
            dbc.Textarea(id=Ids.objective, maxLength=campaigns.MAX_TEXT, rows=2),
            12,
        ),
        dbc.Row(
            [
                _labelled(
                    t("campaigns.products", lang),
                    dcc.Dropdown(
                        id=Ids.products,
                        options=[{"label": f"{n} ({c})", "value": c} for c, n in products.items()],
                        multi=True,
                    ),
                    6,
                ),
                _labelled(
                    t("campaigns.channels", lang),
                    dcc.Dropdown(
                        id=Ids.channels,
                        options=[{"label": n, "value": c} for c, n in channels.items()],
                        multi=True,
                    ),
                    6,
                ),
            ]
        ),
        dbc.Row(
            [
                _labelled(
                    t("campaigns.start", lang), dbc.Input(id=Ids.start, type="date", value=tomorrow), 3
                ),
                _labelled(t("campaigns.end", lang), dbc.Input(id=Ids.end, type="date", value=month), 3),
                _labelled(
                    t("campaigns.cost", lang),
                    dbc.Input(id=Ids.cost, type="number", min=0, step=0.01, value=10),
                    3,
                ),
                _labelled(
                    t("campaigns.budget", lang), dbc.Input(id=Ids.budget, type="number", min=0, step=1), 3
                ),
            ]
        ),
        dbc.Row(
            [
                _labelled(
                    t("campaigns.control_share", lang),
                    dbc.Input(id=Ids.control_share, type="number", min=0, max=50, step=1, value=10),
                    3,
                ),
                _labelled(
                    t("campaigns.priority", lang),
                    dbc.Input(id=Ids.priority, type="number", min=1, max=9, step=1, value=5),
                    3,
                ),
            ]
        ),
        dbc.Button(t("campaigns.create", lang), id=Ids.create, color="primary", n_clicks=0),
    ]
    if not groups:
        body.insert(0, dbc.Alert(t("campaigns.no_groups", lang), color="info"))
    return html.Div(section(t("campaigns.new", lang), html.Div(body)), id=Ids.new)


def settings_form(lang: str):
    """The over-contact limit and capacity (administrators)."""
    now = loop_settings.load()
    inputs = [
        (Ids.limit, "contact_limit", now.contact_limit),
        (Ids.window, "contact_window_days", now.contact_window_days),
        (Ids.capacity, "manager_capacity", now.manager_capacity),
    ]
    return section(
        t("campaigns.settings", lang),
        html.Div(
            [
                dbc.Row(
                    [
                        _labelled(
                            t(f"campaigns.settings.{name}", lang),
                            dbc.Input(id=element, type="number", min=1, step=1, value=value),
                        )
                        for element, name, value in inputs
                    ]
                ),
                dbc.Button(t("campaigns.settings.save", lang), id=Ids.save_settings, n_clicks=0),
                html.Div(id=Ids.settings_message, className="mt-2"),
            ]
        ),
    )


# --- detail -----------------------------------------------------------------------------------------


def _stamp(value: str | None) -> str:
    return (value or "").replace("T", " ")[:16]


def _facts(c: campaigns.Campaign, lang: str):
    products = campaigns.known_products(lang)
    channels = campaigns.known_channels(lang)
    history = [t("campaigns.fact.created", lang, who=c.created_by, at=_stamp(c.created_at))]
    if c.submitted_by:
        history.append(t("campaigns.fact.submitted", lang, who=c.submitted_by, at=_stamp(c.submitted_at)))
    if c.approved_by:
        history.append(t("campaigns.fact.approved", lang, who=c.approved_by, at=_stamp(c.approved_at)))
    if c.started_at:
        history.append(t("campaigns.fact.started", lang, at=_stamp(c.started_at)))
    if c.closed_by:
        history.append(t("campaigns.fact.closed", lang, who=c.closed_by, at=_stamp(c.closed_at)))
    rows = [
        ("objective", c.objective or "-"),
        ("dates", f"{c.start_date.isoformat()} – {c.end_date.isoformat()}"),
        ("group", c.group_name or f"#{c.group_id}"),
        ("products", ", ".join(products.get(p, p) for p in c.products)),
        ("channels", ", ".join(channels.get(ch, ch) for ch in c.channels)),
        ("cost", f"{_money(c.cost_per_contact, lang)} / {_money(c.budget, lang)}"),
        (
            "members_label",
            t(
                "campaigns.fact.members",
                lang,
                targets=_count(c.targets, lang),
                controls=_count(c.controls, lang),
                share=format_value(c.control_share, "percent", lang),
                excluded=_count(c.excluded, lang),
            ),
        ),
        ("priority", str(c.priority)),
        ("history", "; ".join(history)),
    ]
    if c.review_note:
        rows.append(("note", c.review_note))
    return dbc.Table(
        html.Tbody(
            [
                html.Tr([html.Th(t(f"campaigns.fact.{k}", lang), className="w-25"), html.Td(v)])
                for k, v in rows
            ]
        ),
        size="sm",
        borderless=True,
    )


def _actions(user, c: campaigns.Campaign, lang: str):
    """Only the buttons the user's role may press on the campaign's current status."""
    parts = []
    if c.status == "draft" and user.role in MAKERS:
        parts.append(dbc.Button(t("campaigns.submit", lang), id=Ids.submit, color="primary", n_clicks=0))
    if c.status == "submitted" and user.role in APPROVERS:
        if user.username not in (c.created_by, c.submitted_by):
            parts.append(
                dbc.Row(
                    [
                        _labelled(
                            t("campaigns.resolution", lang),
                            dbc.Select(
                                id=Ids.resolution,
                                options=[
                                    {"label": t(f"campaigns.resolution.{r}", lang), "value": r}
                                    for r in guard.RESOLUTIONS
                                ],
                                value="keep_existing",
                            ),
                            6,
                        ),
                        dbc.Col(
                            dbc.Button(
                                t("campaigns.approve", lang), id=Ids.approve, color="success", n_clicks=0
                            ),
                            md=3,
                            className="d-flex align-items-end mb-2",
                        ),
                    ]
                )
            )
        parts.append(
            dbc.Row(
                [
                    _labelled(
                        t("campaigns.reject_note", lang),
                        dbc.Input(id=Ids.reject_note, maxLength=campaigns.MAX_TEXT),
                        6,
                    ),
                    dbc.Col(
                        [
                            dbc.Button(
                                t("campaigns.reject", lang), id=Ids.reject, color="warning", n_clicks=0
                            ),
                            dbc.Button(
                                t("campaigns.reject_final", lang),
                                id=Ids.reject_final,
                                color="danger",
                                outline=True,
                                n_clicks=0,
                                className="ms-2",
                            ),
                        ],
                        md=6,
                        className="d-flex align-items-end mb-2",
                    ),
                ]
            )
        )
    if c.status == "approved" and user.role in RUNNERS:
        parts.append(
            dbc.Button(t("campaigns.start_run", lang), id=Ids.start_run, color="primary", n_clicks=0)
        )
    if c.status == "running" and user.role in RUNNERS:
        parts.append(dbc.Button(t("campaigns.close", lang), id=Ids.close, color="dark", n_clicks=0))
    if not parts:
        parts = [html.P(t("campaigns.no_actions", lang), className="text-muted mb-0")]
    return section(t("campaigns.actions", lang), html.Div(parts))


def _conflicts(user, c: campaigns.Campaign, lang: str):
    if user.role not in assignment.HEAD_OFFICE or c.status not in ("draft", "submitted"):
        return None
    found = campaigns.conflicts(user, c.id)
    rule = loop_settings.load()
    note = t("campaigns.conflicts_note", lang, n=rule.contact_limit, d=rule.contact_window_days)
    if found.empty:
        body = html.P(t("campaigns.conflicts_none", lang), className="mb-0")
    else:
        headers = {col: t(f"campaigns.ccol.{col}", lang) for col in guard.CONFLICT_COLUMNS}
        body = html.Div(
            [
                html.P(t("campaigns.conflicts_count", lang, n=_count(len(found), lang))),
                data_grid(found.head(MEMBERS_SHOWN), headers, f"{Ids.conflicts}-table", lang),
            ]
        )
    return html.Div(section(t("campaigns.conflicts", lang), body, note), id=Ids.conflicts)


def _names(kind: str, values, lang: str) -> list[str]:
    values = list(values)
    known = [v for v in values if v is not None and not pd.isna(v)]
    found = dict(
        zip(known, campaign_products.names(kind, [int(v) for v in known], current_scope(), lang), strict=True)
    )
    return [
        found.get(v, t("campaigns.pool", lang)) if v is not None and not pd.isna(v) else "" for v in values
    ]


def _assignment(user, c: campaigns.Campaign, lang: str):
    summary = assignment.assignment_summary(user, c.id)
    if summary.empty:
        return section(t("campaigns.assignment", lang), empty_state(t("campaigns.members_empty", lang)))
    managers = _names("manager", summary["manager_id"], lang)
    shown = pd.DataFrame(
        {
            "branch": _names("branch", summary["branch_id"], lang),
            "manager": [
                m if m else (t("campaigns.pool", lang) if arm == "target" else "-")
                for m, arm in zip(managers, summary["arm"], strict=True)
            ],
            "arm": [t(f"campaigns.arm.{a}", lang) for a in summary["arm"]],
            "members": summary["members"].astype(int),
        }
    )
    headers = {col: t(f"campaigns.acol.{col}", lang) for col in shown.columns}
    grid = data_grid(shown, headers, Ids.assignment, lang, {"members": "count"})
    grid.style = {"height": f"{min(420, 60 + 42 * len(shown))}px"}
    body = [grid]
    if user.role in REASSIGNERS and c.status in assignment.REASSIGNABLE:
        staff = assignment.staff()
        if user.role == roles.BRANCH_MANAGER:
            staff = staff[staff["branch_id"] == user.branch_id]
        names = _names("manager", staff["manager_id"], lang)
        options = [{"label": t("campaigns.reassign_pool", lang), "value": ""}] + [
            {"label": f"{n} (#{int(m)})", "value": str(int(m))}
            for n, m in zip(names, staff["manager_id"], strict=True)
        ]
        body.append(
            dbc.Row(
                [
                    _labelled(
                        t("campaigns.reassign_customers", lang), dbc.Input(id=Ids.reassign_customers), 5
                    ),
                    _labelled(
                        t("campaigns.reassign_manager", lang),
                        dbc.Select(id=Ids.reassign_manager, options=options, value=""),
                        4,
                    ),
                    dbc.Col(
                        dbc.Button(t("campaigns.reassign", lang), id=Ids.reassign, n_clicks=0),
                        md=3,
                        className="d-flex align-items-end mb-2",
                    ),
                ],
                className="mt-2",
            )
        )
        body.append(html.Div(id=Ids.reassign_message))
    return section(t("campaigns.assignment", lang), html.Div(body))


def _members(user, c: campaigns.Campaign, lang: str):
    frame = campaigns.members(user, c.id, limit=MEMBERS_SHOWN)
    if frame.empty:
        return section(t("campaigns.members", lang), empty_state(t("campaigns.members_empty", lang)))
    products = campaigns.known_products(lang)
    shown = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(int),
            "arm": [t(f"campaigns.arm.{a}", lang) for a in frame["arm"]],
            "branch": _names("branch", frame["branch_id"], lang),
            "manager": [
                m if m else ("-" if a != "target" else t("campaigns.pool", lang))
                for m, a in zip(_names("manager", frame["manager_id"], lang), frame["arm"], strict=True)
            ],
            "segment": frame["segment"].fillna("-"),
            "product": [products.get(p, p) for p in frame["recommended_product"]],
            "propensity": frame["propensity"],
            "excluded_reason": frame["excluded_reason"].fillna(""),
        }
    )
    headers = {col: t(f"campaigns.mcol.{col}", lang) for col in shown.columns}
    grid = data_grid(shown, headers, Ids.members, lang, {"propensity": "number"})
    for spec in grid.columnDefs:
        if spec["field"] == "customer_id":
            spec["cellRenderer"] = "MamsCustomerLink"
            spec["cellRendererParams"] = {"href": "/customer-360", "title": t("table.open_customer", lang)}
    return section(t("campaigns.members", lang), grid)


def _sections(campaign_id: int, lang: str) -> list:
    """The progress and evaluation sections of helpers' modules (each registers its callbacks)."""
    return [progress_section(campaign_id, lang), evaluation_section(campaign_id, lang)]


def detail_body(user, campaign_id: int, lang: str):
    """Everything of one campaign the user may see (re-rendered after each step)."""
    c = campaigns.get(user, campaign_id)
    title = html.Div(
        [html.H3(c.name, className="d-inline me-2"), status_badge(c.status, lang, Ids.status)],
        className="mb-2",
    )
    parts = [
        title,
        section(t("campaigns.facts", lang), _facts(c, lang)),
        _actions(user, c, lang),
        _conflicts(user, c, lang),
        _assignment(user, c, lang),
        _members(user, c, lang),
    ]
    if c.status in ("running", "closed", "approved"):
        parts += _sections(c.id, lang)
    return html.Div([p for p in parts if p is not None])


def _detail(user, raw_id, lang: str):
    try:
        campaign_id = int(str(raw_id))
        body = detail_body(user, campaign_id, lang)
    except (ValueError, MarketingInputError, NotPermitted):
        return html.Div(
            [
                dcc.Link(t("campaigns.back", lang), href="/campaigns"),
                empty_state(t("campaigns.not_found", lang), Ids.empty),
            ]
        )
    return html.Div(
        [
            dcc.Link(t("campaigns.back", lang), href="/campaigns"),
            dcc.Store(id=Ids.detail_id, data=campaign_id),
            html.Div(id=Ids.message, className="mt-2"),
            html.Div(body, id=Ids.detail),
        ]
    )


def layout(id=None, **_query):  # noqa: A002 - the URL's ``?id=`` names the campaign
    """The list and form, or one campaign's detail (``?id=N``)."""
    user = require_user()
    lang = current_lang()
    header = html.H3(t("campaigns.title", lang))
    missing = not_loaded("campaigns", "campaign_contacts")
    note = (
        [
            html.P(
                t("data.not_loaded", lang, files=", ".join(sorted(missing))),
                className="text-muted",
                id=NOT_LOADED_ID,
            )
        ]
        if missing
        else []
    )
    if user.role == roles.RELATIONSHIP_MANAGER:
        return html.Div(
            [
                header,
                dbc.Alert(
                    [
                        t("campaigns.to_worklist", lang),
                        " ",
                        dcc.Link(t("campaigns.open_worklist", lang), href="/worklist"),
                    ],
                    color="info",
                    id=Ids.refused,
                ),
                dcc.Location(id=Ids.location, href="/worklist", refresh=True),
                *note,
            ]
        )
    if user.role not in READERS:
        return html.Div(
            [header, dbc.Alert(t("campaigns.refused", lang), color="info", id=Ids.refused), *note]
        )
    dcc_location = dcc.Location(id=Ids.location, refresh=True)
    if id not in (None, ""):
        return html.Div([dcc_location, _detail(user, id, lang), *note])
    parts = [header, html.P(t("campaigns.intro", lang), className="text-muted"), dcc_location]
    if user.role in MAKERS:
        parts += [create_form(user, lang), html.Div(id=Ids.message, className="mb-3")]
    parts.append(
        section(
            t("campaigns.list", lang), html.Div(campaign_table(campaigns.list_for(user), lang), id=Ids.list)
        )
    )
    if user.role == roles.ADMIN:
        parts.append(settings_form(lang))
    return html.Div([*parts, *note])


# --- callbacks ------------------------------------------------------------------------------------


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _scalar(value):
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) else None


def _codes(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


@callback(
    Output(Ids.message, "children"),
    Output(Ids.list, "children"),
    Output(Ids.location, "href"),
    Input(Ids.create, "n_clicks"),
    State(Ids.name, "value"),
    State(Ids.objective, "value"),
    State(Ids.products, "value"),
    State(Ids.channels, "value"),
    State(Ids.start, "value"),
    State(Ids.end, "value"),
    State(Ids.cost, "value"),
    State(Ids.budget, "value"),
    State(Ids.group, "value"),
    State(Ids.control_share, "value"),
    State(Ids.priority, "value"),
    prevent_initial_call=True,
)
def create_campaign(
    clicks, name, objective, products, channels, start, end, cost, budget, group, share, priority
):
    """Create the draft; then open its detail, or say which field is wrong."""
    user = require_role(*MAKERS)
    lang = current_lang()
    if not clicks:
        raise PreventUpdate
    share_value = _scalar(share)
    if isinstance(share_value, int | float):  # the form asks for a percentage
        share_value = share_value / 100
    data = campaigns.CampaignInput(
        name=_text(name) or "",
        objective=_text(objective) or "",
        products=_codes(products),
        channels=_codes(channels),
        start_date=_text(start),
        end_date=_text(end),
        cost_per_contact=_scalar(cost),
        budget=_scalar(budget),
        group_id=_scalar(group),
        control_share=share_value,
        priority=_scalar(priority),
    )
    try:
        made = campaigns.create(user, data)
    except (MarketingInputError, NotPermitted) as exc:
        return _error(exc, lang), dash.no_update, dash.no_update
    done = dbc.Alert(
        t(
            "campaigns.created",
            lang,
            name=made.name,
            targets=_count(made.targets, lang),
            controls=_count(made.controls, lang),
        ),
        color="success",
    )
    return done, campaign_table(campaigns.list_for(user), lang), f"/campaigns?id={made.id}"


def _step(step, campaign_id, lang: str, done_key: str):
    """Run one lifecycle step for the signed-in user; the message and the detail redrawn."""
    user = require_user()
    try:
        cid = int(campaign_id)
    except (TypeError, ValueError):
        raise PreventUpdate from None
    try:
        result = step(user, cid)
    except (MarketingInputError, NotPermitted, StaleCampaign) as exc:
        return _error(exc, lang), detail_body(user, cid, lang) if _may_see(user, cid) else dash.no_update
    message = dbc.Alert(t(done_key, lang, **_done_values(done_key, result, lang)), color="success")
    return message, detail_body(user, cid, lang)


def _may_see(user, campaign_id: int) -> bool:
    try:
        campaigns.get(user, campaign_id)
    except (MarketingInputError, NotPermitted):
        return False
    return True


def _done_values(done_key: str, result: campaigns.Campaign, lang: str) -> dict:
    if done_key != "campaigns.done.approve":
        return {}
    pool = int(result.extra.get("pool", 0)) if isinstance(result.extra, dict) else 0
    return {
        "assigned": _count(result.targets - pool, lang),
        "pool": _count(pool, lang),
        "excluded": _count(len(result.extra.get("excluded", [])), lang),
    }


_STEP_OUTPUTS = (
    Output(Ids.message, "children", allow_duplicate=True),
    Output(Ids.detail, "children", allow_duplicate=True),
)


@callback(
    *_STEP_OUTPUTS, Input(Ids.submit, "n_clicks"), State(Ids.detail_id, "data"), prevent_initial_call=True
)
def submit_campaign(clicks, campaign_id):
    """Draft -> submitted."""
    require_role(*MAKERS)
    if not clicks:
        raise PreventUpdate
    return _step(campaigns.submit, campaign_id, current_lang(), "campaigns.done.submit")


@callback(
    *_STEP_OUTPUTS,
    Input(Ids.approve, "n_clicks"),
    State(Ids.detail_id, "data"),
    State(Ids.resolution, "value"),
    prevent_initial_call=True,
)
def approve_campaign(clicks, campaign_id, resolution):
    """Submitted -> approved, conflicts resolved as chosen, the targets assigned."""
    require_role(*APPROVERS)
    if not clicks:
        raise PreventUpdate
    chosen = resolution if resolution in guard.RESOLUTIONS else "keep_existing"

    def step(user, cid):
        made = campaigns.approve(user, cid, resolution=chosen)
        summary = assignment.assignment_summary(user, cid)
        pool = summary[(summary["arm"] == "target") & summary["manager_id"].isna()]["members"].sum()
        made.extra["pool"] = int(pool)
        return made

    return _step(step, campaign_id, current_lang(), "campaigns.done.approve")


def _reject(clicks, campaign_id, note, final: bool):
    require_role(*APPROVERS)
    if not clicks:
        raise PreventUpdate
    text = note if isinstance(note, str) else ""
    return _step(
        lambda user, cid: campaigns.reject(user, cid, text, final=final),
        campaign_id,
        current_lang(),
        "campaigns.done.reject",
    )


@callback(
    *_STEP_OUTPUTS,
    Input(Ids.reject, "n_clicks"),
    State(Ids.detail_id, "data"),
    State(Ids.reject_note, "value"),
    prevent_initial_call=True,
)
def reject_campaign(clicks, campaign_id, note):
    """Submitted -> back to draft, with the note."""
    return _reject(clicks, campaign_id, note, final=False)


@callback(
    *_STEP_OUTPUTS,
    Input(Ids.reject_final, "n_clicks"),
    State(Ids.detail_id, "data"),
    State(Ids.reject_note, "value"),
    prevent_initial_call=True,
)
def reject_campaign_for_good(clicks, campaign_id, note):
    """Submitted -> rejected, with the note."""
    return _reject(clicks, campaign_id, note, final=True)


@callback(
    *_STEP_OUTPUTS, Input(Ids.start_run, "n_clicks"), State(Ids.detail_id, "data"), prevent_initial_call=True
)
def start_campaign(clicks, campaign_id):
    """Approved -> running."""
    require_role(*RUNNERS)
    if not clicks:
        raise PreventUpdate
    return _step(campaigns.start, campaign_id, current_lang(), "campaigns.done.start")


@callback(
    *_STEP_OUTPUTS, Input(Ids.close, "n_clicks"), State(Ids.detail_id, "data"), prevent_initial_call=True
)
def close_campaign(clicks, campaign_id):
    """Running -> closed."""
    require_role(*RUNNERS)
    if not clicks:
        raise PreventUpdate
    return _step(campaigns.close, campaign_id, current_lang(), "campaigns.done.close")


@callback(
    Output(Ids.reassign_message, "children"),
    Output(Ids.assignment, "rowData"),
    Input(Ids.reassign, "n_clicks"),
    State(Ids.detail_id, "data"),
    State(Ids.reassign_customers, "value"),
    State(Ids.reassign_manager, "value"),
    prevent_initial_call=True,
)
def reassign_customers(clicks, campaign_id, customers, manager):
    """Hand the typed customers to the chosen manager (or the branch pool)."""
    user = require_role(*REASSIGNERS)
    lang = current_lang()
    if not clicks:
        raise PreventUpdate
    try:
        cid = int(campaign_id)
    except (TypeError, ValueError):
        raise PreventUpdate from None
    text = customers if isinstance(customers, str) else ""
    ids = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    try:
        if not all(p.isdigit() for p in ids):
            raise MarketingInputError("customer_ids", "must be customer numbers")
        chosen = int(manager) if isinstance(manager, str) and manager.isdigit() else None
        moved = assignment.reassign(user, cid, ids, chosen)
    except (MarketingInputError, NotPermitted) as exc:
        return _error(exc, lang), dash.no_update
    grid = _assignment(user, campaigns.get(user, cid), lang)
    rows = _find_grid_rows(grid)
    return dbc.Alert(t("campaigns.reassigned", lang, n=_count(moved, lang)), color="success"), rows


def _find_grid_rows(node):
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
            continue
        if getattr(item, "id", None) == Ids.assignment:
            return item.rowData
        children = getattr(item, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return dash.no_update


@callback(
    Output(Ids.settings_message, "children"),
    Input(Ids.save_settings, "n_clicks"),
    State(Ids.limit, "value"),
    State(Ids.window, "value"),
    State(Ids.capacity, "value"),
    prevent_initial_call=True,
)
def save_settings(clicks, limit, window, capacity):
    """The administrator's over-contact limit and capacity."""
    user = require_role(roles.ADMIN)
    lang = current_lang()
    if not clicks:
        raise PreventUpdate
    try:
        done = loop_settings.update(
            user,
            contact_limit=_scalar(limit),
            contact_window_days=_scalar(window),
            manager_capacity=_scalar(capacity),
        )
    except (MarketingInputError, NotPermitted) as exc:
        return _error(exc, lang)
    return dbc.Alert(
        t(
            "campaigns.settings.saved",
            lang,
            n=done.contact_limit,
            d=done.contact_window_days,
            c=done.manager_capacity,
        ),
        color="success",
    )
