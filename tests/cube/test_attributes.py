"""Segment and value tier: customer dimensions read from published model scores."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from cube import connection, engine
from cube.api import Filter, Query, Scope
from data import scores
from tests.cube import tiny
from tests.cube.helpers import assert_frames_match


@pytest.fixture()
def tiny_home(tiny_con, tmp_path, monkeypatch):
    """Like the ``scored`` fixture, but publishing is left to the test."""
    monkeypatch.setenv("MAMS_HOME", str(tmp_path))
    version = f"tiny-{uuid.uuid4().hex[:8]}"
    connection.use_connection(tiny_con, version=version)
    yield version
    connection.use_connection(None)


def _publish(tmp_path, version: str, tiny_source, tiny_con) -> tuple[pd.DataFrame, pd.DataFrame]:
    published = tiny.publish_scores(tmp_path, version, tiny_source, tiny_con)
    return published["segmentation"], published["value"]


def _last_month_rows(con) -> pd.DataFrame:
    return con.sql(
        "SELECT * FROM customer_month WHERE month_date = (SELECT max(month_date) FROM customer_month)"
    ).df()


def test_customers_by_segment_agree_with_pandas(tiny_home, tiny_con, tiny_source, tmp_path):
    seg, _ = _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    q = Query("customers", ("customers.customers", "customers.aum"), ("customers.segment",))
    got = engine.execute(q, Scope.all(), use_cache=False)
    rows = _last_month_rows(tiny_con).merge(seg, on="customer_id", how="left")
    want = rows.groupby("segment", dropna=False).agg(customers=("customer_id", "size"), aum=("aum", "sum"))
    want = want.reset_index().rename(
        columns={"segment": "customers.segment", "customers": "customers.customers", "aum": "customers.aum"}
    )
    frame = got.frame.copy()
    frame["customers.segment"] = frame["customers.segment"].fillna(-1)
    want["customers.segment"] = want["customers.segment"].fillna(-1)
    assert_frames_match(frame, want, q.dimensions, q.measures)
    assert got.served_by.startswith("rollup_cm_segment")  # built when the scores were published
    labels = dict(zip(frame["customers.segment"], got.frame["customers.segment.label"], strict=True))
    assert labels[-1] == "Not scored" and labels[1] == "high mobile banking"
    zh = engine.execute(q, Scope.all(), lang="zh", use_cache=False).frame
    assert set(zh["customers.segment.label"]) == {"高资产", "高手机银行使用", "均衡型", "未评分"}


def test_value_tier_filtered_by_segment_under_a_region_scope(tiny_home, tiny_con, tiny_source, tmp_path):
    seg, val = _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    q = Query(
        "customers",
        ("customers.customers", "customers.contribution"),
        ("customers.value_tier",),
        (Filter("customers.segment", "eq", (2,)),),
    )
    got = engine.execute(q, Scope.of("region", 1), use_cache=False).frame
    every = tiny_con.sql("SELECT * FROM customer_month").df()
    every = every.merge(seg, on="customer_id", how="left").merge(val, on="customer_id", how="left")
    every = every[(every["segment"] == 2) & (every["region_id"] == 1)]
    last = every[every["month_date"] == every["month_date"].max()]
    want = pd.DataFrame(
        {
            "customers.customers": last.groupby("value_tier", dropna=False).size(),
            "customers.contribution": every.groupby("value_tier", dropna=False)["contribution"].sum(),
        }
    ).reset_index(names="customers.value_tier")
    got["customers.value_tier"] = got["customers.value_tier"].fillna("none")
    want["customers.value_tier"] = want["customers.value_tier"].fillna("none")
    assert_frames_match(got, want, q.dimensions, q.measures)
    assert "Not scored" in set(got["customers.value_tier.label"]) and "Gold" in set(
        got["customers.value_tier.label"]
    )


def test_publishing_new_scores_changes_cached_results(tiny_home, tiny_con, tiny_source, tmp_path):
    q = Query("customers", ("customers.customers",), ("customers.segment",))
    before = engine.execute(q, Scope.all())
    assert before.frame["customers.segment.label"].tolist() == ["Not scored"]
    _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    after = engine.execute(q, Scope.all())
    assert not after.cached and len(after.frame) == 4
    assert after.frame["customers.customers"].sum() == before.frame["customers.customers"].sum()


def test_scores_of_another_warehouse_version_are_not_used(tiny_home, tiny_con, tiny_source, tmp_path):
    _publish(tmp_path, "some-older-version", tiny_source, tiny_con)
    q = Query("customers", ("customers.customers",), ("customers.value_tier",))
    frame = engine.execute(q, Scope.all(), use_cache=False).frame
    assert frame["customers.value_tier.label"].tolist() == ["Not scored"]


def test_drill_through_to_one_segment(tiny_home, tiny_con, tiny_source, tmp_path):
    seg, _ = _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    f = (Filter("customers.segment", "eq", (1,)), Filter("customers.month", "eq", ("2024-12-01",)))
    page = engine.drill_through("customers", f, Scope.all(), 0, 1000, "en")
    assert page.total_rows > 0
    assert set(page.frame["customer_id"]) <= set(seg.loc[seg["segment"] == 1, "customer_id"])


def test_publishing_refuses_what_the_cube_cannot_use(tmp_path, monkeypatch):
    monkeypatch.setenv("MAMS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="not customer dimensions"):
        scores.publish("response", "v", "r", tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scores.publish("value", "v", "r", tmp_path / "missing.parquet")


def _segment_by_tier(con, seg, val) -> pd.DataFrame:
    rows = _last_month_rows(con).merge(seg, on="customer_id", how="left")
    rows = rows.merge(val, on="customer_id", how="left")
    want = (
        rows.groupby(["segment", "value_tier"], dropna=False).size().reset_index(name="customers.customers")
    )
    return want.rename(columns={"segment": "customers.segment", "value_tier": "customers.value_tier"})


def test_segment_by_value_tier_from_the_rollup_of_both_scores(tiny_home, tiny_con, tiny_source, tmp_path):
    seg, val = _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    q = Query("customers", ("customers.customers",), ("customers.segment", "customers.value_tier"))
    got = engine.execute(q, Scope.all(), use_cache=False)
    assert got.served_by.startswith("rollup_cm_segment_value_tier")
    assert_frames_match(got.frame, _segment_by_tier(tiny_con, seg, val), q.dimensions, q.measures)

    # New value scores published without a warehouse to build from: the combined rollup is now
    # stale, so the query joins the new scores on the base table instead.
    newer = val.assign(value_tier="mass")
    newer.to_parquet(tmp_path / "newer.parquet")
    scores.publish("value", tiny_home, "run-newer", tmp_path / "newer.parquet")
    again = engine.execute(q, Scope.all(), use_cache=False)
    assert again.served_by == "customer_month"
    assert_frames_match(again.frame, _segment_by_tier(tiny_con, seg, newer), q.dimensions, q.measures)


def test_concurrent_publications_are_all_kept(tiny_home, tiny_con, tiny_source, tmp_path):
    """Two runs finishing together: the record is locked while it is read, changed and replaced."""
    seg, val = _publish(tmp_path, tiny_home, tiny_source, tiny_con)
    versions = [f"{tiny_home}-{i}" for i in range(4)]
    with ThreadPoolExecutor(8) as pool:
        jobs = [
            pool.submit(scores.publish, kind, v, f"run-{kind}-{v}", tmp_path / f"{kind}-{tiny_home}.parquet")
            for v in versions
            for kind in ("segmentation", "value")
        ]
        for job in jobs:
            job.result()
    for v in versions:
        assert {k: p.run_id for k, p in scores.current(v).items()} == {
            "segmentation": f"run-segmentation-{v}",
            "value": f"run-value-{v}",
        }
