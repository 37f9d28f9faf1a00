"""Model runs: parameters, data version, metrics and outputs, recorded and reproducible.

A run of a model *kind* ("segmentation", "value", "crosssell", "churn", "response") opens the
warehouse read-only, loads its features, fits, and writes its outputs as Parquet under
``data.paths.mining_dir()/<run_id>/``; a row in the ops store's ``mining_runs`` table records
the parameters (including the seed), the warehouse data version, the metrics and the output
files. Progress goes to a callback ``progress(fraction, message)``; a cancel signal (a
``threading.Event`` or any callable returning bool) is checked between steps and stops the run
with :class:`Cancelled` (recorded as status "cancelled").

Outputs the cube reads (stable schemas, one row per customer, see :data:`CUSTOMER_OUTPUTS`):
``customers.parquet`` of the latest succeeded run of a kind, found by :func:`latest_output`; a
succeeded segmentation or value run publishes it (``data.scores``) as the cube's segment and
value-tier dimensions for the warehouse version it ran on.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from threadpoolctl import threadpool_limits

from data import ops_store, paths, scores, warehouse
from mining import features, guards, metrics, preflight
from mining.churn import ChurnModel, rank_dormant, risk_frame, score_drivers
from mining.classifier import Cancelled, ScoringModel
from mining.crosssell import (
    PropensityModels,
    affinity_table,
    best_offers,
    product_contribution,
    targets_from,
)
from mining.errors import RunRefused, RunUnderWay
from mining.response import ResponseModel
from mining.rules import AssociationRules
from mining.segmentation import BehaviourSegmenter, migration_matrix
from mining.value import ValueScorer
from settings import get_settings

__all__ = [
    "Cancelled",
    "RunRefused",
    "RunUnderWay",
    "RunResult",
    "RunRecord",
    "run",
    "claim",
    "execute",
    "request_cancel",
    "reap",
    "approval_required",
    "set_approval_required",
    "approve",
    "reject",
    "approval_of",
    "short_reason",
    "form_choices",
    "latest_run",
    "get_run",
    "latest_output",
    "list_runs",
    "CUSTOMER_OUTPUTS",
    "KINDS",
]

# its tables mining_runs, mining_run_live, mining_approvals and mining_settings are in
# data/ops_schema.py

# The per-customer outputs the cube joins as customer dimensions: file customers.parquet.
CUSTOMER_OUTPUTS: dict[str, dict[str, str]] = {
    "segmentation": {
        "customer_id": "BIGINT",
        "segment": "INTEGER (0 = largest segment)",
        "segment_name": "VARCHAR (generated descriptive name)",
        "segment_name_zh": "VARCHAR (the name in Simplified Chinese)",
        "x": "DOUBLE (2-D projection)",
        "y": "DOUBLE (2-D projection)",
    },
    "value": {
        "customer_id": "BIGINT",
        "value_score": "DOUBLE (0-100)",
        "value_tier": "VARCHAR (private, vip, gold, silver, mass)",
        "predicted_score": "DOUBLE",
        "potential_gap": "DOUBLE",
        "potential_tier": "VARCHAR",
        "is_potential": "BOOLEAN",
    },
    "churn": {
        "customer_id": "BIGINT",
        "churn_score": "DOUBLE (probability of closing within the horizon)",
        "value_at_risk": "DOUBLE (yuan per month)",
        "rank": "BIGINT",
    },
    "crosssell": {
        "customer_id": "BIGINT",
        "product": "VARCHAR (product code)",
        "score": "DOUBLE",
        "rank": "BIGINT (rank among the product's non-holders)",
    },
    "response": {
        "customer_id": "BIGINT",
        "score": "DOUBLE",
        "rank": "BIGINT",
        "expected_responses": "DOUBLE",
    },
}

Progress = Callable[[float, str], None]


@dataclass
class RunContext:
    """What a model body gets: where to write, how to report, when to stop."""

    run_id: str
    folder: Path
    params: dict
    progress: Progress
    cancel: Callable[[], bool]
    outputs: dict[str, str] = field(default_factory=dict)

    def step(self, fraction: float, message: str) -> None:
        """Report progress, then stop if cancelled (so cancelling takes effect between steps)."""
        self.progress(fraction, message)
        if self.cancel():
            raise Cancelled(f"run {self.run_id} cancelled at: {message}")

    def write(self, name: str, frame: pd.DataFrame) -> Path:
        """Write an output frame as ``<name>.parquet`` in the run folder."""
        path = self.folder / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        self.outputs[name] = path.name
        return path


@dataclass(frozen=True)
class RunResult:
    """A finished run: id, kind, status, metrics and output paths."""

    run_id: str
    kind: str
    status: str
    params: dict
    data_version: str | None
    metrics: dict
    outputs: dict[str, Path]


def run(
    kind: str,
    params: dict | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | Callable[[], bool] | None = None,
    created_by: str | None = None,
) -> RunResult:
    """Run a model of ``kind`` on the current warehouse and record it: :func:`claim`, then
    :func:`execute` in this process.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    params : dict, optional
        Model parameters (see each ``_run_<kind>``; checked by
        :func:`mining.preflight.validate_params`); ``random_state`` defaults to 0 and
        ``threads`` (CPU threads for the model libraries) to 1.
    progress : callable, optional
        Called with (fraction 0-1, message).
    cancel : threading.Event or callable, optional
        When set (or returning True) the run stops at the next step with :class:`Cancelled`;
        so does a cancel asked for through :func:`request_cancel`.
    created_by : str, optional
        Who started the run (shown in the run list).

    Returns
    -------
    RunResult

    Raises
    ------
    RunUnderWay
        If a run of ``kind`` is already running on this warehouse version.
    RunRefused
        If the parameters are invalid or the data cannot support the model (recorded as failed,
        with the refusal's message key in ``metrics["error"]``).
    Cancelled
        If cancelled; the registry row says "cancelled" and partial outputs are removed.
    """
    return execute(claim(kind, params, created_by), progress, cancel)


START_GRACE_SECONDS = 120  # a claimed run whose process has not started by then never will
PROGRESS_EVERY_SECONDS = 0.25  # progress reaches the ops store at most four times a second
APPROVAL_SETTING = "require_approval"


def _new_run_id(kind: str) -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{kind}-{secrets.token_hex(3)}"


def claim(kind: str, params: dict | None = None, created_by: str | None = None) -> str:
    """Record a 'running' row for a ``kind`` run on the current warehouse version and return
    its id, unless one is under way: the check and the insert are one ops-store transaction
    (``BEGIN IMMEDIATE``), so two requests at once never both start.

    Raises
    ------
    RunUnderWay
        Naming who started the run under way and when (``params``: kind, by, at, run_id).
    RunRefused
        If ``params`` are invalid (:func:`mining.preflight.validate_params`).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {sorted(KINDS)}")
    params = {"random_state": 0, **preflight.validate_params(kind, params)}
    if params.get("random_state") is None:
        params["random_state"] = 0
    version = warehouse.data_version()
    run_id = _new_run_id(kind)
    with ops_store.transaction() as con:
        _reap(con, kind)
        busy = con.execute(
            "SELECT run_id, created_by, started_at FROM mining_runs "
            "WHERE kind = ? AND status = 'running' AND data_version IS NOT DISTINCT FROM ? "
            "ORDER BY started_at LIMIT 1",
            (kind, version),
        ).fetchone()
        if busy is None:
            now = _now()
            con.execute(
                "INSERT INTO mining_runs (run_id, kind, status, params, data_version, started_at, "
                "created_by) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (run_id, kind, json.dumps(params, sort_keys=True, default=_json), version, now, created_by),
            )
            con.execute(
                "INSERT INTO mining_run_live (run_id, fraction, message, updated_at) VALUES (?, 0, ?, ?)",
                (run_id, "waiting to start", now),
            )
    if busy is not None:
        raise RunUnderWay(
            "run.under_way",
            "a {kind} run is already under way on these data (started by {by} at {at})",
            kind=kind,
            by=busy["created_by"] or "?",
            at=busy["started_at"],
            run_id=busy["run_id"],
        )
    return run_id


def _take(run_id: str) -> dict:
    """Mark a claimed run as started by this process (once only: a second taker is refused)."""
    me = psutil.Process()
    with ops_store.transaction() as con:
        row = con.execute(
            "SELECT r.*, l.pid FROM mining_runs r JOIN mining_run_live l USING (run_id) WHERE r.run_id = ?",
            (run_id,),
        ).fetchone()
        if row is not None and row["status"] == "running" and row["pid"] is None:
            con.execute(
                "UPDATE mining_run_live SET pid = ?, host = ?, pid_started = ?, message = ?, updated_at = ? "
                "WHERE run_id = ? AND pid IS NULL",
                (me.pid, socket.gethostname(), me.create_time(), "starting", _now(), run_id),
            )
            return dict(row)
    raise RunRefused("run.not_claimed", "run {run_id} is not waiting to start", run_id=run_id)


def execute(
    run_id: str,
    progress: Progress | None = None,
    cancel: threading.Event | Callable[[], bool] | None = None,
) -> RunResult:
    """Run the claimed run ``run_id`` in this process (a background job calls this) and record
    its progress, outcome and warnings; see :func:`run` for the arguments and errors."""
    row = _take(run_id)
    kind, version, params = row["kind"], row["data_version"], json.loads(row["params"])
    user_cancel = cancel.is_set if isinstance(cancel, threading.Event) else (cancel or (lambda: False))
    flag = _CancelFlag(run_id)
    reporter = _Reporter(run_id, progress)
    folder = paths.mining_dir() / run_id
    folder.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(run_id, folder, params, reporter, lambda: bool(user_cancel() or flag()))
    started = time.perf_counter()
    try:
        ctx.step(0.0, "checking the data")
        if warehouse.data_version() != version:
            raise RunRefused(
                "run.data_changed", "the data were reloaded after the run was asked for; start it again"
            )
        db = warehouse.open_readonly()
        # Background jobs share a small server with the web workers: OpenMP/BLAS threads beyond
        # the cores given spin against each other (a 1 s fit took 80 s under load here).
        with threadpool_limits(limits=params.get("threads", 1)), guards.collecting() as warned:
            try:
                preflight.check(db.cursor(), kind, params)
                metrics = KINDS[kind](db.cursor(), ctx)
            finally:
                db.close()
        warnings_ = guards.distinct([*warned, *metrics.get("warnings", [])])
        if warnings_:
            metrics["warnings"] = warnings_
        metrics["seconds"] = round(time.perf_counter() - started, 3)
        ctx.progress(1.0, "done")
    except Cancelled as exc:
        reporter.close()
        by = flag.by
        _finish(run_id, "cancelled", None, {}, f"cancelled by {by}" if by else str(exc))
        shutil.rmtree(folder, ignore_errors=True)
        raise
    except RunRefused as exc:
        reporter.close()
        _finish(run_id, "failed", {"error": exc.as_dict()}, ctx.outputs, str(exc))
        raise
    except Exception as exc:
        reporter.close()
        reason = short_reason(exc)
        details = {
            "error": {
                "key": "run.failed",
                "params": {"reason": reason},
                "message": f"the run failed: {reason}",
            },
            "traceback": traceback.format_exc()[-4000:],
        }
        _finish(run_id, "failed", details, ctx.outputs, f"{type(exc).__name__}: {exc}")
        raise
    _finish(run_id, "succeeded", metrics, ctx.outputs, None)
    published = scores.OUTPUTS.get(kind)
    if published and version and published in ctx.outputs:
        if approval_required():
            _ask_approval(run_id)
            ctx.progress(1.0, "awaiting approval before publishing")
        else:
            # the cube's segment / value-tier dimensions now show this run's results
            ctx.progress(1.0, "publishing the scores to the cube")
            try:
                scores.publish(kind, version, run_id, folder / ctx.outputs[published])
            except Exception as exc:  # the run itself succeeded: say so, and why the cube lacks it
                _note(run_id, f"succeeded, but its scores were not published to the cube: {exc}")
                raise
            finally:
                reporter.close()
    reporter.close()
    return RunResult(
        run_id, kind, "succeeded", params, version, metrics, {k: folder / v for k, v in ctx.outputs.items()}
    )


def short_reason(exc: BaseException, limit: int = 160) -> str:
    """One line a user can read: the error's type and the first line of its text."""
    text = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Reporter:
    """Progress to the caller at once, and to the ops store at most every
    :data:`PROGRESS_EVERY_SECONDS` (the latest value always lands, a moment later at worst),
    so a reloaded page still shows how far the run is."""

    def __init__(self, run_id: str, progress: Progress | None):
        self.run_id, self.progress = run_id, progress or (lambda f, m: None)
        self.last = 0.0
        self.pending: tuple[float, str] | None = None
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def __call__(self, fraction: float, message: str) -> None:
        self.progress(fraction, message)
        with self.lock:
            self.pending = (float(fraction), str(message))
            wait = self.last + PROGRESS_EVERY_SECONDS - time.monotonic()
            if wait > 0:
                if self.timer is None:
                    self.timer = threading.Timer(wait, self.flush)
                    self.timer.daemon = True
                    self.timer.start()
                return
        self.flush()

    def flush(self) -> None:
        with self.lock:
            self.timer = None
            pending, self.pending = self.pending, None
            if pending is None:
                return
            self.last = time.monotonic()
            with ops_store.transaction() as con:
                con.execute(
                    "UPDATE mining_run_live SET fraction = ?, message = ?, updated_at = ? WHERE run_id = ?",
                    (*pending, _now(), self.run_id),
                )

    def close(self) -> None:
        """Write what is pending now (the run is ending)."""
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        self.flush()


class _CancelFlag:
    """Whether someone asked (:func:`request_cancel`) to stop the run; looked up at most every
    :data:`PROGRESS_EVERY_SECONDS`, and once set it stays set."""

    def __init__(self, run_id: str):
        self.run_id, self.by, self.checked = run_id, None, 0.0

    def __call__(self) -> bool:
        if self.by is None and time.monotonic() - self.checked >= PROGRESS_EVERY_SECONDS:
            self.checked = time.monotonic()
            con = ops_store.connect()
            try:
                sql = "SELECT cancel_by FROM mining_run_live WHERE run_id = ?"
                row = con.execute(sql, (self.run_id,)).fetchone()
            finally:
                con.close()
            self.by = row["cancel_by"] if row is not None else None
        return self.by is not None


def request_cancel(run_id: str, by: str) -> None:
    """Ask a running run to stop: its process checks this flag at every step (after a page
    reload too); a process already gone is recorded as cancelled by the next look at the list.

    Raises
    ------
    RunRefused
        If the run is not running (``"run.not_running"``).
    """
    with ops_store.transaction() as con:
        row = con.execute("SELECT status FROM mining_runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None and row["status"] == "running":
            con.execute(
                "INSERT INTO mining_run_live (run_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT (run_id) DO NOTHING",
                (run_id, _now()),
            )
            con.execute(
                "UPDATE mining_run_live SET cancel_by = ?, cancel_at = ? "
                "WHERE run_id = ? AND cancel_by IS NULL",
                (by, _now(), run_id),
            )
            return
    raise RunRefused("run.not_running", "run {run_id} is not running", run_id=run_id)


def _gone(row) -> str | None:
    """Why a 'running' row's process is not running it any more ("died", "never_started"), or
    None while it may be (or runs on another host, which this process cannot look at)."""
    if row["pid"] is None:
        started = dt.datetime.fromisoformat(row["started_at"]).timestamp()
        return "never_started" if time.time() - started > START_GRACE_SECONDS else None
    if row["host"] != socket.gethostname():
        return None
    try:
        process = psutil.Process(row["pid"])
        if process.status() == psutil.STATUS_ZOMBIE:
            return "died"
        if row["pid_started"] is not None and abs(process.create_time() - row["pid_started"]) > 1.0:
            return "died"  # the pid now belongs to another process
    except psutil.NoSuchProcess:
        return "died"
    return None


_RUNNING_SQL = (
    "SELECT r.run_id, r.started_at, l.pid, l.host, l.pid_started, l.cancel_by "
    "FROM mining_runs r LEFT JOIN mining_run_live l USING (run_id) WHERE r.status = 'running'"
)


def _reap(con, kind: str | None = None) -> int:
    """Inside a write transaction: record running rows whose process is gone as cancelled (if a
    cancel was asked for: the background job was stopped) or failed. Returns how many."""
    sql, args = _RUNNING_SQL, ()
    if kind is not None:
        sql, args = sql + " AND r.kind = ?", (kind,)
    reaped = 0
    for row in con.execute(sql, args).fetchall():
        why = _gone(row)
        if why is None:
            continue
        if row["cancel_by"]:
            status, message, metrics = "cancelled", f"cancelled by {row['cancel_by']}", None
            shutil.rmtree(paths.mining_dir() / row["run_id"], ignore_errors=True)
        else:
            status, key = "failed", f"run.{why}"
            message = {
                "died": "the run's process stopped before it finished (for example the server restarted); "
                "start it again",
                "never_started": "the run's background process never started; start it again",
            }[why]
            metrics = {"error": {"key": key, "params": {}, "message": message}}
        con.execute(
            "UPDATE mining_runs SET status = ?, metrics = ?, message = ?, finished_at = ? "
            "WHERE run_id = ? AND status = 'running'",
            (status, json.dumps(metrics), message, _now(), row["run_id"]),
        )
        reaped += 1
    return reaped


def reap() -> int:
    """Record runs whose process is gone (see :func:`_reap`); cheap when none is: it reads
    first and writes only if a running row looks dead. Returns how many were recorded."""
    con = ops_store.connect()
    try:
        dead = any(_gone(row) for row in con.execute(_RUNNING_SQL).fetchall())
    finally:
        con.close()
    if not dead:
        return 0
    with ops_store.transaction() as con:
        return _reap(con)


# --- approval before publishing ------------------------------------------------------------------


def approval_required() -> bool:
    """Whether a succeeded run's scores wait for an administrator before the cube shows them."""
    con = ops_store.connect()
    try:
        row = con.execute("SELECT value FROM mining_settings WHERE name = ?", (APPROVAL_SETTING,)).fetchone()
    finally:
        con.close()
    return row is not None and row["value"] == "1"


def set_approval_required(required: bool, by: str | None = None) -> None:
    """Turn approval before publishing on or off (the admin page's setting)."""
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO mining_settings (name, value, changed_by, changed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by, "
            "changed_at = excluded.changed_at",
            (APPROVAL_SETTING, "1" if required else "0", by, _now()),
        )


def _ask_approval(run_id: str) -> None:
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO mining_approvals (run_id, state, asked_at) VALUES (?, 'awaiting', ?)",
            (run_id, _now()),
        )


def _decide(run_id: str, state: str, by: str, note: str | None = None) -> RunRecord:
    with ops_store.transaction() as con:
        changed = con.execute(
            "UPDATE mining_approvals SET state = ?, decided_by = ?, decided_at = ?, note = ? "
            "WHERE run_id = ? AND state = 'awaiting'",
            (state, by, _now(), note, run_id),
        ).rowcount
    record = get_run(run_id)
    if not changed or record is None:
        raise RunRefused("approval.not_awaiting", "run {run_id} is not awaiting approval", run_id=run_id)
    return record


def approve(run_id: str, by: str) -> RunRecord:
    """Publish an awaiting run's scores to the cube (``data.scores.publish``) and record who
    approved it. On a publishing error the run is awaiting approval again.

    Raises
    ------
    RunRefused
        If the run is not awaiting approval, or its output file is gone.
    """
    record = _decide(run_id, "approved", by)
    path = record.output(scores.OUTPUTS[record.kind])
    try:
        if path is None or record.data_version is None:
            raise RunRefused("approval.output_missing", "the scores of run {run_id} are gone", run_id=run_id)
        scores.publish(record.kind, record.data_version, run_id, path)
    except Exception as exc:
        with ops_store.transaction() as con:
            con.execute(
                "UPDATE mining_approvals SET state = 'awaiting', decided_by = NULL, decided_at = NULL, "
                "note = ? WHERE run_id = ?",
                (f"publishing failed: {short_reason(exc)}", run_id),
            )
        raise
    return record


def approval_of(run_id: str) -> str | None:
    """The approval state of a run ("awaiting", "approved", "rejected"), None if it needs none."""
    con = ops_store.connect()
    try:
        row = con.execute("SELECT state FROM mining_approvals WHERE run_id = ?", (run_id,)).fetchone()
    finally:
        con.close()
    return row["state"] if row is not None else None


def reject(run_id: str, by: str, note: str | None = None) -> RunRecord:
    """Record that an awaiting run's scores are not to be published."""
    return _decide(run_id, "rejected", by, note)


def form_choices() -> dict:
    """What a run form offers on the current data: ``products`` (code, name_en, name_zh,
    category), ``categories``, ``channels`` and the latest campaign's ``product_category``
    and ``channel_code`` (the response run's defaults, None without campaigns)."""
    return _choices(warehouse.data_version())


@functools.lru_cache(maxsize=4)
def _choices(version: str | None) -> dict:
    empty = {"products": [], "categories": list(features.CATEGORIES), "channels": list(features.CHANNELS)}
    if version is None:
        return {**empty, "product_category": None, "channel_code": None}
    settings = get_settings()  # the serving process's own limits: DuckDB shares one instance per file
    db = warehouse.open_readonly(threads=settings.duckdb_threads, memory_limit=settings.duckdb_memory)
    try:
        con = db.cursor()
        products = [
            dict(zip(("code", "name_en", "name_zh", "category"), r, strict=True))
            for r in con.execute(
                "SELECT product_code, name_en, name_zh, category FROM products ORDER BY product_code"
            ).fetchall()
        ]
        latest = con.execute(
            """SELECT p.category, ch.channel_code FROM campaign_contacts cc
               JOIN campaigns ca USING (campaign_id) JOIN products p ON p.product_id = ca.product_id
               JOIN channels ch ON ch.channel_id = cc.channel_id
               ORDER BY cc.contacted_date DESC LIMIT 1"""
        ).fetchone()
    finally:
        db.close()
    return {
        **empty,
        "products": products,
        "product_category": latest[0] if latest else None,
        "channel_code": latest[1] if latest else None,
    }


def _finish(run_id: str, status: str, metrics: dict | None, outputs: dict, message: str | None) -> None:
    with ops_store.transaction() as con:
        con.execute(
            "UPDATE mining_runs SET status = ?, metrics = ?, outputs = ?, message = ?, finished_at = ? "
            "WHERE run_id = ?",
            (status, json.dumps(metrics, default=_json), json.dumps(outputs), message, _now(), run_id),
        )


def _note(run_id: str, message: str) -> None:
    with ops_store.transaction() as con:
        con.execute("UPDATE mining_runs SET message = ? WHERE run_id = ?", (message, run_id))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _json(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def list_runs(kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The run registry (newest first), optionally for one kind; JSON columns decoded.

    Runs whose process is gone are recorded first (:func:`reap`). Besides the registry's own
    columns: ``fraction``, ``progress_message`` and ``progress_at`` (the latest progress),
    ``pid``, ``host``, ``cancel_by`` (who asked to cancel), ``approval`` ("awaiting",
    "approved", "rejected" or None) and ``approval_by``.
    """
    reap()
    con = ops_store.connect()
    try:
        sql = (
            "SELECT r.*, l.fraction, l.message AS progress_message, l.updated_at AS progress_at, "
            "l.pid, l.host, l.cancel_by, a.state AS approval, a.decided_by AS approval_by "
            "FROM mining_runs r LEFT JOIN mining_run_live l USING (run_id) "
            "LEFT JOIN mining_approvals a USING (run_id)"
            + (" WHERE r.kind = ?" if kind else "")
            # ties within a second: insertion order on SQLite (rowid), the run id on PostgreSQL
            + (
                " ORDER BY r.started_at DESC, r.rowid DESC"
                if con.dialect == "sqlite"
                else " ORDER BY r.started_at DESC, r.run_id DESC"
            )
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        rows = [dict(r) for r in con.execute(sql, (kind,) if kind else ()).fetchall()]
    finally:
        con.close()
    for row in rows:
        for key in ("params", "metrics", "outputs"):
            row[key] = json.loads(row[key]) if row[key] else None
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RunRecord:
    """One row of the registry, JSON decoded; ``output(name)`` is the path of one output file."""

    run_id: str
    kind: str
    status: str
    params: dict
    data_version: str | None
    metrics: dict
    outputs: dict[str, str]
    message: str | None
    started_at: str
    finished_at: str | None
    created_by: str | None

    def output(self, name: str) -> Path | None:
        """Path of output ``name`` if the run wrote it and the file still exists."""
        if name not in self.outputs:
            return None
        path = paths.mining_dir() / self.run_id / self.outputs[name]
        return path if path.exists() else None

    @property
    def month(self) -> str | None:
        """The month the run scored (``"YYYY-MM"``), if it records one."""
        value = self.metrics.get("month")
        return str(value)[:7] if value else None


def _record(row) -> RunRecord:
    return RunRecord(
        row["run_id"],
        row["kind"],
        row["status"],
        json.loads(row["params"] or "{}"),
        row["data_version"],
        json.loads(row["metrics"] or "null") or {},
        json.loads(row["outputs"] or "null") or {},
        row["message"],
        row["started_at"],
        row["finished_at"],
        row["created_by"],
    )


def latest_run(kind: str, data_version: str | None) -> RunRecord | None:
    """The latest succeeded run of ``kind`` on ``data_version`` that is not awaiting an
    administrator's approval or rejected (pages pass the served version, so they never show
    scores fitted on other data, nor output an administrator has not let through), or ``None``."""
    if data_version is None:
        return None
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT * FROM mining_runs WHERE kind = ? AND status = 'succeeded' AND data_version = ? "
            "AND run_id NOT IN (SELECT run_id FROM mining_approvals WHERE state <> 'approved') "
            "ORDER BY finished_at DESC, run_id DESC LIMIT 1",
            (kind, data_version),
        ).fetchone()
    finally:
        con.close()
    return _record(row) if row is not None else None


def get_run(run_id: str) -> RunRecord | None:
    """One run of the registry by id, or ``None``."""
    con = ops_store.connect()
    try:
        row = con.execute("SELECT * FROM mining_runs WHERE run_id = ?", (run_id,)).fetchone()
    finally:
        con.close()
    return _record(row) if row is not None else None


def latest_output(kind: str, name: str = "customers", data_version: str | None = None) -> Path | None:
    """Path of output ``name`` of the latest succeeded run of ``kind`` (optionally for one data
    version), or ``None`` if there is none. The cube reads ``customers`` outputs as dimensions."""
    con = ops_store.connect()
    try:
        sql = "SELECT run_id, outputs FROM mining_runs WHERE kind = ? AND status = 'succeeded'"
        args: tuple = (kind,)
        if data_version is not None:
            sql += " AND data_version = ?"
            args += (data_version,)
        row = con.execute(sql + " ORDER BY finished_at DESC, run_id DESC LIMIT 1", args).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    outputs = json.loads(row["outputs"] or "{}")
    if name not in outputs:
        return None
    path = paths.mining_dir() / row["run_id"] / outputs[name]
    return path if path.exists() else None


# --- model bodies ------------------------------------------------------------------------------


def _month(con, ctx: RunContext) -> dt.date:
    value = ctx.params.get("month")
    return dt.date.fromisoformat(value) if value else features.last_month(con)


def _run_segmentation(con, ctx: RunContext) -> dict:
    """Params: month, window (6), n_factors (4), n_clusters (None = by silhouette),
    cluster_on ("features"), compare_months_back (6, for the migration matrix; 0 = none),
    stability_resamples (3 bootstrap pairs per candidate k; 0 = none)."""
    p = ctx.params
    month = _month(con, ctx)
    ctx.step(0.05, "loading behaviour features")
    frame = features.behaviour_frame(con, month, window=p.get("window", 6))
    ctx.step(0.3, "factor analysis and clustering")
    seg = BehaviourSegmenter(
        features=list(features.BEHAVIOUR_FEATURES),
        n_factors=p.get("n_factors", 4),
        n_clusters=p.get("n_clusters"),
        cluster_on=p.get("cluster_on", "features"),
        stability_resamples=p.get("stability_resamples", 3),
        random_state=p["random_state"],
    ).fit(frame)
    ctx.step(0.8, "writing outputs")
    names = dict(zip(seg.profiles_["segment"], seg.profiles_["segment_name"], strict=True))
    names_zh = dict(zip(seg.profiles_["segment"], seg.profiles_["segment_name_zh"], strict=True))
    customers = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].to_numpy(np.int64),
            "segment": seg.labels_.astype(np.int32),
            "segment_name": [names[s] for s in seg.labels_],
            "segment_name_zh": [names_zh[s] for s in seg.labels_],
            "x": seg.projection_["x"].to_numpy(),
            "y": seg.projection_["y"].to_numpy(),
        }
    )
    ctx.write("customers", customers)
    ctx.write("profiles", seg.profiles_)
    ctx.write("loadings", seg.loadings_.reset_index(names="feature"))
    ctx.write("factors", seg.factor_variance_.T.reset_index(names="factor"))
    ctx.write("zscores", seg.zscores_.reset_index(names="segment"))
    ctx.write("stability", seg.stability_)
    stability = seg.stability_.groupby("k")["ari"].agg(["mean", "min"])
    ks = sorted(set(seg.silhouettes_) | set(stability.index))
    k_choice = pd.DataFrame(
        {
            "k": ks,
            "silhouette": [seg.silhouettes_.get(k, np.nan) for k in ks],
            "stability": [stability["mean"].get(k, np.nan) for k in ks],
            "stability_min": [stability["min"].get(k, np.nan) for k in ks],
            "chosen": [k == seg.n_clusters_ for k in ks],
        }
    )
    ctx.write("k_choice", k_choice)
    back = p.get("compare_months_back", 6)
    if back:
        earlier = features.shift_month(month, -back)
        if earlier in features.months(con):
            ctx.step(0.9, "migration matrix")
            before = features.behaviour_frame(con, earlier, window=p.get("window", 6))
            before = pd.DataFrame({"customer_id": before["customer_id"], "segment": seg.predict(before)})
            matrix = migration_matrix(before, customers)
            ctx.write("migration", matrix.reset_index().rename(columns=str))
    return {
        "month": month.isoformat(),
        "customers": len(frame),
        "n_clusters": seg.n_clusters_,
        "silhouettes": seg.silhouettes_,
        "stability": {int(k): float(v) for k, v in stability["mean"].items()},
        "factor_names": seg.factor_names_,
    }


def _run_value(con, ctx: RunContext) -> dict:
    """Params: month, weights (dict), potential_gap (20)."""
    p = ctx.params
    month = _month(con, ctx)
    ctx.step(0.05, "loading value and profile features")
    behaviour = features.behaviour_frame(con, month, window=p.get("window", 12))
    profile = features.profile_frame(con, month).drop(columns=["tenure_months", "age", "branch_id"])
    frame = behaviour[
        ["customer_id", "aum", "contribution", "txn_count", "tenure_months", "product_count", "age"]
    ]
    frame = frame.merge(profile, on="customer_id", how="left")
    ctx.step(0.3, "scoring and predicting potential")
    scorer = ValueScorer(
        weights=p.get("weights"),
        profile_columns=["age", "gender", "income_band", "occupation", "credit_grade", "is_signed"],
        potential_gap=p.get("potential_gap", 20.0),
        random_state=p["random_state"],
    ).fit(frame)
    ctx.step(0.9, "writing outputs")
    ctx.write("customers", scorer.scores_)
    summary = scorer.tier_summary(frame)
    ctx.write("tiers", summary)
    return {
        "month": month.isoformat(),
        "customers": len(frame),
        "potential": int(scorer.scores_["is_potential"].sum()),
        "thresholds": scorer.thresholds_,
    }


def _run_crosssell(con, ctx: RunContext) -> dict:
    """Params: month, min_support (0.01), min_confidence (0.1), products (None = all),
    train_size (50000), top (1000 targets per product), graph_edges (50).

    Writes the rules and their graph, per product the holdout quality (``metrics``, ``gains``,
    ``deciles``, ``calibration``, ``drivers``), the target lists (``customers``), the product
    values (``values``), every customer's best next offer (``best_offer``, published to the
    cube) and the segment x product affinity over the segmentation of the same data version.
    """
    p = ctx.params
    month = _month(con, ctx)
    ctx.step(0.05, "loading holdings")
    held = features.product_matrix(con, month, level="product")
    rules = AssociationRules(p.get("min_support", 0.01), p.get("min_confidence", 0.1)).fit(held)
    ctx.write("rules", _rules_for_parquet(rules.rules_))
    nodes, edges = rules.graph(top=p.get("graph_edges", 50))
    ctx.write("graph_nodes", nodes)
    ctx.write("graph_edges", edges)
    ctx.step(0.2, "loading behaviour features")
    behaviour = features.behaviour_frame(con, month)
    behaviour = behaviour[behaviour["customer_id"].isin(held.index)]
    held = held.loc[behaviour["customer_id"].to_numpy()]
    X = behaviour.drop(columns=[c for c in behaviour.columns if c.startswith("has_")])

    def progress(fraction: float, message: str) -> None:
        ctx.step(0.25 + 0.55 * fraction, message)

    models = PropensityModels(
        products=p.get("products"),
        train_size=p.get("train_size", 50_000),
        random_state=p["random_state"],
        own_features=features.own_balance_features(con),
    ).fit(held, X, progress=progress)
    ctx.write("metrics", models.metrics_)
    for name, per_product in (
        ("gains", models.gains_),
        ("deciles", models.deciles_),
        ("calibration", models.calibration_),
        ("drivers", models.drivers_),
        ("holdout", models.holdout_),
    ):
        if per_product:
            frames = [f.assign(product=k) for k, f in per_product.items()]
            ctx.write(name, pd.concat(frames, ignore_index=True))
    ctx.step(0.82, "scoring every customer for every product")
    matrix = models.score_matrix(held, X)
    ids = X["customer_id"].to_numpy()
    top = p.get("top", 1000)
    targets = [targets_from(matrix, ids, product, top=top) for product in models.models_]
    if targets:
        ctx.write("customers", pd.concat(targets, ignore_index=True))
    values = product_contribution(con, month)
    ctx.write("values", values)
    offers = best_offers(matrix, ids, dict(zip(values["product"], values["value"], strict=True)))
    ctx.write("best_offer", offers)
    ctx.step(0.95, "segment x product affinity")
    # the segmentation of this very data version: another version's segments may belong to
    # other customers (or the same ids of another bank)
    segmentation = latest_run("segmentation", warehouse.data_version())
    segments = segmentation.output("customers") if segmentation is not None else None
    if segments is not None:
        seg = pd.read_parquet(segments, columns=["customer_id", "segment"])
        aligned = seg.set_index("customer_id").reindex(held.index)["segment"]
        mask = aligned.notna().to_numpy()
        if mask.any():
            table = affinity_table(held[mask], aligned[mask].astype(int).to_numpy())
            ctx.write("affinity", table.reset_index(names="segment"))
    return {
        "month": month.isoformat(),
        "customers": len(held),
        "rules": len(rules.rules_),
        "products_modelled": len(models.models_),
        "mean_auc": float(models.metrics_["auc"].mean()) if len(models.metrics_) else None,
        "offers": len(offers),
        "segmentation_run": segmentation.run_id if segmentation is not None else None,
    }


def _rules_for_parquet(rules: pd.DataFrame) -> pd.DataFrame:
    out = rules.copy()
    out["antecedent"] = [list(a) for a in out["antecedent"]]
    return out


def _churn_training(con, month: dt.date, horizon: int, months_back: int) -> pd.DataFrame:
    parts = []
    for k in range(months_back):
        ref = features.shift_month(month, -k)
        frame = features.trend_frame(con, ref).merge(
            features.churn_labels(con, ref, horizon), on="customer_id"
        )
        parts.append(frame.assign(reference_month=ref))
    return pd.concat(parts, ignore_index=True)


CHURN_DROP = ("customer_id", "churned", "reference_month", "reactivated")


def _run_churn(con, ctx: RunContext) -> dict:
    """Params: horizon (3 months), train_months (6 reference months stacked), top (None).

    Time-based holdout: train on reference months ending ``2 * horizon`` months before the last
    month, test on the reference month ``horizon`` months before it (its labels are complete),
    then refit on everything labelled and score the customers open in the last month.
    Writes the holdout quality (``metrics``, ``gain``, ``deciles``, ``calibration``,
    ``drivers``), the warning list (``customers``), the dormancy outputs (``dormant`` and
    ``dormancy_*``) and ``risk``, one row per customer, published to the cube.
    """
    p = ctx.params
    horizon, back = p.get("horizon", 3), p.get("train_months", 6)
    last = features.last_month(con)
    test_month = features.shift_month(last, -horizon)
    train_month = features.shift_month(test_month, -horizon)
    if train_month not in features.months(con):
        raise ValueError(
            f"churn needs at least {2 * horizon + 1} months of data (a {horizon}-month horizon "
            "to learn from and another to test on); load a longer history or shorten the horizon"
        )
    ctx.step(0.05, "loading training months")
    train = _churn_training(con, train_month, horizon, back)
    test = _churn_training(con, test_month, horizon, 1)
    if not train["churned"].any():
        raise ValueError(
            "no customer closed their relationship in the training months, so churn cannot be "
            "trained; it needs data in which some customers leave"
        )
    if not test["churned"].any() or test["churned"].all():
        raise ValueError(
            f"no customer closed their relationship in the {horizon} months after "
            f"{test_month:%Y-%m}, so the churn model cannot be tested on them"
        )
    cols = [c for c in train.columns if c not in CHURN_DROP]
    ctx.step(0.4, "fitting churn model")
    model = ChurnModel(random_state=p["random_state"]).fit(train[cols], train["churned"])
    ctx.step(0.6, "evaluating on the time-based holdout")
    y_test = test["churned"].to_numpy(bool)
    holdout = pd.DataFrame({"customer_id": test["customer_id"], "y": y_test})
    holdout["score"] = model.score_samples(test[cols])
    ctx.write("holdout", holdout)
    quality = metrics.quality_frames(y_test, holdout["score"].to_numpy())
    report = quality["metrics"].iloc[0].to_dict()
    drivers = model.drivers(test[cols], y_test)
    for name in ("metrics", "gain", "deciles", "calibration"):
        ctx.write(name, quality[name])
    ctx.write("drivers", drivers)
    ctx.step(0.75, "scoring current customers")
    current = features.trend_frame(con, last)
    warnings_ = model.warning_list(current[cols], current["customer_id"], value=current["contribution"])
    ctx.write("customers", warnings_)
    # the driver behind each score, among the five strongest numeric drivers
    strongest = [f for f in drivers["feature"] if pd.api.types.is_numeric_dtype(current[f])][:5]
    reasons = pd.DataFrame(
        {
            "customer_id": current["customer_id"],
            "churn_driver": score_drivers(model, current[cols], strongest),
        }
    )
    ctx.step(0.85, "ranking dormant customers")
    dormant_metrics, dormant = _dormancy(con, ctx, last, horizon, cols)
    ctx.write("risk", risk_frame(warnings_.merge(reasons, on="customer_id", how="left"), dormant))
    return {
        "holdout": report,
        "train_rows": len(train),
        "train_churners": int(train["churned"].sum()),
        "test_month": test_month.isoformat(),
        "month": last.isoformat(),
        "top_drivers": drivers["feature"].head(5).tolist(),
        **dormant_metrics,
    }


def _dormancy(con, ctx: RunContext, last: dt.date, horizon: int, cols: list[str]):
    """Reactivation model on the customers dormant ``horizon`` months ago (labels complete):
    quality on a seeded quarter held out (``dormancy_*`` outputs), then refit on all of them
    and rank the customers dormant now (``dormant``). Returns (metrics, ranked frame or None)."""
    ref = features.shift_month(last, -horizon)
    past = features.trend_frame(con, ref).merge(
        features.reactivation_labels(con, ref, horizon), on="customer_id"
    )
    past = past[past["is_dormant"] == 1].reset_index(drop=True)
    now = features.trend_frame(con, last)
    now = now[now["is_dormant"] == 1]
    if len(now) == 0:
        return {"dormant": 0}, None
    y = past["reactivated"].to_numpy(bool)
    params = {"random_state": ctx.params["random_state"], "early_stopping": False, "max_iter": 100}
    out: dict = {}
    if len(past) >= 20 and y.any() and not y.all():
        rng = np.random.default_rng(ctx.params["random_state"])
        test = np.zeros(len(past), dtype=bool)
        test[rng.permutation(len(past))[: len(past) // 4]] = True
        if y[test].any() and not y[test].all() and y[~test].any() and not y[~test].all():
            held_out = ScoringModel(**params).fit(past.loc[~test, cols], y[~test])
            holdout = pd.DataFrame({"y": y[test], "score": held_out.score_samples(past.loc[test, cols])})
            ctx.write("dormancy_holdout", holdout)
            quality = metrics.quality_frames(y[test], holdout["score"].to_numpy())
            for name, frame in quality.items():
                ctx.write(f"dormancy_{name}", frame)
            ctx.write("dormancy_drivers", held_out.drivers(past.loc[test, cols], y[test]))
            out["dormancy_holdout"] = quality["metrics"].iloc[0].to_dict()
        model = ScoringModel(**params).fit(past[cols], y)
    else:
        # Too few dormant customers to learn from: rank by past value alone.
        model = _Constant(float(y.mean()) if len(y) else 0.0)
    ranked = rank_dormant(model, now[cols], now["customer_id"], now["contribution"])
    ctx.write("dormant", ranked)
    out |= {"dormant": len(now), "dormant_reactivated_rate": float(y.mean()) if len(y) else None}
    return out, ranked


class _Constant:
    def __init__(self, p: float):
        self.p = p

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.p)


RESPONSE_DROP = ("campaign_id", "customer_id", "contacted_date", "responded", "contacted")


def _run_response(con, ctx: RunContext) -> dict:
    """Params: product_category and channel_code of the new campaign (default: those of the
    latest campaign), top (1000). Holdout: the last 20% of contacts in time; its quality is
    written as ``metrics``, ``gain``, ``deciles``, ``calibration`` and ``drivers``."""
    p = ctx.params
    ctx.step(0.05, "loading campaign history")
    history = features.response_frame(con)
    history = history[history["contacted"] == 1].reset_index(drop=True)
    if history.empty:
        raise ValueError(
            "no campaign contacts in the data, so the response model cannot be trained; "
            "it learns from past campaigns and who responded to them"
        )
    if history["responded"].all() or not history["responded"].any():
        raise ValueError("every past contact had the same outcome, so there is no response to learn")
    cols = [c for c in history.columns if c not in RESPONSE_DROP]
    cut = int(len(history) * 0.8)
    y = history["responded"].to_numpy(bool)
    if y[:cut].all() or not y[:cut].any() or y[cut:].all() or not y[cut:].any():
        raise ValueError("too few responses among the past contacts to train and test a response model")
    ctx.step(0.3, "fitting on the earlier 80% of contacts")
    model = ResponseModel(random_state=p["random_state"]).fit(history.loc[: cut - 1, cols], y[:cut])
    holdout = pd.DataFrame({"y": y[cut:], "score": model.score_samples(history.loc[cut:, cols])})
    ctx.write("holdout", holdout)
    quality = metrics.quality_frames(y[cut:], holdout["score"].to_numpy())
    for name, frame in quality.items():
        ctx.write(name, frame)
    ctx.write("drivers", model.drivers(history.loc[cut:, cols], y[cut:]))
    ctx.step(0.6, "refitting on all contacts")
    model = ResponseModel(random_state=p["random_state"]).fit(history[cols], history["responded"])
    latest = history.iloc[-1]
    category = p.get("product_category", latest["product_category"])
    channel = p.get("channel_code", latest["channel_code"])
    ctx.step(0.8, "scoring candidates for the new campaign")
    candidates = features.response_candidates(con, category, channel)
    contacts = model.contact_list(candidates[cols], candidates["customer_id"], top=p.get("top", 1000))
    ctx.write("customers", contacts)
    return {
        "holdout": quality["metrics"].iloc[0].to_dict(),
        "contacts_history": len(history),
        "product_category": str(category),
        "channel_code": str(channel),
    }


KINDS: dict[str, Callable[..., dict]] = {
    "segmentation": _run_segmentation,
    "value": _run_value,
    "crosssell": _run_crosssell,
    "churn": _run_churn,
    "response": _run_response,
}
