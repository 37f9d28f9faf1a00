"""Customers: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/customers", name="Customers", order=1, nav_key="customers")


def layout(**_query):
    return placeholder_layout("customers")
