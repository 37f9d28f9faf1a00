"""Retraining the response model on a closed campaign whose outcomes were planted to depend on one
feature (the customer's AUM): the retrained model finds it (AUC well above a random ranking's
0.5 on the holdout), beats the previous model on that same holdout, and is recorded as the model
the next campaign uses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from data import ops_store, warehouse
from marketing import retrain
from marketing.errors import MarketingInputError, NotPermitted
from mining import features
from tests.marketing.test_evaluation import insert_campaign, insert_rows


def _planted_campaign(status: str = "closed", n: int = 1200) -> int:
    con = warehouse.open_readonly()
    try:
        month = features.last_month(con)
        people = features.response_candidates(con.cursor(), "fund", "phone_banking", month)
    finally:
        con.close()
    people = people.sample(n=n, random_state=5).reset_index(drop=True)
    rich = people["aum"].rank(pct=True).to_numpy() > 0.7
    rng = np.random.default_rng(5)
    accepted = rng.random(n) < np.where(rich, 0.6, 0.05)
    cid = insert_campaign(("FD01",), ("phone_banking",), status=status)
    ids = [int(v) for v in people["customer_id"]]
    insert_rows("campaign_members", cid, [{"customer_id": c, "arm": "target", "branch_id": 1} for c in ids])
    insert_rows(
        "campaign_contacts",
        cid,
        [
            {
                "customer_id": c,
                "channel": "phone_banking",
                "contacted_at": "2026-03-03T10:00:00",
                "reached": 1,
                "outcome": "accepted" if ok else "declined",
                "product": "FD01" if ok else None,
                "amount": 1000.0 if ok else None,
            }
            for c, ok in zip(ids, accepted, strict=True)
        ],
    )
    return cid


@pytest.mark.slow  # loads a warehouse / fits three models
def test_retrained_model_finds_the_planted_response_and_is_recorded(loop_users) -> None:
    cid = _planted_campaign()
    with pytest.raises(NotPermitted):
        retrain.retrain(loop_users.branch, cid)
    result = retrain.retrain(loop_users.analyst, cid)
    assert result.rows == 1200 and result.holdout_rows == 360
    assert result.new["auc"] > 0.75  # a random ranking scores ~0.5
    assert result.new["lift_10"] > 1.5
    assert result.previous_source == "warehouse"
    assert result.new["auc"] > result.previous["auc"] and result.chosen == "retrained"
    assert result.model_path.is_file()
    con = ops_store.connect()
    try:
        value = con.execute("SELECT value FROM marketing_settings WHERE name = 'response_model'").scalar()
        audited = con.execute(
            "SELECT detail FROM audit_log WHERE action = 'response_model_retrained'"
        ).scalar()
    finally:
        con.close()
    assert json.loads(value)["campaign_id"] == cid and json.loads(value)["chosen"] == "retrained"
    assert f"campaign {cid}" in audited
    choice, model = retrain.current_model()
    assert choice["path"] == str(result.model_path) and model is not None
    # retraining again compares with the model the last retraining chose
    again = retrain.retrain(loop_users.analyst, cid)
    assert again.previous_source == "loop" and again.previous["auc"] == pytest.approx(result.new["auc"])


def test_only_closed_campaigns_with_enough_outcomes(loop_users) -> None:
    running = _planted_campaign("running", n=100)
    with pytest.raises(MarketingInputError) as err:
        retrain.retrain(loop_users.analyst, running)
    assert err.value.field == "status"
    tiny = insert_campaign(("FD01",), ("phone_banking",))
    with pytest.raises(MarketingInputError) as err:
        retrain.retrain(loop_users.admin, tiny)
    assert err.value.field == "outcomes"
