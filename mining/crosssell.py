"""Cross-sell: per-product propensity models, ranked target lists, segment x product affinity.

For each product, a :class:`~mining.classifier.ScoringModel` learns who holds it from everything
else about the customer (other products held, behaviour, profile), trained on a sample; scoring
the customers who do *not* hold it ranks the best prospects (those who look like holders).
Holdout lift and gain curves show how much better than random the ranking is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining import metrics
from mining.classifier import ScoringModel


class PropensityModels:
    """One propensity model per product.

    Parameters
    ----------
    products : sequence of str, optional
        Product columns of the holdings matrix to model; default all held by >= ``min_holders``.
    train_size : int
        Rows sampled to train each model (all rows are scored).
    holdout : float
        Share of the sample kept aside for the lift and gain curves.
    min_holders : int
        Products with fewer holders are skipped (too few to learn from).
    random_state : int
    own_features : dict of str -> sequence of str, optional
        Per product, the feature columns that already encode holding it (a loan's balance for a
        loan product): dropped from that product's model so it does not learn the answer.
        ``product_count`` is always dropped, since it counts the target product too.

    Attributes
    ----------
    models_ : dict of str -> ScoringModel
    metrics_ : DataFrame
        Per product: ``product``, ``holders``, ``auc``, ``alift``, ``lift_10``, ``base_rate``.
    gains_ : dict of str -> DataFrame
        Holdout gain/lift curve per product.
    """

    def __init__(
        self,
        products: list[str] | None = None,
        train_size: int = 50_000,
        holdout: float = 0.25,
        min_holders: int = 50,
        random_state: int = 0,
        own_features: dict[str, tuple[str, ...]] | None = None,
    ):
        self.products = products
        self.train_size = train_size
        self.holdout = holdout
        self.min_holders = min_holders
        self.random_state = random_state
        self.own_features = own_features

    def fit(self, held: pd.DataFrame, X: pd.DataFrame, progress=None) -> PropensityModels:
        """Fit on ``held`` (bool, customers x products) and features ``X`` (same rows, same order).

        ``progress``, if given, is called with (fraction, message) after each product.
        """
        if len(held) != len(X):
            raise ValueError("held and X must have the same rows")
        holders = held.sum(axis=0)
        products = self.products or [p for p in held.columns if self.min_holders <= holders[p] < len(held)]
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(len(X), min(self.train_size, len(X)), replace=False))
        cut = int(len(sample) * (1 - self.holdout))
        shuffled = rng.permutation(sample)
        train, test = np.sort(shuffled[:cut]), np.sort(shuffled[cut:])
        self.models_, self.gains_, rows = {}, {}, []
        for i, product in enumerate(products):
            y = held[product].to_numpy(dtype=bool)
            features = self._features(held, X, product)
            if y[train].all() or not y[train].any():
                continue
            model = ScoringModel(random_state=self.random_state).fit(features.iloc[train], y[train])
            self.models_[product] = model
            if y[test].any() and not y[test].all():
                score = model.score_samples(features.iloc[test])
                report = metrics.binary_report(y[test], score)
                self.gains_[product] = metrics.gain_curve(y[test], score)
            else:
                report = {
                    "auc": np.nan,
                    "alift": np.nan,
                    "lift_10": np.nan,
                    "base_rate": float(y[test].mean()),
                }
            rows.append(
                {
                    "product": product,
                    "holders": int(holders[product]),
                    **{k: report[k] for k in ("auc", "alift", "lift_10", "base_rate")},
                }
            )
            if progress:
                progress((i + 1) / len(products), f"propensity model {product}")
        self.metrics_ = pd.DataFrame(rows)
        return self

    def _features(self, held: pd.DataFrame, X: pd.DataFrame, product: str) -> pd.DataFrame:
        # Other products held are the strongest cross-sell signal; the target itself must go,
        # and so must every feature that encodes holding it (target leakage).
        others = held.drop(columns=[product]).astype(np.float64)
        others.columns = [f"holds_{c}" for c in others.columns]
        leaky = {"customer_id", "product_count", *(self.own_features or {}).get(product, ())}
        base = X.drop(columns=[c for c in X.columns if c in leaky])
        return pd.concat([base.reset_index(drop=True), others.reset_index(drop=True)], axis=1)

    def targets(self, held: pd.DataFrame, X: pd.DataFrame, ids, product: str, top: int | None = None):
        """Non-holders of ``product`` ranked by propensity.

        Returns ``customer_id``, ``product``, ``score``, ``rank`` (1 = best prospect).
        """
        y = held[product].to_numpy(dtype=bool)
        features = self._features(held, X, product)
        candidates = np.flatnonzero(~y)
        score = self.models_[product].score_samples(features.iloc[candidates])
        order = np.argsort(-score, kind="stable")
        frame = pd.DataFrame(
            {
                "customer_id": np.asarray(ids)[candidates[order]],
                "product": product,
                "score": score[order],
                "rank": np.arange(1, len(order) + 1, dtype=np.int64),
            }
        )
        return frame.head(top) if top is not None else frame


def affinity_table(held: pd.DataFrame, segments: np.ndarray) -> pd.DataFrame:
    """Segment x product affinity: holding rate in the segment over the overall holding rate.

    Returns
    -------
    DataFrame
        Rows = segment, columns = product; 1 means average, 2 means twice as common.
    """
    frame = held.astype(np.float64)
    overall = frame.mean(axis=0).replace(0, np.nan)
    return frame.groupby(np.asarray(segments)).mean().div(overall, axis=1)
