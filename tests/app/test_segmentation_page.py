"""The Segmentation page through Dash's router over HTTP, for every role, in both languages: its
figures against pandas over the generated Parquet and the run's own files (never the cube), the
click menu's rows behind a segment, renaming a segment (analysts and admins only, audited, shown
everywhere), and the empty state without a run on the served data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cube.views import segmentation as sv
from tests.app.conftest import sign_in
from tests.app.test_frame_http import _outputs_of, callback_key, post, response_of, show_rows_payload
from tests.app.test_http_guard import _grid_rows, router_payload
from tests.app.test_overview_page import by_id, chart, grid_rows, nodes, text
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
ROLES = ("admin", "analyst", "branch", "rm", "presenter")
CUSTOMER_COLUMNS = {"customer_id", "customer_name", "customer_phone", "customer_id_card_no"}


def render(client, search: str = "") -> list:
    response = client.post("/_dash-update-component", json=router_payload("/segmentation", search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "could not be shown" not in body
    return response.get_json()["response"]["_pages_content"]["children"]


@pytest.fixture(scope="module")
def runs_(segmentation_and_value_runs):
    return sv.latest("segmentation"), sv.latest("value")


@pytest.fixture(scope="module")
def src(demo_source: Path, runs_) -> dict:
    seg, value = runs_
    cm = pandas_customer_month(demo_source)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    labels = pd.read_parquet(seg.output("customers"))
    scores = pd.read_parquet(value.output("customers"))
    return {
        "seg_rows": cm[cm["m"] == sv.run_month(seg)].merge(labels, on="customer_id", how="left"),
        "value_rows": cm[cm["m"] == sv.run_month(value)].merge(scores, on="customer_id", how="left"),
        "labels": labels,
    }


def _who(user: str, rows: pd.DataFrame) -> pd.DataFrame:
    from auth.users import get_user

    u = get_user(user)
    if user == "branch":
        return rows[rows["branch_id"] == u.branch_id]
    if user == "rm":
        return rows[rows["manager_id"] == u.manager_id]
    return rows


def check_profiles(tree, rows: pd.DataFrame) -> None:
    """The segment bars and table against pandas (customer_month joined with the run's file)."""
    scored = rows.dropna(subset=["segment"])
    want = scored.groupby(scored["segment"].astype(int)).agg(n=("customer_id", "size"), aum=("aum", "sum"))
    bars = chart(tree, sv.SEGMENTS_CHART)
    shown = {k: y for k, y in zip(bars["customdata"], bars["y"], strict=True) if k is not None}
    assert shown == want["n"].astype(float).to_dict()
    table = {r["_row_id"]: r for r in grid_rows(tree, sv.SEGMENTS_CHART)}
    for segment, w in want.iterrows():
        r = table[str(segment)]
        assert r["customers"] == w["n"]
        assert r["share"] == pytest.approx(w["n"] / len(rows), rel=REL)
        assert r["aum_share"] == pytest.approx(w["aum"] / rows["aum"].sum(), rel=REL)


def test_analyst_sees_the_runs_as_pandas_computes_them(mams_app, runs_, src):
    seg, value = runs_
    tree = render(sign_in(mams_app, "analyst"))
    head = text(by_id(tree, "segmentation--header"))
    for part in (seg.run_id, sv.run_month(seg), f"k = {seg.metrics['n_clusters']}", seg.data_version):
        assert part in head
    assert value.run_id in text(by_id(tree, "segmentation--value-header"))
    # loadings: the heatmap's cells are the run's loadings, feature by factor
    heat = by_id(tree, "seg-loadings")["props"]["figure"]["data"][0]
    wide = pd.read_parquet(seg.output("loadings")).set_index("feature")
    assert len(heat["z"]) == len(wide) and len(heat["z"][0]) == wide.shape[1]
    for i, feature in enumerate(wide.index):
        assert heat["z"][i] == pytest.approx(wide.loc[feature].tolist(), rel=REL)
    variance = by_id(tree, "seg-variance")["props"]["figure"]["data"][0]
    want = (wide**2).sum(axis=0) / len(wide)
    assert variance["y"] == pytest.approx(want.tolist(), rel=REL)
    # the map: a sample of the run's customers, one trace per segment
    traces = by_id(tree, {"type": "frame-chart", "key": sv.MAP_CHART})["props"]["figure"]["data"]
    assert sum(len(tr["x"]) for tr in traces) == min(sv.MAP_POINTS, len(src["labels"]))
    assert {tr["customdata"][0] for tr in traces} == set(src["labels"]["segment"])
    # the choice of k: silhouettes and stability of every candidate
    k_fig = by_id(tree, "seg-k-choice")["props"]["figure"]["data"]
    assert k_fig[0]["y"] == pytest.approx(
        [seg.metrics["silhouettes"][str(k)] for k in k_fig[0]["x"]], rel=REL
    )
    assert k_fig[1]["y"] == pytest.approx([seg.metrics["stability"][str(k)] for k in k_fig[1]["x"]], rel=REL)
    check_profiles(tree, src["seg_rows"])
    # migration: the share of each row of the run's matrix
    mig = chart(tree, sv.MIGRATION_CHART)
    matrix = pd.read_parquet(seg.output("migration")).set_index("before")
    shares = matrix.div(matrix.sum(axis=1), axis=0)
    assert sum(v for row in mig["z"] for v in row if v is not None) == pytest.approx(shares.to_numpy().sum())
    # the value pyramid and the potential big customers
    rows = src["value_rows"]
    pyramid = chart(tree, sv.PYRAMID_CHART)
    counts = rows.groupby("value_tier").size()
    assert {k: v for k, v in zip(pyramid["customdata"], pyramid["x"], strict=True) if k} == counts.astype(
        float
    ).to_dict()
    potential = rows[rows["is_potential"].fillna(False).astype(bool)]
    listed = by_id(tree, "segmentation--potential")["props"]["rowData"]
    assert {r["customer_id"] for r in listed} <= set(potential["customer_id"])
    assert all("*" in r["customer_name"] for r in listed)  # analysts see masked identities
    assert f"{len(potential):,}" in text(tree)
    # each segment opens the other views filtered to it
    link = by_id(tree, "segmentation--link-customers-0")["props"]["href"]
    assert link.startswith("/customers?") and "segment=0" in link


def test_the_page_in_chinese(mams_app, runs_, src):
    seg, _ = runs_
    tree = render(sign_in(mams_app, "analyst", "zh"))
    assert "客户细分" in text(tree) and "细分运行" in text(by_id(tree, "segmentation--header"))
    bars = chart(tree, sv.SEGMENTS_CHART)
    names = sv.name_map(seg, "zh")
    assert [x for k, x in zip(bars["customdata"], bars["x"], strict=True) if k is not None] == [
        names[k] for k in bars["customdata"] if k is not None
    ]


@pytest.mark.parametrize("user", ROLES)
def test_every_role_sees_its_scope(mams_app, runs_, src, user):
    for lang in ("en", "zh"):
        tree = render(sign_in(mams_app, user, lang))
        check_profiles(tree, _who(user, src["seg_rows"]))
    rows = _who(user, src["value_rows"])
    potential = rows[rows["is_potential"].fillna(False).astype(bool)]
    if user == "presenter":  # the charts, no customer lists
        assert by_id(tree, "segmentation--no-rows")
        assert not [n for n in nodes(tree) if n["props"].get("id") == "segmentation--potential"]
        for row in _grid_rows(tree):
            assert not CUSTOMER_COLUMNS & set(row)
        return
    listed = by_id(tree, "segmentation--potential")["props"]["rowData"] if len(potential) else []
    assert {r["customer_id"] for r in listed} <= set(potential["customer_id"])
    masked = [("*" in r["customer_name"]) for r in listed]
    assert all(masked) if user == "analyst" else not any(masked)
    editor = [n for n in nodes(tree) if n["props"].get("id") == "segmentation--name-save"]
    assert bool(editor) == (user in ("analyst", "admin"))


def test_a_segment_opens_the_customers_behind_it(mams_app, runs_, src):
    seg, _ = runs_
    context = {"chart": sv.SEGMENTS_CHART, "member": None, "value": 1}
    for user in ("analyst", "branch"):
        out = response_of(post(sign_in(mams_app, user), show_rows_payload(mams_app, context)))
        rows = _who(user, src["seg_rows"])
        want = int((rows["segment"] == 1).sum())
        assert f"of {want:,}" in json.dumps(out)
    presenter = response_of(post(sign_in(mams_app, "presenter"), show_rows_payload(mams_app, context)))
    assert "frame--menu-no-rows" in json.dumps(presenter)


def _save(client, mams_app, segment, en, zh):
    """A post of the names editor's save button (the browser's payload, from the callback map)."""
    key = callback_key(mams_app, "segmentation--name-save", "n_clicks", "segmentation--name-message")
    spec = mams_app.app.callback_map[key]
    given = {
        "segmentation--name-save.n_clicks": 1,
        "segmentation--name-segment.value": segment,
        "segmentation--name-en.value": en,
        "segmentation--name-zh.value": zh,
        "_pages_location.search": "",
    }

    def values(items):
        return [
            {"id": i["id"], "property": i["property"], "value": given.get(f"{i['id']}.{i['property']}")}
            for i in items
        ]

    body = {
        "output": key,
        "outputs": _outputs_of(key),
        "inputs": values(spec["inputs"]),
        "changedPropIds": ["segmentation--name-save.n_clicks"],
        "state": values(spec["state"]),
    }
    return post(client, body)


def test_analysts_rename_segments_and_every_view_shows_it(mams_app, runs_):
    from auth import audit

    seg, _ = runs_
    for user in ("presenter", "branch"):
        refused = response_of(_save(sign_in(mams_app, user), mams_app, 2, "Hacked", "黑"))
        assert "Only analysts and administrators" in json.dumps(refused)
    assert sv.name_map(seg, "en")[2] != "Hacked"
    client = sign_in(mams_app, "analyst")
    out = response_of(_save(client, mams_app, 2, "Digital natives", "数字原住民"))
    assert "Digital natives" in json.dumps(out) and "x_names=" in json.dumps(out)
    event = audit.recent(5)[0]
    assert event["action"] == "segment_renamed" and "Digital natives" in event["detail"]
    assert seg.run_id in event["detail"] and event["username"] == "analyst"
    bars = chart(render(client), sv.SEGMENTS_CHART)
    assert dict(zip(bars["customdata"], bars["x"], strict=True))[2] == "Digital natives"
    # the cube labels the segment dimension with it on the other views too
    other = client.post("/_dash-update-component", json=router_payload("/customers", "")).get_data(
        as_text=True
    )
    assert "Digital natives" in other
    zh = chart(render(sign_in(mams_app, "analyst", "zh")), sv.SEGMENTS_CHART)
    assert dict(zip(zh["customdata"], zh["x"], strict=True))[2] == "数字原住民"
    bad = response_of(_save(client, mams_app, 2, "", "x"))
    assert "Not saved" in json.dumps(bad)


def test_without_a_run_the_page_says_so_and_links_to_model_runs(mams_app, monkeypatch):
    monkeypatch.setattr(sv, "latest", lambda kind: None)
    tree = render(sign_in(mams_app, "analyst"))
    for ident, kind in (("segmentation--not-run", "segmentation"), ("segmentation--value-not-run", "value")):
        assert f"/models?kind={kind}" in json.dumps(by_id(tree, ident))
    assert not [n for n in nodes(tree) if n["props"].get("id") == "seg-loadings"]
