"""Customer value: a composite score, the customer pyramid and potential big customers.

The score is a weighted mean of percentile ranks (0-1) of balance, contribution, activity,
tenure and product breadth, so it does not depend on units and one extreme balance cannot
dominate it. Tiers cut the score at quantiles (top 1% private, next 4% VIP, ... by default).
"Potential big customers" are those whose value predicted from their profile (a regression of
the score on slow-moving features such as age, income and occupation) sits well above the
score they have today: the bank has not yet won their wallet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import cross_val_predict

DEFAULT_WEIGHTS = {
    "aum": 0.35,
    "contribution": 0.30,
    "txn_count": 0.15,
    "tenure_months": 0.10,
    "product_count": 0.10,
}
# Share of customers in each tier, from the top of the pyramid down.
DEFAULT_TIERS = (("private", 0.01), ("vip", 0.04), ("gold", 0.15), ("silver", 0.30), ("mass", 0.50))


class ValueScorer:
    """Composite value score, pyramid tiers and potential big customers.

    Parameters
    ----------
    weights : dict of str -> float, optional
        Column -> weight (normalised to sum to 1); default :data:`DEFAULT_WEIGHTS`.
    tiers : sequence of (name, share)
        Tier names from the top down and the share of customers in each (sum 1).
    profile_columns : sequence of str, optional
        Columns the potential-value regression uses; default every column not in ``weights``
        and not ``customer_id``.
    potential_gap : float
        A customer is a potential big customer when predicted minus actual score exceeds this.
    random_state : int

    Attributes
    ----------
    thresholds_ : dict of str -> float
        Lowest score of each tier.
    scores_ : DataFrame
        ``customer_id``, ``value_score`` (0-100), ``value_tier``, ``predicted_score``,
        ``potential_gap``, ``potential_tier``, ``is_potential``.
    """

    def __init__(
        self,
        weights: dict[str, float] | None = None,
        tiers: tuple[tuple[str, float], ...] = DEFAULT_TIERS,
        profile_columns: list[str] | None = None,
        potential_gap: float = 20.0,
        random_state: int = 0,
    ):
        self.weights = weights
        self.tiers = tiers
        self.profile_columns = profile_columns
        self.potential_gap = potential_gap
        self.random_state = random_state

    def fit(self, X: pd.DataFrame) -> ValueScorer:
        """Score, tier and find potential big customers among the rows of ``X``."""
        weights = dict(self.weights or DEFAULT_WEIGHTS)
        missing = [c for c in weights if c not in X.columns]
        if missing:
            raise ValueError(f"missing value columns: {missing}")
        total = sum(weights.values())
        if total <= 0 or any(w < 0 for w in weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        if abs(sum(s for _, s in self.tiers) - 1.0) > 1e-9:
            raise ValueError("tier shares must sum to 1")
        self.weights_ = {k: v / total for k, v in weights.items()}
        score = self.score(X)
        # Cut points from the top: the top 1% of scores are private, and so on.
        cumulative = np.cumsum([s for _, s in self.tiers])[:-1]
        cuts = np.quantile(score, 1.0 - cumulative)
        self.thresholds_ = {name: float(c) for (name, _), c in zip(self.tiers, cuts, strict=False)}
        self.thresholds_[self.tiers[-1][0]] = float(score.min())
        tier = self.tier_of(score)

        predicted = self._predict_potential(X, score)
        gap = predicted - score
        self.scores_ = pd.DataFrame(
            {
                "customer_id": X["customer_id"].to_numpy() if "customer_id" in X else np.arange(len(X)),
                "value_score": score,
                "value_tier": tier,
                "predicted_score": predicted,
                "potential_gap": gap,
                "potential_tier": self.tier_of(predicted),
                "is_potential": (gap > self.potential_gap)
                & (self._rank(tier) > self._rank(self.tier_of(predicted))),
            }
        )
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Composite score 0-100: weighted mean of the columns' percentile ranks."""
        parts = [w * X[c].rank(pct=True, method="average").to_numpy() for c, w in self.weights_.items()]
        return 100.0 * np.sum(parts, axis=0)

    def tier_of(self, score: np.ndarray) -> np.ndarray:
        """Tier name for each score, using the fitted thresholds."""
        names = [name for name, _ in self.tiers]
        out = np.full(len(score), names[-1], dtype=object)
        # Walk from the bottom up so the highest tier a score reaches wins.
        for name in reversed(names[:-1]):
            out[score >= self.thresholds_[name]] = name
        return out

    def _rank(self, tier: np.ndarray) -> np.ndarray:
        order = {name: i for i, (name, _) in enumerate(self.tiers)}
        return np.array([order[t] for t in tier])

    def _predict_potential(self, X: pd.DataFrame, score: np.ndarray) -> np.ndarray:
        columns = self.profile_columns or [
            c for c in X.columns if c not in self.weights_ and c != "customer_id"
        ]
        if not columns:
            return score.copy()
        frame = X[columns].copy()
        for c in columns:
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
                frame[c] = pd.Categorical(frame[c].astype("string"))
        model = HistGradientBoostingRegressor(
            max_iter=150, categorical_features="from_dtype", random_state=self.random_state
        )
        # Out-of-fold predictions: a customer's own score must not leak into its prediction.
        return cross_val_predict(model, frame, score, cv=3)

    def tier_summary(self, X: pd.DataFrame, aum_column: str = "aum") -> pd.DataFrame:
        """Customers, share and AUM share per tier, top of the pyramid first."""
        frame = self.scores_.assign(aum=X[aum_column].to_numpy() if aum_column in X else np.nan)
        total = frame["aum"].sum()
        rows = []
        for name, _ in self.tiers:
            part = frame[frame["value_tier"] == name]
            rows.append(
                {
                    "value_tier": name,
                    "customers": len(part),
                    "share": len(part) / len(frame),
                    "aum_share": part["aum"].sum() / total if total else np.nan,
                    "min_score": self.thresholds_[name],
                    "potential": int(part["is_potential"].sum()),
                }
            )
        return pd.DataFrame(rows)
