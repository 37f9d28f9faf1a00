"""Layout of a module that a later release fills: says what it will do, shows no data."""

from __future__ import annotations

from components.layout import coming_soon
from pages._session import current_lang, require_user


def placeholder_layout(key: str):
    """The honest 'coming later' panel for module ``key``."""
    require_user()
    return coming_soon(key, current_lang())
