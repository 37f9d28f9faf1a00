"""Number formatting in both languages: compact money, fen, percentages on tiny bases, ticks."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from components.formatting import (
    SMALL_BASE,
    axis_ticks,
    axis_title,
    format_money_exact,
    format_percent_of,
    format_value,
    unit_label,
)


@pytest.mark.parametrize(
    "value,fmt,lang,want",
    [
        # the cases cube.formatting had
        (123456789.0, "money", "zh", "¥1.23亿"),
        (56789.0, "money", "zh", "¥5.68万"),
        (999.5, "money", "zh", "¥999.50"),
        (1234567.0, "money", "en", "¥1.23M"),
        (-4500.0, "money", "en", "-¥4.50K"),
        (0.1234, "percent", "en", "12.3%"),
        (12345, "count", "zh", "12,345"),
        (None, "money", "en", "-"),
        (float("nan"), "percent", "en", "-"),
        # 万/亿 boundaries
        (9999.99, "money", "zh", "¥9,999.99"),
        (10000.0, "money", "zh", "¥1.00万"),
        (99994999.0, "money", "zh", "¥9,999.50万"),
        (99999999.0, "money", "zh", "¥1.00亿"),  # 9,999.9999万 would read ¥10,000.00万
        (99999999.996, "money", "zh", "¥1.00亿"),  # rounds up into the next unit
        (100000000.0, "money", "zh", "¥1.00亿"),
        (1.5e12, "money", "zh", "¥15,000.00亿"),
        (999.0, "money", "en", "¥999.00"),
        (1000.0, "money", "en", "¥1.00K"),
        (2.5e9, "money", "en", "¥2.50B"),
        # negatives and zero
        (-56789.0, "money", "zh", "-¥5.68万"),
        (-1.2e8, "money", "zh", "-¥1.20亿"),
        (0.0, "money", "zh", "¥0.00"),
        (-0.25, "percent", "zh", "-25.0%"),
        (-1234.4, "count", "en", "-1,234"),
        (1234.567, "number", "en", "1,234.57"),
        # missing values of every kind
        (pd.NA, "money", "zh", "-"),
        (pd.NaT, "count", "zh", "-"),
        (float("nan"), "money_exact", "zh", "-"),
        # unknown formats show as text
        ("abc", "text", "en", "abc"),
    ],
)
def test_format_value(value, fmt, lang, want):
    assert format_value(value, fmt, lang) == want


@pytest.mark.parametrize(
    "value,want",
    [
        (1234567.891, "¥1,234,567.89"),
        (-12.3, "-¥12.30"),
        (0.005, "¥0.01"),  # half-up on the decimal value, not the binary float
        (1.005, "¥1.01"),
        (-0.001, "¥0.00"),  # no sign on a value that rounds to zero
        (100000000, "¥100,000,000.00"),
        (None, "-"),
        (float("nan"), "-"),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_format_money_exact(value, want, lang):
    assert format_money_exact(value, lang) == want
    assert format_value(value, "money_exact", lang) == want


def test_percent_of_shows_counts_on_a_tiny_base():
    assert format_percent_of(1, 8, "en") == "12.5% (1/8)"
    assert format_percent_of(1, 8, "zh") == "12.5% (1/8)"
    assert format_percent_of(3, SMALL_BASE, "en") == "10.0%"
    assert format_percent_of(1234, 10000, "en") == "12.3%"
    assert format_percent_of(1, 8, "en", small_base=5) == "12.5%"
    assert format_percent_of(1, 0, "en") == "-"
    assert format_percent_of(None, 10, "en") == "-"
    assert format_percent_of(1, float("nan"), "zh") == "-"


def test_units_and_titles():
    assert unit_label("money", "en") == "¥" and unit_label("money", "zh") == "元"
    assert unit_label("count", "en") == "customers" and unit_label("count", "zh") == "户"
    assert unit_label("count", "zh", counted="transactions") == "笔"
    assert unit_label("percent", "zh") == "%" and unit_label("number", "en") == ""
    assert axis_title("AUM", "money", "en") == "AUM (¥)"
    assert axis_title("管理资产", "money", "zh") == "管理资产（元）"
    assert axis_title(None, "count", "zh") == "户"
    assert axis_title("Score", "number", "en") == "Score"


def _check_ticks(values, fmt, lang, include_zero=True):
    ticks, texts = axis_ticks(values, fmt, lang, include_zero=include_zero)
    finite = [v for v in values if v is not None and not math.isnan(v)]
    assert len(ticks) == len(texts) and 2 <= len(ticks) <= 11
    assert ticks == sorted(ticks) and len(set(texts)) == len(texts)
    assert ticks[0] <= min(finite) and ticks[-1] >= max(finite)
    if include_zero:
        assert 0.0 in ticks
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1, "evenly spaced"
    return ticks, texts


@pytest.mark.parametrize(
    "values,fmt,lang",
    [
        ([0, 13000, 27000], "money", "zh"),
        ([-5e8, 3e8], "money", "zh"),
        ([1.2e6, 3.4e6, float("nan")], "money", "en"),
        ([120e8, 130e8], "money", "zh"),
        ([-7, -2], "count", "en"),
        ([0.1, 0.85], "percent", "en"),
        ([0.0, 0.0], "money", "en"),
        ([42.0], "count", "zh"),
        ([3.3, 3.4], "number", "en"),
    ],
)
@pytest.mark.parametrize("include_zero", [True, False])
def test_axis_ticks_cover_the_range(values, fmt, lang, include_zero):
    _check_ticks(values, fmt, lang, include_zero)


def test_axis_tick_labels_read_in_units():
    assert axis_ticks([0, 27000], "money", "zh") == (
        [0.0, 10000.0, 20000.0, 30000.0],
        ["0", "1万", "2万", "3万"],
    )
    assert axis_ticks([0, 3.4e6], "money", "en")[1] == ["0", "1M", "2M", "3M", "4M"]
    assert axis_ticks([-5e8, 3e8], "money", "zh")[1] == ["-6亿", "-4亿", "-2亿", "0", "2亿", "4亿"]
    _, texts = axis_ticks([120e8, 130e8], "money", "zh", include_zero=False)
    assert texts[0] == "120.0亿" and texts[-1] == "130.0亿"
    assert axis_ticks([0, 0.85], "percent", "zh")[1] == ["0%", "25%", "50%", "75%", "100%"]
    assert axis_ticks([0, 45000], "count", "zh")[1] == ["0", "2万", "4万", "6万"]
    assert axis_ticks([0, 45000], "count", "en")[1][-1] == "60K"
    ticks, _ = axis_ticks([3], "count", "en")
    assert all(float(v).is_integer() for v in ticks), "no half customers"


def test_axis_ticks_without_data():
    assert axis_ticks([], "money", "zh") == ([], [])
    assert axis_ticks([None, float("nan")], "money", "en") == ([], [])
