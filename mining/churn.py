"""Churn warning and dormancy.

:class:`ChurnModel` is the shared :class:`~mining.classifier.ScoringModel` with churn-specific
outputs: a warning list and the top drivers (permutation importance). :func:`rank_dormant`
orders dormant customers by activation value: what they were worth (past contribution) times
how likely they are to come back (a reactivation model trained on earlier dormant customers).
:func:`score_drivers` names the feature behind each customer's score, :func:`risk_frame` the
per-customer columns published to the cube (risk and activation bands).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining import metrics
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


def score_drivers(
    model: ScoringModel, X: pd.DataFrame, candidates: list[str], reference: dict[str, float] | None = None
) -> np.ndarray:
    """The top driver behind each customer's score: of ``candidates`` (numeric features, e.g.
    the model's strongest by permutation importance), the one whose value, set to the typical
    value (``reference``, default the median of ``X``), lowers that customer's score the most.

    One extra scoring pass per candidate, so it stays cheap on every customer; a customer whose
    score no candidate lowers gets None (nothing unusual drives it).
    """
    base = model.score_samples(X)
    best = np.zeros(len(X))
    names = np.full(len(X), None, dtype=object)
    for feature in candidates:
        if feature not in X.columns or not pd.api.types.is_numeric_dtype(X[feature]):
            continue
        typical = (reference or {}).get(feature, float(X[feature].median()))
        drop = base - model.score_samples(X.assign(**{feature: typical}))
        better = drop > best
        best = np.where(better, drop, best)
        names[better] = feature
    return names


def risk_frame(warnings: pd.DataFrame, dormant: pd.DataFrame | None) -> pd.DataFrame:
    """One row per scored customer, the columns the cube publishes as customer dimensions:
    ``customer_id``, ``churn_score``, ``churn_band``, ``value_at_risk``, ``churn_driver`` (if
    the warning list has it), and for dormant customers ``reactivation_score``,
    ``activation_value`` and ``activation_band`` (null for the others). Bands are
    :func:`mining.metrics.rank_bands` (top 10% high, next 20% medium) of the churn score and,
    among dormant customers, of the activation value."""
    out = warnings.drop(columns=["rank"]).copy()
    out["churn_band"] = metrics.rank_bands(out["churn_score"].to_numpy())
    if "churn_driver" not in out:
        out["churn_driver"] = pd.Series([None] * len(out), dtype=object)
    if dormant is not None and len(dormant):
        d = dormant[["customer_id", "reactivation_score", "activation_value"]].copy()
        d["activation_band"] = metrics.rank_bands(d["activation_value"].to_numpy())
        out = out.merge(d, on="customer_id", how="left")
    else:
        out["reactivation_score"] = np.nan
        out["activation_value"] = np.nan
        out["activation_band"] = pd.Series([None] * len(out), dtype=object)
    columns = ["customer_id", "churn_score", "churn_band", "value_at_risk", "churn_driver"]
    columns += ["reactivation_score", "activation_value", "activation_band"]
    return out[columns].sort_values("customer_id", kind="stable").reset_index(drop=True)
