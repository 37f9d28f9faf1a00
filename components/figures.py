"""Figure builders: a DataFrame in, a Plotly figure out. No data access here.

Every builder keeps the data arrays as plain lists of the raw numbers (tests read them back and
compare them with pandas), and shows them in the user's units: axis ticks from
``axis_ticks`` (万/亿 or K/M/B), axis titles with ``axis_title``, hover texts from
``format_value``. A bar meant to be clicked carries its member key in ``customdata``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BasePlotlyType

from components.formatting import axis_ticks, axis_title, format_value
from components.i18n import t

PRIMARY = "#1f6fb2"
UP = "#2e8b57"
DOWN = "#c0392b"
TOTAL = "#5b6770"
DIMMED_OPACITY = 0.35
# Start + contributions may miss the end by float noise; only a larger gap gets an "Other" bar.
_RESIDUAL_TOLERANCE = 1e-6


def _build_lazy_children(obj: BasePlotlyType) -> None:
    for prop in list(obj._props or {}):  # only what the template sets: finite and small
        value = obj[prop]
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, BasePlotlyType):
                _build_lazy_children(child)


def _warm_templates() -> None:
    """Build the shared templates' children once, in the importing thread.

    Plotly creates them lazily on first read, and two server threads reading a cold template at
    once can orphan a child ("ValueError: Invalid value", plotly.py issue 3441).
    """
    for name in ("plotly", "plotly_white"):
        _build_lazy_children(pio.templates[name])


_warm_templates()


def _base_layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 10, "b": 40},
        height=height,
        template="plotly_white",
        separators=".,",  # the same decimal/thousands marks as format_value
    )
    return fig


def _values(frame: pd.DataFrame, column: str) -> list:
    # Plain lists (not numpy arrays) so the figure JSON stays readable by tests.
    return frame[column].tolist()


def _texts(values: Sequence[Any], fmt: str, lang: str) -> list[str]:
    return [format_value(v, fmt, lang) for v in values]


def _value_axis(
    fig: go.Figure,
    axis: str,
    values: Sequence[Any],
    fmt: str,
    lang: str,
    title: str | None,
    include_zero: bool = True,
) -> None:
    """Ticks in the user's units and a title with the unit, on the ``axis`` ("x" or "y")."""
    tickvals, ticktext = axis_ticks(values, fmt, lang, include_zero=include_zero)
    settings: dict[str, Any] = {"title_text": axis_title(title, fmt, lang) or None}
    if tickvals:
        settings |= {
            "tickmode": "array",
            "tickvals": tickvals,
            "ticktext": ticktext,
            "range": [tickvals[0], tickvals[-1]],
        }
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**settings)


def _period_text(value: Any, lang: str) -> str:
    """A month as "2024-05" (zh "2024年5月"); anything not a date as text."""
    if value is None:
        return "-"
    if isinstance(value, int | float):  # pd.Timestamp would read a number as nanoseconds
        return format_value(value, "", lang)
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(stamp):
        return "-"
    return f"{stamp.year}年{stamp.month}月" if lang.startswith("zh") else stamp.strftime("%Y-%m")


def drill_bar(
    frame: pd.DataFrame,
    label: str,
    value: str,
    key: str,
    hover_value: list[str] | None = None,
    *,
    lang: str = "en",
    fmt: str = "money",
    y_title: str | None = None,
) -> go.Figure:
    """Bars per member; each bar carries its member key in customdata so a click can drill.

    ``hover_value`` (texts per bar) defaults to ``format_value`` of the values in ``fmt``."""
    values = _values(frame, value)
    hover = list(hover_value) if hover_value is not None else _texts(values, fmt, lang)
    fig = go.Figure(
        go.Bar(
            x=_values(frame, label),
            y=values,
            customdata=_values(frame, key),
            hovertext=hover,
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
            marker_color=PRIMARY,
        )
    )
    _value_axis(fig, "y", values, fmt, lang, y_title)
    return _base_layout(fig)


def bar_chart(
    frame: pd.DataFrame,
    label: str,
    value: str,
    key: str,
    fmt: str,
    lang: str,
    selected_keys: Sequence[Any] = (),
    *,
    y_title: str | None = None,
    horizontal: bool = False,
) -> go.Figure:
    """Clickable bars with their member key in customdata; when ``selected_keys`` is not empty
    the selected bars stay bright and the others are dimmed. ``horizontal`` puts the labels on
    the y axis (long branch names)."""
    values = _values(frame, value)
    keys = _values(frame, key)
    selected = set(selected_keys)
    opacity = [1.0 if not selected or k in selected else DIMMED_OPACITY for k in keys]
    labels = _values(frame, label)
    fig = go.Figure(
        go.Bar(
            x=values if horizontal else labels,
            y=labels if horizontal else values,
            orientation="h" if horizontal else "v",
            customdata=keys,
            hovertext=_texts(values, fmt, lang),
            hovertemplate=("%{y}" if horizontal else "%{x}") + "<br>%{hovertext}<extra></extra>",
            marker={"color": PRIMARY, "opacity": opacity},
        )
    )
    _value_axis(fig, "x" if horizontal else "y", values, fmt, lang, y_title)
    if horizontal:
        fig.update_yaxes(autorange="reversed")  # first row on top, as in the frame
    return _base_layout(fig)


# histories of at most this many months are ticked month by month
MONTHLY_TICKS_UP_TO = 12


def line_chart(
    frame: pd.DataFrame,
    x: str,
    series: dict[str, str],
    fmt: str,
    lang: str,
    *,
    y_title: str | None = None,
    height: int = 320,
) -> go.Figure:
    """One line per column over ``x`` (months); ``series`` maps column to legend label. The y
    axis reads in the user's units; hovers show the month and the formatted value."""
    fig = go.Figure()
    months = [_period_text(v, lang) for v in frame[x]]
    all_values: list = []
    for column, name in series.items():
        values = _values(frame, column)
        all_values += values
        fig.add_trace(
            go.Scatter(
                x=_values(frame, x),
                y=values,
                mode="lines+markers",
                name=name,
                hovertext=[f"{m}<br>{v}" for m, v in zip(months, _texts(values, fmt, lang), strict=True)],
                hovertemplate=f"{name}<br>%{{hovertext}}<extra></extra>",
            )
        )
    _value_axis(fig, "y", all_values, fmt, lang, y_title, include_zero=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    # months read alike in both languages; a short history gets one tick per month (left to
    # itself plotly puts ticks between the months and labels them all with the same month)
    few = frame[x].nunique() <= MONTHLY_TICKS_UP_TO
    fig.update_xaxes(tickformat="%Y-%m", **({"dtick": "M1"} if few else {}))
    return _base_layout(fig, height=height)


def trend_lines(
    frame: pd.DataFrame,
    x: str,
    series: dict[str, str],
    *,
    lang: str = "en",
    fmt: str = "money",
    y_title: str | None = None,
) -> go.Figure:
    """One line per measure over months; ``series`` maps column to legend label."""
    return line_chart(frame, x, series, fmt, lang, y_title=y_title)


def sparkline(
    frame: pd.DataFrame, x: str, y: str, lang: str, fmt: str = "money", height: int = 60
) -> go.Figure:
    """A tiny line for a KPI card: no axes, no legend; hover shows the month and the value."""
    values = _values(frame, y)
    months = [_period_text(v, lang) for v in frame[x]]
    fig = go.Figure(
        go.Scatter(
            x=_values(frame, x),
            y=values,
            mode="lines",
            line={"color": PRIMARY, "width": 2},
            hovertext=[f"{m}: {v}" for m, v in zip(months, _texts(values, fmt, lang), strict=True)],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.update_xaxes(visible=False, fixedrange=True)
    # The line spans its own range (not from zero), so a 1% move is visible on a card.
    present = [v for v in values if v is not None]
    rng = None  # every month empty (a filter no customer matches): nothing to fit
    if present:
        pad = (max(present) - min(present)) * 0.1 or abs(max(present)) * 0.01 or 1
        rng = [min(present) - pad, max(present) + pad]
    fig.update_yaxes(visible=False, fixedrange=True, range=rng)
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=height,
        showlegend=False,
        template="plotly_white",
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def waterfall(
    labels: Sequence[str],
    deltas: Sequence[float],
    start_label: str,
    start_value: float,
    end_label: str,
    end_value: float,
    fmt: str,
    lang: str,
    keys: Sequence[Any] | None = None,
    *,
    y_title: str | None = None,
) -> go.Figure:
    """From a start value to an end value: a start bar, one relative bar per contribution and
    the end total. Contribution bars carry their key (``keys``, default the labels) in
    customdata so a click maps back to what contributed; start and end carry None.

    When start + contributions miss the end (contributions that do not cover everything), an
    "Other" bar (key None) holds the gap, so the bars always add up to end - start."""
    labels, deltas = list(labels), [float(d) for d in deltas]
    keys = list(keys) if keys is not None else list(labels)
    if not len(labels) == len(deltas) == len(keys):
        raise ValueError("labels, deltas and keys must have the same length")
    gap = float(end_value) - float(start_value) - sum(deltas)
    if abs(gap) > _RESIDUAL_TOLERANCE * max(abs(float(end_value)), abs(float(start_value)), 1.0):
        labels, deltas, keys = [*labels, t("figure.other", lang)], [*deltas, gap], [*keys, None]
    x = [start_label, *labels, end_label]
    y = [float(start_value), *deltas, float(end_value)]
    # Plotly computes a "total" bar from the bars before it; with the gap closed it is end_value.
    measure = ["absolute", *["relative"] * len(deltas), "total"]
    signed = [("+" if d > 0 else "") + format_value(d, fmt, lang) for d in deltas]
    text = [format_value(start_value, fmt, lang), *signed, format_value(end_value, fmt, lang)]
    running = [float(start_value)]
    for d in deltas:
        running.append(running[-1] + d)
    fig = go.Figure(
        go.Waterfall(
            x=x,
            y=y,
            measure=measure,
            customdata=[None, *keys, None],
            text=text,
            textposition="outside",
            cliponaxis=False,  # labels above the tallest bar may pass the top tick
            hovertext=[f"{label}<br>{s}" for label, s in zip(x, text, strict=True)],
            hovertemplate="%{hovertext}<extra></extra>",
            increasing={"marker": {"color": UP}},
            decreasing={"marker": {"color": DOWN}},
            totals={"marker": {"color": TOTAL}},
            connector={"line": {"color": "#999", "width": 1}},
        )
    )
    levels = [*running, float(end_value)]
    low, high = min(levels), max(levels)
    if low > 0 and (high - low) < 0.25 * high:
        # Small changes on a large total: show the band where the changes happen (the total
        # bars are cut at the bottom; their values are written on them).
        pad = (high - low) * 0.6 or high * 0.01
        _value_axis(fig, "y", [low - pad, high + pad], fmt, lang, y_title, include_zero=False)
    else:
        _value_axis(fig, "y", levels, fmt, lang, y_title)
    # Month labels such as "2026-09" must stay categories, not become a date axis.
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return _base_layout(fig)


def attainment_bars(frame: pd.DataFrame, label: str, attainment: str, *, lang: str = "en") -> go.Figure:
    """Attainment (actual / target) per metric as horizontal bars with a 100% line."""
    values = _values(frame, attainment)
    colours = [UP if v >= 1 else DOWN for v in values]
    fig = go.Figure(
        go.Bar(
            y=_values(frame, label),
            x=values,
            orientation="h",
            marker_color=colours,
            hovertext=_texts(values, "percent", lang),
            hovertemplate="%{y}<br>%{hovertext}<extra></extra>",
        )
    )
    fig.add_vline(x=1.0, line_dash="dash", line_color="#555")
    _value_axis(fig, "x", [*values, 1.0], "percent", lang, t("col.attainment", lang))
    return _base_layout(fig, height=260)


def heatmap(
    frame: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    fmt: str,
    lang: str,
    *,
    key: str | None = None,
    x_order: Sequence[Any] | None = None,
    y_order: Sequence[Any] | None = None,
    x_labels: dict[Any, str] | None = None,
    y_labels: dict[Any, str] | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    show_text: bool = True,
    height: int | None = None,
) -> go.Figure:
    """A matrix of ``value`` by ``y`` (rows) and ``x`` (columns), e.g. weekday x hour or branch x
    channel. ``z`` keeps the raw numbers (a missing cell is None); hovers and cell texts show them
    formatted in ``fmt``. Each cell's ``customdata`` is the row's ``key`` (default: the ``y``
    value), so a click maps back to the member the row stands for. ``x_order``/``y_order`` fix
    the order (default: sorted), ``x_labels``/``y_labels`` name the keys."""
    xs = list(x_order) if x_order is not None else sorted(frame[x].dropna().unique().tolist())
    ys = list(y_order) if y_order is not None else sorted(frame[y].dropna().unique().tolist())
    cells = {(r[y], r[x]): r[value] for r in frame[[x, y, value]].to_dict("records")}
    keys = dict(zip(frame[y], frame[key], strict=True)) if key else {}
    z = [[_plain(cells.get((yv, xv))) for xv in xs] for yv in ys]
    text = [[format_value(v, fmt, lang) if v is not None else "" for v in row] for row in z]
    x_names = [(x_labels or {}).get(v, str(v)) for v in xs]
    y_names = [(y_labels or {}).get(v, str(v)) for v in ys]
    custom = [[_plain(keys.get(yv, yv)) for _ in xs] for yv in ys]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x_names,
            y=y_names,
            customdata=custom,
            text=text,
            texttemplate="%{text}" if show_text else None,
            hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>",
            colorscale="Blues",
            showscale=False,
            xgap=1,
            ygap=1,
        )
    )
    fig.update_xaxes(type="category", title_text=x_title, side="top")
    fig.update_yaxes(type="category", title_text=y_title, autorange="reversed")
    return _base_layout(fig, height=height or max(220, 60 + 28 * len(ys)))


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy unwrapped, NaN as None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def grouped_bars(
    frame: pd.DataFrame,
    x: str,
    group: str,
    group_label: str,
    value: str,
    member: str,
    fmt: str,
    lang: str,
    *,
    y_title: str | None = None,
    barmode: str = "group",
) -> go.Figure:
    """One bar trace per ``group`` (its label from ``group_label``) over the ``x`` labels; each
    bar carries ``[member, group key]`` in customdata, so a click opens the menu on that group.
    ``barmode="stack"`` stacks the groups (parts of a whole per ``x``)."""
    fig = go.Figure()
    for key, part in frame.groupby(group, sort=False, dropna=False):
        key = None if pd.isna(key) else key
        values = _values(part, value)
        fig.add_trace(
            go.Bar(
                x=_values(part, x),
                y=values,
                name=str(part[group_label].iloc[0]),
                customdata=[[member, key] for _ in values],
                hovertext=_texts(values, fmt, lang),
                hovertemplate="%{x}<br>%{hovertext}<extra>%{fullData.name}</extra>",
            )
        )
    stacked = frame.groupby(x, sort=False)[value].sum().tolist() if barmode == "stack" else []
    _value_axis(fig, "y", [*_values(frame, value), *stacked], fmt, lang, y_title)
    fig.update_layout(barmode=barmode, legend={"orientation": "h", "y": 1.12})
    return _base_layout(fig)


def pareto_chart(
    frame: pd.DataFrame,
    x: str,
    series: dict[str, tuple[str, str]],
    key: str,
    member: str,
    lang: str,
    *,
    x_title: str | None = None,
    y_title: str | None = None,
) -> go.Figure:
    """Cumulative-share curves (``series``: y column -> (x column, name)), shares 0-1 on both
    axes, with the line of equality; each point carries ``[member, key]`` in customdata (the
    decile it ends)."""
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dot", "color": TOTAL},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for y, (xcol, name) in series.items():
        xs, ys = _values(frame, xcol), _values(frame, y)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=name,
                customdata=[[member, k] for k in _values(frame, key)],
                hovertext=[
                    f"{format_value(a, 'percent', lang)} → {format_value(b, 'percent', lang)}"
                    for a, b in zip(xs, ys, strict=True)
                ],
                hovertemplate="%{hovertext}<extra>%{fullData.name}</extra>",
            )
        )
    _value_axis(fig, "x", [0, 1], "percent", lang, x_title)
    _value_axis(fig, "y", [0, 1], "percent", lang, y_title)
    fig.update_layout(legend={"orientation": "h", "y": 1.12})
    return _base_layout(fig)


def flow_bars(
    frame: pd.DataFrame,
    x: str,
    up: tuple[str, str],
    down: tuple[str, str],
    net: tuple[str, str],
    key: str,
    member: str,
    lang: str,
    *,
    y_title: str | None = None,
) -> go.Figure:
    """Inflows above zero, outflows below (shown negative, raw values kept in customdata's
    text) and the net as a line; every mark carries ``[member, key]`` in customdata."""
    xs = [_period_text(v, lang) for v in _values(frame, x)]
    custom = [[member, k] for k in _values(frame, key)]
    ups, downs, nets = _values(frame, up[0]), _values(frame, down[0]), _values(frame, net[0])
    fig = go.Figure(
        [
            go.Bar(
                x=xs,
                y=ups,
                name=up[1],
                marker_color=UP,
                customdata=custom,
                hovertext=_texts(ups, "count", lang),
            ),
            go.Bar(
                x=xs,
                y=[-v for v in downs],
                name=down[1],
                marker_color=DOWN,
                customdata=custom,
                hovertext=_texts(downs, "count", lang),
            ),
            go.Scatter(
                x=xs,
                y=nets,
                name=net[1],
                mode="lines+markers",
                marker_color=TOTAL,
                customdata=custom,
                hovertext=_texts(nets, "count", lang),
            ),
        ]
    )
    fig.update_traces(hovertemplate="%{x}<br>%{hovertext}<extra>%{fullData.name}</extra>")
    _value_axis(fig, "y", [*ups, *[-v for v in downs], *nets], "count", lang, y_title)
    fig.update_layout(barmode="relative", legend={"orientation": "h", "y": 1.12})
    return _base_layout(fig)


def interval_bars(
    frame: pd.DataFrame,
    label: str,
    value: str,
    low: str,
    high: str,
    fmt: str,
    lang: str,
    *,
    y_title: str | None = None,
) -> go.Figure:
    """Bars of ``value`` per ``label`` with error bars from ``low`` to ``high`` (an estimate and
    its confidence interval, e.g. uplift per segment), and a line at zero."""
    values = _values(frame, value)
    lows, highs = _values(frame, low), _values(frame, high)
    fig = go.Figure(
        go.Bar(
            x=_values(frame, label),
            y=values,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [h - v for v, h in zip(values, highs, strict=True)],
                "arrayminus": [v - lo for v, lo in zip(values, lows, strict=True)],
                "color": TOTAL,
            },
            hovertext=[
                f"{format_value(v, fmt, lang)} [{format_value(lo, fmt, lang)}, {format_value(h, fmt, lang)}]"
                for v, lo, h in zip(values, lows, highs, strict=True)
            ],
            hovertemplate="%{x}<br>%{hovertext}<extra></extra>",
            marker_color=[UP if v >= 0 else DOWN for v in values],
        )
    )
    fig.add_hline(y=0, line_color=TOTAL, line_width=1)
    _value_axis(fig, "y", [*values, *lows, *highs], fmt, lang, y_title, include_zero=True)
    return _base_layout(fig)
