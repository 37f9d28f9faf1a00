"""Deck export: the PPTX and the PDF hold the cover (scope, period, version), each slide's
title, KPI figures and notes, and a chart picture; the figures equal the cube's for the unit
and data version; a pack for one branch holds no other branch's figures or names; packs never
reach beyond the requester's scope, and every pack is audited.

Files are read back as a user's tools read them: python-pptx for the PPTX, pypdf for the text
of the PDF. (pypdf reads the embedded CJK font's 2-byte codes with a NUL before each
character; poppler and PDF viewers read them cleanly. ``_pdf_text`` drops the NULs.)
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl

import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from components import packs, slides
from components.deck_export import ChartRenderer, DeckCover, to_pdf, to_pptx
from components.formatting import format_value
from components.slide_content import Kpi, SlideContent
from cube import connection
from cube.api import Grant, Query, Scope, execute
from cube.views import branches as branches_view
from cube.views import options
from cube.views.state import ViewState

DECK = [
    {"path": "/branches", "search": "", "part": "kpis", "title": "Key figures", "notes": "Open with AUM."},
    {"path": "/branches", "search": "", "part": "trend", "title": "Balances", "notes": "Trend, 13 months."},
    {"path": "/branches", "search": "", "part": "targets", "title": "Targets", "notes": ""},
]


@pytest.fixture(scope="module")
def renderer():
    """One browser session for the module's charts (starting Chromium costs ~3 s)."""
    with ChartRenderer() as r:
        yield r


def _hand_deck(lang: str) -> tuple[DeckCover, list[SlideContent]]:
    zh = lang == "zh"
    fig = go.Figure(go.Bar(x=["北京分行", "上海分行"] if zh else ["North", "South"], y=[3.0e8, 5.0e8]))
    fig.update_layout(title="各网点管理资产" if zh else "AUM by branch")
    kpis = [
        Kpi("客户数" if zh else "Customers", 1234.0, "count", "1,234", "+3.2%"),
        Kpi("管理资产(AUM)" if zh else "AUM", 1.23e8, "money", "¥1.23亿" if zh else "¥123.00M"),
    ]
    table = pd.DataFrame({"指标" if zh else "Metric": ["AUM"], "达成率" if zh else "Attainment": ["98.0%"]})
    contents = [
        SlideContent(
            title="网点业绩" if zh else "Branch results",
            subtitle="北京分行 · 2026-09" if zh else "North · 2026-09",
            kpis=kpis,
            figure=fig,
            table=table,
            notes="先讲管理资产。" if zh else "Start with AUM.",
        ),
        SlideContent(title="空白" if zh else "Empty", message="没有数据" if zh else "No data here."),
    ]
    cover = DeckCover(
        "月度回顾" if zh else "Monthly review", "北京分行" if zh else "North", "2026-09", "v1", lang=lang
    )
    return cover, contents


def _pptx_texts(data: bytes) -> list[str]:
    """All text of each slide (text boxes, placeholders and table cells), one string a slide."""
    out = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        out.append("\n".join(parts))
    return out


def _kpi_cells(slide) -> list[tuple[str, str]]:
    """(label, value text with its note) of each KPI of a slide's KPI table: the table holds a
    row of labels over a row of values, six a row."""
    tables = [s.table for s in slide.shapes if s.has_table]
    if not tables:
        return []
    rows = [[cell.text for cell in row.cells] for row in tables[0].rows]
    pairs = []
    for labels, values in zip(rows[::2], rows[1::2], strict=True):
        pairs += [(lbl, v) for lbl, v in zip(labels, values, strict=True) if lbl]
    return pairs


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pptx_has_cover_slides_kpis_chart_table_and_speaker_notes(renderer, lang):
    cover, contents = _hand_deck(lang)
    prs = Presentation(io.BytesIO(to_pptx(cover, contents, renderer)))
    assert len(prs.slides) == 1 + len(contents)
    texts = _pptx_texts(to_pptx(cover, contents, renderer))
    for label, value in cover.lines():
        assert f"{label}: {value}" in texts[0]
    first = prs.slides[1]
    assert first.shapes.title.text == contents[0].title
    assert contents[0].subtitle in texts[1]
    cells = _kpi_cells(first)
    assert [(lbl, v.split("\n")[0]) for lbl, v in cells] == [(k.label, k.text) for k in contents[0].kpis]
    assert cells[0][1] == "1,234\n+3.2%"  # the change note under its figure
    assert "98.0%" in texts[1]  # the small table
    pictures = [s for s in first.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
    assert len(pictures) == 1
    image = Image.open(io.BytesIO(pictures[0].image.blob))
    assert image.format == "PNG" and image.size[0] >= 1000
    assert first.notes_slide.notes_text_frame.text == contents[0].notes
    assert contents[1].message in texts[2]
    assert not prs.slides[2].has_notes_slide or not prs.slides[2].notes_slide.notes_text_frame.text


def test_chinese_chart_labels_render_as_glyphs_not_boxes(renderer):
    """A CJK label drawn in a font that lacks it shows as empty boxes ("tofu") of one fixed
    shape; with the Noto CJK fonts each character draws its own strokes. Compare two labels of
    different characters: tofu would make them the same picture."""
    pictures = []
    for label in ("北京分行", "上海支行"):
        fig = go.Figure(go.Bar(x=[label], y=[1]))
        fig.update_layout(xaxis_tickfont_size=60, margin={"b": 120}, yaxis_visible=False)
        pictures.append(Image.open(io.BytesIO(renderer.render([fig])[0])).convert("L"))
    strips = [p.crop((0, p.height - 110, p.width, p.height - 10)) for p in pictures]
    ink = [sum(1 for v in s.get_flattened_data() if v < 128) for s in strips]
    assert all(i > 500 for i in ink)  # the labels are drawn
    assert abs(ink[0] - ink[1]) > 50  # and they differ as their characters do


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_holds_the_same_deck_as_text(renderer, lang):
    cover, contents = _hand_deck(lang)
    data = to_pdf(cover, contents, renderer)
    pages = _pdf_text(data)
    assert len(pages) == 1 + len(contents)
    for label, value in cover.lines():
        assert f"{label}: {value}" in pages[0]
    assert contents[0].title in pages[1] and contents[0].subtitle in pages[1]
    for kpi in contents[0].kpis:
        assert kpi.label in pages[1] and kpi.text in pages[1]
    assert contents[0].notes in pages[1] and "98.0%" in pages[1]
    assert contents[1].message in pages[2]
    assert len(PdfReader(io.BytesIO(data)).pages[1].images) == 1  # the chart


# --- figures from the cube -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def region_branches(demo_home: Path) -> tuple[int, list[tuple[int, str]]]:
    """The region with the most branches: (region, [(branch, English name)])."""
    q = Query("customers", ("customers.customers",), ("customers.region", "customers.branch"))
    frame = execute(q, Scope.all(identities=False), "en").frame
    region = int(frame.groupby("customers.region")["customers.branch"].nunique().idxmax())
    rows = frame[frame["customers.region"] == region]
    return region, sorted(
        (int(b), str(n))
        for b, n in zip(rows["customers.branch"], rows["customers.branch.label"], strict=True)
    )


def _cube_kpis(branch: int, lang: str, version: str | None) -> list[tuple[str, str]]:
    """(label, text) of the Branches KPIs of one branch, straight from the cube view."""
    scope = Scope.of("branch", branch, identities=False)
    with connection.at_version(version):
        state = ViewState(branch=branch).resolve(options.months(scope))
        want = branches_view.kpis(state, scope)
    meta = branches_view.kpi_meta(lang)
    return [(meta[k][0], format_value(want[k], meta[k][1], lang)) for k in branches_view.KPIS]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_exported_figures_equal_the_cube_for_the_unit_and_version(renderer, region_branches, lang):
    _region, branches = region_branches
    branch, name = branches[0]
    scope = Scope.of("branch", branch, identities=False)
    version = connection.warehouse_version()
    [unit] = packs.pack_units("branch", scope, version, lang)
    cover, contents = packs.build_deck("Review", DECK, scope, lang, version, "analyst", unit)
    assert contents[0].data_version == version
    assert cover.data_version == version and version in cover.lines()[2][1]
    period = ViewState().resolve(options.months(scope)).period
    assert cover.period == period
    assert cover.scope == branches_view.unit_name("branch", branch, scope, lang)
    want = _cube_kpis(branch, lang, version)
    on_unit = packs.slide_for_unit(DECK[0], unit)
    built = [(k.label, k.text) for k in slides.build_slide(on_unit, scope, lang, version).kpis]
    assert built == want  # the deck helper's slide and the cube view agree
    pptx, pdf = to_pptx(cover, contents, renderer), to_pdf(cover, contents, renderer)
    prs = Presentation(io.BytesIO(pptx))
    assert [(lbl, v.split("\n")[0]) for lbl, v in _kpi_cells(prs.slides[1])] == want
    assert prs.slides[1].notes_slide.notes_text_frame.text == DECK[0]["notes"]
    assert prs.slides[2].notes_slide.notes_text_frame.text == DECK[1]["notes"]
    text = _pdf_text(pdf)
    for label, value in want:
        assert label in text[1] and value in text[1]
    assert version in text[0] and period in text[0]


def test_unit_scope_never_widens_the_requesters_scope():
    north = packs.Unit("branch", 11, "North", region=1, branch=11)
    south = packs.Unit("branch", 21, "South", region=2, branch=21)
    rm = packs.Unit("manager", 7, "RM #7", region=1, branch=11)
    presenter = Scope.for_role("presenter")
    narrowed = packs.unit_scope(presenter, north)
    assert narrowed.rows == (Grant("branch", (11,)),) and narrowed.identities == ()
    assert narrowed.customer_rows is False  # aggregates-only stays aggregates-only
    admin = packs.unit_scope(Scope.all(), rm)
    assert admin.rows == (Grant("manager", (7,)),) and admin.identities == (Grant("manager", (7,)),)
    region = Scope.of("region", 1)
    assert packs.unit_scope(region, north).rows == (Grant("branch", (11,)),)
    with pytest.raises(packs.PackRefused):
        packs.unit_scope(region, south)  # another region's branch
    with pytest.raises(packs.PackRefused):
        packs.unit_scope(Scope.of("branch", 11), rm)  # a manager's rows reach other branches
    with pytest.raises(packs.PackRefused):
        packs.unit_scope(Scope.of("manager", 7), north)  # a branch is wider than one manager
    with pytest.raises(packs.PackRefused):
        packs.unit_scope(Scope.none(), north)
    products = Scope((Grant("all"), Grant("category", ("loan",))), ())
    assert packs.unit_scope(products, north).rows == (Grant("branch", (11,)), Grant("category", ("loan",)))


def test_pack_units_are_the_scopes_own(region_branches):
    region, branches = region_branches
    units = packs.pack_units("branch", Scope.of("region", region, identities=False), None, "en")
    assert sorted(u.key for u in units) == [b for b, _ in branches]
    one = packs.pack_units("branch", Scope.of("branch", branches[0][0]), None, "en")
    assert [u.key for u in one] == [branches[0][0]]
    assert packs.pack_units("manager", Scope.of("branch", branches[0][0]), None, "en") == []
    managers = packs.pack_units("manager", Scope.for_role("presenter"), None, "en")
    assert managers and all(u.name.startswith("RM #") for u in managers)  # names stay masked


@pytest.mark.slow
def test_each_branch_pack_holds_only_its_branch(renderer, region_branches):
    region, branches = region_branches
    requester = Scope.of("region", region, identities=False)
    seen: list[tuple[str, list[str]]] = []
    steps: list[tuple[int, int]] = []
    result = packs.make_packs(
        "Review",
        DECK[:1],
        requester,
        "branch",
        "en",
        None,
        formats=("pptx", "pdf"),
        renderer=renderer,
        progress=lambda done, total, unit: steps.append((done, total)),
        on_pack=lambda unit, files: seen.append((unit.name, files)),
    )
    assert [u.key for u in result.units] == [u.key for u in packs.pack_units("branch", requester, None, "en")]
    assert len(seen) == len(branches) and steps[-1] == (len(branches), len(branches))
    archive = zipfile.ZipFile(io.BytesIO(result.archive))
    assert sorted(archive.namelist()) == sorted(result.files) and len(result.files) == 2 * len(branches)
    for branch, name in branches:
        files = [f for f in result.files if f.startswith(f"Review_{branch}_")]
        pptx = next(f for f in files if f.endswith(".pptx"))
        pdf = next(f for f in files if f.endswith(".pdf"))
        texts = "\n".join(_pptx_texts(archive.read(pptx)))
        pdf_text = "\n".join(_pdf_text(archive.read(pdf)))
        own = _cube_kpis(branch, "en", None)
        for _label, value in own:
            assert value in texts and value in pdf_text
        for other, other_name in branches:
            if other == branch:
                continue
            assert other_name not in texts and other_name not in pdf_text
            theirs = dict(_cube_kpis(other, "en", None))
            for key in ("AUM", "Deposits"):
                label = next(lbl for lbl in theirs if lbl.startswith(key))
                if theirs[label] != dict(own)[label]:
                    assert theirs[label] not in texts.replace(dict(own)[label], "")
        assert name in texts  # the pack names its own branch (cover and subtitle)


def test_export_job_checks_the_deck_and_audits(demo_home, monkeypatch):
    from auth import audit, decks
    from auth.users import User
    from pages import _deck_export

    owner = User("deck-export-owner", "analyst")
    stranger = User("deck-export-stranger", "presenter")
    deck = decks.create_deck(owner.username, "Export test")
    for slide in DECK[:1]:
        decks.add_slide(
            owner.username, deck.id, slide["path"], slide["search"], slide["part"], slide["title"]
        )
    content = {"deck": deck.id, "what": "pptx", "lang": "en", "kind": None, "formats": ["pptx"]}
    with pytest.raises(decks.DeckRefused):
        _deck_export.export(content, stranger)
    monkeypatch.setattr(_deck_export, "ChartRenderer", _NoBrowser)  # a KPI slide: no chart
    path, count = _deck_export.export(content, owner)
    assert count == 1 and path.suffix == ".pptx" and path.stat().st_size > 10_000
    assert oct(path.parent.parent.stat().st_mode & 0o777) == "0o700"
    assert _deck_export.file_for(_deck_export._file_ticket(path, owner.username), owner.username) == path
    assert _deck_export.file_for(_deck_export._file_ticket(path, owner.username), stranger.username) is None
    events = [e for e in audit.recent(20) if e["username"] == owner.username]
    assert events[0]["action"] == "deck_export" and f"deck {deck.id} pptx" in events[0]["detail"]


class _NoBrowser(ChartRenderer):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def test_a_pack_opens_each_slide_on_its_unit():
    north = packs.Unit("branch", 11, "North", region=1, branch=11)

    def params(search: str) -> dict:
        opened = packs.slide_for_unit({"search": search}, north)["search"]
        return dict(parse_qsl(opened.lstrip("?")))

    assert params("?period=2026-09") == {"period": "2026-09", "region": "1", "branch": "11"}
    assert params("?region=1") == {"region": "1", "branch": "11"}  # its region: opened on the branch
    assert params("?branch=12") == {"branch": "12"}  # another unit stays (and shows nothing)
    with pytest.raises(packs.PackRefused) as refused:  # before any query runs
        packs.make_packs("Review", DECK, Scope.of("branch", 11), "manager", "en", None)
    assert refused.value.key == "export.manager_packs"
