"""Overview: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/", name="Overview", order=0, nav_key="overview")


def layout(**_query):
    return placeholder_layout("overview")
