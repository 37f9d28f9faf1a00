"""What one deck slide shows, computed once and drawn three ways (presenter mode, PPTX, PDF).

A slide's content is built under one viewer's scope, at the data version its deck is pinned to
(``components.slides.build_slide``); the presenter page draws it in the browser, and
``components.deck_export`` writes the same content into PPTX and PDF, so the figures in a file
are the figures on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go


@dataclass(frozen=True)
class Kpi:
    """One key figure: its label, the raw value (None when there is nothing to show), the cube
    format it is shown in ("money", "count", "percent", ...) and the text as the viewer reads it;
    ``note`` is the change on the comparison month as the viewer reads it ("" when none)."""

    label: str
    value: float | None
    fmt: str
    text: str
    note: str = ""


@dataclass
class SlideContent:
    """Everything one slide shows for one viewer: title, a subtitle naming scope and period,
    the KPI figures, at most one chart and at most one small table, and the speaker notes."""

    title: str
    subtitle: str = ""
    kpis: list[Kpi] = field(default_factory=list)
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    notes: str = ""
    data_version: str | None = None
    message: str = ""  # why the slide is empty (no data in scope, a model not run), if it is
