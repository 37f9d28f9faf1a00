"""The Segmentation view: the segmentation and value runs shown for the data being served.

Everything here reads the runs of the **served data version** only
(:func:`cube.views.shown_runs.shown_run`, the version from :mod:`cube.connection`): scores
of another load may belong to other customers; after a monthly append, the run whose scores
were carried over to the new version (the page says which month they describe). Two kinds of figures:

- **The model's own outputs** (Parquet files of the run, read once per run id and kept in a
  small cache, only the columns needed): factor loadings and the variance each factor explains,
  the 2-D map (a fixed random sample of at most :data:`MAP_POINTS` customers), each feature's
  z-score per segment (segment mean - overall mean) / overall standard deviation, the
  silhouette and the stability (mean adjusted Rand index between fits on bootstrap resamples)
  of every candidate k, and the migration matrices. These describe the model over all the
  customers it was fitted on.
- **Cube figures under the caller's scope and the filter bar**, in the run's month: customers,
  AUM and contribution per segment (``customers.segment``, published by the run) and their
  shares of the customers in scope (customers the run did not score are one "Not scored"
  row, so shares add up to 1); customers and AUM per value tier (the value pyramid); the
  potential big customers (``customers.value_potential``) as a customer list, masked and
  scoped by the cube like every drill-through.

Segment names are the run's generated names unless an analyst renamed them
(:mod:`mining.segment_names`); a rename republishes the run, so the cube's labels agree.

Builders (``*_query``) take a :class:`ViewState`; runners take ``(state, scope, lang)``;
:func:`render` runs everything the page shows (the benchmark times it).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from cube import api, connection
from cube.api import Filter, Query, Scope
from cube.model.labels import DETAIL_COLUMNS, NOT_SCORED
from cube.views.shown_runs import shown_run
from cube.views.state import ViewState, month_date
from data import scores
from mining import runs, segment_names
from mining.segmentation import factor_label, feature_label

CUBE = "customers"
PAGE = "segmentation"
PATH = "/segmentation"
MODELS_PATH = "/models"
MAP_POINTS = 5000
MAP_DECIMALS = 4
POTENTIAL_ROWS = 50
VALUE_TIERS = ("private", "vip", "gold", "silver", "mass")
# the other views a segment opens, filtered to it (the filter bar's segment filter)
RELATED_PAGES = {"customers": "/customers", "products": "/products", "channels": "/channels", "overview": "/"}
# Chart keys ("<view>:<chart>"): the click menu and the cross-filter name charts by these.
SEGMENTS_CHART = "segmentation:segments"
ZSCORE_CHART = "segmentation:zscores"
MAP_CHART = "segmentation:map"
MIGRATION_CHART = "segmentation:migration"
PYRAMID_CHART = "segmentation:pyramid"
POTENTIAL_CHART = "segmentation:potential"
SEGMENT_MEASURES = ("customers.customers", "customers.aum", "customers.contribution")
PYRAMID_MEASURES = ("customers.customers", "customers.aum")
# the columns of the potential big customers' list beyond the cube's detail columns
POTENTIAL_COLUMNS = ("value_score",)


# --- the runs ---------------------------------------------------------------------------------


def served_version() -> str | None:
    """The warehouse version the cube serves (runs on other versions are never shown)."""
    return connection.warehouse_version()


def latest(kind: str) -> runs.RunRecord | None:
    """The run of ``kind`` the page shows (:func:`cube.views.shown_runs.shown_run`): the one
    the cube serves for the served data version (after a monthly append, the run whose scores
    were carried over), else the latest succeeded run on that version, or None."""
    return shown_run(kind, served_version())


def run_month(run: runs.RunRecord | None) -> str | None:
    """``"YYYY-MM"`` of the month a run describes."""
    if run is None:
        return None
    value = (run.metrics or {}).get("month") or (run.params or {}).get("month")
    return str(value)[:7] if value else None


def in_cube(run: runs.RunRecord | None) -> bool:
    """Whether the cube's dimension of the run's kind (segment, value tier) comes from this very
    run; only then do cube figures and drill-throughs speak of its segments."""
    if run is None:
        return False
    served = scores.current(served_version()).get(run.kind)
    return served is not None and segment_names.base_run_id(served.run_id) == run.run_id


def header(run: runs.RunRecord | None) -> dict[str, Any] | None:
    """What the page says about a run: id, month, finish time, k, customers, data version."""
    if run is None:
        return None
    metrics = run.metrics or {}
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "month": run_month(run),
        "finished_at": (run.finished_at or "")[:16].replace("T", " "),
        "k": metrics.get("n_clusters"),
        "customers": metrics.get("customers"),
        "potential": metrics.get("potential"),
        "data_version": run.data_version,
        "created_by": run.created_by,
        "in_cube": in_cube(run),
    }


def not_run_href(kind: str) -> str:
    """Where a run of ``kind`` is started (the Model runs page, that kind chosen)."""
    return f"{MODELS_PATH}?kind={kind}"


_lock = threading.Lock()
_files: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
FILE_CACHE = 64


def output(run: runs.RunRecord, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """Output ``name`` of ``run`` (only ``columns``), read once per run (run files never change)."""
    key = (run.run_id, name, columns)
    with _lock:
        hit = _files.get(key)
        if hit is not None:
            _files.move_to_end(key)
            return hit
    path = run.output(name)
    if path is None:
        return None
    frame = pd.read_parquet(path, columns=list(columns) if columns else None)
    with _lock:
        _files[key] = frame
        while len(_files) > FILE_CACHE:
            _files.popitem(last=False)
    return frame


def names(run: runs.RunRecord) -> pd.DataFrame:
    """``segment, segment_name, segment_name_zh, edited`` of the run's segments (analysts'
    names where given), largest segment first."""
    generated = output(run, "profiles", ("segment", "segment_name", "segment_name_zh"))
    if generated is None:
        return pd.DataFrame(columns=["segment", "segment_name", "segment_name_zh", "edited"])
    return segment_names.names(run.run_id, generated).sort_values("segment").reset_index(drop=True)


InvalidName = segment_names.InvalidName
NAME_MAX_LENGTH = segment_names.MAX_LENGTH


def rename(run: runs.RunRecord, segment: int, name_en: str, name_zh: str, username: str | None):
    """Rename ``segment`` of ``run`` in both languages (see :func:`mining.segment_names.rename`);
    returns the :class:`~mining.segment_names.NameChange` for the audit log."""
    return segment_names.rename(run.run_id, segment, name_en, name_zh, username)


def name_map_of(frame: pd.DataFrame, lang: str) -> dict[int, str]:
    """segment -> name in ``lang`` from a :func:`names` frame."""
    column = "segment_name_zh" if lang.startswith("zh") else "segment_name"
    return {int(s): str(n) for s, n in zip(frame["segment"], frame[column], strict=True)}


def name_map(run: runs.RunRecord, lang: str) -> dict[int, str]:
    return name_map_of(names(run), lang)


# --- factors, the map, z-scores, the choice of k (the run's own outputs) ------------------------


def loadings(run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """One row per feature and factor: ``feature``, ``feature_label``, ``factor`` (its number,
    0 first), ``factor_label``, ``loading`` (varimax-rotated)."""
    wide = output(run, "loadings")
    if wide is None:
        return pd.DataFrame(columns=["feature", "feature_label", "factor", "factor_label", "loading"])
    factors = [c for c in wide.columns if c != "feature"]
    indexed = wide.set_index("feature")
    rows = []
    for i, column in enumerate(factors):
        label = f"F{i + 1}: {factor_label(indexed[column], lang)}"
        for feature, value in indexed[column].items():
            rows.append(
                {
                    "feature": feature,
                    "feature_label": feature_label(feature, lang),
                    "factor": i,
                    "factor_label": label,
                    "loading": float(value),
                }
            )
    return pd.DataFrame(rows)


def factor_variance(run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """One row per factor: ``factor``, ``factor_label``, ``variance`` (sum of squared
    loadings), ``proportion`` of the standardised variance and ``cumulative``."""
    frame = output(run, "factors")
    if frame is None:
        return pd.DataFrame(columns=["factor", "factor_label", "variance", "proportion", "cumulative"])
    labels = loadings(run, lang).drop_duplicates("factor").set_index("factor")["factor_label"]
    out = frame[["variance", "proportion", "cumulative"]].astype("float64").reset_index(drop=True)
    out.insert(0, "factor", range(len(out)))
    out.insert(1, "factor_label", [labels.get(i, f"F{i + 1}") for i in out["factor"]])
    return out


def map_sample(run: runs.RunRecord, points: int = MAP_POINTS) -> pd.DataFrame:
    """A fixed random sample (seed 0) of at most ``points`` customers of the run: ``x``, ``y``
    (the first two principal components, to :data:`MAP_DECIMALS` decimals) and ``segment``, in
    file order."""
    frame = output(run, "customers", ("segment", "x", "y"))
    if frame is None:
        return pd.DataFrame(columns=["x", "y", "segment"])
    key = (run.run_id, "map", points)
    with _lock:
        hit = _files.get(key)
    if hit is not None:
        return hit
    if len(frame) > points:
        rows = np.sort(np.random.default_rng(0).choice(len(frame), points, replace=False))
        frame = frame.iloc[rows]
    sample = frame[["x", "y", "segment"]].reset_index(drop=True)
    # four decimals place a point to well under a pixel and halve what the browser is sent
    sample[["x", "y"]] = sample[["x", "y"]].round(MAP_DECIMALS)
    with _lock:
        _files[key] = sample
    return sample


def zscores(run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """One row per segment and feature: ``segment``, ``feature``, ``feature_label``, ``z``."""
    wide = output(run, "zscores")
    if wide is None:
        return pd.DataFrame(columns=["segment", "feature", "feature_label", "z"])
    long = wide.melt(id_vars="segment", var_name="feature", value_name="z")
    long["segment"] = long["segment"].astype(int)
    long["feature_label"] = [feature_label(f, lang) for f in long["feature"]]
    return long[["segment", "feature", "feature_label", "z"]]


def k_choice(run: runs.RunRecord) -> pd.DataFrame:
    """One row per candidate k: ``k``, ``silhouette``, ``stability`` (mean ARI between fits on
    bootstrap resamples), ``stability_min`` and ``chosen``."""
    frame = output(run, "k_choice")
    if frame is None:  # a run from before stability was measured: its silhouettes only
        sil = (run.metrics or {}).get("silhouettes") or {}
        k = (run.metrics or {}).get("n_clusters")
        frame = pd.DataFrame(
            {
                "k": [int(x) for x in sil],
                "silhouette": [float(v) for v in sil.values()],
                "stability": np.nan,
                "stability_min": np.nan,
                "chosen": [int(x) == k for x in sil],
            }
        )
    return frame.sort_values("k").reset_index(drop=True)


# --- migration --------------------------------------------------------------------------------


def previous_runs(run: runs.RunRecord) -> list[runs.RunRecord]:
    """Succeeded segmentation runs on the same data version that finished before ``run``,
    newest first (the runs it can be compared with)."""
    listed = runs.list_runs("segmentation")
    if listed.empty:
        return []
    same = listed[
        (listed["status"] == "succeeded")
        & (listed["data_version"] == run.data_version)
        & (listed["run_id"] != run.run_id)
        & (listed["finished_at"].fillna("") <= (run.finished_at or ""))
    ]
    same = same.sort_values(["finished_at", "run_id"], ascending=False)
    return [r for r in (runs.get_run(i) for i in same["run_id"]) if r is not None]


MIGRATION_COLUMNS = ["before", "before_label", "after", "after_label", "customers", "share"]


def _long_migration(matrix: pd.DataFrame, before_names: dict, after_names: dict, lang: str) -> pd.DataFrame:
    new, gone = ("新客户", "已离开") if lang.startswith("zh") else ("new", "gone")
    rows = []
    for before, line in matrix.iterrows():
        for after, count in line.items():
            b = None if before == "new" else int(before)
            a = None if after == "gone" else int(after)
            rows.append(
                {
                    "before": "new" if b is None else b,
                    "before_label": new if b is None else before_names.get(b, str(b)),
                    "after": "gone" if a is None else a,
                    "after_label": gone if a is None else after_names.get(a, str(a)),
                    "customers": int(count),
                }
            )
    out = pd.DataFrame(rows, columns=MIGRATION_COLUMNS[:-1])
    totals = out.groupby("before", sort=False)["customers"].transform("sum")
    out["share"] = np.where(totals > 0, out["customers"] / totals.where(totals > 0, 1), np.nan)
    return out[MIGRATION_COLUMNS]


def period_migration(run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """Customers by segment ``compare_months_back`` months before the run's month (the run's
    model applied to that month) and in the run's month: long form, ``share`` of the row."""
    wide = output(run, "migration")
    if wide is None:
        return pd.DataFrame(columns=MIGRATION_COLUMNS)
    matrix = wide.set_index("before")
    own = name_map(run, lang)
    return _long_migration(matrix, own, own, lang)


_pairs: OrderedDict[tuple, pd.DataFrame] = OrderedDict()


def run_migration(run: runs.RunRecord, other: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """Customers by segment of ``other`` (an earlier run on the same data) and of ``run``,
    matched by customer id; customers only one run scored are ``new`` / ``gone``."""
    key = (run.run_id, other.run_id)
    with _lock:
        matrix = _pairs.get(key)
    if matrix is None:
        a = output(other, "customers", ("customer_id", "segment"))
        b = output(run, "customers", ("customer_id", "segment"))
        if a is None or b is None:
            return pd.DataFrame(columns=MIGRATION_COLUMNS)
        merged = a.merge(b, on="customer_id", how="outer", suffixes=("_before", "_after"))
        src = merged["segment_before"].map(lambda v: "new" if pd.isna(v) else str(int(v)))
        dst = merged["segment_after"].map(lambda v: "gone" if pd.isna(v) else str(int(v)))
        matrix = pd.crosstab(src.rename("before"), dst.rename("after"))
        with _lock:
            _pairs[key] = matrix
            while len(_pairs) > 16:
                _pairs.popitem(last=False)
    return _long_migration(matrix, name_map(other, lang), name_map(run, lang), lang)


def compared_run(state: ViewState, run: runs.RunRecord) -> runs.RunRecord | None:
    """The earlier run the migration compares with (page control ``x_vs``), if it is one of
    :func:`previous_runs`; None compares periods."""
    wanted = state.param("vs")
    if not wanted:
        return None
    return next((r for r in previous_runs(run) if r.run_id == wanted), None)


# --- cube figures -------------------------------------------------------------------------------


def _month_filter(month: str) -> Filter:
    return Filter(f"{CUBE}.month", "eq", (month_date(month),))


def _served_month(kind: str, run: runs.RunRecord | None) -> str | None:
    """The month of ``run`` (default: the latest of ``kind``) if the cube serves its scores."""
    run = run or latest(kind)
    return run_month(run) if in_cube(run) else None


def segment_query(state: ViewState, run: runs.RunRecord | None = None) -> Query | None:
    """Customers, AUM and contribution per segment in the segmentation run's month, under the
    filter bar (None without a run, or when the cube serves another run's segments)."""
    month = _served_month("segmentation", run)
    if month is None:
        return None
    filters = (*state.filters(CUBE, exclude_chart=SEGMENTS_CHART), _month_filter(month))
    return Query(CUBE, SEGMENT_MEASURES, (f"{CUBE}.segment",), filters)


def pyramid_query(state: ViewState, run: runs.RunRecord | None = None) -> Query | None:
    """Customers and AUM per value tier in the value run's month (None without a run)."""
    month = _served_month("value", run)
    if month is None:
        return None
    filters = (*state.filters(CUBE, exclude_chart=PYRAMID_CHART), _month_filter(month))
    return Query(CUBE, PYRAMID_MEASURES, (f"{CUBE}.value_tier",), filters)


def potential_query(state: ViewState, run: runs.RunRecord | None = None) -> Query | None:
    """Potential big customers per value tier in the value run's month (a click opens them)."""
    month = _served_month("value", run)
    if month is None:
        return None
    potential = Filter(f"{CUBE}.value_potential", "eq", (1,))
    return Query(
        CUBE,
        ("customers.customers",),
        (f"{CUBE}.value_tier",),
        (*state.filters(CUBE), _month_filter(month), potential),
    )


def queries(state: ViewState) -> dict[str, Query]:
    """Every cube query one render runs (benchmark, cache warming); none without runs."""
    seg, value = latest("segmentation"), latest("value")
    out: dict[str, Query] = {}
    if in_cube(seg):
        out["segments"] = segment_query(state, seg)
    if in_cube(value):
        out["pyramid"] = pyramid_query(state, value)
        out["potential"] = potential_query(state, value)
    return out


def _py(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


PROFILE_COLUMNS = [
    "segment",
    "name",
    "customers",
    "share",
    "aum",
    "aum_share",
    "contribution",
    "contribution_share",
]


def profiles(state: ViewState, scope: Scope, run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """One row per segment (largest first), then "Not scored" customers if any: ``segment``
    (None for not scored), ``name``, ``customers``, ``share``, ``aum``, ``aum_share``,
    ``contribution``, ``contribution_share`` (shares of all customers in scope and filters in
    the run's month). Empty when the cube does not serve this run's segments."""
    if not in_cube(run):
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    frame = api.execute(segment_query(state, run), scope, lang).frame
    own = name_map(run, lang)
    unscored = NOT_SCORED[1] if lang.startswith("zh") else NOT_SCORED[0]
    segments = [None if pd.isna(v) else int(v) for v in frame[f"{CUBE}.segment"]]
    out = pd.DataFrame(
        {
            "segment": pd.Series(segments, dtype=object),
            "customers": frame["customers.customers"].astype("float64").fillna(0.0).to_numpy(),
            "aum": frame["customers.aum"].astype("float64").fillna(0.0).to_numpy(),
            "contribution": frame["customers.contribution"].astype("float64").fillna(0.0).to_numpy(),
        }
    )
    out.insert(1, "name", [unscored if s is None else own.get(s, str(s)) for s in out["segment"]])
    for column, share in (
        ("customers", "share"),
        ("aum", "aum_share"),
        ("contribution", "contribution_share"),
    ):
        total = out[column].sum()
        out[share] = out[column] / total if total else np.nan
    order = [(s is None, s if s is not None else 0) for s in out["segment"]]
    out = out.iloc[sorted(range(len(out)), key=lambda i: order[i])].reset_index(drop=True)
    return out[PROFILE_COLUMNS]


PYRAMID_COLUMNS = ["key", "label", "customers", "share", "aum", "aum_share"]


def pyramid(state: ViewState, scope: Scope, run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """One row per value tier, top of the pyramid first (then "Not scored" if any): ``key``,
    ``label``, ``customers``, ``share``, ``aum``, ``aum_share`` (shares of all customers in
    scope and filters in the value run's month). Empty when the cube does not serve the run."""
    if not in_cube(run):
        return pd.DataFrame(columns=PYRAMID_COLUMNS)
    query = pyramid_query(state, run)
    frame = api.execute(query, scope, lang).frame
    member = query.dimensions[0]
    out = pd.DataFrame(
        {
            "key": [_py(v) for v in frame[member]],
            "label": frame[api.label_column(member)].astype(str).to_numpy(),
            "customers": frame["customers.customers"].astype("float64").fillna(0.0).to_numpy(),
            "aum": frame["customers.aum"].astype("float64").fillna(0.0).to_numpy(),
        }
    )
    for column, share in (("customers", "share"), ("aum", "aum_share")):
        total = out[column].sum()
        out[share] = out[column] / total if total else np.nan
    rank = {t: i for i, t in enumerate(VALUE_TIERS)}
    out = out.iloc[sorted(range(len(out)), key=lambda i: rank.get(out["key"].iloc[i], len(rank)))]
    return out.reset_index(drop=True)[PYRAMID_COLUMNS]


def potential_by_tier(state: ViewState, scope: Scope, run: runs.RunRecord, lang: str = "en") -> pd.DataFrame:
    """Potential big customers per value tier: ``key``, ``label``, ``customers``."""
    if not in_cube(run):
        return pd.DataFrame(columns=["key", "label", "customers"])
    query = potential_query(state, run)
    frame = api.execute(query, scope, lang).frame
    member = query.dimensions[0]
    out = pd.DataFrame(
        {
            "key": [_py(v) for v in frame[member]],
            "label": frame[api.label_column(member)].astype(str).to_numpy(),
            "customers": frame["customers.customers"].astype("float64").fillna(0.0).to_numpy(),
        }
    )
    rank = {t: i for i, t in enumerate(VALUE_TIERS)}
    out = out.iloc[sorted(range(len(out)), key=lambda i: rank.get(out["key"].iloc[i], len(rank)))]
    return out.reset_index(drop=True)


def potential_filters(state: ViewState, run: runs.RunRecord) -> tuple[Filter, ...]:
    """The filters of the potential big customers' list (the filter bar, the run's month)."""
    return (
        *state.filters(CUBE),
        _month_filter(run_month(run)),
        Filter(f"{CUBE}.value_potential", "eq", (1,)),
    )


def potential_customers(
    state: ViewState, scope: Scope, run: runs.RunRecord, lang: str = "en", page_size: int = POTENTIAL_ROWS
) -> api.Result | None:
    """The potential big customers in scope, highest value score first when the cube can add
    and sort by it, with the true total in ``total_rows``; None when the cube does not serve
    the run. Identities are masked by the cube for roles that may not see them."""
    if not in_cube(run):
        return None
    columns = tuple(c for c in POTENTIAL_COLUMNS if c in DETAIL_COLUMNS)
    extra: dict[str, Any] = {"columns": columns, "sort": (columns[0], True)} if columns else {}
    return api.drill_through(CUBE, potential_filters(state, run), scope, 0, page_size, lang, **extra)


def related_hrefs(state: ViewState, segment: int) -> dict[str, str]:
    """The other views filtered to ``segment`` (the filter bar's segment filter in the URL)."""
    target = state.for_other_page().with_(segment=(int(segment),))
    return {key: target.href(path) for key, path in RELATED_PAGES.items()}


# --- the whole view -------------------------------------------------------------------------------


def render(state: ViewState, scope: Scope, lang: str = "en", with_rows: bool = True) -> dict[str, Any]:
    """Everything the page shows, as the page computes it (the benchmark times this).
    ``with_rows`` False leaves out the customer list (roles that may not see customers)."""
    seg, value = latest("segmentation"), latest("value")
    out: dict[str, Any] = {
        "version": served_version(),
        "segmentation": header(seg),
        "value": header(value),
    }
    if seg is not None:
        other = compared_run(state, seg)
        out |= {
            "names": names(seg),
            "loadings": loadings(seg, lang),
            "factors": factor_variance(seg, lang),
            "map": map_sample(seg),
            "zscores": zscores(seg, lang),
            "k_choice": k_choice(seg),
            "profiles": profiles(state, scope, seg, lang),
            "previous": [header(r) for r in previous_runs(seg)],
            "compared": other.run_id if other is not None else None,
            "migration": run_migration(seg, other, lang)
            if other is not None
            else period_migration(seg, lang),
        }
    if value is not None:
        out["pyramid"] = pyramid(state, scope, value, lang)
        out["potential_by_tier"] = potential_by_tier(state, scope, value, lang)
        if with_rows:
            out["potential"] = potential_customers(state, scope, value, lang)
    return out
