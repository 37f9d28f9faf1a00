"""A scoring model on DataFrames: gradient-boosted trees with native categorical support.

Every "who is likely to ..." model in the engine (response, churn, product propensity,
reactivation) is this one estimator with a different target, so they share one well-tested
code path. Text columns and category codes (branch, region, manager, any ``*_id`` code and any
column named in ``categorical``) become pandas categories with the levels seen in ``fit``
(unseen levels at scoring time count as missing), so the trees split on them directly without
one-hot blow-up. Before fitting, :func:`mining.guards.screen` leaves out identifier-like columns
and features that alone predict the target almost perfectly, with warnings (``warnings_``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.model_selection import StratifiedKFold

from mining import guards, metrics
from mining.errors import RunRefused


class Cancelled(RuntimeError):
    """Raised between steps when a run's cancel signal is set."""


class ScoringModel:
    """Binary classifier over a feature frame, scikit-learn style.

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
    early_stopping : bool
        Hold out 10% of the training rows to stop boosting when it no longer helps.
    random_state : int
        Seed for the boosting's validation split and subsampling.
    categorical : tuple of str
        Columns to treat as category codes besides text columns and the known codes
        (:data:`mining.guards.CATEGORY_CODES`, ``*_id``).

    Attributes
    ----------
    feature_names_ : list of str
        The columns the model uses (identifiers and leaks left out).
    categories_ : dict of str -> list
        Levels of each categorical column, as learned in ``fit``.
    warnings_ : list of dict
        What the guards left out and why (see :func:`mining.guards.screen`).
    model_ : HistGradientBoostingClassifier
    """

    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        early_stopping: bool = True,
        random_state: int = 0,
        categorical: tuple[str, ...] = (),
    ):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.early_stopping = early_stopping
        self.random_state = random_state
        self.categorical = categorical

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for name in self.feature_names_:
            col = X[name]
            if name in self.categories_:
                levels = self.categories_[name]
                text = guards.codes(col)
                # Levels unseen in fit count as missing (the trees send them to a learned side).
                out[name] = pd.Categorical(text.where(text.isin(levels)), categories=levels)
            else:
                out[name] = pd.to_numeric(col, errors="coerce").astype(np.float64)
        return pd.DataFrame(out, index=X.index)

    def fit(self, X: pd.DataFrame, y) -> ScoringModel:
        """Learn from features ``X`` and a binary target ``y`` (bool or 0/1)."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X must be a DataFrame")
        target = np.asarray(y).astype(bool)
        if len(target) != len(X):
            raise ValueError("X and y differ in length")
        if target.all() or not target.any():
            raise RunRefused(
                "model.one_class",
                "y must hold both classes: all {rows} training rows have the same outcome",
                rows=len(target),
            )
        X = X.rename(columns=str)
        kept, categorical, self.warnings_ = guards.screen(X, target, self.categorical, self.random_state)
        guards.report(self.warnings_)
        if not kept:
            raise RunRefused(
                "model.no_features",
                "no usable feature is left: every column looks like an identifier or a leak",
            )
        self.feature_names_ = kept
        self.categories_ = {name: guards.levels(X[name]) for name in kept if name in categorical}
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=self.early_stopping,
            categorical_features="from_dtype",
            random_state=self.random_state,
        )
        self.model_.fit(self._prepare(X), target)
        return self

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class for each row of ``X``."""
        return self.model_.predict_proba(self._prepare(X))[:, 1]

    def evaluate(self, X: pd.DataFrame, y) -> dict[str, object]:
        """Holdout figures (AUC, ALIFT, lifts), gain curve and decile table on ``X``, ``y``."""
        score = self.score_samples(X)
        return {
            "metrics": metrics.binary_report(y, score),
            "gain": metrics.gain_curve(y, score),
            "deciles": metrics.decile_table(y, score),
        }

    def drivers(self, X: pd.DataFrame, y, n_repeats: int = 3, max_rows: int = 5000) -> pd.DataFrame:
        """Top drivers: permutation importance (drop in AUC when a feature is shuffled).

        Computed on at most ``max_rows`` rows of the given (holdout) frame to keep it quick.
        """
        target = np.asarray(y).astype(bool)
        if len(X) > max_rows:
            rng = np.random.default_rng(self.random_state)
            take = np.sort(rng.choice(len(X), max_rows, replace=False))
            X, target = X.iloc[take], target[take]
        result = permutation_importance(
            self.model_,
            self._prepare(X),
            target,
            scoring="roc_auc",
            n_repeats=n_repeats,
            random_state=self.random_state,
        )
        frame = pd.DataFrame(
            {
                "feature": self.feature_names_,
                "importance": result.importances_mean,
                "importance_std": result.importances_std,
            }
        )
        return frame.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def cross_validate(
    model: ScoringModel, X: pd.DataFrame, y, folds: int = 5, random_state: int = 0
) -> pd.DataFrame:
    """Stratified k-fold (shuffled) AUC and ALIFT of a fresh copy of ``model`` per fold.

    Returns
    -------
    DataFrame
        One row per fold: ``fold``, ``auc``, ``alift``, ``lift_10``, ``base_rate``.
    """
    target = np.asarray(y).astype(bool)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    rows = []
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(target)), target)):
        fitted = _clone(model).fit(X.iloc[train], target[train])
        score = fitted.score_samples(X.iloc[test])
        report = metrics.binary_report(target[test], score)
        rows.append({"fold": fold, **{k: report[k] for k in ("auc", "alift", "lift_10", "base_rate")}})
    return pd.DataFrame(rows)


def _clone(model: ScoringModel) -> ScoringModel:
    params = {k: v for k, v in vars(model).items() if not k.endswith("_")}
    return type(model)(**params)
