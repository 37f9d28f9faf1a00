"""The demo warehouse: on a first start, generate a synthetic bank and load it.

Kept apart from :mod:`data.warehouse` (the files on disk, read-only access) and from
:mod:`data.load` (the importer): this is the one place that joins the generator to the
importer, so neither of those imports the other, and serving code never imports the generator.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

from data import layout, paths, warehouse
from data.generator import generate
from data.load import load


def _stale_demo(path: Path) -> bool:
    """Whether ``path`` is the demo warehouse, built with another layout than this code's
    (a bank's own warehouse is never rebuilt behind its back: see :func:`layout_warning`)."""
    meta = layout.built(path)
    demo_source = paths.demo_source_dir()
    return (
        meta.get("source") == str(demo_source)
        and meta.get("layout") != layout.fingerprint()
        and any(demo_source.glob("*.parquet"))
    )


def layout_warning() -> str | None:
    """A message for the console when the current warehouse lacks what this release declares."""
    path = warehouse.current_path()
    if path is None or layout.is_current(path):
        return None
    return (
        f"The warehouse {path.name} was built by an earlier release: some views need columns it "
        "lacks. Load the data again: python -m data.load <folder of the extract>"
    )


def ensure_demo_warehouse(
    customers: int = 20_000,
    months: int = 24,
    seed: int = 42,
    log: Callable[[str], None] = print,
) -> Path:
    """Return the current warehouse, generating and loading the demo data first if there is none.

    Parameters
    ----------
    customers, months, seed
        Scale and seed of the demo generator (used only when there is no warehouse).
    log
        Receives one line per step, so a first start explains why it takes a moment.

    Returns
    -------
    Path
        The current warehouse file.
    """
    path = warehouse.current_path()
    if path is not None and not _stale_demo(path):
        return path
    # Several workers may start at once: one builds, the others wait and then find it built.
    with open(paths.warehouse_dir() / "DEMO.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = warehouse.current_path()
        if path is not None and not _stale_demo(path):
            return path
        source = paths.demo_source_dir()
        if path is not None:  # the demo, built by an earlier release: load its data again
            log("The demo warehouse was built by an earlier release; rebuilding it from the demo data")
            result = load(source, progress=log)
            log(f"Demo warehouse ready: {result.path} (data version {result.data_version})")
            return result.path
        log(f"No warehouse yet: generating demo data ({customers:,} customers, {months} months) in {source}")
        generate(source, customers=customers, months=months, seed=seed)
        log("Loading the demo data into a new warehouse")
        result = load(source, progress=log)
        log(f"Demo warehouse ready: {result.path} (data version {result.data_version})")
        return result.path
