"""Admin: manage users, their roles and data scopes; read the audit log (ops store only)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from auth import audit, roles, users
from components.i18n import t
from components.layout import section
from mining import runs
from pages._session import NotAllowed, current_lang, require_role, require_user

dash.register_page(
    __name__, path="/admin", name="Admin", order=9, nav_key="admin", roles=("admin",), filters=False
)


class Ids:
    username = "admin--username"
    password = "admin--password"
    role = "admin--role"
    region = "admin--region"
    branch = "admin--branch"
    manager = "admin--manager"
    active = "admin--active"
    save = "admin--save"
    message = "admin--message"
    users = "admin--users"
    audit = "admin--audit"


def _users_table(lang: str) -> dbc.Table:
    header = [
        "username",
        t("admin.role", lang),
        t("admin.scope_region", lang),
        t("admin.scope_branch", lang),
        t("admin.scope_manager", lang),
        t("admin.active", lang),
    ]
    rows = [
        html.Tr(
            [
                html.Td(u.username),
                html.Td(t(f"role.{u.role}", lang)),
                html.Td(u.region_id),
                html.Td(u.branch_id),
                html.Td(u.manager_id),
                html.Td("✓" if u.active else "✗"),
            ]
        )
        for u in users.list_users()
    ]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
        size="sm",
        striped=True,
        id=Ids.users,
    )


def _audit_table() -> dbc.Table:
    rows = [
        html.Tr([html.Td(e["at"]), html.Td(e["username"]), html.Td(e["action"]), html.Td(e["detail"])])
        for e in audit.recent(100)
    ]
    return dbc.Table(html.Tbody(rows), size="sm", striped=True, id=Ids.audit)


def _int_or_none(value) -> int | None:
    return None if value in (None, "") else int(value)


def _form(lang: str) -> dbc.Form:
    def field(label, component):
        return dbc.Col([dbc.Label(label), component], md=2)

    return dbc.Form(
        [
            dbc.Row(
                [
                    field("username", dbc.Input(id=Ids.username)),
                    dbc.Col(
                        [
                            dbc.Label(t("admin.password_hint", lang)),
                            dbc.Input(id=Ids.password, type="password"),
                        ],
                        md=4,
                    ),
                    field(
                        t("admin.role", lang),
                        dbc.Select(
                            id=Ids.role,
                            value=roles.ANALYST,
                            options=[{"label": t(f"role.{r}", lang), "value": r} for r in roles.ROLES],
                        ),
                    ),
                ],
                className="mb-2",
            ),
            dbc.Row(
                [
                    field(t("admin.scope_region", lang), dbc.Input(id=Ids.region, type="number")),
                    field(t("admin.scope_branch", lang), dbc.Input(id=Ids.branch, type="number")),
                    field(t("admin.scope_manager", lang), dbc.Input(id=Ids.manager, type="number")),
                    field(t("admin.active", lang), dbc.Checkbox(id=Ids.active, value=True)),
                    dbc.Col(
                        dbc.Button(t("admin.save", lang), id=Ids.save, color="primary", className="mt-4"),
                        md=2,
                    ),
                ]
            ),
            html.Div(id=Ids.message, className="mt-2"),
        ]
    )


def layout(**_query):
    user = require_user()
    lang = current_lang()
    if user.role != roles.ADMIN:
        return dbc.Alert(t("admin.only", lang), color="warning", id="admin--denied")
    return html.Div(
        [
            html.H3(t("admin.title", lang)),
            section(t("admin.new_user", lang), _form(lang)),
            section(t("admin.users", lang), html.Div(_users_table(lang), id="admin--users-box")),
            section(t("admin.models", lang), _approval_setting(lang)),
            section(t("admin.audit", lang), html.Div(_audit_table(), id="admin--audit-box")),
        ]
    )


@callback(
    Output(Ids.message, "children"),
    Output("admin--users-box", "children"),
    Output("admin--audit-box", "children"),
    Input(Ids.save, "n_clicks"),
    State(Ids.username, "value"),
    State(Ids.password, "value"),
    State(Ids.role, "value"),
    State(Ids.region, "value"),
    State(Ids.branch, "value"),
    State(Ids.manager, "value"),
    State(Ids.active, "value"),
    prevent_initial_call=True,
)
def save_user(_clicks, username, password, role, region, branch, manager, active):
    """Create the user, or change an existing one; every change goes to the audit log."""
    try:
        admin = require_role(roles.ADMIN)
    except NotAllowed:
        return "forbidden", dash.no_update, dash.no_update
    lang = current_lang()
    scope = {
        "region_id": _int_or_none(region),
        "branch_id": _int_or_none(branch),
        "manager_id": _int_or_none(manager),
    }
    username = (username or "").strip()
    try:
        if users.get_user(username) is None:
            users.create_user(username, password or "", role, **scope)
            action = "user_created"
        else:
            users.update_user(username, role, active=bool(active), password=password or None, **scope)
            action = "user_changed"
    except ValueError as exc:
        return dbc.Alert(str(exc), color="danger"), dash.no_update, dash.no_update
    audit.record(admin.username, action, f"{username}: role={role} scope={scope} active={bool(active)}")
    return dbc.Alert(t("admin.saved", lang), color="success"), _users_table(lang), _audit_table()


# --- model publishing (the Model runs page's approval step) --------------------------------------


def _approval_setting(lang: str) -> html.Div:
    return html.Div(
        [
            dbc.Checkbox(
                id="admin--approval", label=t("admin.approval", lang), value=runs.approval_required()
            ),
            html.Div(id="admin--approval-message", className="small mt-1"),
        ]
    )


@callback(
    Output("admin--approval-message", "children"),
    Input("admin--approval", "value"),
    prevent_initial_call=True,
)
def save_approval_setting(required):
    """Whether succeeded runs wait for an administrator before their scores are published."""
    try:
        admin = require_role(roles.ADMIN)
    except NotAllowed:
        return "forbidden"
    runs.set_approval_required(bool(required), admin.username)
    audit.record(admin.username, "model_approval_setting", "required" if required else "not required")
    return t("admin.approval_on" if required else "admin.approval_off", current_lang())
