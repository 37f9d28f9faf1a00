"""Rule metrics, calibration, bands and best offers against independent pandas computations
(no warehouse): every figure the Cross-sell page shows from these is worked out again here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mining import metrics
from mining.crosssell import best_offers, targets_from
from mining.rules import AssociationRules

REL = 1e-12


def baskets(seed: int = 3, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.4
    b = np.where(a, rng.random(n) < 0.7, rng.random(n) < 0.2)  # b follows a
    c = rng.random(n) < 0.3
    d = a & (rng.random(n) < 0.5)  # every holder of d holds a: confidence(d -> a) = 1
    return pd.DataFrame({"A": a, "B": b, "C": c, "D": d})


def pandas_rules(frame: pd.DataFrame) -> pd.DataFrame:
    """Every single-consequent rule over itemsets of up to 3 items, by brute force."""
    from itertools import combinations

    n = len(frame)
    rows = []
    items = list(frame.columns)
    for size in (2, 3):
        for itemset in combinations(items, size):
            both = frame[list(itemset)].all(axis=1).mean()
            for consequent in itemset:
                ante = [i for i in itemset if i != consequent]
                s_a = frame[ante].all(axis=1).mean()
                s_b = frame[consequent].mean()
                conf = both / s_a if s_a else np.nan
                rows.append(
                    {
                        "key": (tuple(sorted(ante)), consequent),
                        "support": both,
                        "confidence": conf,
                        "lift": conf / s_b,
                        "leverage": both - s_a * s_b,
                        "conviction": math.inf if conf == 1 else (1 - s_b) / (1 - conf),
                        "count": round(both * n),
                    }
                )
    return pd.DataFrame(rows).set_index("key")


def test_rule_metrics_equal_a_brute_force_pandas_computation():
    frame = baskets()
    fitted = AssociationRules(min_support=0.02, min_confidence=0.0, max_len=3).fit(frame)
    want = pandas_rules(frame)
    want = want[want["count"] >= math.ceil(0.02 * len(frame))]
    got = {(tuple(sorted(r["antecedent"])), r["consequent"]): r for r in fitted.rules_.to_dict("records")}
    assert set(got) == set(want.index)
    for key in want.index:
        for column in ("support", "confidence", "lift", "leverage", "conviction"):
            g, w = got[key][column], want.loc[[key]].iloc[0][column]
            if math.isinf(w):
                assert math.isinf(g), (key, column)
            else:
                assert g == pytest.approx(w, rel=1e-9), (key, column)
    # the rule D -> A holds for every holder of D: conviction is infinite
    assert math.isinf(got[(("D",), "A")]["conviction"])


def test_calibration_is_the_mean_score_and_rate_per_decile():
    rng = np.random.default_rng(0)
    score = rng.random(1003)
    y = rng.random(1003) < score
    table = metrics.calibration_table(y, score)
    order = np.argsort(-score, kind="stable")
    frame = pd.DataFrame({"s": score[order], "y": y[order].astype(float)})
    edges = np.linspace(0, len(frame), 11).round().astype(int)
    frame["decile"] = np.searchsorted(edges, np.arange(len(frame)), side="right")
    want = frame.groupby("decile").agg(
        customers=("s", "size"), mean_score=("s", "mean"), observed_rate=("y", "mean")
    )
    assert table["customers"].tolist() == want["customers"].tolist()
    assert np.allclose(table["mean_score"], want["mean_score"], rtol=REL)
    assert np.allclose(table["observed_rate"], want["observed_rate"], rtol=REL)
    # the same deciles as the lift table
    deciles = metrics.decile_table(y, score)
    assert deciles["customers"].tolist() == table["customers"].tolist()
    assert np.allclose(deciles["rate"], table["observed_rate"], rtol=REL)


def test_rank_bands_cut_the_ranking_at_ten_and_thirty_percent():
    rng = np.random.default_rng(1)
    score = rng.random(997)
    score[[5, 17]] = np.nan
    bands = metrics.rank_bands(score)
    s = pd.Series(score)
    rank = s.rank(ascending=False, method="first")
    n = s.notna().sum()
    want = np.where(rank <= round(0.1 * n), "high", np.where(rank <= round(0.3 * n), "medium", "low"))
    valid = s.notna().to_numpy()
    assert (bands[valid] == want[valid]).all()
    assert bands[5] is None and bands[17] is None
    assert (bands == "high").sum() == round(0.1 * n)


def test_best_offer_is_the_highest_expected_value_among_products_not_held():
    rng = np.random.default_rng(2)
    n = 400
    scores = pd.DataFrame({p: rng.random(n) for p in ("P1", "P2", "P3")})
    scores = scores.mask(rng.random((n, 3)) < 0.3)  # held: not scored
    scores.iloc[7] = np.nan  # holds everything: no offer
    values = {"P1": 120.0, "P2": 40.0, "P3": 300.0}
    ids = np.arange(1000, 1000 + n)
    got = best_offers(scores, ids, values).set_index("customer_id")
    long = scores.assign(customer_id=ids).melt("customer_id", var_name="product", value_name="score").dropna()
    long["value"] = long["score"] * long["product"].map(values)
    best = long.sort_values(["customer_id", "value"], ascending=[True, False]).groupby("customer_id").head(1)
    best = best.set_index("customer_id")
    assert sorted(got.index) == sorted(best.index) and 1007 not in got.index
    assert (got.loc[best.index, "best_offer"] == best["product"]).all()
    assert np.allclose(got.loc[best.index, "offer_value"], best["value"], rtol=REL)
    assert np.allclose(got.loc[best.index, "offer_score"], best["score"], rtol=REL)
    assert (got["propensity_band"].to_numpy() == metrics.rank_bands(got["offer_score"].to_numpy())).all()


def test_targets_rank_the_non_holders_of_a_product():
    scores = pd.DataFrame({"P": [0.2, np.nan, 0.9, 0.5]})
    frame = targets_from(scores, np.array([11, 12, 13, 14]), "P")
    assert frame["customer_id"].tolist() == [13, 14, 11]
    assert frame["rank"].tolist() == [1, 2, 3]
