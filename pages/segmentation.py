"""Segmentation: not built yet; the page says what it will show (no cube queries)."""

from __future__ import annotations

import dash

from pages._placeholder import placeholder_layout

dash.register_page(__name__, path="/segmentation", name="Segmentation", order=5, nav_key="segmentation")


def layout(**_query):
    return placeholder_layout("segmentation")
