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
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from data import ops_store, paths, scores, warehouse
from mining import features
from mining.churn import ChurnModel, rank_dormant
from mining.classifier import Cancelled, ScoringModel
from mining.crosssell import PropensityModels, affinity_table
from mining.response import ResponseModel
from mining.rules import AssociationRules
from mining.segmentation import BehaviourSegmenter, migration_matrix
from mining.value import ValueScorer

__all__ = [
    "Cancelled",
    "RunResult",
    "RunRecord",
    "run",
    "latest_run",
    "get_run",
    "latest_output",
    "list_runs",
    "CUSTOMER_OUTPUTS",
    "KINDS",
]

DDL = """
CREATE TABLE IF NOT EXISTS mining_runs (
    run_id       TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    params       TEXT NOT NULL,      -- JSON, includes random_state (the seed)
    data_version TEXT,
    metrics      TEXT,               -- JSON
    outputs      TEXT,               -- JSON: output name -> file name in the run folder
    message      TEXT,               -- error or cancel message
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    created_by   TEXT
);
CREATE INDEX IF NOT EXISTS mining_runs_kind ON mining_runs (kind, status, started_at);
"""
ops_store.register_schema("mining", DDL)

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
    """Run a model of ``kind`` on the current warehouse and record it.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    params : dict, optional
        Model parameters (see each ``_run_<kind>``); ``random_state`` defaults to 0 and
        ``threads`` (CPU threads for the model libraries) to 1.
    progress : callable, optional
        Called with (fraction 0-1, message).
    cancel : threading.Event or callable, optional
        When set (or returning True) the run stops at the next step with :class:`Cancelled`.

    Returns
    -------
    RunResult

    Raises
    ------
    Cancelled
        If cancelled; the registry row says "cancelled" and partial outputs are removed.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {sorted(KINDS)}")
    params = {"random_state": 0, **(params or {})}
    is_cancelled = cancel.is_set if isinstance(cancel, threading.Event) else (cancel or (lambda: False))
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{kind}-{secrets.token_hex(3)}"
    folder = paths.mining_dir() / run_id
    folder.mkdir(parents=True)
    ctx = RunContext(run_id, folder, params, progress or (lambda f, m: None), is_cancelled)
    version = warehouse.data_version()
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO mining_runs (run_id, kind, status, params, data_version, started_at, created_by) "
            "VALUES (?, ?, 'running', ?, ?, ?, ?)",
            (run_id, kind, json.dumps(params, sort_keys=True), version, _now(), created_by),
        )
    started = time.perf_counter()
    try:
        db = warehouse.open_readonly(threads=2, memory_limit="4GB")
        # Background jobs share a small server with the web workers: OpenMP/BLAS threads beyond
        # the cores given spin against each other (a 1 s fit took 80 s under load here).
        with threadpool_limits(limits=params.get("threads", 1)):
            try:
                metrics = KINDS[kind](db.cursor(), ctx)
            finally:
                db.close()
        metrics["seconds"] = round(time.perf_counter() - started, 3)
        ctx.progress(1.0, "done")
    except Cancelled as exc:
        _finish(run_id, "cancelled", None, {}, str(exc))
        for path in folder.glob("*"):
            path.unlink()
        folder.rmdir()
        raise
    except Exception as exc:
        _finish(run_id, "failed", None, ctx.outputs, f"{type(exc).__name__}: {exc}")
        raise
    _finish(run_id, "succeeded", metrics, ctx.outputs, None)
    published = scores.OUTPUTS.get(kind)
    if published and version and published in ctx.outputs:
        # the cube's segment / value-tier dimensions now show this run's results
        ctx.progress(1.0, "publishing the scores to the cube")
        try:
            scores.publish(kind, version, run_id, folder / ctx.outputs[published])
        except Exception as exc:  # the run itself succeeded: say so, and why the cube lacks it
            _note(run_id, f"succeeded, but its scores were not published to the cube: {exc}")
            raise
    return RunResult(
        run_id, kind, "succeeded", params, version, metrics, {k: folder / v for k, v in ctx.outputs.items()}
    )


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


def list_runs(kind: str | None = None) -> pd.DataFrame:
    """The run registry (newest first), optionally for one kind; JSON columns decoded."""
    con = ops_store.connect()
    try:
        sql = "SELECT * FROM mining_runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY started_at DESC"
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
    """The latest succeeded run of ``kind`` on ``data_version`` (pages pass the served version,
    so they never show scores fitted on other data), or ``None``."""
    if data_version is None:
        return None
    con = ops_store.connect()
    try:
        row = con.execute(
            "SELECT * FROM mining_runs WHERE kind = ? AND status = 'succeeded' AND data_version = ? "
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
    cluster_on ("features"), compare_months_back (6, for the migration matrix; 0 = none)."""
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
    train_size (50000), top (1000 targets per product)."""
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
        ctx.step(0.25 + 0.6 * fraction, message)

    models = PropensityModels(
        products=p.get("products"),
        train_size=p.get("train_size", 50_000),
        random_state=p["random_state"],
        own_features=features.own_balance_features(con),
    ).fit(held, X, progress=progress)
    ctx.write("metrics", models.metrics_)
    gains = [g.assign(product=k) for k, g in models.gains_.items()]
    if gains:
        ctx.write("gains", pd.concat(gains, ignore_index=True))
    top = p.get("top", 1000)
    targets = [models.targets(held, X, X["customer_id"], product, top=top) for product in models.models_]
    ctx.write("customers", pd.concat(targets, ignore_index=True))
    ctx.step(0.95, "segment x product affinity")
    segments = latest_output("segmentation")
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
    """
    p = ctx.params
    horizon, back = p.get("horizon", 3), p.get("train_months", 6)
    last = features.last_month(con)
    test_month = features.shift_month(last, -horizon)
    train_month = features.shift_month(test_month, -horizon)
    ctx.step(0.05, "loading training months")
    train = _churn_training(con, train_month, horizon, back)
    test = _churn_training(con, test_month, horizon, 1)
    cols = [c for c in train.columns if c not in CHURN_DROP]
    ctx.step(0.4, "fitting churn model")
    model = ChurnModel(random_state=p["random_state"]).fit(train[cols], train["churned"])
    ctx.step(0.6, "evaluating on the time-based holdout")
    report = model.evaluate(test[cols], test["churned"])
    drivers = model.drivers(test[cols], test["churned"])
    ctx.write("gain", report["gain"])
    ctx.write("deciles", report["deciles"])
    ctx.write("drivers", drivers)
    ctx.step(0.75, "scoring current customers")
    current = features.trend_frame(con, last)
    warnings_ = model.warning_list(current[cols], current["customer_id"], value=current["contribution"])
    ctx.write("customers", warnings_)
    ctx.step(0.85, "ranking dormant customers")
    dormant_metrics = _dormancy(con, ctx, last, horizon, cols)
    return {
        "holdout": report["metrics"],
        "train_rows": len(train),
        "train_churners": int(train["churned"].sum()),
        "test_month": test_month.isoformat(),
        "top_drivers": drivers["feature"].head(5).tolist(),
        **dormant_metrics,
    }


def _dormancy(con, ctx: RunContext, last: dt.date, horizon: int, cols: list[str]) -> dict:
    ref = features.shift_month(last, -horizon)
    past = features.trend_frame(con, ref).merge(
        features.reactivation_labels(con, ref, horizon), on="customer_id"
    )
    past = past[past["is_dormant"] == 1]
    now = features.trend_frame(con, last)
    now = now[now["is_dormant"] == 1]
    if len(now) == 0:
        return {"dormant": 0}
    y = past["reactivated"].to_numpy(bool)
    if len(past) >= 20 and y.any() and not y.all():
        model = ScoringModel(random_state=ctx.params["random_state"], early_stopping=False, max_iter=100)
        model.fit(past[cols], y)
    else:
        # Too few dormant customers to learn from: rank by past value alone.
        model = _Constant(float(y.mean()) if len(y) else 0.0)
    ranked = rank_dormant(model, now[cols], now["customer_id"], now["contribution"])
    ctx.write("dormant", ranked)
    return {"dormant": len(now), "dormant_reactivated_rate": float(y.mean()) if len(y) else None}


class _Constant:
    def __init__(self, p: float):
        self.p = p

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        return np.full(len(X), self.p)


RESPONSE_DROP = ("campaign_id", "customer_id", "contacted_date", "responded", "contacted")


def _run_response(con, ctx: RunContext) -> dict:
    """Params: product_category and channel_code of the new campaign (default: those of the
    latest campaign), top (1000). Holdout: the last 20% of contacts in time."""
    p = ctx.params
    ctx.step(0.05, "loading campaign history")
    history = features.response_frame(con)
    history = history[history["contacted"] == 1].reset_index(drop=True)
    cols = [c for c in history.columns if c not in RESPONSE_DROP]
    cut = int(len(history) * 0.8)
    ctx.step(0.3, "fitting on the earlier 80% of contacts")
    model = ResponseModel(random_state=p["random_state"]).fit(
        history.loc[: cut - 1, cols], history["responded"][:cut]
    )
    report = model.evaluate(history.loc[cut:, cols], history["responded"][cut:])
    ctx.write("gain", report["gain"])
    ctx.write("deciles", report["deciles"])
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
        "holdout": report["metrics"],
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
