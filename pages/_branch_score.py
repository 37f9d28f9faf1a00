"""The composite branch score: one number to rank regions, branches or managers by.

Each part is scaled 0-100 against the best unit at the same level (so a region is compared
with regions, a manager with the managers of the same branch), then weighted. The weights are
shown on the page (catalog key ``branches.score_explained``); change both together.
"""

from __future__ import annotations

import pandas as pd

WEIGHTS: dict[str, float] = {
    "aum": 0.30,
    "deposits": 0.20,
    "contribution": 0.20,
    "new_customers": 0.15,
    "attainment": 0.15,
}


def composite_score(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``score`` (0-100) and ``rank`` (1 = best, ties share a rank) added.

    Negative values count as 0 and a part whose best value is 0 adds nothing, so one empty
    unit cannot divide by zero or push the others' scores around.
    """
    out = frame.copy()
    score = pd.Series(0.0, index=out.index)
    for column, weight in WEIGHTS.items():
        values = out[column].fillna(0).clip(lower=0).astype(float)
        best = values.max() if len(values) else 0.0
        if best > 0:
            score += weight * 100 * values / best
    out["score"] = score.round(1)
    out["rank"] = out["score"].rank(ascending=False, method="min").astype(int)
    return out.sort_values(["rank", "score"], kind="stable")
