"""A warehouse built by an earlier release (another derived layout): the demo is rebuilt from
its demo data, a bank's own warehouse is left alone with a clear message."""

from __future__ import annotations

import pytest

from data import demo, layout, warehouse


@pytest.fixture
def small_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))
    path = demo.ensure_demo_warehouse(customers=300, months=13, seed=3, log=lambda _l: None)
    return path


def test_a_load_records_its_layout(small_demo):
    assert layout.built(small_demo)["layout"] == layout.fingerprint()
    assert layout.is_current(small_demo) and demo.layout_warning() is None


def test_a_stale_demo_is_rebuilt_and_a_stale_bank_is_only_warned_about(small_demo, monkeypatch):
    monkeypatch.setattr(layout, "fingerprint", lambda: "a-newer-layout")
    assert "earlier release" in demo.layout_warning()
    lines: list[str] = []
    rebuilt = demo.ensure_demo_warehouse(log=lines.append)
    assert rebuilt != small_demo and warehouse.current_path() == rebuilt
    assert any("earlier release" in line for line in lines)
    assert layout.built(rebuilt)["layout"] == "a-newer-layout"
    # a warehouse loaded from a bank's own folder is never rebuilt behind its back
    monkeypatch.setattr(layout, "built", lambda _p: {"source": "/bank/extract", "layout": "old"})
    assert demo.ensure_demo_warehouse(log=lines.append) == rebuilt
