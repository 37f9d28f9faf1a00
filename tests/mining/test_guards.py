"""The guards every supervised model applies inside its fit: identifier-like columns and
features that give the target away are left out with warnings, and category codes (a branch
number) enter the trees as categories, not as quantities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mining import guards, metrics
from mining.classifier import ScoringModel
from mining.errors import RunRefused


def _frame(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = signal + rng.normal(scale=1.0, size=n) > 0.8
    X = pd.DataFrame(
        {
            "customer_id": rng.permutation(n) + 100_000_000,  # unique per row
            "account_no": [f"AC{i:08d}" for i in rng.permutation(n)],  # unique text
            "balance": rng.lognormal(8, 1, n),  # continuous: unique too, but a real measure
            "signal": signal,
            "closed_flag": y.astype(int) * 1.0 + rng.normal(scale=0.01, size=n),  # the target itself
            "noise": rng.normal(size=n),
        }
    )
    return X, y


def test_an_id_column_and_a_leaking_column_are_dropped_with_warnings():
    X, y = _frame()
    model = ScoringModel(random_state=0, max_iter=60).fit(X, y)
    assert model.feature_names_ == ["balance", "signal", "noise"]
    found = {w["feature"]: w for w in model.warnings_}
    assert set(found) == {"customer_id", "account_no", "closed_flag"}
    assert found["customer_id"]["key"] == "identifier" and found["customer_id"]["distinct"] == len(X)
    assert found["account_no"]["key"] == "identifier"
    assert found["closed_flag"]["key"] == "leak" and found["closed_flag"]["auc"] >= guards.LEAK_AUC
    assert "closed_flag" in found["closed_flag"]["message"]
    # the honest signal is still learned, and scoring ignores the left-out columns
    score = model.score_samples(X)
    assert 0.75 < metrics.auc(y, score) < 0.99
    assert np.allclose(score, model.score_samples(X.drop(columns=["customer_id", "closed_flag"])))


def test_the_leak_rule_is_the_single_feature_auc():
    X, y = _frame()
    # an independent AUC (rank-sum) of the leaking column alone
    ranks = pd.Series(X["closed_flag"]).rank().to_numpy()
    pos = y.sum()
    auc = (ranks[y].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos))
    assert guards.single_feature_auc(X["closed_flag"], y, category=False) == pytest.approx(max(auc, 1 - auc))
    # a strong but honest feature stays well below the threshold
    assert guards.single_feature_auc(X["signal"], y, category=False) < 0.9


def test_a_missing_value_pattern_that_encodes_the_target_is_a_leak():
    rng = np.random.default_rng(1)
    n = 2000
    y = rng.random(n) < 0.2
    closed_on = np.where(y, rng.integers(1, 28, n), np.nan)  # only churners have a closing day
    X = pd.DataFrame({"closing_day": closed_on, "z": rng.normal(size=n)})
    with guards.collecting() as found:
        model = ScoringModel(max_iter=30).fit(X, y)
    assert model.feature_names_ == ["z"]
    assert [w["feature"] for w in found] == ["closing_day"]


def test_a_branch_code_enters_as_a_category():
    rng = np.random.default_rng(2)
    n = 6000
    branch = rng.integers(1, 41, n)
    favoured = np.isin(branch, [3, 11, 17, 24, 38])  # scattered codes: no numeric order helps
    y = rng.random(n) < np.where(favoured, 0.6, 0.1)
    X = pd.DataFrame({"branch_id": branch, "z": rng.normal(size=n)})
    model = ScoringModel(random_state=0, max_iter=80).fit(X, y)
    assert "branch_id" in model.categories_
    assert model.categories_["branch_id"] == sorted(str(b) for b in np.unique(branch))
    index = model.feature_names_.index("branch_id")
    assert model.model_.is_categorical_[index]
    assert not model.model_.is_categorical_[model.feature_names_.index("z")]
    assert metrics.auc(y, model.score_samples(X)) > 0.75
    # the same codes as floats (after a merge brought in a NaN elsewhere) are the same levels
    as_float = X.assign(branch_id=X["branch_id"].astype(float))
    assert np.allclose(model.score_samples(as_float), model.score_samples(X))


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("manager_id", np.arange(600) % 40, "category"),  # a repeating code: a category
        ("campaign_id", np.arange(600), "identifier"),  # unique per row
        ("contract_id", np.r_[np.arange(580), np.arange(20)], "identifier"),  # near-unique id
        ("grade", np.arange(600) % 5, "number"),  # a small integer quantity, not named as a code
        ("amount", np.random.default_rng(3).normal(size=600), "number"),  # continuous, unique
    ],
)
def test_identifier_and_category_rules(name, values, expected):
    column = pd.Series(values)
    reason = guards.identifier_reason(column, name)
    if expected == "identifier":
        assert reason is not None
    else:
        assert reason is None
        assert guards.is_category(column, name) == (expected == "category")


def test_a_declared_categorical_column_is_a_category():
    rng = np.random.default_rng(4)
    n = 1000
    X = pd.DataFrame({"grade": rng.integers(0, 5, n), "z": rng.normal(size=n)})
    y = rng.random(n) < 0.3
    model = ScoringModel(max_iter=20, categorical=("grade",)).fit(X, y)
    assert model.categories_ == {"grade": ["0", "1", "2", "3", "4"]}


def test_a_frame_of_nothing_but_identifiers_is_refused():
    n = 200
    X = pd.DataFrame({"customer_id": np.arange(n)})
    with pytest.raises(RunRefused) as caught:
        ScoringModel().fit(X, np.arange(n) % 2 == 0)
    assert caught.value.key == "model.no_features"
