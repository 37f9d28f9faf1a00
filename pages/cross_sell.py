"""Cross-sell: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(
    __name__, path="/cross-sell", name="Cross-sell", order=6, nav_key="cross_sell", filters=False
)


def layout(**_query):
    return placeholder_layout("cross_sell")
