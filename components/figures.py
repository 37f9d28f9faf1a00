"""Figure builders: a DataFrame in, a Plotly figure out. No data access here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def _base_layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 40}, height=height, template="plotly_white")
    return fig


def drill_bar(frame: pd.DataFrame, label: str, value: str, key: str, hover_value: list[str]) -> go.Figure:
    """Bars per member; each bar carries its member key in customdata so a click can drill."""
    fig = go.Figure(
        go.Bar(
            # Plain lists (not numpy arrays) so the figure JSON stays readable by tests.
            x=frame[label].tolist(),
            y=frame[value].tolist(),
            customdata=frame[key].tolist(),
            hovertext=hover_value,
            hoverinfo="x+text",
            marker_color="#1f6fb2",
        )
    )
    return _base_layout(fig)


def trend_lines(frame: pd.DataFrame, x: str, series: dict[str, str]) -> go.Figure:
    """One line per measure over months; ``series`` maps column to legend label."""
    fig = go.Figure()
    for column, label in series.items():
        fig.add_trace(go.Scatter(x=frame[x], y=frame[column], mode="lines+markers", name=label))
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _base_layout(fig)


def attainment_bars(frame: pd.DataFrame, label: str, attainment: str) -> go.Figure:
    """Attainment (actual / target) per metric as horizontal bars with a 100% line."""
    colours = ["#2e8b57" if v >= 1 else "#c0392b" for v in frame[attainment]]
    fig = go.Figure(go.Bar(y=frame[label], x=frame[attainment], orientation="h", marker_color=colours))
    fig.add_vline(x=1.0, line_dash="dash", line_color="#555")
    fig.update_xaxes(tickformat=".0%")
    return _base_layout(fig, height=260)
