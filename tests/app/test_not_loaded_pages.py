"""The views over data a bank loaded without its optional tables (campaigns, contacts,
targets): each view that reads them says the file was not loaded, instead of failing or
showing an empty chart without a word; over the demo data (which has them all) they do not.

The page functions are called directly, with the cube serving a small warehouse loaded from the
mini bank without those files (``tests/data/_mini.py``), under an administrator's scope.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from cube import connection
from cube.api import Scope, not_loaded
from cube.views.state import ViewState
from data import load, warehouse
from tests.data._mini import mini_tables, write_parquet

OPTIONAL = ("campaigns", "campaign_contacts", "branch_targets", "manager_targets")
STATE = ViewState(period="2025-06")
PAGES = ("branches", "campaigns", "cross_sell", "models", "overview")


def _ids(node) -> dict[str, object]:
    """Every element with an id in a Dash layout tree: id -> element."""
    found = {}
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
            continue
        if isinstance(getattr(item, "id", None), str):  # (pattern-matching ids are dicts)
            found[item.id] = item
        children = getattr(item, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def _text(node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return " ".join(_text(n) for n in node)
    children = getattr(node, "children", None)
    return "" if children is None else _text(children)


@pytest.fixture(scope="module")
def bare_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file loaded from the mini bank without any optional table."""
    import os

    home = tmp_path_factory.mktemp("bare_home")
    tables = {k: v for k, v in mini_tables().items() if k not in OPTIONAL}
    before = os.environ.get("MAMS_HOME")
    os.environ["MAMS_HOME"] = str(home)
    try:
        load.load(write_parquet(tables, home / "src"))
        return warehouse.current_path()
    finally:
        if before is None:
            os.environ.pop("MAMS_HOME", None)
        else:
            os.environ["MAMS_HOME"] = before


@pytest.fixture
def pages_over_bare(mams_app, bare_warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    """The page modules, with the cube serving the bare warehouse to an administrator."""
    # Dash imported the pages as it registered them: take those very modules.
    pages = SimpleNamespace(
        **{name: importlib.import_module(f"pages.{name}") for name in PAGES},
        placeholder=importlib.import_module("pages._placeholder"),
    )
    admin = Scope.for_role("admin")
    for module in (pages.branches, pages.overview):
        monkeypatch.setattr(module, "current_scope", lambda: admin)
    monkeypatch.setattr(pages.placeholder, "require_user", lambda: None)
    monkeypatch.setattr(pages.placeholder, "current_lang", lambda: "en")
    monkeypatch.setattr(pages.campaigns, "current_lang", lambda: "en")
    con = duckdb.connect(str(bare_warehouse), read_only=True)
    connection.use_connection(con)
    yield pages
    connection.use_connection(None)
    con.close()


def test_the_cube_says_which_tables_were_not_loaded(pages_over_bare) -> None:
    assert not_loaded() == frozenset(OPTIONAL)


def test_branches_targets_say_the_file_was_not_loaded(pages_over_bare) -> None:
    card = pages_over_bare.branches._targets_section(STATE, "en")
    note = _ids(card)["branches--targets-not-loaded"]
    assert "Nothing to show" in _text(note) and "branch_targets" in _text(note)
    assert "branches--targets" not in _ids(card)  # no empty table


def test_overview_tiles_say_targets_were_not_loaded(pages_over_bare) -> None:
    tiles = pages_over_bare.overview._tiles(STATE, "en")
    found = _ids(tiles)
    assert "overview--tiles" in found  # the KPI tiles still show
    note = _text(found["overview--targets-not-loaded"])
    assert "Attainment" in note and "branch_targets, manager_targets" in note


def test_campaigns_page_says_campaigns_were_not_loaded(
    pages_over_bare, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auth.users import User

    reader = User("branch", "branch_manager", None, 101, None, True, 0)
    monkeypatch.setattr(pages_over_bare.campaigns, "require_user", lambda: reader)
    found = _ids(pages_over_bare.campaigns.layout())
    assert "campaigns--list" in found  # the loop's campaigns still show
    assert "campaign_contacts, campaigns" in _text(found["campaigns--not-loaded"])


def test_cross_sell_response_panel_says_contacts_were_not_loaded(pages_over_bare) -> None:
    panel = pages_over_bare.cross_sell._response_tab({"runs": {"response": None}, "version": "v"}, "zh")
    note = _text(_ids(panel)["cross-sell--response-not-loaded"])
    assert "无可显示内容" in note and "campaigns" in note


def test_model_runs_refuse_response_before_it_starts(pages_over_bare) -> None:
    text = pages_over_bare.models.response_not_loaded("en")
    assert text is not None and "campaign_contacts, campaigns was not loaded" in text


def test_over_the_demo_data_nothing_is_missing(mams_app, monkeypatch: pytest.MonkeyPatch) -> None:
    branches, models = (importlib.import_module(f"pages.{name}") for name in ("branches", "models"))
    monkeypatch.setattr(branches, "current_scope", lambda: Scope.for_role("admin"))
    assert not_loaded() == frozenset()
    assert models.response_not_loaded("en") is None
    with warehouse.open_readonly() as con:
        last = dict(con.execute("SELECT key, value FROM meta").fetchall())["last_month"]
    card = branches._targets_section(ViewState(period=last[:7]), "en")
    assert "branches--targets-not-loaded" not in _ids(card)
