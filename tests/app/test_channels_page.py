"""The Channels page rendered through Dash's router over HTTP, its headline figures checked
against pandas over the generated Parquet (never the cube or the view runners): the period's
transactions by channel, the share of each channel in a branch, the main-channel migration's
total, and what a presenter sees."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.app.conftest import sign_in
from tests.app.test_http_guard import router_payload
from tests.app.test_overview_page import by_id, nodes, text


def render_path(client, path: str, search: str = "") -> dict:
    """A page's layout as the router callback returns it (a Dash component tree)."""
    response = client.post("/_dash-update-component", json=router_payload(path, search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


@pytest.fixture(scope="module")
def txn(demo_source: Path) -> pd.DataFrame:
    t = pd.read_parquet(demo_source / "transactions.parquet")
    t["m"] = pd.to_datetime(t["txn_at"]).dt.strftime("%Y-%m")
    return t


def figure(tree, key: str) -> dict:
    return by_id(tree, {"type": "frame-chart", "key": key})["props"]["figure"]["data"][0]


def grids(tree) -> list[dict]:
    return [
        n
        for n in nodes(tree)
        if isinstance(n["props"].get("id"), dict) and n["props"]["id"].get("type") == "frame-grid"
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_mix_share_and_migration_match_pandas(mams_app, demo_source, txn, lang):
    client = sign_in(mams_app, "analyst", lang)
    tree = render_path(client, "/channels")
    latest = max(txn["m"])
    now = txn[txn["m"] == latest]
    bars = figure(tree, "channels:mix")
    shown = dict(zip(bars["customdata"], bars["x"], strict=True))  # horizontal bars
    assert shown == now.groupby("channel_id")["txn_id"].size().to_dict()

    share = figure(tree, "channels:share")
    counts = now.groupby(["branch_id", "channel_id"])["txn_id"].size()
    branch = share["customdata"][0][0]
    row = counts.loc[branch]
    shares = sorted(v for v in share["z"][0] if v is not None)
    assert shares == pytest.approx(sorted((row / row.sum()).tolist()), rel=1e-9)

    migration = figure(tree, "channels:migration")
    total = sum(v for r in migration["z"] for v in r if v is not None)
    customers = pd.read_parquet(demo_source / "customers.parquet")
    opened = pd.to_datetime(customers["open_date"]).dt.strftime("%Y-%m") <= latest
    open_now = customers["close_date"].isna() | (
        pd.to_datetime(customers["close_date"]).dt.strftime("%Y-%m") >= latest
    )
    assert total == int((opened & open_now).sum())
    assert text(by_id(tree, "channels--migration-summary"))

    anomalies = by_id(tree, {"type": "frame-grid", "key": "channels:anomalies"})["props"]
    assert anomalies["getRowId"] == "params.data._row_id" and anomalies["rowData"]
    assert all(r["_row_id"].count("|") == 2 for r in anomalies["rowData"])


def test_the_presenter_sees_aggregates_and_no_customer_rows(mams_app):
    client = sign_in(mams_app, "presenter")
    tree = render_path(client, "/channels")
    assert figure(tree, "channels:mix")["x"]
    for grid in grids(tree):
        fields = {c["field"] for c in grid["props"]["columnDefs"]}
        assert not fields & {"customer_id", "customer_name", "customer_phone", "customer_id_card_no"}
