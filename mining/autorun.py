"""Run, in the background, each model that has no succeeded run on the data being served.

A bank (or the demo) that starts the product on fresh data would otherwise open the Segmentation
and Cross-sell pages to "not run yet" until an analyst starts each model. ``app.py`` starts this
module as a separate, low-priority process after the first start (setting
``MAMS_MODELS_AT_START``); each run goes through the registry like a run started from the Model
runs page (one of a kind at a time, shown in the run list as started by "first start"), so a run
an analyst starts meanwhile is never doubled.

``python -m mining.autorun`` runs the missing models in the foreground.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from data import paths, warehouse
from mining import runs
from mining.errors import RunRefused

# cross-sell reads the segmentation of its own data version: segmentation first
ORDER = ("segmentation", "value", "crosssell", "churn", "response")
STARTED_BY = "first start"


def missing_kinds(version: str | None) -> list[str]:
    """The kinds with no succeeded run on ``version``, in the order they should run."""
    return [kind for kind in ORDER if runs.latest_run(kind, version) is None]


def run_missing(log: Callable[[str], None] = print) -> dict[str, str]:
    """Run each missing kind in turn; kind -> "succeeded" or the reason it did not run."""
    version = warehouse.data_version()
    outcome: dict[str, str] = {}
    for kind in missing_kinds(version):
        try:
            runs.run(kind, created_by=STARTED_BY)
            outcome[kind] = "succeeded"
        except RunRefused as exc:  # under way already, or the data cannot support the model
            outcome[kind] = str(exc)
        except Exception as exc:  # noqa: BLE001 - recorded in the registry; go on with the next
            outcome[kind] = f"failed: {runs.short_reason(exc)}"
        log(f"{kind}: {outcome[kind]}")
    return outcome


def start_in_background() -> subprocess.Popen | None:
    """Start ``python -m mining.autorun`` at low priority if any model is missing; its output goes
    to ``<home>/logs/autorun.log``. Returns the process, or None when nothing is missing."""
    if not missing_kinds(warehouse.data_version()):
        return None
    log_dir = paths.home() / "logs"
    log_dir.mkdir(exist_ok=True)
    out = open(log_dir / "autorun.log", "a", encoding="utf-8")  # noqa: SIM115 - the child keeps it
    root = Path(__file__).resolve().parent.parent
    return subprocess.Popen(
        [sys.executable, "-m", "mining.autorun"],
        cwd=root,
        stdout=out,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: os.nice(10),  # the web server keeps the cores it needs
    )


if __name__ == "__main__":
    run_missing(log=lambda line: print(line, flush=True))
