"""The benchmarks still run end to end (on a small synthetic warehouse), so the figures in
docs/BENCHMARKS.md can be reproduced; their timings are not checked here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cube.standard_queries import STANDARD_QUERIES

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, *args: str, timeout: int = 300) -> str:
    env = {**os.environ, "MAMS_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout


def _table(out: str) -> dict[str, list[str]]:
    """First cell -> cells of every markdown table row (header and rule rows included)."""
    rows = (line.strip().strip("|").split("|") for line in out.splitlines() if line.startswith("| "))
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows}


def test_cube_benchmark_reports_every_standard_and_view_query(tmp_path):
    out = _run(
        tmp_path, "benchmarks/cube_bench.py", "--synthetic", "300", "--runs", "1", "--pandas-runs", "1"
    )
    rows = _table(out)
    for sq in STANDARD_QUERIES:
        cells = rows[sq.name]
        assert len(cells) == 6 and all(" / " in c for c in cells[2:]), cells
    views = {name.split(".")[0] for name in rows if name.count(".") >= 2}
    assert views == {"branches", "overview", "customers", "products", "channels"}
    for state in ("bank", "region", "branch"):
        for name in (f"branches.{state}.kpis", f"branches.{state}.targets", f"overview.{state}.tiles"):
            assert all(" / " in c for c in rows[name][2:5]), rows[name]
    assert rows["overview.bank.attainment"][1].count("+") == 1  # actuals + targets


def test_view_benchmark_runs_end_to_end(tmp_path):
    out = _run(
        tmp_path,
        "benchmarks/view_bench.py",
        "--synthetic",
        "300",
        "--runs",
        "1",
        "--baseline-runs",
        "1",
        "--profile-runs",
        "1",
        timeout=120,
    )
    rows = _table(out)
    for view in ("branches", "overview"):
        for state in ("bank", "region", "branch"):
            cells = rows[f"{view} / {state}"]
            assert len(cells) == 6 and all(" / " in cells[i] for i in (2, 3, 5)), cells
            assert f"Profile, {view} / {state}, cache off" in out
    for kpi, by in (("aum", "region"), ("aum", "branch"), ("avg_aum", "region"), ("aum", "category")):
        assert any(c[:2] == [kpi, by] and " / " in c[2] for c in _rows_of(out)), (kpi, by)
    assert "| drill_through |" in out  # the customer list of the Branches view is timed too


def _rows_of(out: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in out.splitlines()
        if line.startswith("| ")
    ]


@pytest.mark.slow
def test_deck_benchmark_runs_end_to_end(demo_home):
    """The deck export benchmark on the session's demo warehouse, packs for two branches."""
    env = {**os.environ, "MAMS_HOME": str(demo_home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "benchmarks/deck_bench.py", "--branches", "2", "--formats", "pptx"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    rows = {cells[0]: cells for cells in _rows_of(out)}
    assert rows["browser start (first call)"][1].endswith(" s")
    assert "target <= 15 s" in rows["**10-slide deck to PPTX, browser start included**"][2]
    assert rows["packs: archive"][2] == "2 files"  # a PPTX for each of two branches
    assert rows["packs: peak memory (with Chromium)"][1].endswith(" MB")


def test_a_child_reports_its_own_peak_not_its_parents():
    """A child of a process that once held 400 MB: ``ru_maxrss`` from ``wait4`` says at least
    that (Linux carries the high-water mark over fork and exec), the child's own report does not."""
    from benchmarks import _peak

    held = bytearray(400 * 2**20)  # touched pages: the parent's RSS rises by 400 MiB
    held[::4096] = b"x" * len(held[::4096])
    report = _peak.peak_file()
    env = {**os.environ, "PYTHONPATH": str(ROOT), _peak.PEAK_FILE_ENV: str(report)}
    child = subprocess.Popen(
        [sys.executable, "-c", _peak.REPORT_AT_EXIT + "x = bytearray(50 * 2**20)"], env=env
    )
    _, status, usage = os.wait4(child.pid, 0)
    del held
    own = _peak.read_peak_mib(report)
    assert status == 0 and not report.exists()
    assert usage.ru_maxrss / 1024 > 400  # what the benchmarks used to print
    assert 50 < own < 200
