"""customer_month.main_channel: the channel with most transactions in the month, ties to the
code listed first in contract.CHANNEL_CODES, null without transactions."""

from __future__ import annotations

import duckdb

from data import contract
from data.derive import main_channel_expression


def main_channel(counts: dict[str, int]) -> str | None:
    row = {f"txn_count_{c}": counts.get(c, 0) for c in contract.CHANNEL_CODES}
    row["txn_count"] = sum(row.values())
    cols = ", ".join(f"{v} AS {k}" for k, v in row.items())
    con = duckdb.connect()
    (value,) = con.execute(f"SELECT {main_channel_expression()} FROM (SELECT {cols}) t").fetchone()
    return value


def test_most_transactions_win():
    assert main_channel({"atm": 3, "mobile_banking": 5}) == "mobile_banking"


def test_ties_go_to_the_first_code_in_contract_order():
    assert main_channel({"mobile_banking": 4, "counter": 4, "pos": 4}) == "counter"
    assert main_channel({"pos": 2, "online_banking": 2}) == "online_banking"


def test_no_transactions_no_main_channel():
    assert main_channel({}) is None
