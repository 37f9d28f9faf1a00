"""Customer 360: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(
    __name__, path="/customer-360", name="Customer 360", order=8, nav_key="customer360", filters=False
)


def layout(**_query):
    return placeholder_layout("customer360")
