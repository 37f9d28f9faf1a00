"""The composite score ranks by the declared weights, scaled against the best unit."""

from __future__ import annotations

import pandas as pd
import pytest

from cube.views.branches import SCORE_WEIGHTS as WEIGHTS
from cube.views.branches import composite_score


def _frame(rows):
    return pd.DataFrame(rows, columns=["name", *WEIGHTS])


def test_weights_sum_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_best_on_every_part_scores_100_and_ranks_first():
    frame = _frame([("a", 10, 5, 2, 4, 1.2), ("b", 5, 5, 1, 2, 0.6), ("c", 0, 0, 0, 0, 0)])
    scored = composite_score(frame).set_index("name")
    assert scored.loc["a", "score"] == pytest.approx(100.0)
    assert scored.loc["c", "score"] == 0
    # b: half of a's AUM, contribution, new customers and attainment, equal deposits
    expected_b = 100 * (
        0.5 * (WEIGHTS["aum"] + WEIGHTS["contribution"] + WEIGHTS["new_customers"] + WEIGHTS["attainment"])
        + WEIGHTS["deposits"]
    )
    assert scored.loc["b", "score"] == pytest.approx(expected_b, abs=0.05)
    assert list(scored["rank"]) == [1, 2, 3]


def test_ties_share_a_rank_and_negative_values_count_as_zero():
    frame = _frame([("a", 1, 1, -5, 1, 1), ("b", 1, 1, 0, 1, 1)])
    scored = composite_score(frame)
    assert list(scored["rank"]) == [1, 1]
    assert scored["score"].nunique() == 1
