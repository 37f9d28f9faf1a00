"""Deck export benchmark: a 10-slide deck to PPTX (and PDF), and packs for many branches.

    MAMS_HOME=/work/bench1m python benchmarks/deck_bench.py            # 1M customers, 424 branches
    python benchmarks/deck_bench.py --branches 50 --formats pptx       # the current warehouse
    python benchmarks/deck_bench.py --synthetic 300 --branches 2        # no warehouse (a smoke run)

Targets (issue 14): a 10-slide deck to PPTX in at most 15 s; packs for 50 branches in at most
5 minutes, peak memory recorded. What is timed, as the export job runs it:

- **browser start**: opening one Kaleido session over the local Chromium (the first call's
  cost; every deck or pack run pays it once).
- **deck**: the 10 slides built for a head-office presenter (``components.packs.build_deck``,
  the cube queries of every slide at the current data version, result cache cleared first),
  their charts rendered, the PPTX written; then the same slides as a PDF.
- **packs**: ``components.packs.make_packs`` for the first ``--branches`` branches of the
  scope (by name), each under its own narrowed scope, one browser session for all, one ZIP.

Peak memory is the highest sum of the resident memory of this process and all its children
(Chromium's processes included), sampled every 0.2 s with psutil.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components import packs  # noqa: E402 - after the path fix above
from components.deck_export import ChartRenderer, render_charts, to_pdf, to_pptx  # noqa: E402
from cube import cache, connection  # noqa: E402
from cube.api import Scope  # noqa: E402

# The deck: ten slides over every built view, each a KPI group and/or its main chart.
DECK = [
    {"path": "/", "part": "view", "title": "Overview", "notes": "Headline figures and what moved them."},
    {"path": "/", "part": "trend", "title": "AUM, 13 months"},
    {"path": "/branches", "part": "units", "title": "Units one level down"},
    {"path": "/branches", "part": "targets", "title": "Target versus actual"},
    {"path": "/branches", "part": "trend", "title": "Balances by month"},
    {"path": "/products", "part": "view", "title": "Products"},
    {"path": "/products", "part": "trend", "title": "Product balances"},
    {"path": "/channels", "part": "view", "title": "Channels"},
    {"path": "/channels", "part": "trend", "title": "Channel trend"},
    {"path": "/customers", "part": "view", "title": "Customers", "notes": "New, lost and net customers."},
]
TARGET_DECK_S = 15.0
TARGET_PACKS_S = 300.0


class PeakMemory:
    """Highest RSS of this process plus all its children, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._me = psutil.Process()

    def sample(self) -> int:
        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        self.peak = max(self.peak, total)
        return total

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _setup(synthetic: int | None) -> str:
    if synthetic:
        from tests.cube import tiny

        src = tiny.source_frames(customers=synthetic, txns=synthetic * 40)
        connection.use_connection(tiny.build(src), version=f"bench-{uuid.uuid4()}")
        return f"synthetic, {synthetic} customers"
    from data import warehouse

    con = warehouse.open_readonly()
    n = con.sql("SELECT count(*) FROM customers").fetchone()[0]
    con.close()
    return f"warehouse {warehouse.data_version()}, {n:,} customers"


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synthetic", type=int, default=None, help="customers of an in-memory warehouse")
    ap.add_argument("--branches", type=int, default=50, help="packs for this many branches")
    ap.add_argument("--formats", default="pptx", help="pack files: pptx, pdf or pptx,pdf")
    ap.add_argument("--lang", default="en")
    args = ap.parse_args(argv)
    what = _setup(args.synthetic)
    version = connection.warehouse_version()
    presenter = Scope.for_role("presenter")
    formats = tuple(f for f in args.formats.split(",") if f in packs.FORMATS) or ("pptx",)
    load = os.popen("uptime").read().strip()
    print(f"# Deck export benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"data: {what}; machine: {platform.node()}, {psutil.cpu_count()} cores, ", end="")
    print(f"{psutil.virtual_memory().total / 2**30:.0f} GiB; uptime: {load}")
    print()
    rows = []
    with PeakMemory() as deck_memory:
        started = time.perf_counter()
        renderer = ChartRenderer().__enter__()
        startup = time.perf_counter() - started
        try:
            cache.clear()
            t0 = time.perf_counter()
            cover, contents = packs.build_deck("Monthly review", DECK, presenter, args.lang, version)
            t1 = time.perf_counter()
            pictures = render_charts(contents, renderer)
            t2 = time.perf_counter()
            pptx = to_pptx(cover, contents, pictures=pictures)
            t3 = time.perf_counter()
            pdf = to_pdf(cover, contents, pictures=pictures)
            t4 = time.perf_counter()
        finally:
            renderer.__exit__(None, None, None)
    charts = sum(p is not None for p in pictures)
    deck_s = startup + (t3 - t0)
    rows += [
        ("browser start (first call)", f"{startup:.1f} s", ""),
        (f"deck: {len(contents)} slides built (cube, cache cleared)", f"{t1 - t0:.1f} s", ""),
        (
            f"deck: {charts} charts rendered",
            f"{t2 - t1:.1f} s",
            f"{(t2 - t1) / max(charts, 1):.2f} s a chart",
        ),
        ("deck: PPTX written", f"{t3 - t2:.2f} s", f"{len(pptx) / 1024:,.0f} KB"),
        (
            "**10-slide deck to PPTX, browser start included**",
            f"**{deck_s:.1f} s**",
            f"target <= {TARGET_DECK_S:.0f} s: {'met' if deck_s <= TARGET_DECK_S else 'MISSED'}",
        ),
        ("deck: PDF written (same pictures)", f"{t4 - t3:.1f} s", f"{len(pdf) / 1024:,.0f} KB"),
        ("deck: peak memory (with Chromium)", _mb(deck_memory.peak), ""),
    ]
    units = packs.pack_units("branch", presenter, version, args.lang)[: args.branches]
    cache.clear()
    # one unit's phases on their own (in the pack run the charts overlap the next unit's queries)
    with ChartRenderer() as renderer:
        unit = units[-1]
        t0 = time.perf_counter()
        cover, contents = packs.build_deck(
            "Monthly review", DECK, packs.unit_scope(presenter, unit), args.lang, version, unit=unit
        )
        t1 = time.perf_counter()
        pictures = render_charts(contents, renderer)
        t2 = time.perf_counter()
        to_pptx(cover, contents, pictures=pictures)
        t3 = time.perf_counter()
    rows += [
        ("one branch: slides built (cube)", f"{t1 - t0:.1f} s", unit.name),
        ("one branch: charts rendered", f"{t2 - t1:.1f} s", f"{sum(p is not None for p in pictures)} charts"),
        ("one branch: PPTX written", f"{t3 - t2:.2f} s", ""),
    ]
    cache.clear()
    with PeakMemory() as pack_memory:
        t0 = time.perf_counter()
        result = packs.make_packs(
            "Monthly review", DECK, presenter, "branch", args.lang, version, formats=formats, units=units
        )
        packs_s = time.perf_counter() - t0
    per_unit = packs_s / max(len(units), 1)
    scaled = per_unit * 50
    rows += [
        (
            f"**packs for {len(units)} branches ({'+'.join(formats)}, {len(DECK)} slides each)**",
            f"**{packs_s:.0f} s**",
            f"{per_unit:.1f} s a branch; 50 branches at this rate {scaled:.0f} s "
            f"(target <= {TARGET_PACKS_S:.0f} s: {'met' if scaled <= TARGET_PACKS_S else 'MISSED'})",
        ),
        ("packs: archive", f"{len(result.archive) / 2**20:.1f} MB", f"{len(result.files)} files"),
        ("packs: peak memory (with Chromium)", _mb(pack_memory.peak), ""),
    ]
    print(f"uptime at the end: {os.popen('uptime').read().strip()}")
    print()
    print("| step | time | note |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
