"""The loop's campaigns exported in the contract, merged with an extract and loaded: the campaigns
cube then counts the loop's contacts beside the bank's own, with the evaluation's rates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cube.api import Filter, Query, Scope, execute
from data import load
from marketing import evaluation, export
from tests.data._mini import mini_tables, write_csv
from tests.marketing.test_evaluation import insert_campaign, insert_rows

MEASURES = ("campaigns.targeted", "campaigns.contacted", "campaigns.responded", "campaigns.response_amount")


def _loop_campaign(product: str = "P002") -> int:
    """A closed loop campaign on the mini extract's customers 1000-1002 (P002 offered), with a
    control member, an unreached customer, two contacts of one customer and an acceptance."""
    cid = insert_campaign(
        (product,), ("mobile_banking", "counter"), cost_per_contact=4.0, start="2025-03-01", end="2025-03-31"
    )
    insert_rows(
        "campaign_members",
        cid,
        [
            {"customer_id": 1000, "arm": "target", "branch_id": 10, "manager_id": 100},
            {"customer_id": 1001, "arm": "target", "branch_id": 11, "manager_id": 101},
            {"customer_id": 1002, "arm": "target", "branch_id": 10, "manager_id": 100},
            {"customer_id": 77777, "arm": "target", "branch_id": 10, "manager_id": 100},  # not in the extract
            {"customer_id": 1003, "arm": "control", "branch_id": 10},
        ],
    )
    insert_rows(
        "campaign_contacts",
        cid,
        [
            {"customer_id": 1000, "channel": "counter", "contacted_at": "2025-03-02T09:00:00", "reached": 0},
            {
                "customer_id": 1000,
                "channel": "mobile_banking",
                "contacted_at": "2025-03-04T10:00:00",
                "reached": 1,
                "outcome": "accepted",
                "product": product,
                "amount": 12000.5,
            },
            {
                "customer_id": 1002,
                "channel": "counter",
                "contacted_at": "2025-03-05T10:00:00",
                "reached": 1,
                "outcome": "declined",
            },
            {"customer_id": 1001, "channel": "counter", "contacted_at": "2025-03-06T10:00:00", "reached": 0},
        ],
    )
    insert_campaign((product,), ("counter",), status="running")  # not exported by default
    return cid


@pytest.mark.slow  # loads a warehouse / fits three models
def test_export_merged_with_an_extract_loads_into_the_campaigns_cube(
    loop_users, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _loop_campaign()
    ev = evaluation.evaluate(loop_users.analyst, cid)  # on the demo warehouse: rates only
    extract = write_csv(mini_tables(), tmp_path / "extract", encoding="gbk")
    monkeypatch.setenv("MAMS_HOME", str(tmp_path / "home"))  # a warehouse of the mini extract
    load.load(extract)
    out = tmp_path / "next"
    result = export.export(out, merge_with=extract)
    assert (result.campaigns, result.contacts, result.left_out) == (1, 3, 1)
    campaigns = pd.read_csv(out / "campaigns.csv")
    assert campaigns["campaign_id"].tolist() == [1, export.warehouse_id(cid)]
    loaded = load.load(out)
    assert loaded.row_counts["campaign_contacts"] == 2 + 3
    query = Query("campaigns", measures=MEASURES, dimensions=("campaigns.campaign",))
    frame = execute(query, Scope.all(), use_cache=False).frame.set_index("campaigns.campaign")
    loop = frame.loc[export.warehouse_id(cid)]
    # targets 1000-1002 (77777 is not a customer there): 1000 and 1002 reached, 1000 accepted
    assert loop[list(MEASURES)].tolist() == [3, 2, 1, 12000.5]
    assert frame.loc[1, "campaigns.targeted"] == 2  # the bank's own campaign is kept
    # the cube's rates are the evaluation's definitions (the evaluation also counted 77777)
    assert ev.overall["reached"] == 2 and ev.overall["accepted"] == 1
    rates = execute(
        Query(
            "campaigns",
            measures=("campaigns.contact_rate", "campaigns.success_rate"),
            filters=(Filter("campaigns.campaign", "eq", (export.warehouse_id(cid),)),),
        ),
        Scope.all(),
        use_cache=False,
    ).frame.iloc[0]
    assert rates["campaigns.contact_rate"] == pytest.approx(2 / 3)
    assert rates["campaigns.success_rate"] == pytest.approx(ev.overall["success_rate"])
    stored_contacts = pd.read_csv(out / "campaign_contacts.csv")
    mine = stored_contacts[stored_contacts["campaign_id"] == export.warehouse_id(cid)].set_index(
        "customer_id"
    )
    assert (
        mine.loc[1000, "contacted_date"] == "2025-03-04" and mine.loc[1000, "response_date"] == "2025-03-04"
    )
    assert mine.loc[1001, "contacted_date"] == "2025-03-06" and not mine.loc[1001, "contacted"]
    # exporting again into the merged folder replaces the loop's rows instead of adding copies
    again = export.export(tmp_path / "again", merge_with=out)
    assert (
        pd.read_csv(tmp_path / "again" / "campaigns.csv")["campaign_id"].tolist()
        == campaigns["campaign_id"].tolist()
    )
    assert again.contacts == 3


def test_export_cli_writes_the_two_files(loop_users, tmp_path: Path) -> None:
    cid = _loop_campaign("FD01")  # ids from the current (demo) warehouse
    assert export.main([str(tmp_path / "x")]) == 0
    campaigns = pd.read_csv(tmp_path / "x" / "campaigns.csv")
    assert campaigns["campaign_id"].tolist() == [export.warehouse_id(cid)]
    assert campaigns["cost"].tolist() == [16.0]  # 4 contacts x 4.0
    contacts = pd.read_csv(tmp_path / "x" / "campaign_contacts.csv")
    assert sorted(contacts["customer_id"]) == [1000, 1001, 1002, 77777]
    assert export.main([str(tmp_path / "x"), "--merge-with", str(tmp_path / "x")]) == 1
