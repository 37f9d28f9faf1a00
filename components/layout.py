"""Page furniture shared by every view: navbar, placeholders, breadcrumbs, KPI cards.

Pure builders: they take plain values (texts, numbers already formatted) and return layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.i18n import t


def navbar(
    lang: str, username: str, role_label: str, entries: Sequence[tuple[str, str]], csrf_token: str = ""
) -> dbc.Navbar:
    """The top bar: the views the user's role may open (``entries``: catalog key, path, in
    menu order, from the page registry), the language switch, who is signed in, sign-out
    (a form carrying the session's ``csrf_token``, without which the server refuses it).
    The links' hrefs are kept carrying the global filters by the frame's callback."""
    other = "en" if lang == "zh" else "zh"
    links = [
        dbc.NavItem(
            dbc.NavLink(
                t(f"nav.{key}", lang), href=path, active="exact", id={"type": "frame-nav", "key": key}
            ),
            id=f"nav--{key}",
        )
        for key, path in entries
    ]
    right = [
        dbc.NavItem(
            dbc.NavLink(t("nav.language", lang), href=f"/lang/{other}", external_link=True, id="nav--lang")
        ),
        dbc.NavItem(
            html.Span(f"{username} · {role_label}", className="navbar-text px-2 text-nowrap", id="nav--user")
        ),
        dbc.NavItem(
            # a form, not a link: signing out changes state, so it is a POST
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=csrf_token, id="nav--csrf"),
                    html.Button(
                        t("nav.sign_out", lang),
                        type="submit",
                        className="btn btn-link nav-link",
                        id="nav--sign-out",
                    ),
                ],
                method="POST",
                action="/logout",
                className="d-inline m-0",
            )
        ),
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(t("app.short_title", lang), href="/", className="me-3"),
                dbc.Nav(links, navbar=True, className="me-auto flex-wrap mams-nav"),
                dbc.Nav(right, navbar=True, className="flex-nowrap"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-2 py-1",
    )


def coming_soon(key: str, lang: str) -> dbc.Alert:
    """An honest placeholder for a module not built yet: what it will do, nothing fake."""
    return dbc.Alert(
        [
            html.H4(t(f"nav.{key}", lang)),
            html.P(t("coming.title", lang), className="fw-bold"),
            html.P(t(f"coming.{key}", lang)),
        ],
        color="secondary",
        id="coming-soon",
    )


def breadcrumb(items: Sequence[tuple[str, str | None]], element_id: str) -> html.Nav:
    """A breadcrumb of (label, href); the last item (href None) is where the user is."""
    crumbs = []
    for label, href in items:
        if href is None:
            crumbs.append(html.Li(label, className="breadcrumb-item active"))
        else:
            crumbs.append(html.Li(dcc.Link(label, href=href), className="breadcrumb-item"))
    return html.Nav(html.Ol(crumbs, className="breadcrumb"), id=element_id)


def kpi_card(title: str, value: str, change: str | None, change_up: bool | None, element_id: str) -> dbc.Card:
    """One KPI: its value and the period-over-period change (green up, red down)."""
    colour = "text-muted" if change_up is None else ("text-success" if change_up else "text-danger")
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="small text-muted"),
                html.Div(value, className="fs-4 fw-bold kpi-value"),
                html.Div(change or "–", className=f"small {colour} kpi-change"),
            ]
        ),
        id=element_id,
        className="h-100",
    )


def empty_state(text: str, element_id: str | None = None) -> dbc.Alert:
    """Shown instead of a chart or table when a selection has no rows."""
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color="light", className="text-center text-muted my-3", **kwargs)


def section(title: str, body, note: str | None = None) -> dbc.Card:
    """A titled card around a chart or a table."""
    children = [html.H5(title, className="card-title")]
    if note:
        children.append(html.P(note, className="small text-muted"))
    children.append(body)
    return dbc.Card(dbc.CardBody(children), className="mb-3")
