"""Warehouse benchmark: time and peak memory of generating and loading, and the file sizes.

    python benchmarks/warehouse_bench.py                      # demo scale (20k customers, 24 months)
    python benchmarks/warehouse_bench.py --customers 1000000  # 1M customers

Each step runs in its own child process, which reports its own peak RSS (``VmHWM``, see
``benchmarks._peak``). Everything is written under a temporary home (or ``--work DIR``); prints
a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import _peak  # noqa: E402

_GENERATE = (
    "import sys; from pathlib import Path; from data.generator import generate; "
    "generate(Path(sys.argv[1]), customers=int(sys.argv[2]), months=int(sys.argv[3]), seed=42)"
)
_LOAD = "import sys; from data.load import load; r = load(sys.argv[1]); print(r.row_counts)"


def run_step(code: str, *args: str, home: Path) -> tuple[float, float, str]:
    """Run ``code`` in a child Python; return (seconds, peak RSS in MiB, stdout)."""
    report = _peak.peak_file()
    env = {**os.environ, "MAMS_HOME": str(home), "PYTHONPATH": str(REPO), _peak.PEAK_FILE_ENV: str(report)}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _peak.REPORT_AT_EXIT + code, *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak_mib = _peak.read_peak_mib(report)
    if proc.returncode != 0 or peak_mib is None:
        raise SystemExit(f"step failed with exit code {proc.returncode}")
    return seconds, peak_mib, proc.stdout


def size_mib(path: Path) -> float:
    files = (
        [path]
        if path.is_file()
        else [p for p in path.rglob("*") if p.is_file() and not p.name.startswith("_")]
    )
    return sum(p.stat().st_size for p in files) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--work", type=Path, help="folder to work in (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="wh-bench-"))
    home, source = work / "home", work / "source"
    try:
        gen_s, gen_mb, _ = run_step(_GENERATE, str(source), str(args.customers), str(args.months), home=home)
        load_s, load_mb, counts = run_step(_LOAD, str(source), home=home)
        wh = next((home / "warehouse").glob("wh-*.duckdb"))
        print(f"\n### Warehouse benchmark: {args.customers:,} customers, {args.months} months\n")
        print(f"Rows: {counts.strip().splitlines()[-1]}\n")
        from data.load import size_bytes  # noqa: PLC0415 - after the path is set
        from settings import get_settings  # noqa: PLC0415

        limit = get_settings().load_memory
        within = "within" if load_mb * 2**20 <= size_bytes(limit) else "ABOVE"
        print(f"Import memory limit (MAMS_LOAD_MEMORY): {limit}; the load's peak is {within} it.\n")
        print("| step | seconds | peak RSS (MiB) | output size (MiB) |")
        print("|---|---:|---:|---:|")
        print(f"| generate (Parquet) | {gen_s:.1f} | {gen_mb:.0f} | {size_mib(source):.1f} |")
        print(f"| load (validate + build) | {load_s:.1f} | {load_mb:.0f} | {size_mib(wh):.1f} |")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
