"""Campaigns: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/campaigns", name="Campaigns", order=7, nav_key="campaigns", filters=False)


def layout(**_query):
    return placeholder_layout("campaigns")
