"""Runs on the shared demo warehouse: each model finds the truth the generator planted, and
every run is recorded, reproducible, reports progress and can be cancelled."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from mining import runs
from mining.classifier import Cancelled


def _truth(demo_source):
    return pd.read_parquet(demo_source / "_truth" / "customer_truth.parquet")


def _ground(demo_source) -> dict:
    return json.loads((demo_source / "_truth" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def segmentation_run(demo_home):
    return runs.run("segmentation", {"random_state": 0})


def test_segments_recover_planted_segments(segmentation_run, demo_source):
    customers = pd.read_parquet(segmentation_run.outputs["customers"])
    merged = customers.merge(_truth(demo_source), on="customer_id")
    assert len(merged) == len(customers) > 5000
    ari = adjusted_rand_score(merged["segment_id"], merged["segment"])
    print(f"\nsegmentation ARI vs planted: {ari:.3f}, k = {segmentation_run.metrics['n_clusters']}")
    assert ari >= 0.5


def test_segmentation_outputs_have_the_documented_schema(segmentation_run):
    path = runs.latest_output("segmentation")
    assert path == segmentation_run.outputs["customers"]
    customers = pd.read_parquet(path)
    assert list(customers.columns) == list(runs.CUSTOMER_OUTPUTS["segmentation"])
    assert customers["customer_id"].is_unique
    profiles = pd.read_parquet(segmentation_run.outputs["profiles"])
    assert profiles["customers"].sum() == len(customers)
    assert profiles["aum_share"].sum() == pytest.approx(1.0)
    # Segments differ in what they are worth: the richest holds several times its share.
    assert (profiles["aum_share"] / profiles["share"]).max() > 2
    migration = pd.read_parquet(segmentation_run.outputs["migration"])
    assert migration.drop(columns="before").to_numpy().sum() >= len(customers)


def test_run_is_registered_with_params_version_and_metrics(segmentation_run):
    from data import rollups, scores, warehouse

    row = runs.list_runs("segmentation").set_index("run_id").loc[segmentation_run.run_id]
    assert row["status"] == "succeeded"
    assert row["data_version"] == warehouse.data_version()
    # ... and published as the cube's segment dimension for this warehouse version
    published = scores.current(warehouse.data_version())["segmentation"]
    assert published.run_id == segmentation_run.run_id
    # ... with its rollups built from this version's warehouse
    rollup = next(r for r in rollups.ROLLUPS if r.published_by == ("segmentation",))
    assert scores.rollup_file(warehouse.data_version(), rollup) is not None
    assert row["params"]["random_state"] == 0
    assert row["metrics"]["n_clusters"] == segmentation_run.metrics["n_clusters"]
    assert set(row["outputs"]) >= {"customers", "profiles", "loadings"}


def test_same_seed_same_segments(segmentation_run):
    again = runs.run("segmentation", {"random_state": 0, "compare_months_back": 0})
    a = pd.read_parquet(segmentation_run.outputs["customers"])
    b = pd.read_parquet(again.outputs["customers"])
    assert (a["segment"].to_numpy() == b["segment"].to_numpy()).all()


def test_progress_is_reported_and_cancel_stops_the_run(demo_home):
    seen: list[float] = []
    runs.run("value", progress=lambda fraction, message: seen.append(fraction))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3

    stop = threading.Event()

    def cancel_after_first_step(fraction: float, message: str) -> None:
        stop.set()

    with pytest.raises(Cancelled):
        runs.run("value", progress=cancel_after_first_step, cancel=stop)
    last = runs.list_runs("value").iloc[0]
    assert last["status"] == "cancelled"
    from data import paths

    assert not (paths.mining_dir() / last["run_id"]).exists()


def test_value_tiers_form_a_pyramid(demo_home):
    result = runs.run("value")
    scores = pd.read_parquet(result.outputs["customers"])
    assert list(scores.columns) == list(runs.CUSTOMER_OUTPUTS["value"])
    tiers = pd.read_parquet(result.outputs["tiers"]).set_index("value_tier")
    assert tiers["customers"].is_monotonic_increasing  # private smallest ... mass largest
    # The top 5% of customers hold far more than 5% of AUM.
    assert tiers.loc[["private", "vip"], "aum_share"].sum() > 0.2


def test_planted_affinity_pairs_are_top_rules_by_lift(demo_home, demo_source):
    result = runs.run("crosssell", {"products": ["CL01", "WM01"], "train_size": 6000})
    rules = pd.read_parquet(result.outputs["rules"])
    pairs = rules[rules["size"] == 2].sort_values("lift", ascending=False)
    ranked = [frozenset((a[0], c)) for a, c in zip(pairs["antecedent"], pairs["consequent"], strict=True)]
    planted = [frozenset((p["antecedent"], p["consequent"])) for p in _ground(demo_source)["affinity_pairs"]]
    top = list(dict.fromkeys(ranked))[: len(planted) + 2]  # distinct pairs, both directions as one
    print("\ntop pairs by lift:", [sorted(p) for p in top])
    assert all(p in top for p in planted)
    metrics = pd.read_parquet(result.outputs["metrics"]).set_index("product")
    assert metrics.loc["CL01", "auc"] > 0.7  # credit-card holders take consumer loans
    targets = pd.read_parquet(result.outputs["customers"])
    assert targets.groupby("product")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert (pd.read_parquet(result.outputs["affinity"])["segment"].nunique()) >= 2


def test_churn_model_time_based_holdout_auc(demo_home, demo_source):
    result = runs.run("churn")
    holdout = result.metrics["holdout"]
    print("\nchurn holdout:", {k: round(v, 4) for k, v in holdout.items()}, result.metrics["top_drivers"])
    assert holdout["auc"] >= 0.80
    # The planted mechanism (falling balance and activity) shows among the top drivers.
    assert {"aum_ratio", "txn_ratio", "txn_recent", "aum_now", "inactive_months"} & set(
        result.metrics["top_drivers"][:3]
    )
    dormant = pd.read_parquet(result.outputs["dormant"])
    assert dormant["activation_value"].is_monotonic_decreasing
    warnings_ = pd.read_parquet(result.outputs["customers"])
    assert list(warnings_.columns) == list(runs.CUSTOMER_OUTPUTS["churn"])


def test_response_model_on_campaign_history(demo_home):
    result = runs.run("response", {"top": 200})
    print("\nresponse holdout:", {k: round(v, 4) for k, v in result.metrics["holdout"].items()})
    assert result.metrics["holdout"]["auc"] > 0.6
    contacts = pd.read_parquet(result.outputs["customers"])
    assert len(contacts) == 200 and contacts["score"].is_monotonic_decreasing
    assert np.all(np.diff(contacts["rank"]) == 1)


def test_each_balance_product_hides_its_own_balance_from_its_propensity_model(demo_home):
    from data import warehouse
    from mining import features

    con = warehouse.open_readonly().cursor()
    own = features.own_balance_features(con)
    kinds = dict(con.execute("SELECT product_code, balance_type FROM products").fetchall())
    for code, kind in kinds.items():
        if kind == "loan":
            assert {"log_loan_balance", "loan_balance", "contribution"} <= set(own[code]), code
        elif kind in ("deposit", "investment"):
            assert {"log_aum", "aum", "contribution"} <= set(own[code]), code
        else:
            assert own[code] == (), code
