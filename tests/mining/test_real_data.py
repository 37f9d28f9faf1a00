"""The models on public data nobody on this project made, against published figures."""

from __future__ import annotations

import numpy as np
import pytest
from mlxtend.frequent_patterns import apriori
from mlxtend.frequent_patterns import association_rules as mlx_rules
from sklearn.model_selection import train_test_split

from mining import metrics
from mining.churn import ChurnModel
from mining.classifier import cross_validate
from mining.response import ResponseModel
from mining.rules import AssociationRules, baskets_to_matrix
from tests.mining import _real


def test_response_model_on_bank_marketing_cv_meets_moro_figures():
    X, y = _real.bank_marketing()
    folds = cross_validate(ResponseModel(random_state=0), X, y, folds=5, random_state=0)
    print("\nbank marketing 5-fold CV:\n", folds.round(4).to_string())
    assert len(folds) == 5
    assert folds["auc"].mean() >= 0.80
    assert folds["alift"].mean() >= 0.74


def test_response_model_time_ordered_holdout_is_reported():
    # The last 20% of rows come from a later, changed market: reported, no threshold.
    X, y = _real.bank_marketing()
    cut = int(len(X) * 0.8)
    model = ResponseModel(random_state=0).fit(X.iloc[:cut], y[:cut])
    report = metrics.binary_report(y[cut:], model.score_samples(X.iloc[cut:]))
    print("\nbank marketing time-ordered holdout:", {k: round(v, 4) for k, v in report.items()})
    # Still far better than a random order, even after the market changed.
    assert report["auc"] > 0.6


def test_churn_model_on_bank_churners_holdout_auc():
    X, y = _real.bank_churners()
    train, test = train_test_split(np.arange(len(X)), test_size=0.2, stratify=y, random_state=0)
    model = ChurnModel(random_state=0).fit(X.iloc[train], y[train])
    report = model.evaluate(X.iloc[test], y[test])
    print("\nbank churners holdout:", {k: round(v, 4) for k, v in report["metrics"].items()})
    assert report["metrics"]["auc"] >= 0.98
    drivers = model.drivers(X.iloc[test], y[test], n_repeats=2, max_rows=2000)
    # Activity collapse is the known churn signal in this data set.
    assert drivers["feature"].iloc[0] in {"Total_Trans_Ct", "Total_Trans_Amt", "Total_Ct_Chng_Q4_Q1"}


@pytest.fixture(scope="module")
def groceries_rules():
    matrix = baskets_to_matrix(_real.groceries())
    return matrix, AssociationRules(min_support=0.006, min_confidence=0.25).fit(matrix)


def test_groceries_rules_match_arules_count_and_top_rule(groceries_rules):
    matrix, model = groceries_rules
    assert matrix.shape == (9835, 169)
    rules = model.rules_
    assert len(rules) == 463
    top = rules.iloc[0]
    assert top["antecedent"] == ("herbs",) and top["consequent"] == "root vegetables"
    assert top["support"] == pytest.approx(0.00702, abs=5e-6)
    assert top["confidence"] == pytest.approx(0.431, abs=5e-4)
    assert top["lift"] == pytest.approx(3.956, abs=5e-4)


def test_groceries_rules_equal_mlxtend(groceries_rules):
    matrix, model = groceries_rules
    itemsets = apriori(matrix, min_support=0.006, use_colnames=True)
    theirs = mlx_rules(itemsets, metric="confidence", min_threshold=0.25)
    theirs = theirs[theirs["consequents"].map(len) == 1]
    theirs_key = {
        (frozenset(a), next(iter(c))): (s, conf, lift, lev)
        for a, c, s, conf, lift, lev in theirs[
            ["antecedents", "consequents", "support", "confidence", "lift", "leverage"]
        ].itertuples(index=False)
    }
    ours = model.rules_
    ours_key = {
        (frozenset(a), c): (s, conf, lift, lev)
        for a, c, s, conf, lift, lev in ours[
            ["antecedent", "consequent", "support", "confidence", "lift", "leverage"]
        ].itertuples(index=False)
    }
    assert set(ours_key) == set(theirs_key)
    for key, values in ours_key.items():
        assert np.allclose(values, theirs_key[key], rtol=0, atol=1e-9), key
    # Frequent itemsets agree too (same count at every size).
    assert len(model.itemsets_) == len(itemsets)
