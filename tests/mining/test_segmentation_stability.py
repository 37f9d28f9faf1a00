"""Stability beside the choice of k: on data with a known number of groups the true k is the
most reproducible across bootstrap resamples; the run records it per candidate k; and the
segmenter's z-scores and factor variance agree with pandas / numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from mining.segmentation import BehaviourSegmenter, factor_label, feature_label

FEATURES = [f"f{i}" for i in range(6)]


def blobs(n: int = 2400, k: int = 4, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (k, len(FEATURES)))
    truth = rng.integers(0, k, n)
    values = centres[truth] + rng.normal(0, 1, (n, len(FEATURES)))
    frame = pd.DataFrame(values, columns=FEATURES)
    frame.insert(0, "customer_id", np.arange(n))
    return frame, truth


@pytest.fixture(scope="module")
def fitted():
    frame, truth = blobs()
    seg = BehaviourSegmenter(
        features=FEATURES, n_factors=2, k_range=(2, 7), stability_resamples=3, random_state=0
    ).fit(frame)
    return seg, frame, truth


def test_the_true_k_is_the_most_stable(fitted):
    seg, _, truth = fitted
    assert seg.n_clusters_ == 4
    assert adjusted_rand_score(truth, seg.labels_) > 0.99
    table = seg.stability_
    assert sorted(table["k"].unique()) == list(range(2, 8))
    assert (table.groupby("k").size() == 3).all()  # three resample pairs per candidate k
    assert table["ari"].between(-1, 1).all()
    mean = table.groupby("k")["ari"].mean()
    assert mean[4] > 0.98
    assert mean[4] == mean.max()
    # splitting true groups is not reproducible (merging them can be: a coarse k may be stable
    # too, which is why the page shows stability beside the silhouette, not instead of it)
    assert mean[[5, 6, 7]].max() < mean[4] - 0.05


def test_a_given_k_gets_only_its_own_stability_and_none_when_switched_off():
    frame, _ = blobs(600)
    seg = BehaviourSegmenter(features=FEATURES, n_factors=2, n_clusters=3, random_state=0).fit(frame)
    assert seg.silhouettes_ == {} and set(seg.stability_["k"]) == {3}
    off = BehaviourSegmenter(features=FEATURES, n_factors=2, n_clusters=3, stability_resamples=0).fit(frame)
    assert off.stability_.empty and list(off.stability_.columns) == ["k", "resample", "ari"]


def test_same_seed_same_stability():
    frame, _ = blobs(800)
    a = BehaviourSegmenter(features=FEATURES, n_factors=2, k_range=(3, 5), random_state=3).fit(frame)
    b = BehaviourSegmenter(features=FEATURES, n_factors=2, k_range=(3, 5), random_state=3).fit(frame)
    pd.testing.assert_frame_equal(a.stability_, b.stability_)


def test_zscores_and_factor_variance_agree_with_pandas(fitted):
    seg, frame, _ = fitted
    values = frame[FEATURES]
    want = (values.groupby(seg.labels_).mean() - values.mean()) / values.std(ddof=0)
    assert np.allclose(seg.zscores_.loc[want.index, FEATURES].to_numpy(), want.to_numpy(), rtol=1e-9)
    # the sample is every row here (2400 < sample_size): the factors' total variance is the sum
    # of the largest eigenvalues of the correlation matrix, whatever the rotation
    eig = np.sort(np.linalg.eigvalsh(values.corr().to_numpy()))[::-1]
    variance = seg.factor_variance_.loc["variance"].to_numpy()
    assert variance.sum() == pytest.approx(eig[:2].sum(), rel=1e-9)
    assert np.allclose(seg.factor_variance_.loc["proportion"], variance / len(FEATURES))


def test_feature_and_factor_labels_in_both_languages():
    assert feature_label("share_mobile_banking") == "mobile banking"
    assert feature_label("share_mobile_banking", "zh") == "手机银行使用"
    assert feature_label("has_mortgage", "zh").startswith("持有")
    loading = pd.Series({"share_atm": -0.9, "log_aum": 0.5, "has_mortgage": 0.1})
    assert factor_label(loading) == "-atm & aum"
    assert factor_label(loading, "zh") == "-自动取款机使用、资产"


def test_the_run_records_stability_per_candidate_k(segmentation_and_value_runs):
    seg, _ = segmentation_and_value_runs
    choice = pd.read_parquet(seg.outputs["k_choice"])
    raw = pd.read_parquet(seg.outputs["stability"])
    assert set(seg.metrics["stability"]) == set(choice["k"]) == {int(k) for k in seg.metrics["silhouettes"]}
    for row in choice.itertuples():
        assert row.stability == pytest.approx(raw.loc[raw["k"] == row.k, "ari"].mean(), rel=1e-12)
        assert row.stability == pytest.approx(seg.metrics["stability"][row.k], rel=1e-12)
        assert row.chosen == (row.k == seg.metrics["n_clusters"])
    for name in ("factors", "zscores", "loadings", "profiles"):
        assert seg.outputs[name].is_file()
