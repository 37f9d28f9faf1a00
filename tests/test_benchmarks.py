"""The cube benchmark still runs end to end (on a small synthetic warehouse), so the figures in
docs/BENCHMARKS.md can be reproduced; its timings are not checked here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cube.standard_queries import STANDARD_QUERIES

ROOT = Path(__file__).resolve().parent.parent


def test_cube_benchmark_reports_every_standard_query(tmp_path):
    env = {**os.environ, "MAMS_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            sys.executable,
            "benchmarks/cube_bench.py",
            "--synthetic",
            "300",
            "--runs",
            "1",
            "--pandas-runs",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    for sq in STANDARD_QUERIES:
        cells = [c.strip() for c in rows[sq.name].strip().strip("|").split("|")]
        assert len(cells) == 6 and all(" / " in c for c in cells[2:]), rows[sq.name]
