"""Products: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/products", name="Products", order=2, nav_key="products")


def layout(**_query):
    return placeholder_layout("products")
