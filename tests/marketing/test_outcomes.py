"""Outcome files (call centre contacts, product-system take-ups): every row checked, errors by
row and column, all or nothing, a file imported twice refused; CSV and Excel; both engines."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from marketing import outcomes
from marketing.errors import MarketingInputError, NotPermitted
from marketing.outcomes import OutcomeFileError
from tests.marketing.test_contacts import fast_hash, make_campaign, stored  # noqa: F401 - fixture

WHEN = (datetime.now() - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")


def csv(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def good_contacts(camp: dict) -> list[dict]:
    product = camp["products"][0]
    return [
        {"customer_id": camp["mine"][0], "channel": "call_centre", "contacted_at": WHEN, "reached": "yes",
         "outcome": "accepted", "product": product, "amount": "20000", "note": "ok"},
        {"customer_id": camp["mine"][1], "channel": "call_centre", "contacted_at": WHEN, "reached": "no",
         "outcome": "", "product": "", "amount": "", "note": ""},
        {"customer_id": camp["theirs"][0], "channel": "phone_banking", "contacted_at": WHEN, "reached": "1",
         "outcome": "declined", "product": "", "amount": "", "note": "不需要"},
    ]  # fmt: skip


@pytest.fixture
def camp(loop_users, demo_source) -> dict:
    return make_campaign(loop_users, demo_source)


def test_a_contacts_file_is_stored_whole_audited_and_refused_the_second_time(loop_users, camp) -> None:
    content = csv(good_contacts(camp))
    result = outcomes.import_outcomes(loop_users.analyst, camp["id"], "calls.csv", content)
    assert (result.rows, result.kind, result.campaign_id) == (3, "contacts", camp["id"])
    rows = stored(
        "SELECT customer_id, channel, reached, outcome, amount, source, import_id, manager_id, recorded_by "
        "FROM campaign_contacts ORDER BY id"
    )
    assert [r[:5] for r in rows] == [
        (camp["mine"][0], "call_centre", 1, "accepted", 20000.0),
        (camp["mine"][1], "call_centre", 0, None, None),
        (camp["theirs"][0], "phone_banking", 1, "declined", None),
    ]
    assert {r[5:] for r in rows} == {
        ("import", result.import_id, loop_users.manager_id, "analyst"),
        ("import", result.import_id, loop_users.manager2_id, "analyst"),
    }
    audit = stored("SELECT detail FROM audit_log WHERE action = 'outcomes_import'")
    assert json.loads(audit[0][0])["rows"] == 3 and json.loads(audit[0][0])["campaign"] == camp["id"]
    with pytest.raises(OutcomeFileError, match="already imported"):
        outcomes.import_outcomes(loop_users.admin, camp["id"], "calls-again.csv", content)
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 3


def test_a_file_with_wrong_rows_stores_nothing_and_names_each_row_and_column(loop_users, camp) -> None:
    rows = good_contacts(camp)
    rows[0] = rows[0] | {"amount": "-3"}
    rows[1] = rows[1] | {"customer_id": camp["control"][0]}
    rows[2] = rows[2] | {"channel": "pos", "contacted_at": "2020-13-01"}
    rows.append(rows[2] | {"customer_id": "abc", "channel": "call_centre"})
    rows.append(
        good_contacts(camp)[0] | {"customer_id": camp["mine"][2], "outcome": "accepted", "product": "NOPE"}
    )
    with pytest.raises(OutcomeFileError) as caught:
        outcomes.import_outcomes(loop_users.analyst, camp["id"], "calls.csv", csv(rows))
    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [(1, "amount"), (2, "customer_id"), (3, "channel"), (4, "customer_id"), (5, "product")]
    assert "control group" in caught.value.errors[1].message
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 0
    assert stored("SELECT count(*) FROM contact_imports")[0][0] == 0
    # the same file once fixed is not "already imported": nothing of the refused one was kept
    fixed = outcomes.import_outcomes(loop_users.analyst, camp["id"], "calls.csv", csv(good_contacts(camp)))
    assert fixed.rows == 3


def test_the_over_contact_limit_applies_to_a_files_rows_and_rolls_it_all_back(loop_users, camp) -> None:
    from marketing import settings as loop_settings

    loop_settings.update(loop_users.admin, contact_limit=2, contact_window_days=30)
    row = good_contacts(camp)[1]
    times = [(datetime.now() - timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for h in (5, 4, 3)]
    rows = [row | {"contacted_at": t} for t in times]
    with pytest.raises(OutcomeFileError) as caught:
        outcomes.import_outcomes(loop_users.analyst, camp["id"], "calls.csv", csv(rows))
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "contacted_at")]
    assert stored("SELECT count(*) FROM campaign_contacts")[0][0] == 0


def test_takeups_from_excel_include_the_control_arm(loop_users, camp) -> None:
    product = camp["products"][1]
    day = (datetime.now() - timedelta(days=1)).date().isoformat()
    frame = pd.DataFrame(
        {
            "Customer_ID": [camp["control"][0], camp["mine"][0], camp["control"][1]],
            "product": [product, product, camp["products"][0]],
            "amount": [1000.5, None, 0],
            "taken_on": [day, day, day],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, engine="openpyxl")
    result = outcomes.import_outcomes(
        loop_users.head, camp["id"], "takeups.xlsx", buffer.getvalue(), kind="takeups"
    )
    assert result.rows == 3
    rows = stored(
        "SELECT customer_id, product, amount, taken_on, import_id FROM campaign_takeups ORDER BY amount"
    )
    assert sorted(r[0] for r in rows) == sorted([camp["control"][0], camp["mine"][0], camp["control"][1]])
    assert {r[3] for r in rows} == {day} and {r[4] for r in rows} == {result.import_id}
    # a take-up already recorded, a duplicate row, a product not offered, a future day: all named
    again = pd.DataFrame(
        {
            "customer_id": [camp["control"][0], camp["mine"][1], camp["mine"][1], camp["mine"][2], 1],
            "product": [product, product, product, "NOPE", product],
            "amount": ["", "", "", "", ""],
            "taken_on": [day, day, day, day, (datetime.now() + timedelta(days=3)).date().isoformat()],
        }
    )
    with pytest.raises(OutcomeFileError) as caught:
        outcomes.import_outcomes(
            loop_users.head, camp["id"], "more.csv", csv(again.to_dict("records")), "takeups"
        )
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (1, "product"),
        (3, "product"),
        (4, "product"),
        (5, "customer_id"),
    ]
    assert "already recorded" in caught.value.errors[0].message
    assert "same take-up as row 2" in caught.value.errors[1].message
    assert stored("SELECT count(*) FROM campaign_takeups")[0][0] == 3


def test_files_refused_as_a_whole(loop_users, camp, demo_source, monkeypatch) -> None:
    analyst = loop_users.analyst
    with pytest.raises(NotPermitted):
        outcomes.import_outcomes(loop_users.rm, camp["id"], "calls.csv", csv(good_contacts(camp)))
    with pytest.raises(MarketingInputError, match="one of contacts, takeups"):
        outcomes.import_outcomes(analyst, camp["id"], "calls.csv", b"x", kind="other")
    cases = [
        ("calls.pdf", b"%PDF-1.4", "not a CSV"),
        ("calls.csv", b"", "empty"),
        ("calls.xlsx", b"not a workbook", "cannot be read"),
        ("calls.csv", b"customer_id,channel,contacted_at,reached\n", "no data rows"),
    ]
    for name, content, words in cases:
        with pytest.raises(OutcomeFileError, match=words):
            outcomes.import_outcomes(analyst, camp["id"], name, content)
    with pytest.raises(OutcomeFileError) as caught:
        outcomes.import_outcomes(analyst, camp["id"], "calls.csv", b"customer_id,chanel,reached\n1,x,y\n")
    assert [(e.row, e.column, e.message) for e in caught.value.errors][:3] == [
        (0, "channel", "column missing"),
        (0, "contacted_at", "column missing"),
        (0, "chanel", "unknown column (expected customer_id, channel, contacted_at, reached, outcome, "
         "product, amount, note)"),
    ]  # fmt: skip
    monkeypatch.setattr(outcomes, "MAX_BYTES", 100)
    with pytest.raises(OutcomeFileError, match="larger than"):
        outcomes.import_outcomes(analyst, camp["id"], "calls.csv", csv(good_contacts(camp)))
    monkeypatch.setattr(outcomes, "MAX_BYTES", 10_000)
    monkeypatch.setattr(outcomes, "MAX_ROWS", 2)
    with pytest.raises(OutcomeFileError, match="at most 2 rows"):
        outcomes.import_outcomes(analyst, camp["id"], "calls.csv", csv(good_contacts(camp)))
    monkeypatch.setattr(outcomes, "MAX_ROWS", 50_000)
    closed = make_campaign(loop_users, demo_source, status="closed", name="Closed")
    with pytest.raises(MarketingInputError, match="closed, not running"):
        outcomes.import_outcomes(analyst, closed["id"], "calls.csv", csv(good_contacts(closed)))
    # GB18030 text (a Chinese call centre's export) reads as well as UTF-8
    result = outcomes.import_outcomes(
        analyst,
        camp["id"],
        "calls.csv",
        pd.DataFrame(good_contacts(camp)).to_csv(index=False).encode("gb18030"),
    )
    assert result.rows == 3
    assert stored("SELECT note FROM campaign_contacts WHERE outcome = 'declined'")[0][0] == "不需要"
