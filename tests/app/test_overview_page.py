"""The Overview page rendered through Dash's router over HTTP, every figure it shows checked
against an independent pandas computation over the generated Parquet.

The expected side never calls the cube or the view runners: customer_month is recomputed in
pandas (``tests.data.test_derive.pandas_customer_month``), holdings and targets are read from
the Parquet files, and the decompositions (additive, mix and rate), the movers and the
exception checks are worked out again with the pandas helpers of ``tests/cube/test_overview``.
Texts are compared with ``components.formatting.format_value`` of the pandas value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from components.formatting import format_value
from cube.views.state import shift_month
from tests.app.conftest import sign_in
from tests.app.test_http_guard import router_payload
from tests.cube.test_overview import additive_expected, mix_rate_expected, monthly, unusual_expected
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
# What each tile shows, as the business defines it (not read from the view's KPI table).
FMT = {
    "customers": "count",
    "aum": "money",
    "deposits": "money",
    "loans": "money",
    "contribution": "money",
    "new_customers": "count",
    "lost_customers": "count",
    "active_customers": "count",
    "products_per_customer": "number",
}
LOWER_IS_BETTER = {"lost_customers"}
STOCKS = {"customers", "aum", "deposits", "loans", "active_customers", "products_per_customer"}
TARGET_METRICS = ("aum", "deposits", "loans", "contribution", "new_customers")
SMALL_BASE = 30  # below this many, a count's change also shows "before→after"
TOP = 10  # waterfall members before the rest fold into "Other"
VS = {"en": "vs {month}", "zh": "较{month}"}
TARGET = {"en": "Target {target}", "zh": "目标 {target}"}
EFFECTS = {"en": "Mix effect {mix} · rate effect {rate}", "zh": "结构效应 {mix} · 水平效应 {rate}"}
OTHER = {"en": "Other", "zh": "其他"}


# --- the rendered page --------------------------------------------------------------------------


def render(client, search: str = "") -> dict:
    """The Overview's layout as the router callback returns it (a Dash component tree)."""
    response = client.post("/_dash-update-component", json=router_payload("/", search))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]["_pages_content"]["children"]


def nodes(tree):
    """Every component in ``tree``, depth first."""
    if isinstance(tree, list):
        for item in tree:
            yield from nodes(item)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        yield from nodes(tree["props"].get("children"))


def by_id(tree, ident) -> dict:
    found = [n for n in nodes(tree) if n["props"].get("id") == ident]
    assert len(found) == 1, (ident, len(found))
    return found[0]


def text(node) -> str:
    """The text a component shows (its children's strings, concatenated)."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(text(x) for x in node)
    if isinstance(node, dict) and "props" in node:
        return text(node["props"].get("children"))
    return ""


def chart(tree, key: str) -> dict:
    return by_id(tree, {"type": "frame-chart", "key": key})["props"]["figure"]["data"][0]


def grid_rows(tree, key: str) -> list[dict]:
    return by_id(tree, {"type": "frame-grid", "key": key})["props"]["rowData"]


def dropdown_value(tree, ident: str):
    return by_id(tree, ident)["props"]["value"]


def plain(key):
    """A member key as the page sends it: None for a missing one, integers as int."""
    if key is None or (isinstance(key, float) and math.isnan(key)):
        return None
    return int(key)


def close(got, want, rel: float = REL, abs_: float = 1e-3) -> bool:
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=abs_)


# --- the demo bank in pandas ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def src(demo_source: Path) -> dict[str, pd.DataFrame]:
    read = {n: pd.read_parquet(demo_source / f"{n}.parquet") for n in (
        "holdings", "products", "branches", "regions", "managers", "branch_targets", "manager_targets"
    )}  # fmt: skip
    cm = pandas_customer_month(demo_source)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    h = read["holdings"].merge(read["products"][["product_id", "balance_type"]], on="product_id")
    h["m"] = pd.to_datetime(h["month_date"]).dt.strftime("%Y-%m")
    h = h[h["balance_type"].isin(["deposit", "investment"])]  # AUM
    read["aum_holdings"] = h.merge(cm[["m", "customer_id", "branch_id"]], on=["m", "customer_id"])
    for name in ("branch_targets", "manager_targets"):
        read[name]["m"] = pd.to_datetime(read[name]["month_date"]).dt.strftime("%Y-%m")
    read["cm"] = cm
    return read


@pytest.fixture(scope="module")
def latest(src) -> str:
    return max(src["cm"]["m"])


@pytest.fixture(scope="module")
def segments(mams_app) -> pd.Series:
    """customer -> published segment (empty when no segmentation run published scores: every
    customer is then "Not scored"); read from the published file, not through the cube."""
    from data import scores, warehouse

    pub = scores.current(warehouse.data_version()).get("segmentation")
    if pub is None:
        return pd.Series(dtype="float64")
    frame = pd.read_parquet(pub.path, columns=["customer_id", "segment"])
    return frame.set_index("customer_id")["segment"]


@dataclass(frozen=True)
class Who:
    """A signed-in user's view of the bank: the customer-month rows they see, the org level
    the page breaks their unit down by, and unit names in the page's language."""

    lang: str
    rows: pd.DataFrame  # customer_month rows in scope
    level: str  # "region" (the whole bank) or "manager" (a branch manager's branch)
    names: dict  # unit key -> name
    branch: int | None = None

    def targets(self, src, month: str) -> pd.Series:
        """Target per metric of the whole scope in ``month`` (what the tiles' badges show)."""
        bt = src["branch_targets"]
        bt = bt[bt["m"] == month]
        if self.branch is not None:
            bt = bt[bt["branch_id"] == self.branch]
        return bt.groupby("metric")["target_value"].sum()

    def unit_targets(self, src, month: str) -> pd.DataFrame:
        """Target per unit of :attr:`level` (rows) and metric (columns) in ``month``."""
        if self.level == "manager":
            mt = src["manager_targets"].merge(src["managers"][["manager_id", "branch_id"]], on="manager_id")
            mt = mt[(mt["m"] == month) & (mt["branch_id"] == self.branch)]
            return mt.pivot_table(index="manager_id", columns="metric", values="target_value", aggfunc="sum")
        bt = src["branch_targets"].merge(src["branches"][["branch_id", "region_id"]], on="branch_id")
        bt = bt[bt["m"] == month]
        return bt.pivot_table(index="region_id", columns="metric", values="target_value", aggfunc="sum")


def analyst(src, lang: str) -> Who:
    names = dict(zip(src["regions"]["region_id"], src["regions"][f"name_{lang}"], strict=True))
    return Who(lang, src["cm"], "region", names)


def branch_manager(src, branch: int, lang: str = "en") -> Who:
    managers = src["managers"][src["managers"]["branch_id"] == branch]
    names = dict(zip(managers["manager_id"], managers["name"], strict=True))
    return Who(lang, src["cm"][src["cm"]["branch_id"] == branch], "manager", names, branch)


# --- expected figures -------------------------------------------------------------------------------


def change_text(now, before, fmt: str, lang: str, month: str) -> str:
    delta = now - before
    shown = ("+" if delta > 0 else "") + format_value(delta, fmt, lang)
    if before:
        shown += f" ({delta / before * 100:+.1f}%"
        if fmt == "count" and abs(before) < SMALL_BASE:
            shown += f", {format_value(before, 'count', lang)}→{format_value(now, 'count', lang)}"
        shown += ")"
    return VS[lang].format(month=month) + " " + shown


def fold_order(total: pd.Series) -> pd.Series:
    """Members largest |total| first (ties by key text), as the waterfall and movers sort them."""
    frame = pd.DataFrame({"key": total.index, "total": total.to_numpy()})
    frame = frame.assign(_abs=frame["total"].abs(), _k=frame["key"].astype(str))
    frame = frame.sort_values(["_abs", "_k"], ascending=[False, True], kind="stable")
    return pd.Series(frame["total"].to_numpy(), index=frame["key"].to_numpy())


def by_unit(rows: pd.DataFrame, month: str, level: str, column: str = "aum") -> pd.Series:
    return rows[rows["m"] == month].groupby(f"{level}_id")[column].sum()


def check_tiles(tree, who: Who, src, period: str, other: str) -> dict[str, str]:
    """Every tile against pandas; returns tile label -> KPI key."""
    series = monthly(who.rows)
    last_year = shift_month(period, -12)
    targets = who.targets(src, period)
    labels = {}
    for key, fmt in FMT.items():
        card = by_id(tree, f"overview--tile-{key}")
        body = card["props"]["children"]["props"]["children"]
        label, value, vs_other, vs_last_year, target, graph = body
        labels[text(label)] = key
        s = series[key]
        assert text(value) == format_value(s[period], fmt, who.lang), key
        assert text(vs_other) == change_text(s[period], s[other], fmt, who.lang, other), key
        assert text(vs_last_year) == change_text(s[period], s[last_year], fmt, who.lang, last_year), key
        delta = s[period] - s[other]
        good = None if not delta else (delta > 0) == (key not in LOWER_IS_BETTER)
        colour = "text-muted" if good is None else ("text-success" if good else "text-danger")
        assert colour in vs_other["props"]["className"], key
        if key in TARGET_METRICS:
            want = targets[key]
            assert text(target) == TARGET[who.lang].format(target=format_value(want, fmt, who.lang)) + (
                format_value(s[period] / want, "percent", who.lang)
            ), key
            badge = target["props"]["children"][1]["props"]
            assert badge["color"] == ("success" if s[period] / want >= 1 else "warning"), key
        else:
            assert target is None, key
        spark = graph["props"]["figure"]["data"][0]
        months = [shift_month(period, -i) for i in range(12, -1, -1)]
        assert [m[:7] for m in spark["customdata"]] == months, key
        assert len(spark["y"]) == 13
        for got, month in zip(spark["y"], months, strict=True):
            assert got == pytest.approx(s[month], rel=REL), (key, month)
    return labels


def check_additive_waterfall(tree, who: Who, a: str, b: str) -> None:
    """The default waterfall (AUM by the units one level down) and its contributions table."""
    assert dropdown_value(tree, "overview--explain-kpi") == "aum"
    assert dropdown_value(tree, "overview--explain-by") == who.level
    periods = (dropdown_value(tree, "overview--explain-a"), dropdown_value(tree, "overview--explain-b"))
    assert periods == (a, b)
    start, end = by_unit(who.rows, a, who.level), by_unit(who.rows, b, who.level)
    want = fold_order(additive_expected(start, end))
    check_waterfall(tree, who, want, start.sum(), end.sum(), a, b)
    rows = grid_rows(tree, "overview:explain-table")
    change = end.sum() - start.sum()
    assert [r["_row_id"] for r in rows] == [str(k) for k in want.index[: len(rows)]]
    for row in rows:
        total = want[int(row["_row_id"])]
        assert close(row["total"], total) and row["share"] == pytest.approx(total / change, rel=1e-7)


def check_waterfall(tree, who: Who, want: pd.Series, start: float, end: float, a: str, b: str) -> None:
    """Bars: start, the members (largest first, beyond :data:`TOP` folded into "Other"), end."""
    bars = chart(tree, "overview:explain")
    shown, rest = want.iloc[:TOP], want.iloc[TOP:]
    if len(want) == TOP + 1:
        shown, rest = want, want.iloc[:0]
    keys = [*shown.index, *([None] if len(rest) else [])]
    values = [*shown.to_numpy(), *([rest.sum()] if len(rest) else [])]
    assert bars["customdata"] == [None, *keys, None]
    labels = [who.names[k] if k is not None else OTHER[who.lang] for k in keys]
    assert bars["x"] == [a, *labels, b]
    assert len(bars["y"]) == len(values) + 2
    assert bars["y"][0] == pytest.approx(start, rel=REL) and bars["y"][-1] == pytest.approx(end, rel=REL)
    for got, value, key in zip(bars["y"][1:-1], values, keys, strict=True):
        assert close(got, value), key


def check_movers(tree, who: Who, src, segments: pd.Series, a: str, b: str) -> None:
    """The five largest contributors to the AUM change per unit, product and segment."""
    rows = who.rows
    change = rows[rows["m"] == b]["aum"].sum() - rows[rows["m"] == a]["aum"].sum()
    hold = src["aum_holdings"]
    if who.branch is not None:
        hold = hold[hold["branch_id"] == who.branch]
    seg = rows.assign(segment=rows["customer_id"].map(segments)) if len(segments) else rows.assign(segment=-1)
    wants = {
        who.level: additive_expected(by_unit(rows, a, who.level), by_unit(rows, b, who.level)),
        "product": additive_expected(
            *(hold[hold["m"] == m].groupby("product_id")["balance"].sum() for m in (a, b))
        ),
        "segment": additive_expected(
            *(seg[seg["m"] == m].groupby("segment", dropna=False)["aum"].sum() for m in (a, b))
        ),
    }
    if not len(segments):  # no segmentation published: the page shows no segment movers
        segment_grid = {"type": "frame-grid", "key": "overview:movers:segment"}
        assert not [n for n in nodes(tree) if n["props"].get("id") == segment_grid]
        del wants["segment"]
    for dim, want in wants.items():
        got = grid_rows(tree, f"overview:movers:{dim}")
        top = fold_order(want).head(5)
        assert len(got) == len(top), dim
        for row, (key, value) in zip(got, top.items(), strict=True):
            if dim != "segment" or len(segments):
                assert row["key"] == plain(key), dim
            assert close(row["contribution"], value), (dim, key)
            assert row["share"] == pytest.approx(value / change, rel=1e-7), (dim, key)
        if dim == who.level:
            assert [r["label"] for r in got] == [who.names[k] for k in top.index]


def expected_exceptions(who: Who, src, period: str) -> pd.DataFrame:
    """Units one level down off target or unusual in ``period``, most severe first."""
    rows = who.rows
    col = f"{who.level}_id"
    actual = (
        rows[rows["m"] == period]
        .groupby(col)
        .agg(
            aum=("aum", "sum"),
            deposits=("deposit_balance", "sum"),
            loans=("loan_balance", "sum"),
            contribution=("contribution", "sum"),
            new_customers=("is_new", "sum"),
        )
    )
    targets = who.unit_targets(src, period)
    found = []
    for unit, row in actual.iterrows():
        for metric in TARGET_METRICS:
            target = targets[metric].get(unit) if metric in targets else None
            threshold = 0.95 if metric in STOCKS else 0.90
            if target and target > 0 and row[metric] / target < threshold:
                att = row[metric] / target
                found.append(
                    ("target", int(unit), metric, (1 - att) / (1 - threshold), att, row[metric], target)
                )
    for unit, g in rows[rows["m"] <= period].groupby(col):
        s = monthly(g)
        for key in FMT:
            z = unusual_expected(s[key], period, key in STOCKS)
            if z is not None and abs(z) > 3.5:
                found.append(("unusual", int(unit), key, abs(z) / 3.5, z, None, None))
    frame = pd.DataFrame(found, columns=["kind", "unit", "kpi", "severity", "score", "value", "target"])
    return frame.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)


def check_exceptions(tree, who: Who, src, period: str, labels: dict[str, str]) -> None:
    want = expected_exceptions(who, src, period)
    assert len(want) > 0  # the demo bank always has something to flag
    table = by_id(tree, "overview--exceptions")
    body = table["props"]["children"][1]["props"]["children"]
    assert len(body) == min(20, len(want))
    for tr, w in zip(body, want.head(20).itertuples(), strict=True):
        kind, name, metric, what = tr["props"]["children"]
        badge = kind["props"]["children"]["props"]
        assert badge["color"] == ("danger" if w.kind == "target" else "warning")
        link = name["props"]["children"]["props"]
        assert link["children"] == who.names[w.unit]
        assert labels[text(metric)] == w.kpi
        url = urlsplit(link["href"])
        assert url.path == "/branches"
        assert parse_qs(url.query)[who.level] == [str(w.unit)]
        if who.branch is not None:
            assert parse_qs(url.query)["branch"] == [str(who.branch)]
        if w.kind == "target":
            for part in (
                format_value(w.value, FMT[w.kpi], who.lang),
                format_value(w.target, FMT[w.kpi], who.lang),
                format_value(w.score, "percent", who.lang),
            ):
                assert part in text(what), (w, text(what))
        else:
            assert f"{w.score:+.1f}" in text(what), (w, text(what))


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_analyst_sees_the_bank_as_pandas_computes_it(mams_app, src, segments, latest, lang):
    who = analyst(src, lang)
    tree = render(sign_in(mams_app, "analyst", lang))
    previous = shift_month(latest, -1)
    labels = check_tiles(tree, who, src, latest, previous)
    check_additive_waterfall(tree, who, previous, latest)
    check_movers(tree, who, src, segments, previous, latest)
    check_exceptions(tree, who, src, latest, labels)


def test_branch_manager_sees_only_their_branch(mams_app, src, segments, latest):
    from auth.users import get_user

    branch = get_user("branch").branch_id
    who = branch_manager(src, branch)
    tree = render(sign_in(mams_app, "branch"))
    previous = shift_month(latest, -1)
    labels = check_tiles(tree, who, src, latest, previous)
    check_additive_waterfall(tree, who, previous, latest)
    check_movers(tree, who, src, segments, previous, latest)
    check_exceptions(tree, who, src, latest, labels)
    # nothing of another branch: no other branch's manager and no other region on the page
    page = str(tree)
    others = src["managers"][src["managers"]["branch_id"] != branch]["name"]
    assert not [n for n in others if n not in who.names.values() and f"'{n}'" in page]
    assert not [r for r in src["regions"]["name_en"] if f"'{r}'" in page]


def test_ratio_waterfall_splits_mix_and_rate_as_pandas_does(mams_app, src, latest):
    who = analyst(src, "en")
    tree = render(sign_in(mams_app, "analyst"), "?x_kpi=avg_aum&x_by=region")
    assert dropdown_value(tree, "overview--explain-kpi") == "avg_aum"
    a, b = shift_month(latest, -1), latest
    rows = who.rows

    def parts(month):
        r = rows[rows["m"] == month]
        return r.groupby("region_id")["aum"].sum().astype(float), r.groupby("region_id").size().astype(float)

    (na, da), (nb, db) = parts(a), parts(b)
    want = mix_rate_expected(na, da, nb, db)
    start, end = na.sum() / da.sum(), nb.sum() / db.sum()
    order = fold_order(want["total"])
    check_waterfall(tree, who, order, start, end, a, b)
    table = grid_rows(tree, "overview:explain-table")
    assert [r["_row_id"] for r in table] == [str(k) for k in order.index]
    for row in table:
        w = want.loc[int(row["_row_id"])]
        assert row["mix"] == pytest.approx(w["mix"], rel=1e-7, abs=1e-9)
        assert row["rate"] == pytest.approx(w["rate"], rel=1e-7, abs=1e-9)
        assert row["total"] == pytest.approx(row["mix"] + row["rate"], rel=1e-9, abs=1e-9)
    assert sum(r["mix"] + r["rate"] for r in table) == pytest.approx(end - start, rel=1e-9, abs=1e-9)
    effects = text(by_id(tree, "overview--effects"))
    assert effects == EFFECTS["en"].format(
        mix=format_value(want["mix"].sum(), "money"), rate=format_value(want["rate"].sum(), "money")
    )
    # the default (additive) view has no mix and rate
    assert "overview--effects" not in str(render(sign_in(mams_app, "analyst")))


def test_junk_controls_render_the_defaults(mams_app, src, latest):
    client = sign_in(mams_app, "analyst")
    tree = render(client, "?x_kpi=nope&x_by=zzz&x_a=1999-01")
    assert "overview--explain-error" not in str(tree)
    check_additive_waterfall(tree, analyst(src, "en"), shift_month(latest, -1), latest)
    assert chart(tree, "overview:explain") == chart(render(client), "overview:explain")


def test_compare_last_year_moves_the_comparison_month(mams_app, src, latest):
    tree = render(sign_in(mams_app, "analyst"), "?compare=last_year")
    last_year = shift_month(latest, -12)
    check_tiles(tree, analyst(src, "en"), src, latest, last_year)
    subtitle = [n for n in nodes(tree) if "compared with" in text(n) and n["type"] == "Div"]
    assert text(subtitle[-1]) == f"{latest}, compared with {last_year}"
    # the waterfall follows the comparison month too
    assert dropdown_value(tree, "overview--explain-a") == last_year
