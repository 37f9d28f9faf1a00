"""Channels: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/channels", name="Channels", order=3, nav_key="channels")


def layout(**_query):
    return placeholder_layout("channels")
