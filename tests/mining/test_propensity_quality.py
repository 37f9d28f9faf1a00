"""What the cross-sell, churn and response runs write for the Cross-sell page: per-product and
per-model quality (holdout, drivers on a capped sample), the published per-customer columns
(best offer, risk and activation bands, the driver behind each churn score), and runs that
cannot work on the data say why in words a user can act on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data import scores
from mining import runs
from mining.churn import risk_frame, score_drivers
from mining.classifier import ScoringModel


def test_outputs_hold_every_published_column(crosssell_and_churn_runs):
    for kind in ("crosssell", "churn"):
        result = crosssell_and_churn_runs[kind]
        frame = pd.read_parquet(result.outputs[scores.OUTPUTS[kind]])
        assert {"customer_id", *scores.ATTRIBUTES[kind]} <= set(frame.columns)
        assert frame["customer_id"].is_unique
    cs = crosssell_and_churn_runs["crosssell"]
    metrics = pd.read_parquet(cs.outputs["metrics"])
    drivers = pd.read_parquet(cs.outputs["drivers"])
    holdout = pd.read_parquet(cs.outputs["holdout"])
    for product in metrics["product"]:
        d = drivers[drivers["product"] == product]
        assert d["importance"].is_monotonic_decreasing and len(d) > 5
        assert not any(f == f"holds_{product}" for f in d["feature"])  # the target never drives itself
        assert (holdout["product"] == product).sum() == metrics.set_index("product").loc[
            product, "holdout_rows"
        ]


def test_churn_risk_columns(crosssell_and_churn_runs):
    churn = crosssell_and_churn_runs["churn"]
    risk = pd.read_parquet(churn.outputs["risk"])
    warnings_ = pd.read_parquet(churn.outputs["customers"]).set_index("customer_id")
    assert np.allclose(risk["churn_score"], warnings_.loc[risk["customer_id"], "churn_score"], rtol=1e-12)
    dormant = pd.read_parquet(churn.outputs["dormant"]).set_index("customer_id")
    assert risk["activation_value"].notna().sum() == len(dormant)
    part = risk[risk["activation_value"].notna()].set_index("customer_id")
    assert np.allclose(part["activation_value"], dormant.loc[part.index, "activation_value"], rtol=1e-12)
    assert set(risk["churn_driver"].dropna()) <= set(churn.metrics["top_drivers"]) | set(
        pd.read_parquet(churn.outputs["drivers"])["feature"].head(8)
    )
    assert (risk["churn_band"] == "high").sum() == round(0.1 * len(risk))


def test_the_driver_of_a_score_is_the_feature_that_lowers_it_most():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000), "c": rng.normal(size=3000)})
    y = (X["a"] + rng.normal(size=3000) > 1.5).to_numpy()  # noisy: not a leak the guards drop
    model = ScoringModel(max_iter=60, random_state=0).fit(X, y)
    names = score_drivers(model, X, ["a", "b", "c"])
    score = model.score_samples(X)
    risky = score >= np.quantile(score, 0.95)
    assert (names[risky] == "a").mean() > 0.9  # the risk comes from a high "a"


def test_risk_frame_bands_and_merge():
    warnings_ = pd.DataFrame(
        {
            "customer_id": np.arange(20),
            "churn_score": np.linspace(0.9, 0.0, 20),
            "value_at_risk": np.arange(20.0),
            "rank": np.arange(1, 21),
        }
    )
    dormant = pd.DataFrame(
        {"customer_id": [3, 5], "reactivation_score": [0.5, 0.2], "activation_value": [10.0, 30.0]}
    )
    out = risk_frame(warnings_, dormant).set_index("customer_id")
    assert list(out.loc[[0, 1, 2, 3, 5, 19], "churn_band"]) == [
        "high",
        "high",
        "medium",
        "medium",
        "medium",
        "low",
    ]
    # two dormant customers: round(0.1 * 2) = 0 high, round(0.3 * 2) = 1 medium
    assert out.loc[5, "activation_band"] == "medium" and out.loc[3, "activation_band"] == "low"
    assert out["activation_band"].isna().sum() == 18


def test_churn_without_closures_says_why(demo_home, monkeypatch):
    real = runs.features.churn_labels

    def nobody_leaves(con, month, horizon=3):
        return real(con, month, horizon).assign(churned=False)

    monkeypatch.setattr(runs.features, "churn_labels", nobody_leaves)
    with pytest.raises(Exception, match="no customer closed") as caught:
        runs.run("churn")
    assert "Traceback" not in str(caught.value)
    assert runs.list_runs("churn").iloc[0]["status"] == "failed"


def test_response_without_campaigns_says_why(demo_home, monkeypatch):
    real = runs.features.response_frame
    monkeypatch.setattr(runs.features, "response_frame", lambda con: real(con).head(0))
    with pytest.raises(Exception, match="no campaign contacts"):
        runs.run("response")
