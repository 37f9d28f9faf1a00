"""A child process's own peak memory (MiB).

``ru_maxrss`` from ``wait4`` does not give it: Linux carries the parent's high-water mark into
the child over fork and exec, so a child of a large parent (the append benchmark's in-memory
split) reports the parent's peak. ``VmHWM`` in ``/proc`` belongs to one address space and starts
afresh at exec, so the child reads its own at exit and leaves it in a file the parent names.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path

PEAK_FILE_ENV = "MAMS_BENCH_PEAK_FILE"

# Prepended to a ``python -c`` child's code.
REPORT_AT_EXIT = "from benchmarks._peak import report_at_exit; report_at_exit()\n"


def _vm_hwm_kib() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


def report_at_exit() -> None:
    """In the child: at exit, write this process's own peak RSS to the file the parent named."""
    target = os.environ.get(PEAK_FILE_ENV)
    if target:
        atexit.register(lambda: Path(target).write_text(str(_vm_hwm_kib())))


def peak_file() -> Path:
    """In the parent: a fresh file for one child to report into."""
    fd, name = tempfile.mkstemp(prefix="mams-peak-")
    os.close(fd)
    return Path(name)


def read_peak_mib(path: Path) -> float | None:
    """The child's reported peak in MiB (None if it did not report), and the file removed."""
    try:
        text = path.read_text().strip()
    finally:
        path.unlink(missing_ok=True)
    return int(text) / 1024 if text else None
