"""Behaviour segmentation: factors that explain behaviour, clusters of customers, named profiles.

The pipeline a banker can follow: standardise the behaviour features; factor analysis with a
varimax rotation condenses them into a few interpretable factors (each named after its top
loadings, e.g. "digital use" or "credit"); k-means groups customers (k chosen by silhouette on a
sample, or given); each cluster gets a profile in original units and a descriptive name from the
features that set it apart. A 2-D projection (PCA) of the standardised features is kept for a
scatter plot, and :func:`migration_matrix` counts customers moving between segments.

Stability beside the choice of k: for each candidate k, k-means is fitted on two bootstrap
resamples of the sample and both fits label the same customers (the sample itself, capped); the
adjusted Rand index between the two labellings says how reproducible a k's segments are (1 =
identical, 0 = chance). A k whose segments change with the sample is not worth naming.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from data import contract

# Above this many rows k-means runs in mini-batches (same objective, a fraction of the time).
MINIBATCH_ROWS = 100_000


class BehaviourSegmenter:
    """Factor analysis plus k-means over behaviour features.

    Parameters
    ----------
    features : sequence of str, optional
        Columns to segment on; default every numeric column except ``customer_id`` and the
        ``value_columns``.
    n_factors : int
        Factors to extract (varimax-rotated).
    n_clusters : int, optional
        Number of segments; ``None`` chooses it by silhouette over ``k_range``.
    k_range : tuple of int
        Smallest and largest k tried when choosing.
    cluster_on : {"features", "factors"}
        Cluster the standardised features (keeps every habit that separates groups) or the
        factor scores (smoother, fewer dimensions).
    sample_size : int
        Rows used to fit factor analysis and to compute silhouettes (all rows are assigned).
    value_columns : tuple of str
        Columns in yuan used for each segment's share of AUM and contribution (not clustered).
    stability_resamples : int
        Pairs of bootstrap resamples per candidate k for :attr:`stability_` (0 = skip).
    stability_size : int
        Customers each stability fit uses and is compared on (capped so it stays cheap at scale).
    random_state : int

    Attributes
    ----------
    features_ : list of str
    loadings_ : DataFrame
        Features x factors, varimax-rotated loadings.
    factor_names_ : list of str
    n_clusters_ : int
    silhouettes_ : dict of int -> float
        Silhouette per k tried (empty if k was given).
    stability_ : DataFrame
        ``k``, ``resample``, ``ari``: adjusted Rand index between the labellings of two fits on
        bootstrap resamples, for each candidate k (only the given k when k was given).
    factor_variance_ : DataFrame
        ``variance`` (sum of squared loadings), ``proportion`` (of all standardised variance) and
        ``cumulative`` per factor.
    zscores_ : DataFrame
        One row per segment (index), one column per feature: (segment mean - overall mean) /
        overall standard deviation (population), the profile's heat table.
    labels_ : ndarray of int
        Segment of each row of the fitted frame, numbered by size (0 = largest).
    profiles_ : DataFrame
        One row per segment: ``segment``, ``segment_name``, ``customers``, ``share``,
        ``aum_share``, ``contribution_share``, ``top_features`` and the mean of every feature.
    projection_ : DataFrame
        ``x``, ``y`` (first two principal components) and ``segment`` for each row.
    """

    def __init__(
        self,
        features: list[str] | None = None,
        n_factors: int = 4,
        n_clusters: int | None = None,
        k_range: tuple[int, int] = (3, 9),
        cluster_on: str = "features",
        sample_size: int = 10_000,
        value_columns: tuple[str, str] = ("aum", "contribution"),
        stability_resamples: int = 3,
        stability_size: int = 3000,
        random_state: int = 0,
    ):
        self.features = features
        self.n_factors = n_factors
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.cluster_on = cluster_on
        self.sample_size = sample_size
        self.value_columns = value_columns
        self.stability_resamples = stability_resamples
        self.stability_size = stability_size
        self.random_state = random_state

    # --- fitting ------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame) -> BehaviourSegmenter:
        """Learn factors and segments from the customers in ``X`` (one row per customer)."""
        if self.cluster_on not in ("features", "factors"):
            raise ValueError("cluster_on must be 'features' or 'factors'")
        skip = {"customer_id", *self.value_columns}
        self.features_ = list(self.features or [c for c in X.columns if c not in skip and _numeric(X[c])])
        if len(X) < 10 or not self.features_:
            raise ValueError("need at least 10 rows and one numeric feature")
        raw = X[self.features_].to_numpy(dtype=np.float64)
        # Constant columns carry no information and break the correlation matrix.
        varying = raw.std(axis=0) > 0
        self.features_ = [f for f, v in zip(self.features_, varying, strict=True) if v]
        raw = raw[:, varying]
        self.scaler_ = StandardScaler().fit(raw)
        z = self.scaler_.transform(raw)
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(len(z), min(self.sample_size, len(z)), replace=False)

        self._fit_factors(z[sample])
        space = z if self.cluster_on == "features" else self.factor_scores(X).to_numpy()
        self.n_clusters_, self.silhouettes_ = self._choose_k(space, sample)
        candidates = sorted(self.silhouettes_) or [self.n_clusters_]
        self.stability_ = self._stability(space[sample], candidates)
        self.kmeans_ = self._kmeans(self.n_clusters_, len(space)).fit(space)
        self.labels_ = self._renumber(self.kmeans_.labels_)

        pca = PCA(n_components=2, random_state=self.random_state).fit(z[sample])
        xy = pca.transform(z)
        self.pca_ = pca
        self.projection_ = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "segment": self.labels_})
        self.profiles_ = self.profile(X, self.labels_)
        return self

    def _fit_factors(self, z: np.ndarray) -> None:
        # Principal-component factor extraction with a varimax rotation: closed form, so it
        # takes milliseconds at any scale. factor_analyzer fails on the pinned scikit-learn
        # (it passes check_array(force_all_finite=...), removed in 1.8), and scikit-learn's
        # iterative FactorAnalysis took minutes on a 10k sample of these near-collinear shares.
        n_factors = min(self.n_factors, z.shape[1])
        corr = np.corrcoef(z, rowvar=False)
        values, vectors = np.linalg.eigh(corr)
        top = np.argsort(values)[::-1][:n_factors]
        loadings = vectors[:, top] * np.sqrt(np.clip(values[top], 0, None))
        if n_factors > 1:
            loadings = varimax(loadings)
        # Sign so each factor's largest loading is positive, then order by variance explained.
        loadings *= np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(n_factors)])
        ss = (loadings**2).sum(axis=0)
        order = np.argsort(-ss, kind="stable")
        loadings, ss = loadings[:, order], ss[order]
        # Regression (Thurstone) scoring weights; pinv because shares can be near-collinear.
        self.score_weights_ = np.linalg.pinv(corr) @ loadings
        self.factor_names_ = _dedupe(
            [self._factor_name(pd.Series(loadings[:, i], index=self.features_)) for i in range(n_factors)]
        )
        self.loadings_ = pd.DataFrame(loadings, index=self.features_, columns=self.factor_names_)
        proportion = ss / z.shape[1]
        self.factor_variance_ = pd.DataFrame(
            [ss, proportion, np.cumsum(proportion)],
            index=["variance", "proportion", "cumulative"],
            columns=self.factor_names_,
        )

    @staticmethod
    def _factor_name(loading: pd.Series) -> str:
        top = loading.abs().sort_values(ascending=False).index[:2]
        parts = [f"{'-' if loading[f] < 0 else ''}{_label(f)}" for f in top]
        return " & ".join(parts)

    def _kmeans(self, k: int, rows: int):
        if rows > MINIBATCH_ROWS:
            return MiniBatchKMeans(
                n_clusters=k, batch_size=4096, n_init=3, random_state=self.random_state, max_no_improvement=20
            )
        return KMeans(n_clusters=k, n_init=4, random_state=self.random_state)

    def _choose_k(self, space: np.ndarray, sample: np.ndarray) -> tuple[int, dict[int, float]]:
        if self.n_clusters is not None:
            return int(self.n_clusters), {}
        part = space[sample]
        scores = {}
        for k in range(self.k_range[0], self.k_range[1] + 1):
            labels = KMeans(n_clusters=k, n_init=3, random_state=self.random_state).fit_predict(part)
            scores[k] = float(
                silhouette_score(
                    part, labels, sample_size=min(len(part), 5000), random_state=self.random_state
                )
            )
        return max(scores, key=scores.get), scores

    def _stability(self, part: np.ndarray, ks: list[int]) -> pd.DataFrame:
        """ARI between two k-means fits on bootstrap resamples, both labelling ``base``."""
        rng = np.random.default_rng(self.random_state + 1)
        size = min(len(part), self.stability_size)
        base = part[rng.choice(len(part), size, replace=False)]
        rows = []
        for r in range(self.stability_resamples):
            draws = [rng.integers(0, size, size) for _ in range(2)]  # the same draws for every k
            for k in ks:
                if k >= size:
                    continue
                fits = [KMeans(n_clusters=k, n_init=2, random_state=self.random_state + r) for _ in draws]
                labels = [fit.fit(base[d]).predict(base) for fit, d in zip(fits, draws, strict=True)]
                rows.append({"k": int(k), "resample": r, "ari": float(adjusted_rand_score(*labels))})
        return pd.DataFrame(rows, columns=["k", "resample", "ari"])

    def _renumber(self, labels: np.ndarray) -> np.ndarray:
        counts = np.bincount(labels, minlength=self.n_clusters_)
        order = np.argsort(-counts, kind="stable")
        self.relabel_ = np.empty_like(order)
        self.relabel_[order] = np.arange(len(order))
        return self.relabel_[labels]

    # --- using a fitted segmenter -----------------------------------------------------------

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Segment of each row of ``X`` (e.g. another period, for a migration matrix)."""
        z = self.scaler_.transform(X[self.features_].to_numpy(dtype=np.float64))
        space = z if self.cluster_on == "features" else self.factor_scores(X).to_numpy()
        return self.relabel_[self.kmeans_.predict(space)]

    def factor_scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each row's score on every factor."""
        z = self.scaler_.transform(X[self.features_].to_numpy(dtype=np.float64))
        return pd.DataFrame(z @ self.score_weights_, columns=self.factor_names_, index=X.index)

    def profile(self, X: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
        """Per-segment profile in original units, with a generated descriptive name."""
        frame = X[self.features_].astype(np.float64)
        overall_mean = frame.mean()
        overall_std = frame.std(ddof=0).replace(0, 1.0)
        means = frame.groupby(labels).mean()
        self.zscores_ = (means - overall_mean) / overall_std
        rows = []
        aum, contribution = self.value_columns
        for seg, mean in means.iterrows():
            member = labels == seg
            effect = (mean - overall_mean) / overall_std
            top = effect.abs().sort_values(ascending=False).index[:3]
            row = {
                "segment": int(seg),
                "customers": int(member.sum()),
                "share": float(member.mean()),
                "aum_share": _share(X, aum, member),
                "contribution_share": _share(X, contribution, member),
                "top_features": "; ".join(
                    f"{f} {'+' if effect[f] > 0 else '-'}{abs(effect[f]):.1f}sd" for f in top
                ),
                "segment_name": self._segment_name(effect),
                "segment_name_zh": self._segment_name(effect, zh=True),
            }
            row.update({f: float(mean[f]) for f in self.features_})
            rows.append(row)
        profiles = pd.DataFrame(rows)
        profiles["segment_name"] = _dedupe(profiles["segment_name"].tolist())
        profiles["segment_name_zh"] = _dedupe(profiles["segment_name_zh"].tolist())
        front = [
            "segment",
            "segment_name",
            "segment_name_zh",
            "customers",
            "share",
            "aum_share",
            "contribution_share",
            "top_features",
        ]
        return profiles[front + self.features_]

    @staticmethod
    def _segment_name(effect: pd.Series, zh: bool = False) -> str:
        """ "high <a>, high <b>, low <c>" from the features furthest above and below average."""
        high = [f for f in effect.sort_values(ascending=False).index[:2] if effect[f] > 0.3]
        low = [f for f in effect.sort_values().index[:1] if effect[f] < -0.3]
        if zh:
            parts = [f"高{_label_zh(f)}" for f in high] + [f"低{_label_zh(f)}" for f in low]
            return "、".join(parts) if parts else "均衡型"
        parts = [f"high {_label(f)}" for f in high] + [f"low {_label(f)}" for f in low]
        return ", ".join(parts) if parts else "average"


def varimax(loadings: np.ndarray, max_iter: int = 100, tol: float = 1e-8) -> np.ndarray:
    """Varimax rotation of a loadings matrix (Kaiser 1958), the classic SVD iteration."""
    p, k = loadings.shape
    rotation = np.eye(k)
    objective = 0.0
    for _ in range(max_iter):
        rotated = loadings @ rotation
        u, s, vt = np.linalg.svd(loadings.T @ (rotated**3 - rotated @ np.diag((rotated**2).sum(axis=0)) / p))
        rotation = u @ vt
        if s.sum() < objective * (1 + tol):
            break
        objective = s.sum()
    return loadings @ rotation


def migration_matrix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Customers moving between segments from one period to the next.

    Parameters
    ----------
    before, after : DataFrame
        ``customer_id`` and ``segment`` for each period.

    Returns
    -------
    DataFrame
        Counts, rows = segment before, columns = segment after, labelled by the segment number
        as text; customers present in only one period appear under ``"new"`` (row) or
        ``"gone"`` (column).
    """
    merged = before[["customer_id", "segment"]].merge(
        after[["customer_id", "segment"]], on="customer_id", how="outer", suffixes=("_before", "_after")
    )
    # Labels are text ("0", "1", ..., "new", "gone") so the table has one column type.
    src = merged["segment_before"].map(lambda v: "new" if pd.isna(v) else str(int(v)))
    dst = merged["segment_after"].map(lambda v: "gone" if pd.isna(v) else str(int(v)))
    return pd.crosstab(src.rename("before"), dst.rename("after"))


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _share(X: pd.DataFrame, column: str, member: np.ndarray) -> float:
    if column not in X.columns:
        return float("nan")
    values = X[column].to_numpy(dtype=np.float64)
    total = values.sum()
    return float(values[member].sum() / total) if total else float("nan")


def _label(feature: str) -> str:
    for prefix in ("share_", "has_", "log_"):
        if feature.startswith(prefix):
            feature = feature[len(prefix) :]
    return feature.replace("_", " ")


_FEATURE_ZH = {
    "txn_count": "交易笔数",
    "txn_amount": "交易金额",
    "active_share": "活跃度",
    "aum": "资产",
    "loan_balance": "贷款",
    "investment_share": "投资占比",
    "product_count": "产品数",
}


def _label_zh(feature: str) -> str:
    """Chinese name of a behaviour feature: channel share, category held, or a measure."""
    if feature.startswith("share_"):
        return f"{contract.CHANNEL_NAMES.get(feature[6:], (feature[6:],))[0]}使用"
    if feature.startswith("has_"):
        return f"持有{contract.CATEGORY_NAMES.get(feature[4:], (feature[4:],))[0]}"
    return _FEATURE_ZH.get(feature.removeprefix("log_"), _label(feature))


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def feature_label(feature: str, lang: str = "en") -> str:
    """A behaviour feature's name for people ("mobile banking", zh "手机银行使用")."""
    return _label_zh(feature) if lang.startswith("zh") else _label(feature)


def factor_label(loading: pd.Series, lang: str = "en") -> str:
    """A factor named after its two largest loadings (``loading``: feature -> loading), in
    ``lang``; a negative loading is marked with a minus sign."""
    top = loading.abs().sort_values(ascending=False).index[:2]
    sep = "、" if lang.startswith("zh") else " & "
    return sep.join(f"{'-' if loading[f] < 0 else ''}{feature_label(f, lang)}" for f in top)
