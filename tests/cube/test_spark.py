"""The cube gives the same answers on Spark (local mode) as on DuckDB: the standard suite, and
every aggregate query the views declare, with the published model scores read from the shared
folder (``MAMS_SHARED_DIR``) on both engines.

One Spark session (one shuffle partition) serves the whole module: starting one costs seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from cube import connection, engine
from cube.api import Filter, Query, Result, Scope
from cube.standard_queries import STANDARD_QUERIES, view_queries, view_states
from cube.views import cross_sell as xv
from cube.views import customer360 as c360
from cube.views import segmentation as sv
from data import paths, scores
from mining import runs
from tests.cube import tiny
from tests.cube.helpers import assert_frames_match

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SCOPES = {"all": Scope.all(), "region": Scope.of("region", 1)}
SCORE_COLUMNS = {c for columns in scores.ATTRIBUTES.values() for c in columns}
SCORED_MONTH = "2025-06"  # the tiny warehouse's last month, which the published runs scored


@pytest.fixture(scope="module")
def spark_backend(tiny_con):
    """The tiny warehouse copied into one local Spark session, as an Ibis backend."""
    from cube import spark

    session = spark.local_session(partitions=1)
    session.sparkContext.setLogLevel("ERROR")
    return spark.load_from_duckdb(session, tiny_con)


def _publish_more(version: str, frames: dict[str, pd.DataFrame], con) -> dict[str, pd.DataFrame]:
    """Cross-sell and churn scores for the customers the segmentation scored (every third left
    without a best offer, every fifth not dormant), as their runs would publish them."""
    ids = np.sort(frames["customers"]["customer_id"].to_numpy())[:-20]
    bands = np.array(["high", "medium", "low"])
    codes = frames["products"]["product_code"].to_numpy()
    offer = ids[ids % 3 != 0]
    crosssell = pd.DataFrame(
        {
            "customer_id": offer,
            "best_offer": codes[offer % len(codes)],
            "offer_score": (offer * 13 % 97) / 97.0,
            "offer_value": (offer * 29 % 89).astype(float),
            "propensity_band": bands[offer % 3],
        }
    )
    dormant = ids % 5 != 0
    churn = pd.DataFrame(
        {
            "customer_id": ids,
            "churn_score": (ids * 17 % 83) / 83.0,
            "churn_band": bands[(ids // 2) % 3],
            "value_at_risk": (ids * 7 % 61).astype(float),
            "churn_driver": np.where(ids % 2 == 0, "aum_trend", "txn_trend"),
            "activation_value": np.where(dormant, (ids * 3 % 41).astype(float), np.nan),
            "activation_band": np.where(dormant, bands[ids % 3], None),
        }
    )
    published = {"crosssell": crosssell, "churn": churn}
    for kind, frame in published.items():
        path = paths.mining_dir() / f"{kind}-{version}.parquet"
        frame.to_parquet(path)
        scores.publish(kind, version, f"run-{kind}", path, con)
    return published


@pytest.fixture()
def shared_scores(tiny_con, tiny_source, tmp_path, monkeypatch):
    """Segment, value, cross-sell and churn scores published for the tiny warehouse under a
    version of its own, in a shared folder apart from the home folder; yields the version."""
    home, shared = tmp_path / "home", tmp_path / "shared"
    monkeypatch.setenv("MAMS_HOME", str(home))
    monkeypatch.setenv("MAMS_SHARED_DIR", str(shared))
    version = f"tiny-{uuid.uuid4().hex[:8]}"
    tiny.publish_scores(paths.mining_dir(), version, tiny_source, tiny_con)
    _publish_more(version, tiny_source, tiny_con)
    published = scores.current(version)
    assert set(published) == set(scores.ATTRIBUTES)
    for pub in published.values():  # the record names files in the shared folder, not the home
        assert pub.path.resolve().is_relative_to(shared.resolve()), pub.path
    assert not (home / "mining").exists()
    connection.use_connection(tiny_con, version=version)
    yield version
    connection.use_backend(None)
    connection.use_connection(None)


def _run_on_both(run: Callable[[], Result], tiny_con, spark_backend, version: str) -> tuple[Result, Result]:
    connection.use_connection(tiny_con, version=version)
    duck = run()
    connection.use_backend(spark_backend, version=version)
    try:
        spk = run()
    finally:
        connection.use_backend(None)
    return duck, spk


def _assert_same(name: str, spk: Result, duck: Result) -> None:
    """Same source, same columns, same rows: keys and labels exactly, numbers to the cent."""
    assert spk.served_by == duck.served_by, name
    assert list(spk.frame.columns) == list(duck.frame.columns), name
    numeric = [c for c in duck.frame.columns if pd.api.types.is_numeric_dtype(duck.frame[c])]
    keys = [c for c in duck.frame.columns if c not in numeric]
    keys += [d for d in duck.query.dimensions if d in numeric]  # integer keys (segment, ids)
    try:
        assert_frames_match(spk.frame, duck.frame, keys, [c for c in numeric if c not in keys])
    except AssertionError as e:
        raise AssertionError(f"{name}: {e}") from e


def _declared(scope: Scope) -> list[tuple[str, Callable[[], Result], Query]]:
    """(name, runner, query) of every aggregate query the views declare under ``scope``, on the
    DuckDB engine served now (the states and months are read from it)."""
    out = [(vq.name, lambda vq=vq: vq.run(scope, use_cache=False), vq.query) for vq in view_queries(scope)]
    states = view_states(scope)
    # what the Segmentation and Cross-sell pages run: the published runs' queries
    fitted = {kind: _run_record(kind, connection.warehouse_version()) for kind in scores.ATTRIBUTES}
    for sname, state in states.items():
        extra = {f"segmentation.{sname}.{k}": q for k, q in sv.queries(state).items()}
        extra[f"cross_sell.{sname}.offer_counts"] = xv.offer_counts_query(state, fitted["crosssell"])
        for band in ("churn_band", "activation_band"):
            extra[f"cross_sell.{sname}.{band}"] = xv.band_counts_query(state, fitted["churn"], band)
        out += [(n, _executor(q, scope), q) for n, q in extra.items()]
    # a segment and value tier chosen in the filter bar narrow every view (joins in filters)
    segment = states["bank"].with_(segment=(1,), value_tier=("gold", "vip"))
    for vq in view_queries(scope, {"segment": segment}):
        out.append((vq.name, lambda vq=vq: vq.run(scope, use_cache=False), vq.query))
    # Customer 360 of one scored customer in the scope
    cid = _scored_customer(scope)
    month = pd.Timestamp(f"{SCORED_MONTH}-01").date()
    kinds = c360.published_kinds()
    assert kinds == tuple(c360.SCORE_DIMENSIONS)
    c360_queries = {
        "months": c360.months_query(cid),
        "profile": c360.profile_query(cid, month),
        "served_months": Query(c360.CUBE, ("customers.customers",), ("customers.month",)),
        "standing": c360.standing_query(cid),
        "holdings": c360.holdings_query(cid),
        "positions": c360.positions_query(cid, month),
        "scores": c360.scores_query(cid, month, kinds),
        "campaigns": c360.campaigns_query(cid),
    }
    out += [(f"customer360.{k}", _executor(q, scope), q) for k, q in c360_queries.items()]
    return out


def _executor(query: Query, scope: Scope) -> Callable[[], Result]:
    return lambda: engine.execute(query, scope, use_cache=False)


def _scored_customer(scope: Scope) -> int:
    """A customer in ``scope`` with every kind of score, a best offer, dormant and contacted."""
    q = Query(
        "customers",
        ("customers.customers",),
        ("customers.customer",),
        (
            Filter("customers.month", "eq", (pd.Timestamp(f"{SCORED_MONTH}-01").date(),)),
            Filter("customers.value_tier", "in", tiny.VALUE_TIERS),
            Filter("customers.activation_band", "in", xv.BANDS),
        ),
        limit=50,
    )
    found = engine.execute(q, scope, use_cache=False).frame["customers.customer"].tolist()
    contacted = engine.execute(
        Query("campaigns", ("campaigns.targeted",), ("campaigns.customer",)), scope, use_cache=False
    ).frame["campaigns.customer"]
    # a best offer: ids not divisible by 3 (see _publish_more)
    return next(int(c) for c in found if c % 3 and c in set(contacted.tolist()))


def _run_record(kind: str, version: str | None) -> runs.RunRecord:
    """The registry row of the run that published ``kind`` (tiny.publish_scores, _publish_more)."""
    return runs.RunRecord(
        f"run-{kind}",
        kind,
        "succeeded",
        {},
        version,
        {"month": f"{SCORED_MONTH}-01"},
        {},
        None,
        "2025-07-01T00:00:00",
        "2025-07-01T00:10:00",
        None,
    )


def test_standard_suite_identical_on_spark_and_duckdb(tiny_con, spark_backend, shared_scores):
    version = shared_scores  # segment and value scores published for this data, read on both engines
    for sq in STANDARD_QUERIES:
        for scope in SCOPES.values():
            duck, spk = _run_on_both(
                lambda sq=sq, scope=scope: engine.execute(sq.query, scope, use_cache=False),
                tiny_con,
                spark_backend,
                version,
            )
            assert spk.served_by == duck.served_by, sq.name
            assert_frames_match(spk.frame, duck.frame, sq.query.dimensions, sq.query.measures)


def test_every_declared_view_query_identical_on_spark_and_duckdb(
    tiny_con, spark_backend, shared_scores, monkeypatch
):
    version = shared_scores
    fitted = {kind: _run_record(kind, version) for kind in scores.ATTRIBUTES}
    monkeypatch.setattr(runs, "latest_run", lambda kind, v: fitted.get(kind) if v == version else None)
    covered, declared_in_all, scored = 0, 0, set()
    for sname, scope in SCOPES.items():
        connection.use_connection(tiny_con, version=version)
        declared = _declared(scope)
        assert sum(n.startswith("segmentation.") for n, _, _ in declared) == 9, "segmentation queries missing"
        declared_in_all += len(declared)
        seen: set[str] = set()  # views share queries (the same KPI on two pages): each runs once
        for name, run, query in declared:
            if (key := repr(query)) in seen:
                continue
            seen.add(key)
            duck, spk = _run_on_both(run, tiny_con, spark_backend, version)
            _assert_same(f"{sname}: {name}", spk, duck)
            covered += 1
            # a score column that joined to nothing would match on both engines: it must not be empty
            attributes = {d.split(".")[1] for d in query.dimensions} & SCORE_COLUMNS
            for column in attributes:
                member = f"{query.cube}.{column}"
                assert spk.frame[member].notna().any(), f"{sname}: {name}: {member} came back empty"
                scored.add(column)
    print(f"{covered} distinct of {declared_in_all} declared queries, on both engines")
    assert covered > 300
    assert {
        "segment",
        "value_tier",
        "best_offer",
        "propensity_band",
        "churn_band",
        "activation_band",
    } <= scored
