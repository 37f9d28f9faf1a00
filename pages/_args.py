"""Callback arguments as the callback expects them, whatever a forged request sent.

Any input of a callback can be any JSON value: a list where a dropdown sends a string, a dict
for a click count, a number of a hundred digits. Callbacks read their arguments through these
few functions, which return the expected type or the default (the page's normal fallback), so
junk never reaches a query or an ``int()`` that raises.
"""

from __future__ import annotations

MAX_TEXT = 10_000  # longer than any value a control of ours sends


def as_str(value, default: str | None = None, max_len: int = MAX_TEXT) -> str | None:
    """``value`` if it is a string of at most ``max_len`` characters, else ``default``."""
    return value if isinstance(value, str) and len(value) <= max_len else default


def as_int(value, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int | None:
    """``value`` if it is an integer (not a bool) within ``[lo, hi]``, else ``default``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return default
    return value


def as_list(value) -> list:
    """The scalars (strings, numbers) of a multi-select's value: a lone scalar is a list of
    one, None and anything else an empty list; nested lists and dicts are dropped."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str | int | float) and not isinstance(v, bool)]


def as_dict(value) -> dict:
    """``value`` if it is a dict (a store's data, click data), else an empty dict."""
    return value if isinstance(value, dict) else {}
