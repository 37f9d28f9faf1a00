"""Warm each new data version in the background, so the first users after a load wait less.

A load (or a model publication) brings a data version that no plan or cached result names. The
first render of each view then compiled its queries through Ibis (about two thirds of a cold
render) and ran them. Users of the same kind of scope share compiled plans
(:mod:`cube.scope_template`), so one render per kind of scope prepares them for everyone:
the bank (head office: results kept in the shared cache too, in both languages), and one
branch, one relationship manager's customers and one region. A branch manager arriving later
still runs their own queries, a few ms each on rollups, but compiles none.

Each serving process (a gunicorn worker, ``python app.py``) starts :func:`start`, which checks
the served version every :data:`POLL_SECONDS` and warms each new one once. A warm that sees the
version change stops and starts over on the new one. Failures are logged, never raised: warming
is an optimisation, never a condition of serving. ``MAMS_WARM=0`` turns it off (the tests do).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from cube import connection, engine
from cube.query import Scope
from cube.views import branches, channels, customers, options, overview, products
from cube.views.state import ViewState
from settings import get_settings

log = logging.getLogger(__name__)

POLL_SECONDS = 15.0
VIEWS = (overview, branches, customers, products, channels)  # the analysis views' renders
LANGS = ("en", "zh")

QUIET_SECONDS = 0.25  # a view's render is a burst of callback requests: wait for its end

_started: list[threading.Thread] = []
_lock = threading.Lock()
_quiet = threading.Condition()
_activity = {"serving": 0, "last_end": 0.0}


@dataclass
class Warmed:
    """What one warm did: the version, the scopes and renders, plans compiled, seconds."""

    version: str | None
    scopes: list[str] = field(default_factory=list)
    renders: int = 0
    plans_compiled: int = 0
    seconds: float = 0.0  # from start to end, waits for quiet included
    cpu_seconds: float = 0.0  # this thread's CPU (DuckDB's own threads not counted)
    complete: bool = True


class _VersionChanged(Exception):
    pass


def representative_scopes() -> dict[str, Scope]:
    """One scope of each kind users hold, most numerous first: the bank, the first region's
    first branch, that branch's first relationship manager, and the region (as the roles'
    scopes are built)."""
    bank = Scope.all(identities=False)
    out = {"bank": bank}
    state = ViewState().resolve(options.months(bank))
    regions = options.org_options("region", state, bank, "en")
    if not regions:
        return out
    region = state.with_(region=regions[0]["value"])
    branch_options = options.org_options("branch", region, bank, "en")
    if branch_options:
        branch = region.with_(branch=branch_options[0]["value"])
        out["branch"] = Scope.of("branch", branch.branch)
        managers = options.org_options("manager", branch, bank, "en")
        if managers:
            out["manager"] = Scope.of("manager", managers[0]["value"])
    out["region"] = Scope.of("region", region.region)
    return out


def request_started() -> None:
    """This process began serving a request (the app's first ``before_request`` hook)."""
    with _quiet:
        _activity["serving"] += 1


def request_finished() -> None:
    """This process finished serving a request (the app's ``teardown_request`` hook)."""
    with _quiet:
        _activity["serving"] = max(0, _activity["serving"] - 1)
        _activity["last_end"] = time.monotonic()
        _quiet.notify_all()


def wait_for_quiet() -> None:
    """Return once this process has served no request for :data:`QUIET_SECONDS`: the warm runs
    its next query only then, so it never competes with the users it prepares for."""
    with _quiet:
        while True:
            if _activity["serving"]:
                _quiet.wait()
                continue
            remaining = QUIET_SECONDS - (time.monotonic() - _activity["last_end"])
            if remaining <= 0:
                return
            _quiet.wait(remaining)


def _render_all(scope: Scope, lang: str, version: str | None) -> int:
    """Everything a user of ``scope`` first opens: the filter bar's choices and each view's
    default state. Returns the renders done."""
    state = ViewState().resolve(options.months(scope))
    options.org_options("region", state, scope, lang)
    for key in options.SOURCES:
        options.value_options(key, scope, lang)
    done = 0
    for view in VIEWS:
        if connection.data_version() != version:
            raise _VersionChanged
        view.render(state, scope, lang)
        done += 1
    return done


def warm(yield_to_requests: bool = True) -> Warmed:
    """Warm the served data version now, on the calling thread; with ``yield_to_requests``
    each query first waits until this process serves no one (:func:`wait_for_quiet`)."""
    token = engine.before_query.set(wait_for_quiet if yield_to_requests else None)
    try:
        return _warm()
    finally:
        engine.before_query.reset(token)


def _warm() -> Warmed:
    started, cpu = time.perf_counter(), time.thread_time()
    compiled = engine.stats["plans_compiled"]
    version = connection.data_version()
    report = Warmed(version)
    try:
        for name, scope in representative_scopes().items():
            for lang in LANGS if name == "bank" else LANGS[:1]:
                report.renders += _render_all(scope, lang, version)
            report.scopes.append(name)
    except _VersionChanged:
        report.complete = False
    report.plans_compiled = engine.stats["plans_compiled"] - compiled
    report.seconds = time.perf_counter() - started
    report.cpu_seconds = time.thread_time() - cpu
    return report


def _loop() -> None:
    warmed: str | None = None
    while True:
        version = connection.data_version()
        if version is not None and version != warmed:
            try:
                report = warm()
            except Exception:  # noqa: BLE001 - warming must never stop a server
                log.warning(
                    "warming data version %s failed; views are computed when asked", version, exc_info=True
                )
                warmed = version  # tried once: not again every poll
            else:
                log.info(
                    "warmed data version %s: %s, %d renders, %d plans compiled, %.1f s (%.1f s CPU)%s",
                    report.version,
                    ", ".join(report.scopes) or "nothing",
                    report.renders,
                    report.plans_compiled,
                    report.seconds,
                    report.cpu_seconds,
                    "" if report.complete else " (the version changed: starting over)",
                )
                if not report.complete:
                    continue
                warmed = report.version
        time.sleep(POLL_SECONDS)


def start() -> threading.Thread | None:
    """Start this process's warming thread (once), unless ``MAMS_WARM=0`` or the engine is Spark
    (whose one shared session should not take background jobs beside users' queries)."""
    settings = get_settings()
    if not settings.warm or settings.engine != "duckdb":
        return None
    with _lock:
        if not _started:
            thread = threading.Thread(target=_loop, name="mams-warm", daemon=True)
            thread.start()
            _started.append(thread)
        return _started[0]
