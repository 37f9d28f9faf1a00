"""Ranking metrics for scoring models: AUC, cumulative gain, lift and ALIFT.

A banker contacts the customers a model ranks highest, so the figures that matter are how many
responders (or churners) the top of the list holds: the cumulative gain curve (x = fraction of
customers contacted, y = fraction of positives found) and the lift (how many times better than
random). ALIFT is the area under the cumulative gain curve, normalised to [0, 1], as Moro,
Cortez and Rita (2014) define it (random ranking ~0.5, perfect ranking ~1 - base_rate / 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def _ordered_hits(y_true: np.ndarray, score: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true, dtype=np.float64)
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    return y[order]


def auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve."""
    return float(roc_auc_score(np.asarray(y_true, dtype=bool), np.asarray(score, dtype=np.float64)))


def gain_curve(y_true: np.ndarray, score: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Cumulative gain and lift on an even grid of contact fractions.

    Parameters
    ----------
    y_true : array of bool or 0/1
        Actual outcome.
    score : array of float
        Model score; higher means more likely positive.
    points : int
        Number of grid points from 0 to 1 inclusive.

    Returns
    -------
    DataFrame
        ``fraction`` contacted, ``gain`` (fraction of positives found), ``lift`` (gain / fraction;
        NaN at fraction 0) and ``random`` (the gain of a random order, equal to ``fraction``).
    """
    hits = _ordered_hits(y_true, score)
    n = len(hits)
    found = np.concatenate([[0.0], np.cumsum(hits)]) / max(hits.sum(), 1.0)
    fraction = np.linspace(0.0, 1.0, points)
    gain = np.interp(fraction * n, np.arange(n + 1), found)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(fraction > 0, gain / fraction, np.nan)
    return pd.DataFrame({"fraction": fraction, "gain": gain, "lift": lift, "random": fraction})


def alift(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the cumulative gain ("cumulative LIFT") curve, in [0, 1].

    Computed exactly over every customer (one step per customer), so it does not depend on a
    grid: the trapezoid area of the curve through (i / n, positives in the top i / positives).
    """
    hits = _ordered_hits(y_true, score)
    n = len(hits)
    found = np.concatenate([[0.0], np.cumsum(hits)]) / max(hits.sum(), 1.0)
    return float(np.trapezoid(found, dx=1.0 / n))


def lift_at(y_true: np.ndarray, score: np.ndarray, fraction: float) -> float:
    """Lift in the top ``fraction`` of the ranking: its positive rate over the overall rate."""
    hits = _ordered_hits(y_true, score)
    top = max(1, int(round(fraction * len(hits))))
    base = hits.mean()
    return float(hits[:top].mean() / base) if base > 0 else float("nan")


def decile_table(y_true: np.ndarray, score: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Positives, rate and lift per score decile (1 = highest scores), for a lift bar chart."""
    hits = _ordered_hits(y_true, score)
    n = len(hits)
    edges = np.linspace(0, n, bins + 1).round().astype(int)
    rows = []
    base = hits.mean() if n else 0.0
    for i in range(bins):
        part = hits[edges[i] : edges[i + 1]]
        rate = float(part.mean()) if len(part) else 0.0
        rows.append(
            {
                "decile": i + 1,
                "customers": len(part),
                "positives": int(part.sum()),
                "rate": rate,
                "lift": rate / base if base > 0 else float("nan"),
                "cumulative_gain": float(hits[: edges[i + 1]].sum() / max(hits.sum(), 1.0)),
            }
        )
    return pd.DataFrame(rows)


def binary_report(y_true: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """The headline figures for a scored holdout: AUC, ALIFT, lift at 10% and 20%, base rate."""
    y = np.asarray(y_true, dtype=bool)
    return {
        "auc": auc(y, score),
        "alift": alift(y, score),
        "lift_10": lift_at(y, score, 0.10),
        "lift_20": lift_at(y, score, 0.20),
        "base_rate": float(y.mean()),
        "rows": float(len(y)),
    }


def calibration_table(y_true: np.ndarray, score: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability per score decile (1 = highest scores): the mean predicted probability beside
    the observed rate, so a reader sees whether a score of 0.3 means 30 in 100.

    The deciles are the equal-count slices of :func:`decile_table` (same order, same edges).

    Returns
    -------
    DataFrame
        ``decile``, ``customers``, ``mean_score``, ``observed_rate``.
    """
    s = np.asarray(score, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    y = np.asarray(y_true, dtype=np.float64)[order]
    s = s[order]
    edges = np.linspace(0, len(s), bins + 1).round().astype(int)
    rows = []
    for i in range(bins):
        part = slice(edges[i], edges[i + 1])
        n = edges[i + 1] - edges[i]
        rows.append(
            {
                "decile": i + 1,
                "customers": int(n),
                "mean_score": float(s[part].mean()) if n else float("nan"),
                "observed_rate": float(y[part].mean()) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def quality_frames(y_true: np.ndarray, score: np.ndarray) -> dict[str, pd.DataFrame]:
    """Everything a model-quality panel draws for one scored holdout, as frames a run writes:
    ``metrics`` (one row of :func:`binary_report`), ``gain`` (:func:`gain_curve`), ``deciles``
    (:func:`decile_table`) and ``calibration`` (:func:`calibration_table`)."""
    return {
        "metrics": pd.DataFrame([binary_report(y_true, score)]),
        "gain": gain_curve(y_true, score),
        "deciles": decile_table(y_true, score),
        "calibration": calibration_table(y_true, score),
    }


BANDS = ("high", "medium", "low")


def rank_bands(score: np.ndarray, cuts: tuple[float, float] = (0.1, 0.3)) -> np.ndarray:
    """``"high"`` for the top ``cuts[0]`` of the scores, ``"medium"`` down to ``cuts[1]``, else
    ``"low"`` (NaN scores get None). Ranks, not probability thresholds: a band then holds a
    known share of the customers, whatever the calibration; ties keep the given order.

    The rank of the i-th best score is i (1-based); it is "high" when i <= round(cuts[0] * n).
    """
    s = np.asarray(score, dtype=np.float64)
    out = np.full(len(s), None, dtype=object)
    valid = np.flatnonzero(~np.isnan(s))
    n = len(valid)
    if n == 0:
        return out
    order = valid[np.argsort(-s[valid], kind="stable")]
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    high, medium = round(cuts[0] * n), round(cuts[1] * n)
    r = rank[valid]
    out[valid] = np.where(r <= high, BANDS[0], np.where(r <= medium, BANDS[1], BANDS[2]))
    return out
