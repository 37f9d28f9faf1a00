"""Figure builders keep raw values equal to the frame, carry keys, and read in the user's units."""

from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio
import pytest

from components import figures
from components.formatting import format_value


@pytest.fixture
def members() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [11, 12, 13],
            "name": ["东城支行", "西城支行", "海淀支行"],
            "aum": [1.25e9, 8.4e8, 3.3e7],
        }
    )


@pytest.fixture
def months() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "aum": [1.0e9, 1.1e9, 1.05e9],
            "deposits": [6.0e8, 6.2e8, 5.9e8],
        }
    )


def _json(fig) -> dict:
    """The figure as the browser gets it."""
    return json.loads(pio.to_json(fig))


def _assert_ticks_cover(axis: dict, values) -> None:
    assert axis["tickmode"] == "array" and len(axis["tickvals"]) == len(axis["ticktext"])
    assert axis["tickvals"][0] <= min(values) and axis["tickvals"][-1] >= max(values)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_drill_bar_keeps_values_keys_and_formats_hover(members, lang):
    fig = figures.drill_bar(members, "name", "aum", "key", lang=lang, y_title="AUM")
    bar = _json(fig)["data"][0]
    assert bar["y"] == members["aum"].tolist() and bar["x"] == members["name"].tolist()
    assert bar["customdata"] == members["key"].tolist()
    assert bar["hovertext"] == [format_value(v, "money", lang) for v in members["aum"]]
    layout = _json(fig)["layout"]
    _assert_ticks_cover(layout["yaxis"], members["aum"])
    assert ("亿" if lang == "zh" else "B") in "".join(layout["yaxis"]["ticktext"])
    assert layout["yaxis"]["title"]["text"] == ("AUM（元）" if lang == "zh" else "AUM (¥)")


def test_drill_bar_old_call_still_works(members):
    fig = figures.drill_bar(members, "name", "aum", "key", ["a", "b", "c"])
    assert list(fig.data[0].hovertext) == ["a", "b", "c"]
    assert list(fig.data[0].customdata) == [11, 12, 13]


def test_bar_chart_highlights_the_selection(members):
    fig = figures.bar_chart(members, "name", "aum", "key", "money", "zh", selected_keys=[12])
    bar = _json(fig)["data"][0]
    assert bar["y"] == members["aum"].tolist() and bar["customdata"] == [11, 12, 13]
    assert bar["marker"]["opacity"] == [figures.DIMMED_OPACITY, 1.0, figures.DIMMED_OPACITY]
    plain = _json(figures.bar_chart(members, "name", "aum", "key", "money", "en"))["data"][0]
    assert plain["marker"]["opacity"] == [1.0, 1.0, 1.0]
    flat = _json(figures.bar_chart(members, "name", "aum", "key", "money", "en", horizontal=True))
    assert flat["data"][0]["x"] == members["aum"].tolist() and flat["data"][0]["orientation"] == "h"
    _assert_ticks_cover(flat["layout"]["xaxis"], members["aum"])


@pytest.mark.parametrize("builder", ["line_chart", "trend_lines"])
def test_lines_keep_values_and_show_units(months, builder):
    series = {"aum": "AUM", "deposits": "Deposits"}
    if builder == "line_chart":
        fig = figures.line_chart(months, "month_date", series, "money", "zh")
    else:
        fig = figures.trend_lines(months, "month_date", series, lang="zh")
    data = _json(fig)["data"]
    assert [d["name"] for d in data] == ["AUM", "Deposits"]
    for trace, column in zip(data, series, strict=True):
        assert trace["y"] == months[column].tolist()
        assert trace["hovertext"][0] == f"2024年1月<br>{format_value(months[column][0], 'money', 'zh')}"
    _assert_ticks_cover(_json(fig)["layout"]["yaxis"], [*months["aum"], *months["deposits"]])


def test_sparkline_is_bare_and_hovers_month_and_value(months):
    fig = figures.sparkline(months, "month_date", "aum", "en")
    out = _json(fig)
    assert out["data"][0]["y"] == months["aum"].tolist()
    assert out["data"][0]["hovertext"] == ["2024-01: ¥1.00B", "2024-02: ¥1.10B", "2024-03: ¥1.05B"]
    assert out["layout"]["xaxis"]["visible"] is False and out["layout"]["yaxis"]["visible"] is False
    assert out["layout"]["height"] <= 80


def _waterfall_args(end_value: float):
    return (["新客", "流失", "存量增长"], [3.0e7, -1.2e7, 2.5e7], "期初", 1.0e9, "期末", end_value)


def test_waterfall_bars_sum_to_end_minus_start():
    labels, deltas, start_label, start, end_label, end = _waterfall_args(1.043e9)
    fig = figures.waterfall(
        labels, deltas, start_label, start, end_label, end, "money", "zh", keys=["new", "lost", "grow"]
    )
    w = _json(fig)["data"][0]
    assert w["type"] == "waterfall"
    assert w["measure"] == ["absolute", "relative", "relative", "relative", "total"]
    assert w["x"] == ["期初", *labels, "期末"]
    assert w["y"][0] == start and w["y"][-1] == end and w["y"][1:-1] == deltas
    assert sum(w["y"][1:-1]) == pytest.approx(end - start, rel=1e-12)
    assert w["customdata"] == [None, "new", "lost", "grow", None]
    assert w["text"][1] == "+¥3,000.00万" and w["text"][2] == "-¥1,200.00万"
    _assert_ticks_cover(_json(fig)["layout"]["yaxis"], [start, end])


def test_waterfall_shows_the_uncovered_gap_as_other():
    labels, deltas, start_label, start, end_label, end = _waterfall_args(1.05e9)
    w = _json(figures.waterfall(labels, deltas, start_label, start, end_label, end, "money", "en"))["data"][0]
    assert w["x"][-2] == "Other" and w["customdata"][-2] is None
    assert w["customdata"][1:4] == labels  # keys default to the labels
    assert sum(w["y"][1:-1]) == pytest.approx(end - start, rel=1e-12)
    with pytest.raises(ValueError):
        figures.waterfall(labels, deltas, "a", 0, "b", 1, "money", "en", keys=["only one"])


def test_attainment_bars_in_percent():
    frame = pd.DataFrame({"label": ["AUM", "Loans"], "attainment": [1.12, 0.8]})
    out = _json(figures.attainment_bars(frame, "label", "attainment", lang="zh"))
    assert out["data"][0]["x"] == [1.12, 0.8]
    assert out["data"][0]["hovertext"] == ["112.0%", "80.0%"]
    assert all(text.endswith("%") for text in out["layout"]["xaxis"]["ticktext"])
    assert out["layout"]["xaxis"]["title"]["text"] == "达成率（%）"


def test_builders_accept_empty_frames(members):
    empty = members.iloc[0:0]
    assert figures.drill_bar(empty, "name", "aum", "key", lang="zh").data[0].y == ()
    assert figures.bar_chart(empty, "name", "aum", "key", "money", "zh").data[0].y == ()


def test_a_short_history_is_ticked_month_by_month(months):
    """Two months left to plotly get ticks between them, each labelled with the same month."""
    series = {"aum": "AUM"}
    short = _json(figures.line_chart(months.head(2), "month_date", series, "money", "en"))
    assert short["layout"]["xaxis"]["dtick"] == "M1"
    long = pd.DataFrame({"month_date": pd.date_range("2024-01-01", periods=24, freq="MS"), "aum": 1.0})
    ticks = _json(figures.line_chart(long, "month_date", series, "money", "en"))["layout"]["xaxis"]
    assert "dtick" not in ticks
