"""A deck as a PowerPoint file or a PDF, written on the server from its slides' content.

Both writers take the cover (:class:`DeckCover`: deck name, scope, period, data version and its
date) and the slides as :class:`components.slide_content.SlideContent`, the same content the
presenter page draws, so the figures in a file are the figures on the screen. Each slide
carries its title, its subtitle, the KPI figures as text (label and the formatted text the
viewer reads), the chart as a picture, a small table if it has one, and the speaker notes
(PPTX: the slide's notes; PDF: a notes line under the slide).

Charts are rendered by plotly's image export, Kaleido 1.x, over the locally installed Chromium
(Debian's ``/usr/bin/chromium``; ``BROWSER_PATH`` overrides) with MathJax off, so nothing is
downloaded at run time. Starting the browser costs about 3 s; one :class:`ChartRenderer`
renders every chart of a deck (or of a whole run of packs) in one browser session. Chinese
text needs Debian's ``fonts-noto-cjk``: Chromium finds it through fontconfig, and the PDF
embeds Noto Sans CJK SC (a subset) so its text stays extractable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from components.formatting import format_value
from components.i18n import t
from components.slide_content import Kpi, SlideContent

# Where Debian (and most Linux distributions) put Chromium; BROWSER_PATH (choreographer's own
# variable) wins when set.
BROWSER_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
# fonts-noto-cjk: one collection per weight; face 2 of each is Simplified Chinese (SC).
CJK_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
)
CJK_FONT_FILES = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
CJK_SC_FACE = 2
FONT_PACKAGE = "fonts-noto-cjk"

# Chart pictures: 16:9-ish, rendered at 1.5x for a crisp projector picture.
CHART_WIDTH, CHART_HEIGHT, CHART_SCALE = 1100, 520, 1.5
CHART_TIMEOUT = 60  # seconds for one chart
KPIS_PER_ROW = 6
TABLE_ROWS = 12  # a slide's table shows at most this many rows (the rest are counted)
TABLE_COLUMNS = 8

# The slide (and the PDF page): 16:9 widescreen, 13.333 x 7.5 in.
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.5
GREY = (0x5B, 0x67, 0x70)
ACCENT = (0x1F, 0x6F, 0xB2)


@dataclass(frozen=True)
class DeckCover:
    """What the cover says: the deck, the unit its figures cover, the period and the data
    version they were computed at (with that version's date)."""

    title: str
    scope: str
    period: str
    data_version: str
    version_date: str = ""
    lang: str = "en"
    author: str = ""
    generated_at: str = field(default_factory=lambda: f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) of every line under the title, in the cover's language."""
        rows = [
            (t("export.cover.scope", self.lang), self.scope),
            (t("export.cover.period", self.lang), self.period),
            (t("export.cover.version", self.lang), self.data_version),
        ]
        if self.version_date:
            rows.append((t("export.cover.as_of", self.lang), self.version_date))
        if self.author:
            rows.append((t("export.cover.by", self.lang), self.author))
        rows.append((t("export.cover.generated", self.lang), self.generated_at))
        return rows


# --- charts ---------------------------------------------------------------------------------------


class ExportError(RuntimeError):
    """The machine lacks what an export needs (the browser or the CJK fonts); says which."""


def browser_path() -> str:
    """The Chromium Kaleido drives: ``BROWSER_PATH`` if set, else Debian's chromium."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured
    for name in BROWSER_CANDIDATES:
        found = (
            shutil.which(name) if not name.startswith("/") else (name if os.access(name, os.X_OK) else None)
        )
        if found:
            return found
    raise ExportError("Chart export needs Chromium: apt-get install chromium (or set BROWSER_PATH)")


class ChartRenderer:
    """One Kaleido browser session, kept open in a thread of its own, that renders figures to
    PNG; use it as a context manager and hand it every chart of a deck (or of many decks).

    ``tabs`` charts render at once (one per browser tab); two suit a two-core machine.
    """

    def __init__(
        self,
        width: int = CHART_WIDTH,
        height: int = CHART_HEIGHT,
        scale: float = CHART_SCALE,
        tabs: int = 2,
    ) -> None:
        self.opts = {"format": "png", "width": width, "height": height, "scale": scale}
        self.tabs = tabs
        self.startup_seconds: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None

    def __enter__(self) -> ChartRenderer:
        import time

        import kaleido  # imported here: a page that never exports never loads it

        started = time.perf_counter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()

        async def open_browser():
            # mathjax=False: Kaleido would fetch MathJax from a CDN; plotly.js comes from plotly.py
            k = kaleido.Kaleido(n=self.tabs, timeout=CHART_TIMEOUT, mathjax=False, path=browser_path())
            await k.open()
            return k

        try:
            self._kaleido = self._run(open_browser())
        except BaseException:
            self._stop_loop()
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._kaleido is not None:
                self._run(self._kaleido.close())
        finally:
            self._kaleido = None
            self._stop_loop()

    def _run(self, coroutine):
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _stop_loop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
        self._loop = self._thread = None

    def render(self, figures: Sequence[go.Figure | None]) -> list[bytes | None]:
        """PNG bytes of each figure (None stays None), rendered ``tabs`` at a time."""
        return list(self.render_later(figures).result())

    def render_later(self, figures: Sequence[go.Figure | None]) -> concurrent.futures.Future:
        """Start rendering and return at once: a future of what :meth:`render` returns, so the
        caller can compute the next deck while the browser draws this one's charts."""
        if self._kaleido is None or self._loop is None:
            raise RuntimeError("ChartRenderer is not open: use it in a with block")
        k = self._kaleido
        prepared = [None if f is None else prepare_figure(f) for f in figures]

        async def all_charts():
            async def one(fig):
                return None if fig is None else await k.calc_fig(fig, opts=self.opts)

            return await asyncio.gather(*(one(f) for f in prepared))

        return asyncio.run_coroutine_threadsafe(all_charts(), self._loop)


def prepare_figure(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` as a picture shows it: white background, room for its title and
    legend, and a font stack that reaches the CJK fonts for Chinese labels."""
    out = go.Figure(fig)
    out.update_layout(
        paper_bgcolor="white",
        font_family="Noto Sans, Noto Sans CJK SC, DejaVu Sans, sans-serif",
        font_size=16,  # read across a meeting room: the picture is shrunk to the slide's box
        height=None,
        width=None,
    )
    margin = out.layout.margin
    out.update_layout(
        margin={"t": max(margin.t or 0, 50 if out.layout.title.text else 20), "r": max(margin.r or 0, 20)}
    )
    return out


def render_charts(
    slides: Sequence[SlideContent], renderer: ChartRenderer | None = None
) -> list[bytes | None]:
    """The chart picture of each slide (None where a slide has no chart): in ``renderer``'s
    session if given, else in one session opened for these slides only."""
    figures = [s.figure for s in slides]
    if not any(f is not None for f in figures):
        return [None] * len(figures)
    if renderer is not None:
        return renderer.render(figures)
    with ChartRenderer() as own:
        return own.render(figures)


# --- what a slide shows as text -------------------------------------------------------------------


def kpi_text(kpi: Kpi, lang: str = "en") -> str:
    """The KPI as the viewer reads it (its ``text``; formatted from the value if empty)."""
    return kpi.text or format_value(kpi.value, kpi.fmt, lang)


def cell_text(value: object, lang: str = "en") -> str:
    """One table cell: text as it is, numbers with thousands separators, missing as "-"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_value(value, "count", lang)
    if isinstance(value, float):
        return format_value(value, "count" if value.is_integer() else "number", lang)
    if isinstance(value, pd.Timestamp | dt.date):
        return f"{value:%Y-%m-%d}"
    return format_value(value, "text", lang)


def table_cells(table: pd.DataFrame, lang: str = "en") -> tuple[list[str], list[list[str]], int]:
    """(header, rows as text, rows left out) of a slide's small table."""
    frame = table.iloc[:TABLE_ROWS, :TABLE_COLUMNS]
    header = [str(c) for c in frame.columns]
    rows = [[cell_text(v, lang) for v in row] for row in frame.itertuples(index=False, name=None)]
    return header, rows, max(0, len(table) - TABLE_ROWS)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# --- PPTX -----------------------------------------------------------------------------------------


def to_pptx(
    cover: DeckCover,
    slides: Sequence[SlideContent],
    renderer: ChartRenderer | None = None,
    pictures: Sequence[bytes | None] | None = None,
) -> bytes:
    """The deck as a PowerPoint file: the cover, then one slide per deck slide. Charts are
    rendered in ``renderer``'s session (else one opened for this deck), unless ``pictures``
    (one PNG or None per slide, from :func:`render_charts`) are given."""
    from pptx import Presentation
    from pptx.util import Inches

    pictures = render_charts(slides, renderer) if pictures is None else pictures
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = cover.title
    prs.core_properties.subject = f"{cover.scope} · {cover.period} · {cover.data_version}"
    if cover.author:
        prs.core_properties.author = cover.author
    _pptx_cover(prs, cover)
    for number, (slide, picture) in enumerate(zip(slides, pictures, strict=True), start=1):
        _pptx_slide(prs, slide, picture, cover.lang, number, len(slides))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _rgb(colour: tuple[int, int, int]):
    from pptx.dml.color import RGBColor

    return RGBColor(*colour)


def _place(shape, left: float, top: float, width: float, height: float) -> None:
    from pptx.util import Inches

    shape.left, shape.top, shape.width, shape.height = (
        Inches(left),
        Inches(top),
        Inches(width),
        Inches(height),
    )


def _write(frame, lines: list[tuple[str, float, bool, tuple[int, int, int] | None]]) -> None:
    """Fill a text frame with (text, size in points, bold, colour) paragraphs."""
    from pptx.util import Pt

    frame.word_wrap = True
    for i, (text, size, bold, colour) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = text
        for run in paragraph.runs:
            run.font.size, run.font.bold = Pt(size), bold
            if colour:
                run.font.color.rgb = _rgb(colour)


def _textbox(pptx_slide, left, top, width, height, lines) -> None:
    from pptx.util import Inches

    box = pptx_slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    _write(box.text_frame, lines)


def _pptx_cover(prs, cover: DeckCover) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])  # "Title Slide": title + subtitle
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    _place(title, MARGIN + 0.5, 1.6, SLIDE_W - 2 * MARGIN - 1, 1.4)
    _write(title.text_frame, [(cover.title, 40, True, ACCENT)])
    _place(subtitle, MARGIN + 0.5, 3.3, SLIDE_W - 2 * MARGIN - 1, 3.2)
    _write(subtitle.text_frame, [(f"{label}: {value}", 18, False, GREY) for label, value in cover.lines()])


def _pptx_slide(prs, slide: SlideContent, picture: bytes | None, lang: str, number: int, total: int) -> None:
    from pptx.util import Inches

    page = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    width = SLIDE_W - 2 * MARGIN
    _place(page.shapes.title, MARGIN, 0.25, width, 0.75)
    _write(page.shapes.title.text_frame, [(slide.title, 28, True, None)])
    top = 1.0
    if slide.subtitle:
        _textbox(page, MARGIN, top, width, 0.4, [(slide.subtitle, 14, False, GREY)])
        top += 0.45
    if slide.kpis:
        top = _pptx_kpis(page, slide.kpis, lang, top) + 0.15
    bottom = SLIDE_H - 0.45
    has_table = slide.table is not None and not slide.table.empty
    chart_w = width * (0.6 if has_table else 1.0)
    if picture is not None:
        box_w, box_h = chart_w, bottom - top
        ratio = CHART_WIDTH / CHART_HEIGHT
        w, h = (box_w, box_w / ratio) if box_w / ratio <= box_h else (box_h * ratio, box_h)
        page.shapes.add_picture(io.BytesIO(picture), Inches(MARGIN), Inches(top), Inches(w), Inches(h))
    if has_table:
        left = MARGIN + (chart_w + 0.25 if picture is not None else 0)
        _pptx_table(page, slide.table, lang, left, top, SLIDE_W - MARGIN - left, bottom - top)
    if slide.message and picture is None and not has_table and not slide.kpis:
        _textbox(page, MARGIN, top + 0.5, width, 1.0, [(slide.message, 20, False, GREY)])
    _textbox(
        page, SLIDE_W - MARGIN - 2, SLIDE_H - 0.45, 2, 0.35,
        [(t("export.page", lang, n=number, total=total), 10, False, GREY)],
    )  # fmt: skip
    if slide.notes:
        page.notes_slide.notes_text_frame.text = slide.notes


def _pptx_kpis(page, kpis: list[Kpi], lang: str, top: float) -> float:
    """KPI figures as a table (label over value, up to six a row); returns where it ends."""
    from pptx.util import Inches, Pt

    rows = _chunks(kpis, KPIS_PER_ROW)
    columns = min(len(kpis), KPIS_PER_ROW)
    # row heights as PowerPoint and LibreOffice lay out 12 pt over 20 pt (+ a 10 pt note)
    label_h, value_h = 0.36, (0.78 if any(k.note for k in kpis) else 0.55)
    height = (label_h + value_h) * len(rows)
    shape = page.shapes.add_table(
        2 * len(rows), columns, Inches(MARGIN), Inches(top), Inches(SLIDE_W - 2 * MARGIN), Inches(height)
    )
    table = shape.table
    table.first_row = False  # no header styling: every pair of rows is label + value
    for i, row in enumerate(table.rows):
        row.height = Inches(value_h if i % 2 else label_h)
    for r, chunk in enumerate(rows):
        for c in range(columns):
            label_cell, value_cell = table.cell(2 * r, c), table.cell(2 * r + 1, c)
            kpi = chunk[c] if c < len(chunk) else None
            label_cell.text = kpi.label if kpi else ""
            value_cell.text = kpi_text(kpi, lang) if kpi else ""
            if kpi and kpi.note:  # the change on the comparison month, under the figure
                value_cell.text_frame.add_paragraph().text = kpi.note
            value_pt = 20 if columns <= 4 else 16  # six money figures a row fit at 16 pt
            for cell, size, bold in ((label_cell, 12, False), (value_cell, value_pt, True)):
                for i, paragraph in enumerate(cell.text_frame.paragraphs):
                    for run in paragraph.runs:
                        run.font.size, run.font.bold = Pt(size if i == 0 else 10), bold and i == 0
    return top + height


def _pptx_table(page, table: pd.DataFrame, lang: str, left: float, top: float, width: float, height: float):
    from pptx.util import Inches, Pt

    header, rows, more = table_cells(table, lang)
    row_h = min(0.32, height / (len(rows) + 2))
    shape = page.shapes.add_table(
        len(rows) + 1, len(header), Inches(left), Inches(top), Inches(width), Inches(row_h * (len(rows) + 1))
    )
    for c, name in enumerate(header):
        shape.table.cell(0, c).text = name
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    for row in shape.table.rows:
        for cell in row.cells:
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(11)
    if more:
        end = top + row_h * (len(rows) + 1) + 0.05
        _textbox(page, left, end, width, 0.3, [(t("export.more_rows", lang, n=more), 10, False, GREY)])


# --- PDF ------------------------------------------------------------------------------------------


def cjk_font_files() -> dict[str, Path]:
    """Style ("" regular, "B" bold) -> the Noto Sans CJK collection of fonts-noto-cjk."""
    for folder in CJK_FONT_DIRS:
        found = {style: Path(folder) / name for style, name in CJK_FONT_FILES.items()}
        if all(p.is_file() for p in found.values()):
            return found
    try:  # another layout: ask fontconfig
        regular = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:style=Regular"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout  # fmt: skip
    except OSError:
        regular = ""
    if regular.endswith(CJK_FONT_FILES[""]):
        bold = Path(regular).with_name(CJK_FONT_FILES["B"])
        return {"": Path(regular), "B": bold if bold.is_file() else Path(regular)}
    raise ExportError(f"PDF export needs the Noto CJK fonts: apt-get install {FONT_PACKAGE}")


MM = 25.4  # millimetres per inch: the PDF page has the slide's geometry


def to_pdf(
    cover: DeckCover,
    slides: Sequence[SlideContent],
    renderer: ChartRenderer | None = None,
    pictures: Sequence[bytes | None] | None = None,
) -> bytes:
    """The same deck as a PDF: a 16:9 page for the cover and for each slide, the notes under
    the slide; text in Noto Sans CJK SC (embedded as a subset), so it can be searched and
    copied in both languages. ``renderer`` and ``pictures`` as for :func:`to_pptx`."""
    from fpdf import FPDF

    pictures = render_charts(slides, renderer) if pictures is None else pictures
    pdf = FPDF(orientation="L", unit="mm", format=(SLIDE_H * MM, SLIDE_W * MM))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN * MM, MARGIN * MM)
    for style, path in cjk_font_files().items():
        pdf.add_font("cjk", style, str(path), collection_font_number=CJK_SC_FACE)
    pdf.set_title(cover.title)
    pdf.set_subject(f"{cover.scope} · {cover.period} · {cover.data_version}")
    if cover.author:
        pdf.set_author(cover.author)
    pdf.set_creator("MAMS")
    _pdf_cover(pdf, cover)
    for number, (slide, picture) in enumerate(zip(slides, pictures, strict=True), start=1):
        _pdf_slide(pdf, slide, picture, cover.lang, number, len(slides))
    return bytes(pdf.output())


def _colour(pdf, colour: tuple[int, int, int] | None) -> None:
    pdf.set_text_color(*(colour or (0, 0, 0)))


def _pdf_cover(pdf, cover: DeckCover) -> None:
    pdf.add_page()
    left, width = (MARGIN + 0.5) * MM, (SLIDE_W - 2 * MARGIN - 1) * MM
    pdf.set_xy(left, 1.8 * MM)
    pdf.set_font("cjk", "B", 36)
    _colour(pdf, ACCENT)
    pdf.multi_cell(width, 16, cover.title)
    pdf.set_xy(left, 3.4 * MM)
    pdf.set_font("cjk", "", 16)
    _colour(pdf, GREY)
    for label, value in cover.lines():
        pdf.set_x(left)
        pdf.multi_cell(width, 10, f"{label}: {value}")


def _pdf_slide(pdf, slide: SlideContent, picture: bytes | None, lang: str, number: int, total: int) -> None:
    pdf.add_page()
    x, width = MARGIN * MM, (SLIDE_W - 2 * MARGIN) * MM
    pdf.set_xy(x, 0.3 * MM)
    pdf.set_font("cjk", "B", 24)
    _colour(pdf, None)
    pdf.multi_cell(width, 11, slide.title)
    if slide.subtitle:
        pdf.set_x(x)
        pdf.set_font("cjk", "", 12)
        _colour(pdf, GREY)
        pdf.multi_cell(width, 7, slide.subtitle)
    y = pdf.get_y() + 3
    if slide.kpis:
        y = _pdf_kpis(pdf, slide.kpis, lang, x, y, width) + 4
    notes_h = 14 if slide.notes else 0
    bottom = SLIDE_H * MM - 10 - notes_h
    has_table = slide.table is not None and not slide.table.empty
    chart_w = width * (0.6 if has_table else 1.0)
    if picture is not None:
        box_h = bottom - y
        ratio = CHART_WIDTH / CHART_HEIGHT
        w, h = (chart_w, chart_w / ratio) if chart_w / ratio <= box_h else (box_h * ratio, box_h)
        pdf.image(io.BytesIO(picture), x=x, y=y, w=w, h=h)
    if has_table:
        left = x + (chart_w + 6 if picture is not None else 0)
        _pdf_table(pdf, slide.table, lang, left, y, x + width - left)
    if slide.message and picture is None and not has_table and not slide.kpis:
        pdf.set_xy(x, y + 12)
        pdf.set_font("cjk", "", 18)
        _colour(pdf, GREY)
        pdf.multi_cell(width, 10, slide.message)
    if slide.notes:
        pdf.set_xy(x, bottom + 2)
        pdf.set_font("cjk", "", 9)
        _colour(pdf, GREY)
        pdf.multi_cell(width, 4.5, f"{t('export.notes', lang)}: {slide.notes}", max_line_height=4.5)
    pdf.set_xy(x + width - 40, SLIDE_H * MM - 9)
    pdf.set_font("cjk", "", 9)
    _colour(pdf, GREY)
    pdf.cell(40, 5, t("export.page", lang, n=number, total=total), align="R")


def _pdf_kpis(pdf, kpis: list[Kpi], lang: str, x: float, y: float, width: float) -> float:
    height = 21 if any(k.note for k in kpis) else 18
    for chunk in _chunks(kpis, KPIS_PER_ROW):
        cell_w = width / min(len(kpis), KPIS_PER_ROW)
        for i, kpi in enumerate(chunk):
            pdf.set_draw_color(210, 214, 218)
            pdf.rect(x + i * cell_w, y, cell_w - 2, height)
            pdf.set_xy(x + i * cell_w + 2, y + 1.5)
            pdf.set_font("cjk", "", 10)
            _colour(pdf, GREY)
            pdf.cell(cell_w - 6, 5, kpi.label)
            pdf.set_xy(x + i * cell_w + 2, y + 7.5)
            pdf.set_font("cjk", "B", 16)
            _colour(pdf, None)
            pdf.cell(cell_w - 6, 8, kpi_text(kpi, lang))
            if kpi.note:  # the change on the comparison month, under the figure
                pdf.set_xy(x + i * cell_w + 2, y + 16)
                pdf.set_font("cjk", "", 8)
                _colour(pdf, GREY)
                pdf.cell(cell_w - 6, 4, kpi.note)
        y += height + 2
    return y


def _pdf_table(pdf, table: pd.DataFrame, lang: str, x: float, y: float, width: float) -> None:
    header, rows, more = table_cells(table, lang)
    pdf.set_xy(x, y)
    pdf.set_font("cjk", "", 9)
    _colour(pdf, None)
    with pdf.table(
        width=width, line_height=5.5, align="LEFT", text_align="LEFT", first_row_as_headings=True
    ) as grid:
        for values in [header, *rows]:
            row = grid.row()
            for value in values:
                row.cell(value)
    if more:
        pdf.set_x(x)
        _colour(pdf, GREY)
        pdf.cell(width, 5, t("export.more_rows", lang, n=more))
