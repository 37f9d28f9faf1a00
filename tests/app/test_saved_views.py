"""Saved personal views in the ops store: saved and replaced by name, listed per user only,
deleted; what cannot be saved is refused with a message naming the problem."""

from __future__ import annotations

import threading

import pytest

from auth import saved_views


def test_save_list_and_open(private_home):
    view = saved_views.save("ana", "  North, deposits  ", "/branches", "?region=1&category=deposit")
    assert view.name == "North, deposits"  # surrounding blanks are not part of the name
    assert view.href == "/branches?region=1&category=deposit"
    assert saved_views.list_views("ana") == [view]
    assert saved_views.get("ana", "North, deposits") == view
    assert saved_views.get("ana", "nope") is None
    assert saved_views.save("ana", "all", "/", "").href == "/"
    assert [v.name for v in saved_views.list_views("ana")] == ["North, deposits", "all"]


def test_saving_under_the_same_name_replaces(private_home):
    saved_views.save("ana", "mine", "/branches", "?region=1")
    again = saved_views.save("ana", " mine", "/products", "?category=loan")
    views = saved_views.list_views("ana")
    assert len(views) == 1 and views[0].href == "/products?category=loan" == again.href


def test_views_are_per_user(private_home):
    saved_views.save("ana", "mine", "/branches", "?region=1")
    saved_views.save("bob", "mine", "/branches", "?region=2")
    assert [v.search for v in saved_views.list_views("ana")] == ["?region=1"]
    assert [v.search for v in saved_views.list_views("bob")] == ["?region=2"]
    assert saved_views.list_views("carol") == []
    assert saved_views.delete("carol", "mine") is False  # nobody deletes another user's view
    assert saved_views.delete("ana", "mine") is True
    assert saved_views.list_views("ana") == [] and len(saved_views.list_views("bob")) == 1
    assert saved_views.delete("ana", "mine") is False


@pytest.mark.parametrize(
    ("name", "path", "search", "problem"),
    [
        ("", "/", "", "needs a name"),
        ("   ", "/", "", "needs a name"),
        ("x" * 81, "/", "", "at most 80 characters"),
        ("ok", "//evil.example/x", "", "page of this application"),
        ("ok", "http://x", "", "page of this application"),
        ("ok", "branches", "", "page of this application"),
        ("ok", "/" + "a" * 200, "", "page of this application"),
        ("ok", "/", "?" + "a" * 2000, "too long"),
        ("ok", "/", "region=1", "must start with"),
        ("ok", "/", "http://x", "must start with"),
    ],
)
def test_what_cannot_be_saved_names_the_problem(private_home, name, path, search, problem):
    with pytest.raises(ValueError, match=problem):
        saved_views.save("ana", name, path, search)
    assert saved_views.list_views("ana") == []


def test_longest_name_and_filters_that_fit(private_home):
    saved_views.save("ana", "x" * 80, "/", "?" + "a" * 1999)
    assert len(saved_views.list_views("ana")[0].name) == 80


@pytest.mark.parametrize(
    ("name", "path", "search"),
    [(["x"], "/", ""), (5, "/", ""), ("ok", None, ""), ("ok", ["/"], ""), ("ok", "/", 7)],
)
def test_forged_types_are_refused_as_values(private_home, name, path, search):
    """The save callback passes what the browser sent: a list or a number where text belongs
    is a ValueError (a message), never an AttributeError (a server error)."""
    with pytest.raises(ValueError):
        saved_views.save("ana", name, path, search)


def test_the_per_user_cap(private_home):
    for i in range(saved_views.MAX_PER_USER):
        saved_views.save("ana", f"view {i:03d}", "/", f"?region={i}")
    with pytest.raises(ValueError, match=f"at most {saved_views.MAX_PER_USER} saved views"):
        saved_views.save("ana", "one more", "/", "")
    # replacing one is still allowed, and another user is not affected
    saved_views.save("ana", "view 000", "/branches", "")
    saved_views.save("bob", "one more", "/", "")
    assert len(saved_views.list_views("ana")) == saved_views.MAX_PER_USER
    assert saved_views.get("ana", "view 000").path == "/branches"
    saved_views.delete("ana", "view 001")
    saved_views.save("ana", "one more", "/", "")
    assert len(saved_views.list_views("ana")) == saved_views.MAX_PER_USER


def test_concurrent_saves_keep_the_cap(private_home, monkeypatch):
    monkeypatch.setattr(saved_views, "MAX_PER_USER", 5)
    errors: list[Exception] = []
    unexpected: list[str] = []

    def save(i: int) -> None:
        try:
            saved_views.save("ana", f"v{i}", "/", "")
        except ValueError as exc:
            errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            unexpected.append(repr(exc))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    assert len(saved_views.list_views("ana")) == 5 and len(errors) == 7
