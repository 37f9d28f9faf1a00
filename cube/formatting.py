"""Number formatting per language: money in yuan (万/亿 in Chinese, K/M/B in English)."""

from __future__ import annotations

import math
from typing import Any


def _is_missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def format_value(value: Any, fmt: str, lang: str = "en") -> str:
    """Format ``value`` per ``fmt`` ("money", "percent", "count", "number") and ``lang``."""
    if _is_missing(value):
        return "-"
    zh = lang.startswith("zh")
    if fmt == "money":
        v = float(value)
        sign = "-" if v < 0 else ""
        a = abs(v)
        if zh:
            if a >= 1e8:
                return f"{sign}¥{a / 1e8:,.2f}亿"
            if a >= 1e4:
                return f"{sign}¥{a / 1e4:,.2f}万"
            return f"{sign}¥{a:,.2f}"
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if a >= div:
                return f"{sign}¥{a / div:,.2f}{suffix}"
        return f"{sign}¥{a:,.2f}"
    if fmt == "percent":
        return f"{float(value) * 100:.1f}%"
    if fmt == "count":
        return f"{int(round(float(value))):,}"
    if fmt == "number":
        return f"{float(value):,.2f}"
    return str(value)
