"""The control group (对照组): customers held out of a campaign at random, stratified by
branch, so the campaign's uplift can be measured against customers who were never contacted."""

from __future__ import annotations

import numpy as np
import pandas as pd

NO_BRANCH = -1  # members with no branch form a stratum of their own


def per_branch(n: int, share: float) -> int:
    """Controls held out of a branch of ``n`` members: ``share * n`` rounded half up."""
    return int(np.floor(share * n + 0.5))


def hold_out(branch_ids: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A boolean mask over the members (True = control), ``per_branch(n, share)`` of each
    branch's ``n`` members, chosen at random.

    Reproducible: the same members in the same order with the same ``seed`` give the same mask
    (callers pass members sorted by customer id). ``share`` must lie in [0, 0.5].
    """
    if not 0.0 <= share <= 0.5:
        raise ValueError(f"control share must be in [0, 0.5], got {share}")
    branches = pd.Series(branch_ids, dtype="float64").fillna(NO_BRANCH).to_numpy()
    n = len(branches)
    mask = np.zeros(n, dtype=bool)
    if n == 0 or share == 0:
        return mask
    keys = np.random.default_rng(seed).random(n)
    order = np.lexsort((keys, branches))  # by branch, then by the random key
    sorted_branches = branches[order]
    starts = np.r_[0, np.flatnonzero(sorted_branches[1:] != sorted_branches[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    quota = np.floor(share * sizes + 0.5).astype(np.int64)
    rank = np.arange(n) - np.repeat(starts, sizes)  # position within its branch
    mask[order] = rank < np.repeat(quota, sizes)
    return mask
