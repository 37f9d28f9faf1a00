"""Figures of a scoring model's quality and of the product association graph: frames in,
figures (or Cytoscape elements) out. No data access here.

Data arrays stay plain lists of the raw numbers, so tests read them back and compare them with
an independent computation; hovers show them in the user's format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from components.figures import PRIMARY, TOTAL
from components.formatting import format_value
from components.i18n import t


def _layout(fig: go.Figure, height: int = 300) -> go.Figure:
    fig.update_layout(
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        height=height,
        template="plotly_white",
        separators=".,",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def gain_chart(gain: pd.DataFrame, lang: str) -> go.Figure:
    """Cumulative gain: share of the positives found (y) against the share of customers
    contacted in score order (x), beside a random order (the diagonal)."""
    x, y = gain["fraction"].tolist(), gain["gain"].tolist()
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=t("cross_sell.model", lang),
                line={"color": PRIMARY},
                hovertext=[
                    t(
                        "cross_sell.gain_hover",
                        lang,
                        x=format_value(a, "percent", lang),
                        y=format_value(b, "percent", lang),
                    )
                    for a, b in zip(x, y, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            ),
            go.Scatter(
                x=[0.0, 1.0],
                y=[0.0, 1.0],
                mode="lines",
                name=t("cross_sell.random", lang),
                line={"color": TOTAL, "dash": "dash"},
                hoverinfo="skip",
            ),
        ]
    )
    fig.update_xaxes(title_text=t("cross_sell.contacted", lang), tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title_text=t("cross_sell.found", lang), tickformat=".0%", range=[0, 1.02])
    return _layout(fig)


def lift_chart(deciles: pd.DataFrame, lang: str) -> go.Figure:
    """Lift per score decile (1 = highest scores): its positive rate over the overall rate."""
    lift = deciles["lift"].tolist()
    fig = go.Figure(
        go.Bar(
            x=deciles["decile"].tolist(),
            y=lift,
            marker_color=PRIMARY,
            hovertext=[
                t(
                    "cross_sell.lift_hover",
                    lang,
                    decile=d,
                    lift=format_value(v, "number", lang),
                    rate=format_value(r, "percent", lang),
                )
                for d, v, r in zip(deciles["decile"], lift, deciles["rate"], strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.add_hline(y=1.0, line_dash="dash", line_color=TOTAL)
    fig.update_xaxes(title_text=t("cross_sell.decile", lang), dtick=1)
    fig.update_yaxes(title_text=t("cross_sell.lift", lang))
    return _layout(fig)


def calibration_chart(calibration: pd.DataFrame, lang: str) -> go.Figure:
    """Reliability: per score decile, the observed rate (y) against the mean predicted
    probability (x); a calibrated model lies on the diagonal."""
    x, y = calibration["mean_score"].tolist(), calibration["observed_rate"].tolist()
    top = max([v for v in [*x, *y] if v is not None and not math.isnan(v)] or [1.0])
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=t("cross_sell.observed", lang),
                line={"color": PRIMARY},
                customdata=calibration["decile"].tolist(),
                hovertext=[
                    t(
                        "cross_sell.calibration_hover",
                        lang,
                        decile=d,
                        predicted=format_value(a, "percent", lang),
                        observed=format_value(b, "percent", lang),
                    )
                    for d, a, b in zip(calibration["decile"], x, y, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            ),
            go.Scatter(
                x=[0.0, top],
                y=[0.0, top],
                mode="lines",
                name=t("cross_sell.perfect", lang),
                line={"color": TOTAL, "dash": "dash"},
                hoverinfo="skip",
            ),
        ]
    )
    fig.update_xaxes(title_text=t("cross_sell.predicted", lang), tickformat=".0%")
    fig.update_yaxes(title_text=t("cross_sell.observed", lang), tickformat=".0%")
    return _layout(fig)


def drivers_chart(drivers: pd.DataFrame, labels: Mapping[str, str], lang: str) -> go.Figure:
    """Permutation importance (drop in holdout AUC when a feature is shuffled), strongest on
    top; ``labels`` names the features."""
    values = drivers["importance"].tolist()
    names = [labels.get(f, f) for f in drivers["feature"]]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=PRIMARY,
            customdata=drivers["feature"].tolist(),
            error_x={"type": "data", "array": drivers["importance_std"].tolist(), "visible": True},
            hovertext=[format_value(v, "number", lang) for v in values],
            hovertemplate="%{y}<br>%{hovertext}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=t("cross_sell.importance", lang))
    fig.update_layout(margin={"l": 180})
    return _layout(fig, height=max(260, 40 + 26 * len(values)))


def graph_elements(nodes: pd.DataFrame, edges: pd.DataFrame, names: Mapping[str, str]) -> list[dict]:
    """Cytoscape elements of the association graph: a node per product (``size`` grows with
    its support), an edge per pair rule (``width`` grows with its lift)."""
    if nodes.empty:
        return []
    s_max = max(float(nodes["support"].max()), 1e-12)
    lifts = edges["lift"].astype(float)
    l_min, l_max = (float(lifts.min()), float(lifts.max())) if len(lifts) else (1.0, 1.0)
    out: list[dict] = []
    for item, support in zip(nodes["item"], nodes["support"], strict=True):
        out.append(
            {
                "data": {
                    "id": str(item),
                    "label": names.get(str(item), str(item)),
                    "support": float(support),
                    "size": round(20 + 50 * math.sqrt(float(support) / s_max), 2),
                }
            }
        )
    for e in edges.itertuples(index=False):
        span = (float(e.lift) - l_min) / (l_max - l_min) if l_max > l_min else 0.5
        out.append(
            {
                "data": {
                    "id": f"{e.source}->{e.target}",
                    "source": str(e.source),
                    "target": str(e.target),
                    "lift": float(e.lift),
                    "confidence": float(e.confidence),
                    "support": float(e.support),
                    "width": round(1 + 7 * span, 2),
                }
            }
        )
    return out


GRAPH_STYLESHEET = [
    {
        "selector": "node",
        "style": {
            "label": "data(label)",
            "width": "data(size)",
            "height": "data(size)",
            "background-color": PRIMARY,
            "font-size": "11px",
            "text-valign": "bottom",
            "text-margin-y": "4px",
        },
    },
    {
        "selector": "edge",
        "style": {
            "width": "data(width)",
            "line-color": "#9bb7d4",
            "target-arrow-color": "#9bb7d4",
            "target-arrow-shape": "triangle",
            "curve-style": "bezier",
            "opacity": 0.8,
        },
    },
    {"selector": ":selected", "style": {"background-color": "#c0392b", "line-color": "#c0392b"}},
]
