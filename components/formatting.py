"""Number formatting per language, for figures, tables and KPI cards.

Formats (the ``fmt`` of the cube's column metadata):

- ``money``: compact: 万/亿 in Chinese, K/M/B in English (``¥5.68万``, ``¥1.23M``).
- ``money_exact``: to the cent (fen), with thousands separators (``¥1,234,567.89``); tables.

The currency is a setting (``MAMS_CURRENCY_CODE``, ``MAMS_CURRENCY_SYMBOL``,
``MAMS_CURRENCY_CJK_UNITS``: whether Chinese money is written in 万/亿); yuan by default.
- ``percent``: a ratio shown as a percentage with one decimal (0.1234 -> ``12.3%``).
- ``count``: a whole number with thousands separators.
- ``number``: two decimals with thousands separators.

Anything else is shown as text; None/NaN/NA always show as ``-``. The same rules exist in
JavaScript for AG Grid (``assets/dashAgGridFunctions.js``), so sorting stays numeric.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from components.i18n import t
from settings import get_settings

MISSING = "-"

# Below this many in the base, a percentage also shows the counts behind it ("12.5% (1/8)"):
# one customer more or less moves a ratio on a base of 30 by more than 3 points.
SMALL_BASE = 30

# (divisor, suffix) from largest to smallest, per language.
_ZH_UNITS = ((1e8, "亿"), (1e4, "万"))
_EN_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))

# Nice tick steps per decade, for axis_ticks.
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the only value unequal to itself
    except (TypeError, ValueError):
        return True  # pd.NA and pd.NaT refuse a truth value: missing too


def _zh(lang: str | None) -> bool:
    return bool(lang) and str(lang).startswith("zh")


def _units(lang: str | None, money: bool = False) -> tuple[tuple[float, str], ...]:
    if money and not get_settings().currency_cjk_units:
        return _EN_UNITS
    return _ZH_UNITS if _zh(lang) else _EN_UNITS


def currency_symbol() -> str:
    """The symbol written before money (``MAMS_CURRENCY_SYMBOL``; ``¥`` by default)."""
    return get_settings().currency_symbol


def _compact(a: float, lang: str | None, decimals: int = 2, money: bool = False) -> str:
    """``a`` (>= 0) in the largest unit it reaches, also when it only reaches it by rounding in
    the unit below (99,999,999.996 reads 1.00亿, not 10,000.00万)."""
    units = _units(lang, money)
    for i, (div, suffix) in enumerate(units):
        below = units[i + 1][0] if i + 1 < len(units) else 1.0
        if a >= div or round(a / below, decimals) >= div / below:
            return f"{a / div:,.{decimals}f}{suffix}"
    return f"{a:,.{decimals}f}"


def format_value(value: Any, fmt: str, lang: str = "en") -> str:
    """Format ``value`` per ``fmt`` ("money", "money_exact", "percent", "count", "number") and
    ``lang``; anything else as text; None/NaN -> "-"."""
    if _is_missing(value):
        return MISSING
    if fmt == "money":
        v = float(value)
        sign = "-" if v < 0 else ""
        return f"{sign}{currency_symbol()}{_compact(abs(v), lang, money=True)}"
    if fmt == "money_exact":
        return format_money_exact(value, lang)
    if fmt == "percent":
        return f"{float(value) * 100:.1f}%"
    if fmt == "count":
        return f"{int(round(float(value))):,}"
    if fmt == "number":
        return f"{float(value):,.2f}"
    return str(value)


def format_money_exact(value: Any, lang: str = "en") -> str:
    """Money to the fen with the currency symbol: ``¥1,234,567.89``, ``-¥12.30``; half-up
    rounding on the decimal value (0.005 -> ¥0.01); None/NaN -> "-". Same in both languages."""
    if _is_missing(value):
        return MISSING
    try:
        fen = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    sign = "-" if fen < 0 else ""  # -0.001 rounds to 0.00 and shows without a sign
    return f"{sign}{currency_symbol()}{abs(fen):,.2f}"


def format_percent_of(count: Any, base: Any, lang: str = "en", small_base: int = SMALL_BASE) -> str:
    """``count / base`` as a percentage; on a base below ``small_base`` (default 30) the counts
    behind it follow, ``12.5% (1/8)``, so a reader sees how little it rests on. Base 0 or
    missing -> "-"."""
    if _is_missing(count) or _is_missing(base) or float(base) == 0:
        return MISSING
    text = format_value(float(count) / float(base), "percent", lang)
    if abs(float(base)) < small_base:
        text += f" ({format_value(count, 'count', lang)}/{format_value(base, 'count', lang)})"
    return text


def unit_label(fmt: str, lang: str = "en", counted: str = "customers") -> str:
    """The unit an axis title carries: money "¥" (en) / "元" (zh), percent "%", count the
    counted thing ("customers"/"户"; ``counted`` is one of customers, accounts, transactions,
    products, contacts), number nothing."""
    if fmt in ("money", "money_exact"):
        settings = get_settings()
        return t("unit.money", lang) if settings.currency_code == "CNY" else settings.currency_symbol
    if fmt == "percent":
        return "%"
    if fmt == "count":
        return t(f"unit.{counted}", lang)
    return ""


# What a count counts, read from its title when the caller does not say (a chart of
# "Transactions" counts transactions, not customers).
COUNTED_WORDS = (
    ("transactions", ("transaction", "交易")),
    ("accounts", ("holdings", "持有笔数")),
    ("products", ("products", "产品数")),
    ("contacts", ("contact", "接触")),
)


def _counted(title: str | None) -> str:
    text = (title or "").lower()
    for counted, words in COUNTED_WORDS:
        if any(w in text for w in words):
            return counted
    return "customers"


def axis_title(title: str | None, fmt: str, lang: str = "en", counted: str | None = None) -> str:
    """An axis title with its unit: "AUM (¥)", "管理资产（元）"; just the unit without a title.
    A count's unit is what ``counted`` names, else what the title says it counts."""
    unit = unit_label(fmt, lang, counted or _counted(title))
    if not title:
        return unit
    if not unit or (not _zh(lang) and unit.lower() in title.lower()):
        return title  # "Transactions", not "Transactions (transactions)"
    return f"{title}（{unit}）" if _zh(lang) else f"{title} ({unit})"


def _nice_step(span: float, n: int) -> float:
    raw = span / max(n - 1, 1)
    decade = 10 ** math.floor(math.log10(raw))
    for mult in _NICE_STEPS:
        if raw <= mult * decade * (1 + 1e-9):
            return mult * decade
    return 10 * decade


def _decimals(step: float) -> int:
    """Decimals needed to write multiples of ``step`` exactly (2.5 -> 1, 0.25 -> 2)."""
    for d in range(0, 7):
        if abs(round(step, d) - step) <= abs(step) * 1e-9:
            return d
    return 6


def _tick_text(values: list[float], step: float, fmt: str, lang: str | None) -> list[str]:
    if fmt == "percent":
        d = _decimals(step * 100)
        return [f"{v * 100:,.{d}f}%" for v in values]
    top = max(abs(v) for v in values)
    div, suffix = 1.0, ""
    if fmt in ("money", "money_exact", "count", "number"):
        for unit_div, unit_suffix in _units(lang, money=fmt in ("money", "money_exact")):
            if top >= unit_div:
                div, suffix = unit_div, unit_suffix
                break
    d = _decimals(step / div)
    texts = []
    for v in values:
        x = v / div
        if x == 0:
            texts.append("0")
        else:
            texts.append(f"{x:,.{d}f}{suffix}")
    return texts


def axis_ticks(
    values: Iterable[Any], fmt: str, lang: str = "en", n: int = 5, include_zero: bool = True
) -> tuple[list[float], list[str]]:
    """Round tick values covering ``values`` (negatives too) and their labels in the user's
    units: 万/亿 (zh) or K/M/B (en) for money and counts, one unit for the whole axis
    ("0", "0.5万", "1万", "1.5万"), percentages for percent. About ``n`` ticks; the first is at
    or below the smallest value and the last at or above the largest. ``include_zero`` keeps
    0 in the range (bars; pass False for lines). No finite values -> ([], [])."""
    finite = []
    for v in values:
        if not _is_missing(v):
            try:
                f = float(v)
            except (TypeError, ValueError):
                continue
            if math.isfinite(f):
                finite.append(f)
    if not finite:
        return [], []
    lo, hi = min(finite), max(finite)
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:  # one value (or all equal): a range around it, or from 0 when it is 0
        pad = abs(hi) / 2 or (0.01 if fmt == "percent" else 1.0)
        lo, hi = (lo, lo + 2 * pad) if hi == 0 else (lo - pad, hi + pad)
    step = _nice_step(hi - lo, n)
    if fmt == "count":
        step = max(step, 1.0)  # no half customers
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    d = _decimals(step) + 2
    ticks = [round(i * step, d) + 0.0 for i in range(first, last + 1)]  # + 0.0 turns -0.0 into 0.0
    return ticks, _tick_text(ticks, step, fmt, lang)
