"""Campaign response: who will take up an offer, learned from past campaign contacts.

:class:`ResponseModel` is a :class:`~mining.classifier.ScoringModel` plus the step a marketer
needs: a ranked contact list for a new campaign. The features come from
:func:`mining.features.response_frame` (warehouse) or any frame, e.g. the UCI bank marketing data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mining.classifier import ScoringModel


class ResponseModel(ScoringModel):
    """Scores the likelihood of a response to a campaign (see :class:`ScoringModel`)."""

    def contact_list(
        self,
        X: pd.DataFrame,
        ids: pd.Series | np.ndarray,
        top: int | None = None,
        budget: float | None = None,
    ) -> pd.DataFrame:
        """Customers ranked by response likelihood for a new campaign.

        Parameters
        ----------
        X : DataFrame
            Candidate customers' features (same columns as in ``fit``).
        ids : array
            Customer ids aligned with ``X``.
        top : int, optional
            Keep only the best ``top`` customers.
        budget : float, optional
            Keep customers until the expected responses (sum of scores) reach this number.

        Returns
        -------
        DataFrame
            ``customer_id``, ``score``, ``rank`` (1 = best), ``expected_responses`` (cumulative).
        """
        score = self.score_samples(X)
        order = np.argsort(-score, kind="stable")
        frame = pd.DataFrame(
            {
                "customer_id": np.asarray(ids)[order],
                "score": score[order],
                "rank": np.arange(1, len(order) + 1, dtype=np.int64),
            }
        )
        frame["expected_responses"] = frame["score"].cumsum()
        if budget is not None:
            frame = frame[frame["expected_responses"].shift(fill_value=0.0) < budget]
        if top is not None:
            frame = frame.head(top)
        return frame.reset_index(drop=True)
