"""Mining tests run their model libraries on one thread: the suite shares 2 cores with other
processes, and OpenMP threads beyond the free cores spin against each other (a 1 s fit was
measured taking 80 s under load), so one thread is both faster and steadier here."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield
