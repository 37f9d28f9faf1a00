"""Admin: manage users, their roles and data scopes; read the audit log (ops store only).

Creating and changing are separate forms: "Create" never touches an existing user (a taken
name is refused), and "Change a user" saves only over the version of the user it loaded, so an
edit made meanwhile by another admin is refused instead of overwritten. Every write says in the
page what it changed and is audited with the same list.
"""

from __future__ import annotations

import numbers

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from auth import audit, roles, users
from components.i18n import t
from components.layout import section
from mining import runs
from pages._session import NotAllowed, current_lang, require_role, require_user

dash.register_page(
    __name__, path="/admin", name="Admin", order=9, nav_key="admin", roles=("admin",), filters=False
)

SCOPE_FIELDS = ("region_id", "branch_id", "manager_id")


class Ids:
    # the New user form
    username = "admin--username"
    password = "admin--password"
    role = "admin--role"
    region = "admin--region"
    branch = "admin--branch"
    manager = "admin--manager"
    active = "admin--active"
    save = "admin--save"
    message = "admin--message"
    # the Change a user form
    edit_user = "admin--edit-user"
    edit_password = "admin--edit-password"
    edit_role = "admin--edit-role"
    edit_region = "admin--edit-region"
    edit_branch = "admin--edit-branch"
    edit_manager = "admin--edit-manager"
    edit_active = "admin--edit-active"
    edit_loaded = "admin--edit-loaded"  # {"username", "version"} of the user the form shows
    edit_save = "admin--edit-save"
    edit_message = "admin--edit-message"
    users = "admin--users"
    users_box = "admin--users-box"
    audit = "admin--audit"
    audit_box = "admin--audit-box"


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
    """A scope id from a number field: empty is none; anything but a whole number is refused."""
    if value is None or value == "":
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)  # out of SQLite's range: refused by users.validate
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 19:
        return int(value)
    raise users.UserError("scope_number", "region, branch and manager ids are whole numbers")


def _scope(region, branch, manager) -> dict[str, int | None]:
    return dict(zip(SCOPE_FIELDS, map(_int_or_none, (region, branch, manager)), strict=True))


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _flag(value) -> bool:
    """A checkbox's value; anything but true or false (no browser sends it) is refused."""
    if isinstance(value, bool):
        return value
    raise users.UserError("flag", "the active flag is true or false")


def _role_options(lang: str) -> list[dict]:
    return [{"label": t(f"role.{r}", lang), "value": r} for r in roles.ROLES]


def _field(label, component, md: int = 2) -> dbc.Col:
    return dbc.Col([dbc.Label(label), component], md=md)


def _scope_row(lang: str, region_id: str, branch_id: str, manager_id: str, active_id: str, button) -> dbc.Row:
    return dbc.Row(
        [
            _field(t("admin.scope_region", lang), dbc.Input(id=region_id, type="number")),
            _field(t("admin.scope_branch", lang), dbc.Input(id=branch_id, type="number")),
            _field(t("admin.scope_manager", lang), dbc.Input(id=manager_id, type="number")),
            _field(t("admin.active", lang), dbc.Checkbox(id=active_id, value=True)),
            dbc.Col(button, md=2),
        ]
    )


def _form(lang: str) -> dbc.Form:
    return dbc.Form(
        [
            dbc.Row(
                [
                    _field("username", dbc.Input(id=Ids.username, maxLength=users.MAX_USERNAME)),
                    _field(t("admin.password_hint", lang), dbc.Input(id=Ids.password, type="password"), 4),
                    _field(
                        t("admin.role", lang),
                        dbc.Select(id=Ids.role, value=roles.ANALYST, options=_role_options(lang)),
                    ),
                ],
                className="mb-2",
            ),
            _scope_row(
                lang,
                Ids.region,
                Ids.branch,
                Ids.manager,
                Ids.active,
                dbc.Button(t("admin.create", lang), id=Ids.save, color="primary", className="mt-4"),
            ),
            html.Div(id=Ids.message, className="mt-2"),
        ]
    )


def _user_options() -> list[dict]:
    return [{"label": u.username, "value": u.username} for u in users.list_users()]


def _edit_form(lang: str) -> dbc.Form:
    return dbc.Form(
        [
            dcc.Store(id=Ids.edit_loaded),
            dbc.Row(
                [
                    _field(t("admin.edit_pick", lang), dbc.Select(id=Ids.edit_user, options=_user_options())),
                    _field(
                        t("admin.new_password", lang), dbc.Input(id=Ids.edit_password, type="password"), 4
                    ),
                    _field(
                        t("admin.role", lang),
                        dbc.Select(id=Ids.edit_role, value=roles.ANALYST, options=_role_options(lang)),
                    ),
                ],
                className="mb-2",
            ),
            _scope_row(
                lang,
                Ids.edit_region,
                Ids.edit_branch,
                Ids.edit_manager,
                Ids.edit_active,
                dbc.Button(t("admin.save", lang), id=Ids.edit_save, color="primary", className="mt-4"),
            ),
            html.Div(id=Ids.edit_message, className="mt-2"),
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
            section(t("admin.edit_user", lang), _edit_form(lang)),
            section(t("admin.users", lang), html.Div(_users_table(lang), id=Ids.users_box)),
            section(t("admin.models", lang), _approval_setting(lang)),
            section(t("admin.audit", lang), html.Div(_audit_table(), id=Ids.audit_box)),
        ]
    )


# --- what a write changed, in words -----------------------------------------------------------


def _value(field: str, value, lang: str) -> str:
    if value is None:
        return t("admin.none", lang)
    return t(f"role.{value}", lang) if field == "role" else str(value)


def _change_text(change: users.Change, lang: str) -> str:
    if change.field == "active":
        return t("admin.change.enabled" if change.after else "admin.change.disabled", lang)
    if change.field == "password":
        return t("admin.change.password", lang)
    before, after = _value(change.field, change.before, lang), _value(change.field, change.after, lang)
    return t(f"admin.change.{change.field}", lang, before=before, after=after)


def _summary(user: users.User, lang: str) -> str:
    """A new user in words: role, scope, active or not."""
    scope = [
        t(f"admin.scope.{f}", lang, value=getattr(user, f))
        for f in SCOPE_FIELDS
        if getattr(user, f) is not None
    ]
    state = t("admin.state_active" if user.active else "admin.state_disabled", lang)
    return "; ".join([t(f"role.{user.role}", lang), *(scope or [t("admin.all_data", lang)]), state])


def _refused(exc: users.UserError, lang: str) -> dbc.Alert:
    return dbc.Alert(t(f"admin.error.{exc.key}", lang, **exc.params), color="danger")


# --- callbacks ----------------------------------------------------------------------------------


@callback(
    Output(Ids.message, "children"),
    Output(Ids.users_box, "children"),
    Output(Ids.audit_box, "children"),
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
    """Create a user; a name that exists is refused (never turned into a change of that user)."""
    try:
        admin = require_role(roles.ADMIN)
    except NotAllowed:
        return "forbidden", dash.no_update, dash.no_update
    lang = current_lang()
    username = _text(username)
    try:
        created = users.create_user(
            username,
            password if isinstance(password, str) else "",
            role,
            active=_flag(active),
            **_scope(region, branch, manager),
        )
    except users.UserError as exc:
        if exc.key == "exists":
            audit.record(admin.username, "user_create_refused", f"{username}: the name exists")
        return _refused(exc, lang), dash.no_update, dash.no_update
    scope = {f: getattr(created, f) for f in SCOPE_FIELDS if getattr(created, f) is not None}
    audit.record(
        admin.username, "user_created", f"{username}: role={role} scope={scope} active={created.active}"
    )
    message = t("admin.created", lang, name=username, summary=_summary(created, lang))
    return dbc.Alert(message, color="success"), _users_table(lang), _audit_table()


@callback(
    Output(Ids.edit_user, "options"),
    Input(Ids.users_box, "children"),
    prevent_initial_call=True,
)
def refresh_user_choice(_table):
    """A user just created can be picked for a change at once."""
    try:
        require_role(roles.ADMIN)
    except NotAllowed:
        return dash.no_update
    return _user_options()


@callback(
    Output(Ids.edit_role, "value"),
    Output(Ids.edit_region, "value"),
    Output(Ids.edit_branch, "value"),
    Output(Ids.edit_manager, "value"),
    Output(Ids.edit_active, "value"),
    Output(Ids.edit_password, "value"),
    Output(Ids.edit_loaded, "data"),
    Output(Ids.edit_message, "children"),
    Input(Ids.edit_user, "value"),
    prevent_initial_call=True,
)
def open_user(username):
    """Fill the change form with the stored user, and remember the version it shows."""
    keep = (dash.no_update,) * 6
    try:
        require_role(roles.ADMIN)
    except NotAllowed:
        return (*keep, None, "forbidden")
    user = users.get_user(username) if isinstance(username, str) and username else None
    if user is None:
        return (*keep, None, None)
    loaded = {"username": user.username, "version": user.version}
    return user.role, user.region_id, user.branch_id, user.manager_id, user.active, "", loaded, None


@callback(
    Output(Ids.edit_message, "children", allow_duplicate=True),
    Output(Ids.users_box, "children", allow_duplicate=True),
    Output(Ids.audit_box, "children", allow_duplicate=True),
    Output(Ids.edit_loaded, "data", allow_duplicate=True),
    Output(Ids.edit_password, "value", allow_duplicate=True),
    Input(Ids.edit_save, "n_clicks"),
    State(Ids.edit_user, "value"),
    State(Ids.edit_loaded, "data"),
    State(Ids.edit_password, "value"),
    State(Ids.edit_role, "value"),
    State(Ids.edit_region, "value"),
    State(Ids.edit_branch, "value"),
    State(Ids.edit_manager, "value"),
    State(Ids.edit_active, "value"),
    prevent_initial_call=True,
)
def change_user(_clicks, username, loaded, password, role, region, branch, manager, active):
    """Save role, scope, active flag and (if given) a new password over the version the form
    loaded; a user changed meanwhile by someone else is refused, not overwritten."""
    keep = (dash.no_update,) * 4
    try:
        admin = require_role(roles.ADMIN)
    except NotAllowed:
        return ("forbidden", *keep)
    lang = current_lang()
    loaded = loaded if isinstance(loaded, dict) else {}
    version = loaded.get("version")
    if not isinstance(username, str) or loaded.get("username") != username or not isinstance(version, int):
        return (dbc.Alert(t("admin.error.pick", lang), color="warning"), *keep)
    try:
        changes = users.update_user(
            username,
            role,
            active=_flag(active),
            password=password if isinstance(password, str) and password else None,
            expected_version=version,
            **_scope(region, branch, manager),
        )
    except users.UserError as exc:
        if exc.key == "stale":
            audit.record(
                admin.username, "user_change_refused", f"{username}: changed by someone else meanwhile"
            )
        return (_refused(exc, lang), *keep)
    if not changes:
        return (dbc.Alert(t("admin.unchanged", lang, name=username), color="secondary"), *keep)
    audit.record(admin.username, "user_changed", f"{username}: " + "; ".join(map(str, changes)))
    words = "; ".join(_change_text(c, lang) for c in changes)
    reloaded = {"username": username, "version": version + 1}
    message = dbc.Alert(t("admin.changed", lang, name=username, changes=words), color="success")
    return message, _users_table(lang), _audit_table(), reloaded, ""


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
