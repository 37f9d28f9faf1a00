"""Cross-sell: per-product propensity models, ranked target lists, best next offers, segment x
product affinity.

For each product, a :class:`~mining.classifier.ScoringModel` learns who holds it from everything
else about the customer (other products held, behaviour, profile), trained on a sample; scoring
the customers who do *not* hold it ranks the best prospects (those who look like holders).
Holdout gain, lift and calibration show how much better than random the ranking is, and
permutation importance on the holdout what drives it.

A customer's *best next offer* is the product not yet held with the highest expected value:
propensity score x the product's mean monthly contribution among its holders (margin on the
average daily balance plus the fees of its transactions, in the run's month). The score alone
would push cheap, common products to everyone; the value weighs what a take-up is worth.
"""

from __future__ import annotations

import datetime as dt

import duckdb
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
    driver_rows : int
        Holdout rows (a seeded sample) the permutation importance is computed on: its cost
        grows with rows x features x repeats, and a few thousand rows rank the drivers stably.
    driver_repeats : int

    Attributes
    ----------
    models_ : dict of str -> ScoringModel
    metrics_ : DataFrame
        Per product: ``product``, ``holders``, ``auc``, ``alift``, ``lift_10``, ``base_rate``,
        ``holdout_rows``.
    gains_ : dict of str -> DataFrame
        Holdout gain/lift curve per product.
    deciles_, calibration_ : dict of str -> DataFrame
        Holdout decile table and reliability table per product (:mod:`mining.metrics`).
    drivers_ : dict of str -> DataFrame
        Permutation importance on the holdout per product (``feature``, ``importance``,
        ``importance_std``), strongest first.
    holdout_ : dict of str -> DataFrame
        The scored holdout per product (``y``, ``score``): every figure above can be recomputed
        from it.
    """

    def __init__(
        self,
        products: list[str] | None = None,
        train_size: int = 50_000,
        holdout: float = 0.25,
        min_holders: int = 50,
        random_state: int = 0,
        own_features: dict[str, tuple[str, ...]] | None = None,
        driver_rows: int = 2000,
        driver_repeats: int = 3,
    ):
        self.products = products
        self.train_size = train_size
        self.holdout = holdout
        self.min_holders = min_holders
        self.random_state = random_state
        self.own_features = own_features
        self.driver_rows = driver_rows
        self.driver_repeats = driver_repeats

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
        self.deciles_, self.calibration_, self.drivers_, self.holdout_ = {}, {}, {}, {}
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
                self.holdout_[product] = pd.DataFrame({"y": y[test], "score": score})
                self.deciles_[product] = metrics.decile_table(y[test], score)
                self.calibration_[product] = metrics.calibration_table(y[test], score)
                self.drivers_[product] = model.drivers(
                    features.iloc[test], y[test], n_repeats=self.driver_repeats, max_rows=self.driver_rows
                )
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
                    "holdout_rows": len(test),
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

    def score_matrix(self, held: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
        """Propensity of every customer (rows of ``held``/``X``) for every modelled product
        (columns), NaN where the customer holds the product already: scored once, so the
        target lists and the best offers come from the same numbers."""
        out = {}
        for product, model in self.models_.items():
            y = held[product].to_numpy(dtype=bool)
            column = np.full(len(held), np.nan)
            candidates = np.flatnonzero(~y)
            if len(candidates):
                features = self._features(held, X, product)
                column[candidates] = model.score_samples(features.iloc[candidates])
            out[product] = column
        return pd.DataFrame(out, index=held.index)


def targets_from(scores: pd.DataFrame, ids, product: str, top: int | None = None) -> pd.DataFrame:
    """Non-holders of ``product`` ranked by its column of :meth:`PropensityModels.score_matrix`
    (the same frame :meth:`PropensityModels.targets` returns)."""
    column = scores[product].to_numpy()
    candidates = np.flatnonzero(~np.isnan(column))
    order = candidates[np.argsort(-column[candidates], kind="stable")]
    frame = pd.DataFrame(
        {
            "customer_id": np.asarray(ids)[order],
            "product": product,
            "score": column[order],
            "rank": np.arange(1, len(order) + 1, dtype=np.int64),
        }
    )
    return frame.head(top) if top is not None else frame


def best_offers(scores: pd.DataFrame, ids, values: dict[str, float]) -> pd.DataFrame:
    """Each customer's best next offer: the product not held with the highest expected value
    = score x ``values[product]`` (mean monthly contribution among holders).

    Parameters
    ----------
    scores : DataFrame
        :meth:`PropensityModels.score_matrix` (NaN where held).
    ids : array
        Customer ids aligned with the rows of ``scores``.
    values : dict of str -> float
        Per product, the monthly contribution a holder brings (products without one are left
        out: their offers cannot be valued).

    Returns
    -------
    DataFrame
        ``customer_id``, ``best_offer`` (product code), ``offer_score``, ``offer_value``
        (expected monthly contribution, yuan) and ``propensity_band`` (see
        :func:`mining.metrics.rank_bands` of ``offer_score``), one row per customer with at
        least one product left to offer; ties go to the product listed first.
    """
    products = [p for p in scores.columns if p in values and np.isfinite(values[p])]
    ids = np.asarray(ids)
    if not products:
        return pd.DataFrame(
            {
                "customer_id": ids[:0],
                "best_offer": pd.Series([], dtype=object),
                "offer_score": [],
                "offer_value": [],
                "propensity_band": pd.Series([], dtype=object),
            }
        )
    s = scores[products].to_numpy(dtype=np.float64)
    expected = s * np.array([values[p] for p in products])
    scored = ~np.isnan(expected).all(axis=1)
    filled = np.where(np.isnan(expected[scored]), -np.inf, expected[scored])
    best = np.argmax(filled, axis=1)
    rows = np.flatnonzero(scored)
    score = s[rows, best]
    return pd.DataFrame(
        {
            "customer_id": ids[rows],
            "best_offer": np.asarray(products, dtype=object)[best],
            "offer_score": score,
            "offer_value": expected[rows, best],
            "propensity_band": metrics.rank_bands(score),
        }
    )


def product_contribution(con: duckdb.DuckDBPyConnection, month: dt.date) -> pd.DataFrame:
    """Per product code: ``holders`` at the end of ``month``, ``margin`` (average daily balance x
    margin rate / 12 over its holdings), ``fees`` (of its transactions in the month) and
    ``value`` = (margin + fees) / holders, the mean monthly contribution of a holder.

    The one query of the cross-sell model besides :mod:`mining.features` (it belongs there;
    kept here until that module takes it).
    """
    sql = """
        WITH h AS (
            SELECT p.product_code, count(DISTINCT h.customer_id) AS holders,
                   sum(h.avg_daily_balance * p.margin_rate / 12) AS margin
            FROM holdings h JOIN products p USING (product_id)
            WHERE h.month_date = ?
            GROUP BY p.product_code
        ), f AS (
            SELECT p.product_code, sum(t.fee) AS fees
            FROM transactions t JOIN products p USING (product_id)
            WHERE t.txn_at >= ? AND t.txn_at < ?
            GROUP BY p.product_code
        )
        SELECT h.product_code AS product, h.holders, h.margin, coalesce(f.fees, 0) AS fees,
               (h.margin + coalesce(f.fees, 0)) / h.holders AS value
        FROM h LEFT JOIN f USING (product_code)
        ORDER BY h.product_code
    """
    start = dt.datetime(month.year, month.month, 1)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return con.execute(sql, [month, start, end]).to_arrow_table().to_pandas()


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
