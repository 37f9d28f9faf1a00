"""Grids: translated texts, money to the fen in the browser (numbers stay numbers), cut notes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from components.formatting import format_value
from components.i18n import MESSAGES
from components.tables import GRID_FORMATS, cut_note, data_grid, grid_locale_text, link_table

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame({"name": ["张三", "李四"], "aum": [1234567.891, float("nan")], "share": [0.125, 0.5]})


def test_zh_grid_has_translated_texts(rows):
    grid = data_grid(rows, {"name": "姓名", "aum": "管理资产"}, "g", "zh")
    locale = grid.dashGridOptions["localeText"]
    assert locale["page"] == "第" and locale["of"] == "共" and locale["to"] == "至"
    assert locale["more"] == "更多" and locale["equals"] == "等于" and locale["contains"] == "包含"
    assert locale["filterOoo"] == "筛选..."
    assert grid.dashGridOptions["pagination"] is False  # two rows fit on one page
    assert data_grid(rows, {"name": "姓名"}, "g", "zh", page_size=1).dashGridOptions["pagination"] is True
    assert grid_locale_text("en")["page"] == "Page"
    assert set(grid_locale_text("zh")) == set(grid_locale_text("en"))
    assert len(grid_locale_text("zh")) == sum(k.startswith("grid.") for k in MESSAGES)


def test_old_call_still_works(rows):
    grid = data_grid(rows, {"name": "Name", "aum": "AUM"}, "g")
    assert [c["field"] for c in grid.columnDefs] == ["name", "aum"]
    assert "valueFormatter" not in grid.columnDefs[1]


def test_money_columns_keep_numbers_and_format_to_the_fen(rows):
    grid = data_grid(
        rows,
        {"name": "姓名", "aum": "管理资产", "share": "占比"},
        "g",
        "zh",
        {"aum": "money", "share": "percent"},
    )
    name, aum, share = grid.columnDefs
    assert "valueFormatter" not in name
    assert aum["valueFormatter"] == {"function": "mamsFormat(params.value, 'money_exact', 'zh')"}
    assert aum["filter"] == "agNumberColumnFilter"
    assert share["valueFormatter"]["function"] == "mamsFormat(params.value, 'percent', 'zh')"
    assert grid.rowData[0]["aum"] == 1234567.891, "raw number, so sorting stays numeric"
    assert grid.rowData[1]["aum"] is None, "NaN goes to the browser as null"
    json.dumps(grid.rowData)  # plain JSON
    with pytest.raises(ValueError):
        data_grid(rows, {"aum": "AUM"}, "g", "en", {"aum": "money'); alert('x"})


def test_cut_note():
    note = cut_note(500, 12345, "en")
    assert note.children == "Showing the first 500 of 12,345 customers"
    assert cut_note(500, 12345, "zh").children == "显示前 500 位，共 12,345 位客户"
    assert cut_note(20, 20, "en") is None and cut_note(20, 3, "zh") is None


def test_link_table_still_works():
    frame = pd.DataFrame({"name": ["A"], "href": ["/branches?region=1"]})
    table = link_table(frame, {"name": "Name"}, "name", "href", "t")
    assert table.id == "t"


CASES = [
    (1234567.891, "money_exact"),
    (-12.3, "money_exact"),
    (-0.001, "money_exact"),
    (1.005, "money_exact"),
    (56789.0, "money"),
    (99999999.996, "money"),
    (-1.2e8, "money"),
    (2.5e9, "money"),
    (999.0, "money"),
    (0.1234, "percent"),
    (12345, "count"),
    (1234.567, "number"),
    (None, "money_exact"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the grid's formatter")
def test_browser_formatter_agrees_with_python():
    script = (
        "global.window = {};\n"
        + (ASSETS / "dashAgGridFunctions.js").read_text(encoding="utf-8")
        + f"\nconst cases = {json.dumps(CASES)};\n"
        + "const out = [];\nfor (const lang of ['zh', 'en']) for (const [v, f] of cases) "
        + "out.push(window.dashAgGridFunctions.mamsFormat(v, f, lang));\n"
        + "console.log(JSON.stringify(out));\n"
    )
    run = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    want = [format_value(v, f, lang) for lang in ("zh", "en") for v, f in CASES]
    assert json.loads(run.stdout) == want
    assert {f for _, f in CASES} == set(GRID_FORMATS.values())
