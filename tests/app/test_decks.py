"""Review decks in the ops store (create, share, permissions, validation, audit) and as-of
pinning: a pinned deck shows the same figures after a new load and the new ones after "move to
current data"; the loader keeps pinned files; a pinned file gone anyway is said so. The pages
over HTTP are in test_decks_pages.py (they need the app's home, not this module's)."""

from __future__ import annotations

import pytest

from auth import audit, decks, saved_views, users
from components import slides
from cube import connection
from cube.api import Scope
from data import load, ops_store, paths, pins, warehouse
from tests.data._mini import mini_tables, write_parquet


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def people(tmp_path_factory, request):
    """A private home (its own ops store and warehouse folder) with two presenters' worth of
    users: a presenter, an analyst, a branch manager and a relationship manager, with the store
    on SQLite and on PostgreSQL. Module-wide: hashing four passwords costs seconds; tests use
    decks of their own."""
    home = tmp_path_factory.mktemp("decks_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAMS_HOME", str(home))
        if request.param == "postgresql":
            mp.setenv("MAMS_OPS_URL", request.getfixturevalue("postgres_server").new_database())
        else:
            mp.delenv("MAMS_OPS_URL", raising=False)
        users.create_user("ann", "ann-password-2026", "presenter")
        users.create_user("ben", "ben-password-2026", "analyst")
        users.create_user("bm", "bm-password-2026", "branch_manager", branch_id=1)
        users.create_user("rm1", "rm1-password-2026", "relationship_manager", manager_id=1)
        yield home
        if request.param == "postgresql":
            ops_store.dispose(ops_store.url())  # close its pooled connections


def _actions(user: str, deck_id: int) -> list[str]:
    """What ``user`` did to deck ``deck_id``, newest first (from the audit log)."""
    return [
        e["action"]
        for e in audit.recent()
        if e["username"] == user and e["detail"].startswith(f"deck {deck_id} ")
    ]


def test_create_add_share_and_audit(people):
    deck = decks.create_deck("ann", "  Q3 review ", data_version="20260101T000000-abcdef")
    assert deck.name == "Q3 review" and deck.owner == "ann" and deck.slides == ()
    assert deck.data_version == "20260101T000000-abcdef"
    assert decks.version_date(deck.data_version) == "2026-01-01 00:00 UTC"
    a = decks.add_slide("ann", deck.id, "/branches", "?region=1", "kpis", "North", "say hello")
    b = decks.add_slide("ann", deck.id, "/", "", title="Bank")
    c = decks.add_slide("ann", deck.id, "/channels", "?x_level=channel_type", "mix")
    assert [s.position for s in decks.get_deck("ann", deck.id).slides] == [0, 1, 2]
    assert [s.id for s in decks.move_slide("ann", c.id, 0)] == [c.id, a.id, b.id]
    decks.edit_slide("ann", a.id, title="North region", notes="note 2", part="units")
    decks.remove_slide("ann", b.id)
    got = decks.get_deck("ann", deck.id)
    assert [(s.id, s.position) for s in got.slides] == [(c.id, 0), (a.id, 1)]
    assert got.slides[1].title == "North region" and got.slides[1].part == "units"
    assert got.slides[1].href == "/branches?region=1"

    # shared: ben sees it in his list and may open it, not change it
    assert decks.share("ann", deck.id, "ben").shared_with == ("ben",)
    assert [d.id for d in decks.list_decks("ben")] == [deck.id]
    assert decks.get_deck("ben", deck.id).slides == got.slides
    for write in (
        lambda: decks.rename_deck("ben", deck.id, "mine now"),
        lambda: decks.add_slide("ben", deck.id, "/", ""),
        lambda: decks.edit_slide("ben", a.id, title="x"),
        lambda: decks.remove_slide("ben", a.id),
        lambda: decks.share("ben", deck.id, "bm"),
        lambda: decks.delete_deck("ben", deck.id),
    ):
        with pytest.raises(decks.DeckRefused, match="owner"):
            write()
    # neither owner nor shared: refused, with the same words as a deck that does not exist
    with pytest.raises(decks.DeckRefused) as other:
        decks.get_deck("bm", deck.id)
    with pytest.raises(decks.DeckRefused) as missing:
        decks.get_deck("bm", 9999)
    assert str(other.value) == str(missing.value)
    assert decks.list_decks("bm") == []

    decks.unshare("ann", deck.id, "ben")
    assert decks.list_decks("ben") == []
    decks.rename_deck("ann", deck.id, "Q3 board")
    decks.delete_deck("ann", deck.id)
    assert decks.list_decks("ann") == []
    assert _actions("ann", deck.id) == [
        "deck_delete",
        "deck_rename",
        "deck_unshare",
        "deck_share",
        "deck_slide_remove",
        "deck_slide_edit",
        "deck_slide_move",
        "deck_slide_add",
        "deck_slide_add",
        "deck_slide_add",
        "deck_create",
    ]


def test_add_a_saved_view(people):
    saved_views.save("ann", "North deposits", "/branches", "?region=1&category=deposit")
    deck = decks.create_deck("ann", "from a view")
    slide = decks.add_saved_view("ann", deck.id, "North deposits")
    assert (slide.title, slide.href, slide.part) == (
        "North deposits",
        "/branches?region=1&category=deposit",
        "view",
    )
    with pytest.raises(decks.DeckInputError, match="saved_view"):
        decks.add_saved_view("ann", deck.id, "nope")
    with pytest.raises(decks.DeckInputError, match="saved_view"):
        decks.add_saved_view("ben", deck.id, "North deposits")  # another user's view


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d: decks.create_deck("ann", "   "), "name"),
        (lambda d: decks.create_deck("ann", "x" * 81), "name"),
        (lambda d: decks.create_deck("ann", "fields"), "name"),  # the same name twice
        (lambda d: decks.create_deck("ann", ["a"]), "name"),
        (lambda d: decks.create_deck("ann", "v", data_version="../../etc"), "data_version"),
        (lambda d: decks.add_slide("ann", d, "//evil.example/x"), "page"),
        (lambda d: decks.add_slide("ann", d, "https://x"), "page"),
        (lambda d: decks.add_slide("ann", d, "/a?b=c"), "page"),
        (lambda d: decks.add_slide("ann", d, "/", "region=1"), "filters"),
        (lambda d: decks.add_slide("ann", d, "/", "?a=b c"), "filters"),
        (lambda d: decks.add_slide("ann", d, "/", "", "drop table"), "part"),
        (lambda d: decks.add_slide("ann", d, "/", "", "view", "t" * 121), "title"),
        (lambda d: decks.add_slide("ann", d, "/", "", "view", "", "n" * 4001), "notes"),
        (lambda d: decks.add_slide("ann", d, "/", "", "view", "a\x00b"), "title"),
        (lambda d: decks.share("ann", d, "nobody"), "username"),
        (lambda d: decks.share("ann", d, "ann"), "username"),
        (lambda d: decks.share("ann", d, "rm1"), "username"),  # a role without decks
        (lambda d: decks.pin_to("ann", d, "20200101T000000-000000"), "data_version"),  # not kept
    ],
)
def test_invalid_input_names_the_field(people, call, field):
    deck = next((d for d in decks.list_decks("ann") if d.name == "fields"), None)
    deck = deck or decks.create_deck("ann", "fields")
    with pytest.raises(decks.DeckInputError) as err:
        call(deck.id)
    assert err.value.field == field and str(err.value).startswith(f"{field}: ")
    assert decks.get_deck("ann", deck.id).slides == ()  # nothing was written


def test_forged_ids_are_refused(people):
    deck = decks.create_deck("ann", "forged")
    for bad in ("1 OR 1=1", None, True, 1.5, [deck.id]):
        with pytest.raises(decks.DeckRefused):
            decks.get_deck("ann", bad)
    assert decks.get_deck("ann", str(deck.id)).id == deck.id  # a deck number from a URL


# --- as-of pinning over real loads ---------------------------------------------------------------


def _load(tables, folder) -> str:
    """Load the mini bank's ``tables`` with the product's importer; the new data version."""
    return load.load(write_parquet(tables, folder)).data_version


def _richer() -> dict:
    """The mini bank with every balance doubled (a load that changes the figures)."""
    tables = mini_tables()
    for row in tables["holdings"]:
        for column in ("balance", "avg_daily_balance"):
            row[column] *= 2
    return tables


def _kpis(deck, scope) -> list[float]:
    content = slides.build_slide(deck.slides[0], scope, "en", deck.data_version)
    assert content.data_version is not None
    return [k.value for k in content.kpis]


@pytest.mark.slow
def test_pinned_deck_keeps_its_figures_until_moved_to_current(people, tmp_path):
    connection.use_connection(None)
    v1 = _load(mini_tables(), tmp_path / "v1")
    scope = Scope.all(identities=False)
    deck = decks.create_deck("ann", "pinned")
    assert deck.data_version == v1 and decks.is_current(v1)
    decks.add_slide("ann", deck.id, "/branches", "", "kpis")
    deck = decks.get_deck("ann", deck.id)
    before = _kpis(deck, scope)
    assert before and any(before)

    v2 = _load(_richer(), tmp_path / "v2")
    assert warehouse.data_version() == v2 and not decks.is_current(v1) and decks.version_kept(v1)
    assert _kpis(decks.get_deck("ann", deck.id), scope) == before  # pinned: unchanged
    current = slides.build_slide({"path": "/branches", "part": "kpis"}, scope, "en", None)
    now = [k.value for k in current.kpis]
    assert now != before and current.data_version.startswith(v2)

    moved = decks.move_to_current("ann", deck.id)
    assert moved.data_version == v2
    assert _kpis(moved, scope) == now
    assert "deck_pin" in _actions("ann", deck.id)


@pytest.mark.slow
def test_prune_keeps_pinned_files_and_a_gone_file_is_said(people, tmp_path, monkeypatch):
    monkeypatch.setattr(load, "KEEP_FILES", 1)  # fewer loads to the point where files are pruned
    frames = mini_tables()
    first = _load(frames, tmp_path / "src0")
    deck = decks.create_deck("ann", "old one")
    decks.add_slide("ann", deck.id, "/branches", "", "kpis")
    assert first in pins.pinned_versions()
    later = [_load(frames, tmp_path / f"src{i}") for i in range(1, load.KEEP_FILES + 2)]
    kept = {p.name for p in paths.warehouse_dir().glob("wh-*.duckdb")}
    newest = {f"wh-{v}.duckdb" for v in later[-load.KEEP_FILES :]}
    assert newest | {f"wh-{first}.duckdb"} <= kept  # the newest KEEP_FILES and the pinned one
    assert f"wh-{later[0]}.duckdb" not in kept  # older than those and pinned by no deck: pruned
    assert _kpis(decks.get_deck("ann", deck.id), Scope.all(identities=False))

    warehouse.file_for_version(first).unlink()  # removed by hand: the deck says so
    gone = decks.get_deck("ann", deck.id)
    assert not decks.version_kept(gone.data_version)
    with pytest.raises(connection.VersionUnavailable):
        slides.build_slide(gone.slides[0], Scope.all(identities=False), "en", gone.data_version)
    assert decks.move_to_current("ann", deck.id).data_version == later[-1]
