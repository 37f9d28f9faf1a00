"""Churn warning and dormancy.

:class:`ChurnModel` is the shared :class:`~mining.classifier.ScoringModel` with churn-specific
outputs: a warning list and the top drivers (permutation importance). :func:`rank_dormant`
orders dormant customers by activation value: what they were worth (past contribution) times
how likely they are to come back (a reactivation model trained on earlier dormant customers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.classifier import ScoringModel


class ChurnModel(ScoringModel):
    """Scores the likelihood that a customer closes within the horizon (see :class:`ScoringModel`)."""

    def warning_list(self, X: pd.DataFrame, ids, value=None, top: int | None = None) -> pd.DataFrame:
        """Customers ranked by churn risk (or by value at risk when ``value`` is given).

        Returns
        -------
        DataFrame
            ``customer_id``, ``churn_score``, ``value_at_risk`` (score x value, or NaN), ``rank``.
        """
        score = self.score_samples(X)
        at_risk = (
            score * np.asarray(value, dtype=np.float64) if value is not None else np.full(len(score), np.nan)
        )
        key = at_risk if value is not None else score
        order = np.argsort(-key, kind="stable")
        frame = pd.DataFrame(
            {
                "customer_id": np.asarray(ids)[order],
                "churn_score": score[order],
                "value_at_risk": at_risk[order],
                "rank": np.arange(1, len(order) + 1, dtype=np.int64),
            }
        )
        return frame.head(top) if top is not None else frame


def rank_dormant(
    model: ScoringModel, X: pd.DataFrame, ids, past_value, top: int | None = None
) -> pd.DataFrame:
    """Dormant customers ranked by activation value = past value x reactivation likelihood.

    Parameters
    ----------
    model : ScoringModel
        Fitted reactivation model (positive class = became active again).
    X : DataFrame
        Features of the dormant customers.
    ids, past_value : array
        Customer ids and each one's past value (e.g. average monthly contribution), aligned with X.

    Returns
    -------
    DataFrame
        ``customer_id``, ``reactivation_score``, ``past_value``, ``activation_value``, ``rank``.
    """
    score = model.score_samples(X)
    value = np.clip(np.asarray(past_value, dtype=np.float64), 0.0, None)
    activation = score * value
    order = np.argsort(-activation, kind="stable")
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(ids)[order],
            "reactivation_score": score[order],
            "past_value": value[order],
            "activation_value": activation[order],
            "rank": np.arange(1, len(order) + 1, dtype=np.int64),
        }
    )
    return frame.head(top) if top is not None else frame
