"""Association rules among products held (market-basket analysis), vectorised with bit sets.

Each item's baskets are a packed bit vector (one bit per basket), so the support of an itemset
is the popcount of the AND of its items' vectors: 1M customers cost 125 kB per vector and one
popcount pass. Frequent itemsets are grown level by level (Apriori: a candidate of size k is
kept only if all its (k-1)-subsets are frequent), and rules with a single item on the right-hand
side are derived from them, as R's arules does by default.

Metrics follow mlxtend's definitions: support, confidence, lift, leverage and conviction
(infinite when confidence is 1).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

# Candidates are counted in blocks so the ANDed bitmaps of one block stay small in memory.
_BLOCK_BYTES = 64 * 1024 * 1024


def baskets_to_matrix(baskets: list[list[str]]) -> pd.DataFrame:
    """One-hot basket matrix (baskets x items, bool) from lists of item names."""
    items = sorted({item for basket in baskets for item in basket})
    index = {item: j for j, item in enumerate(items)}
    matrix = np.zeros((len(baskets), len(items)), dtype=bool)
    for i, basket in enumerate(baskets):
        matrix[i, [index[item] for item in basket]] = True
    return pd.DataFrame(matrix, columns=items)


class AssociationRules:
    """Frequent itemsets and single-consequent association rules over a one-hot matrix.

    Parameters
    ----------
    min_support : float
        Minimum fraction of baskets an itemset must appear in.
    min_confidence : float
        Minimum confidence of a rule.
    max_len : int or None
        Largest itemset size (antecedent plus consequent); ``None`` for no limit.

    Attributes
    ----------
    itemsets_ : DataFrame
        ``itemset`` (tuple of item names), ``size``, ``count``, ``support``.
    rules_ : DataFrame
        ``antecedent`` (tuple), ``consequent`` (str), ``size``, ``support``, ``confidence``,
        ``lift``, ``leverage``, ``conviction``, ``antecedent_support``, ``consequent_support``,
        sorted by lift then support, descending.
    n_baskets_ : int
    """

    def __init__(self, min_support: float = 0.01, min_confidence: float = 0.2, max_len: int | None = None):
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.max_len = max_len

    def fit(self, baskets: pd.DataFrame) -> AssociationRules:
        """Find frequent itemsets and rules in ``baskets`` (rows = baskets, bool columns = items)."""
        if not 0 < self.min_support <= 1 or not 0 <= self.min_confidence <= 1:
            raise ValueError("min_support must be in (0, 1] and min_confidence in [0, 1]")
        names = [str(c) for c in baskets.columns]
        matrix = baskets.to_numpy(dtype=bool)
        n = matrix.shape[0]
        if n == 0:
            raise ValueError("no baskets")
        self.n_baskets_ = n
        min_count = int(np.ceil(self.min_support * n - 1e-9))
        # One packed bit row per item: items x ceil(n / 8) bytes.
        bits = np.packbits(matrix, axis=0).T.copy()
        counts = np.bitwise_count(bits).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(counts >= min_count)
        level = {(int(j),): bits[j] for j in keep}
        support_count: dict[tuple[int, ...], int] = {(int(j),): int(counts[j]) for j in keep}
        size = 1
        while level and (self.max_len is None or size < self.max_len):
            level = self._next_level(level, bits, min_count, support_count)
            size += 1
        self.itemsets_ = self._itemset_frame(support_count, names, n)
        self.rules_ = self._rules(support_count, names, n)
        return self

    @staticmethod
    def _next_level(level, bits, min_count, support_count):
        prev = sorted(level)
        frequent = set(prev)
        candidates = []
        # Join itemsets that share all but their last item (both sorted), then prune.
        for i, a in enumerate(prev):
            for b in prev[i + 1 :]:
                if a[:-1] != b[:-1]:
                    break
                cand = (*a, b[-1])
                if all(sub in frequent for sub in combinations(cand, len(cand) - 1)):
                    candidates.append(cand)
        out = {}
        if not candidates:
            return out
        row_bytes = bits.shape[1]
        block = max(1, _BLOCK_BYTES // max(row_bytes, 1))
        for start in range(0, len(candidates), block):
            chunk = candidates[start : start + block]
            parents = np.stack([level[c[:-1]] for c in chunk])
            joined = parents & bits[[c[-1] for c in chunk]]
            counts = np.bitwise_count(joined).sum(axis=1, dtype=np.int64)
            for cand, row, count in zip(chunk, joined, counts, strict=True):
                if count >= min_count:
                    out[cand] = row
                    support_count[cand] = int(count)
        return out

    @staticmethod
    def _itemset_frame(support_count, names, n) -> pd.DataFrame:
        keys = list(support_count)
        return pd.DataFrame(
            {
                "itemset": [tuple(names[j] for j in k) for k in keys],
                "size": [len(k) for k in keys],
                "count": [support_count[k] for k in keys],
                "support": [support_count[k] / n for k in keys],
            }
        )

    def _rules(self, support_count, names, n) -> pd.DataFrame:
        ante, cons, size, s_ab, s_a, s_b = [], [], [], [], [], []
        for itemset, count in support_count.items():
            if len(itemset) < 2:
                continue
            for j in itemset:
                rest = tuple(x for x in itemset if x != j)
                ante.append(tuple(names[x] for x in rest))
                cons.append(names[j])
                size.append(len(itemset))
                s_ab.append(count / n)
                s_a.append(support_count[rest] / n)
                s_b.append(support_count[(j,)] / n)
        s_ab, s_a, s_b = (np.asarray(v, dtype=np.float64) for v in (s_ab, s_a, s_b))
        with np.errstate(divide="ignore", invalid="ignore"):
            confidence = s_ab / s_a
            lift = confidence / s_b
            conviction = np.where(confidence < 1.0, (1.0 - s_b) / (1.0 - confidence), np.inf)
        rules = pd.DataFrame(
            {
                "antecedent": ante,
                "consequent": cons,
                "size": np.asarray(size, dtype=np.int64),
                "support": s_ab,
                "confidence": confidence,
                "lift": lift,
                "leverage": s_ab - s_a * s_b,
                "conviction": conviction,
                "antecedent_support": s_a,
                "consequent_support": s_b,
            }
        )
        rules = rules[rules["confidence"] >= self.min_confidence - 1e-12]
        return rules.sort_values(["lift", "support"], ascending=False, kind="stable").reset_index(drop=True)

    def graph(self, top: int | None = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Nodes and edges for a product graph drawn from pair rules (size 2).

        Returns
        -------
        nodes : DataFrame
            ``item``, ``support``.
        edges : DataFrame
            ``source`` (antecedent item), ``target`` (consequent), ``support``, ``confidence``,
            ``lift``; the ``top`` strongest by lift.
        """
        pairs = self.rules_[self.rules_["size"] == 2]
        if top is not None:
            pairs = pairs.head(top)
        edges = pd.DataFrame(
            {
                "source": [a[0] for a in pairs["antecedent"]],
                "target": pairs["consequent"].to_numpy(),
                "support": pairs["support"].to_numpy(),
                "confidence": pairs["confidence"].to_numpy(),
                "lift": pairs["lift"].to_numpy(),
            }
        )
        singles = self.itemsets_[self.itemsets_["size"] == 1]
        nodes = pd.DataFrame(
            {"item": [s[0] for s in singles["itemset"]], "support": singles["support"].to_numpy()}
        )
        used = set(edges["source"]) | set(edges["target"])
        return nodes[nodes["item"].isin(used)].reset_index(drop=True), edges
