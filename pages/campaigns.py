"""Campaigns: not built yet; the page says what it will show, and whether the data has
campaigns to show at all (no cube queries)."""

from __future__ import annotations

import dash
from dash import html

from components.i18n import t
from cube.api import not_loaded
from pages._placeholder import placeholder_layout
from pages._session import current_lang

dash.register_page(__name__, path="/campaigns", name="Campaigns", order=7, nav_key="campaigns", filters=False)


NOT_LOADED_ID = "campaigns--not-loaded"


def layout(**_query):
    panel = placeholder_layout("campaigns")
    missing = not_loaded("campaigns", "campaign_contacts")
    if not missing:
        return panel
    text = t("data.not_loaded", current_lang(), files=", ".join(sorted(missing)))
    return html.Div([panel, html.P(text, className="text-muted", id=NOT_LOADED_ID)])
