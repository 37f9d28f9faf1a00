"""Texts of the mining pages, en and zh (merged into the one catalog by components.i18n)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
