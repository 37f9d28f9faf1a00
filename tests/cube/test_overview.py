"""The Overview's figures against an independent pandas computation over the generated Parquet.

The expected side never calls the cube: customer_month is recomputed in pandas from the
source files (``tests.data.test_derive.pandas_customer_month``), holdings, transactions and
targets are read from the Parquet files, and the decompositions and the robust z-score are
worked out again here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube.api import CubeError, Query, Scope
from cube.views import overview as ov
from cube.views.state import ViewState, shift_month
from tests.data.test_derive import pandas_customer_month

REL = 1e-9


@pytest.fixture(scope="module")
def src(demo_home: Path, demo_source: Path) -> dict[str, pd.DataFrame]:
    names = ("holdings", "products", "branches", "transactions", "channels", "branch_targets")
    out = {n: pd.read_parquet(demo_source / f"{n}.parquet") for n in (*names, "manager_targets", "managers")}
    out["cm"] = cm = pandas_customer_month(demo_source)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    h = out["holdings"].merge(out["products"][["product_id", "category", "balance_type"]], on="product_id")
    h["m"] = pd.to_datetime(h["month_date"]).dt.strftime("%Y-%m")
    out["h"] = h.merge(
        cm[["m", "customer_id", "region_id", "branch_id", "manager_id"]], on=["m", "customer_id"]
    )
    t = out["transactions"].merge(out["channels"][["channel_id", "channel_type"]], on="channel_id")
    t["m"] = pd.to_datetime(t["txn_at"]).dt.strftime("%Y-%m")
    out["t"] = t
    for name in ("branch_targets", "manager_targets"):
        out[name]["m"] = pd.to_datetime(out[name]["month_date"]).dt.strftime("%Y-%m")
    return out


@pytest.fixture(scope="module")
def latest(src) -> str:
    return max(src["cm"]["m"])


@pytest.fixture(scope="module")
def big_branch(src, latest) -> int:
    cm = src["cm"]
    return int(cm[cm["m"] == latest]["branch_id"].value_counts().index[0])


@dataclass(frozen=True)
class Case:
    """A state and scope, and how to cut the pandas rows to the same figures."""

    name: str
    state: ViewState
    scope: Scope
    branch: int | None = None  # rows of one home branch (scope or state)
    age_band: str | None = None

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.branch is not None:
            frame = frame[frame["branch_id"] == self.branch]
        if self.age_band is not None:
            frame = frame[frame["age_band"] == self.age_band]
        return frame


def cases(branch: int) -> list[Case]:
    return [
        Case("bank", ViewState(), Scope.all()),
        Case("bank-last-year", ViewState(compare="last_year"), Scope.all()),
        Case(
            "branch-scope",
            ViewState(compare="month", compare_to="2025-06"),
            Scope.of("branch", branch),
            branch,
        ),
        Case("branch-state", ViewState().at_unit("branch", branch), Scope.all(), branch),
        Case("age-band", ViewState(age_band=("35-44",)), Scope.all(), age_band="35-44"),
    ]


CASE_IDS = ["bank", "bank-last-year", "branch-scope", "branch-state", "age-band"]


@pytest.fixture(params=range(5), ids=CASE_IDS)
def case(request, big_branch) -> Case:
    return cases(big_branch)[request.param]


def monthly(rows: pd.DataFrame) -> pd.DataFrame:
    """Every tile KPI by month ("YYYY-MM"), straight from customer-month rows."""
    g = rows.groupby("m")
    n = g.size()
    return pd.DataFrame(
        {
            "customers": n,
            "aum": g["aum"].sum(),
            "deposits": g["deposit_balance"].sum(),
            "loans": g["loan_balance"].sum(),
            "contribution": g["contribution"].sum(),
            "new_customers": g["is_new"].sum(),
            "lost_customers": g["is_churned"].sum(),
            "active_customers": g["is_active"].sum(),
            "products_per_customer": g["product_count"].sum() / n,
        }
    )


def close(got, want, rel: float = REL) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=rel, abs_tol=0.005)


# --- months and tiles -------------------------------------------------------------------------


def test_months(src, big_branch):
    cm = src["cm"]
    assert ov.months(Scope.all()) == sorted(cm["m"].unique())
    assert ov.months(Scope.of("branch", big_branch)) == sorted(
        cm[cm["branch_id"] == big_branch]["m"].unique()
    )
    assert ov.months(Scope.none()) == []


def test_kpi_tiles_match_pandas(src, case, latest):
    state = case.state.resolve(ov.months(case.scope))
    assert state.period == latest
    series = monthly(case.rows(src["cm"]))
    tiles = ov.kpi_tiles(state, case.scope)
    assert [t["key"] for t in tiles] == list(ov.KPIS)
    other = {"bank-last-year": shift_month(latest, -12), "branch-scope": "2025-06"}.get(
        case.name, shift_month(latest, -1)
    )
    last_year = shift_month(latest, -12)
    bt = src["branch_targets"]
    bt = bt[bt["m"] == latest]
    if case.branch is not None:
        bt = bt[bt["branch_id"] == case.branch]
    targets = bt.groupby("metric")["target_value"].sum()
    for tile in tiles:
        k, s = tile["key"], series[tile["key"]]
        assert tile["comparison_month"] == other and tile["last_year_month"] == last_year
        assert close(tile["value"], s[latest]), k
        assert close(tile["comparison_value"], s[other]), k
        assert close(tile["change"], s[latest] - s[other], 1e-7), k
        assert close(tile["change_pct"], (s[latest] - s[other]) / s[other], 1e-7), k
        assert close(tile["last_year_value"], s[last_year]), k
        assert close(tile["yoy_change"], s[latest] - s[last_year], 1e-7), k
        assert close(tile["yoy_change_pct"], (s[latest] - s[last_year]) / s[last_year], 1e-7), k
        spark = [shift_month(latest, -i) for i in range(12, -1, -1)]
        assert tile["sparkline_months"] == spark
        for got, month in zip(tile["sparkline"], spark, strict=True):
            assert close(got, s.get(month)), (k, month)
        if tile["key"] in ("customers", "new_customers", "lost_customers", "active_customers"):
            assert tile["value"] == int(s[latest]) and isinstance(tile["value"], int)
        target = ov.KPIS[k].target
        if target is None or case.age_band is not None:
            assert tile["target"] is None and tile["attainment"] is None, k
        else:
            assert close(tile["target"], targets[target]), k
            assert close(tile["attainment"], s[latest] / targets[target]), k
        assert tile["favourable"] == (
            None if tile["change"] == 0 else (tile["change"] > 0) == ov.KPIS[k].higher_is_better
        )


def test_products_per_customer_is_holdings_over_customers(src, latest):
    """The numerator is the holdings count of the same month and scope (customers holding
    nothing count in the denominator)."""
    h, cm = src["h"], src["cm"]
    tile = next(
        t for t in ov.kpi_tiles(ViewState(period=latest), Scope.all()) if t["key"] == "products_per_customer"
    )
    want = len(h[h["m"] == latest]) / len(cm[cm["m"] == latest])
    assert tile["value"] == pytest.approx(want, rel=REL)


# --- explaining a change ----------------------------------------------------------------------


def additive_expected(a: pd.Series, b: pd.Series) -> pd.Series:
    keys = a.index.union(b.index)
    return b.reindex(keys, fill_value=0) - a.reindex(keys, fill_value=0)


def members(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["kind"] == "member"].set_index("key")


CM_MEASURE = {
    "aum": "aum",
    "contribution": "contribution",
    "new_customers": "is_new",
    "deposits": "deposit_balance",
}


@pytest.mark.parametrize(
    ("kpi", "dim"),
    [("aum", "region"), ("customers", "branch"), ("contribution", "age_band"), ("new_customers", "manager")],
)
def test_additive_waterfall_matches_pandas(src, case, latest, kpi, dim):
    state = case.state.resolve(ov.months(case.scope))
    a, b = shift_month(latest, -1), latest
    rows = case.rows(src["cm"])
    col = f"{dim}_id" if dim in ("region", "branch", "manager") else dim

    def by(month):
        r = rows[rows["m"] == month]
        return r.groupby(col).size() if kpi == "customers" else r.groupby(col)[CM_MEASURE[kpi]].sum()

    want = additive_expected(by(a), by(b))
    got = ov.explain_change(state, case.scope, kpi, dim, a, b, top=1000)
    assert got.attrs["method"] == "additive" and list(got["kind"].iloc[[0, -1]]) == ["start", "end"]
    got_m = members(got)
    assert sorted(got_m.index) == sorted(want.index)
    for key, value in want.items():
        assert got_m.loc[key, "contribution"] == pytest.approx(value, rel=REL, abs=0.005), key
    start, end = got["total"].iloc[0], got["total"].iloc[-1]
    assert start == pytest.approx(by(a).sum(), rel=REL) and end == pytest.approx(by(b).sum(), rel=REL)
    # folded to the top 3: the others row keeps the sum exact
    folded = ov.explain_change(state, case.scope, kpi, dim, a, b, top=3)
    body = folded[folded["kind"].isin(["member", "others"])]
    assert len(body) <= 4
    assert body["total"].sum() == pytest.approx(end - start, rel=1e-9, abs=1e-6)
    assert (body["total"].abs().iloc[:-1].diff().dropna() <= 0).all() or len(body) < 3


def mix_rate_expected(num_a, den_a, num_b, den_b) -> pd.DataFrame:
    keys = num_a.index.union(num_b.index)
    na, da = num_a.reindex(keys, fill_value=0), den_a.reindex(keys, fill_value=0)
    nb, db = num_b.reindex(keys, fill_value=0), den_b.reindex(keys, fill_value=0)
    r_a = na.sum() / da.sum()
    wa, wb = da / da.sum(), db / db.sum()
    ra = (na / da.where(da > 0)).fillna(r_a)
    rb = nb / db.where(db > 0)
    mix = (wb - wa) * (ra - r_a)
    rate = (wb * (rb - ra)).where(db > 0, 0.0)
    return pd.DataFrame({"mix": mix, "rate": rate, "total": mix + rate})


RATIOS = {
    "avg_aum": ("aum", None),
    "active_rate": ("is_active", None),
    "products_per_customer": ("product_count", None),
}


@pytest.mark.parametrize(
    ("kpi", "dim"), [("avg_aum", "region"), ("active_rate", "branch"), ("products_per_customer", "age_band")]
)
def test_mix_rate_waterfall_matches_pandas_and_adds_up(src, case, latest, kpi, dim):
    state = case.state.resolve(ov.months(case.scope))
    a, b = shift_month(latest, -12), latest
    rows = case.rows(src["cm"])
    col = f"{dim}_id" if dim in ("region", "branch") else dim
    num = RATIOS[kpi][0]

    def parts(month):
        r = rows[rows["m"] == month]
        return r.groupby(col)[num].sum().astype(float), r.groupby(col).size().astype(float)

    (na, da), (nb, db) = parts(a), parts(b)
    want = mix_rate_expected(na, da, nb, db)
    got = ov.explain_change(state, case.scope, kpi, dim, a, b, top=1000)
    assert got.attrs["method"] == "mix_rate"
    got_m = members(got)
    for key, row in want.iterrows():
        for c in ("mix", "rate", "total"):
            assert got_m.loc[key, c] == pytest.approx(row[c], rel=1e-7, abs=1e-9), (key, c)
    r_a, r_b = na.sum() / da.sum(), nb.sum() / db.sum()
    assert got.attrs["start"] == pytest.approx(r_a, rel=REL) and got.attrs["end"] == pytest.approx(
        r_b, rel=REL
    )
    body = got[got["kind"] == "member"]
    assert (body["mix"].sum() + body["rate"].sum()) == pytest.approx(r_b - r_a, rel=1e-9, abs=1e-12)
    folded = ov.explain_change(state, case.scope, kpi, dim, a, b, top=2)
    fb = folded[folded["kind"].isin(["member", "others"])]
    assert fb["total"].sum() == pytest.approx(r_b - r_a, rel=1e-9, abs=1e-12)
    if kpi == "products_per_customer":
        tiles = {t["key"]: t for t in ov.kpi_tiles(state, case.scope)}
        assert got.attrs["end"] == pytest.approx(tiles[kpi]["value"], rel=REL)


@pytest.mark.parametrize("kpi", ["aum", "deposits", "loans"])
@pytest.mark.parametrize("dim", ["category", "product"])
@pytest.mark.parametrize("which", ["bank", "branch-scope"])
def test_balances_by_category_reproduce_the_customers_cube(src, big_branch, latest, kpi, dim, which):
    scope = Scope.all() if which == "bank" else Scope.of("branch", big_branch)
    state = ViewState(period=latest)
    a, b = shift_month(latest, -1), latest
    types = {"aum": ("deposit", "investment"), "deposits": ("deposit",), "loans": ("loan",)}[kpi]
    h = src["h"][src["h"]["balance_type"].isin(types)]
    if which != "bank":
        h = h[h["branch_id"] == big_branch]
    col = "category" if dim == "category" else "product_id"
    want = additive_expected(*(h[h["m"] == m].groupby(col)["balance"].sum() for m in (a, b)))
    got = ov.explain_change(state, scope, kpi, dim, a, b, top=1000)
    got_m = members(got)
    assert sorted(got_m.index) == sorted(want.index)
    for key, value in want.items():
        assert got_m.loc[key, "contribution"] == pytest.approx(value, rel=REL, abs=0.005)
    # the holdings balances add up to the customers cube's AUM / deposits / loans exactly
    tiles = {t["key"]: t for t in ov.kpi_tiles(state, scope)}
    assert got.attrs["end"] == pytest.approx(tiles[kpi]["value"], rel=REL)
    assert got.attrs["start"] == pytest.approx(tiles[kpi]["comparison_value"], rel=REL)


@pytest.mark.parametrize("which", ["bank", "branch-scope"])
def test_transaction_amount_by_channel_type(src, big_branch, latest, which):
    scope = Scope.all() if which == "bank" else Scope.of("branch", big_branch)
    a, b = shift_month(latest, -1), latest
    t = src["t"] if which == "bank" else src["t"][src["t"]["branch_id"] == big_branch]
    want = additive_expected(*(t[t["m"] == m].groupby("channel_type")["amount"].sum() for m in (a, b)))
    got = ov.explain_change(ViewState(period=latest), scope, "txn_amount", "channel_type", a, b)
    got_m = members(got)
    assert sorted(got_m.index) == sorted(want.index)
    for key, value in want.items():
        assert got_m.loc[key, "contribution"] == pytest.approx(value, rel=REL, abs=0.005)
    assert got["label"].iloc[1] and got["label"].iloc[1] != got["key"].iloc[1]  # a display name


def test_explain_refuses_what_it_cannot_decompose(latest):
    state = ViewState(period=latest)
    a = shift_month(latest, -1)
    with pytest.raises(CubeError, match="allowed: region, branch, manager, segment, value_tier, age_band"):
        ov.explain_change(state, Scope.all(), "customers", "category", a, latest)
    with pytest.raises(CubeError, match="cannot apply"):
        ov.explain_change(state.with_(age_band=("35-44",)), Scope.all(), "aum", "category", a, latest)
    with pytest.raises(CubeError, match="cannot apply"):
        ov.explain_change(
            state.with_(age_band=("35-44",)), Scope.all(), "txn_amount", "channel_type", a, latest
        )
    with pytest.raises(CubeError, match="unknown KPI"):
        ov.explain_change(state, Scope.all(), "nope", "region", a, latest)
    with pytest.raises(CubeError, match="allowed"):
        ov.explain_change(state, Scope.all(), "txn_amount", "age_band", a, latest)


# --- movers -----------------------------------------------------------------------------------


def test_movers_match_pandas(src, big_branch, latest, no_published_scores):
    cm, h = src["cm"], src["h"]
    a, b = shift_month(latest, -1), latest
    for state, level, rows, hold in (
        (ViewState(period=latest), "region", cm, h),
        (ViewState(period=latest).at_unit("branch", big_branch), "manager", cm[cm["branch_id"] == big_branch],
         h[h["branch_id"] == big_branch]),
    ):  # fmt: skip
        got = ov.movers(state, Scope.all(), "aum", n=5)
        assert list(got.columns) == ["dimension", "key", "label", "contribution", "share"]
        # segments only once a segmentation run is published (not here): no "Not scored" mover
        assert set(got["dimension"]) == {level, "product"}
        change = rows[rows["m"] == b]["aum"].sum() - rows[rows["m"] == a]["aum"].sum()
        aumh = hold[hold["balance_type"].isin(["deposit", "investment"])]

        def change_by(frame, col, value):
            return additive_expected(*(frame[frame["m"] == m].groupby(col)[value].sum() for m in (a, b)))

        for dim, want in (
            (level, change_by(rows, f"{level}_id", "aum")),
            ("product", change_by(aumh, "product_id", "balance")),
        ):
            top = want.reindex(want.abs().sort_values(ascending=False).index).head(5)
            g = got[got["dimension"] == dim]
            assert list(g["key"]) == list(top.index)
            np.testing.assert_allclose(g["contribution"], top.to_numpy(), rtol=REL, atol=0.005)
            np.testing.assert_allclose(g["share"], top.to_numpy() / change, rtol=1e-7)
    assert ov.movers(ViewState(period=min(cm["m"])), Scope.all(), "aum").empty  # no comparison month


# --- exceptions -------------------------------------------------------------------------------


def robust_z(history: list[float], x: float) -> float | None:
    h = np.array(history, dtype=float)
    if len(h) < 8:
        return None
    med = np.median(h)
    s = 1.4826 * np.median(np.abs(h - med)) or 1.2533 * np.mean(np.abs(h - med))
    return None if s == 0 else (x - med) / s


def unusual_expected(series: pd.Series, period: str, stock: bool) -> float | None:
    lag = 1 if stock else 12
    d = {
        m: series[m] - series[shift_month(m, -lag)]
        for m in series.index
        if shift_month(m, -lag) in series.index
    }
    if period not in d:
        return None
    return robust_z([v for m, v in d.items() if m < period], d[period])


@pytest.mark.parametrize("months_back", [0, 1, 13])
@pytest.mark.parametrize("where", ["bank", "branch", "age-band"])
def test_exceptions_match_pandas(src, big_branch, latest, months_back, where):
    period = shift_month(latest, -months_back)
    state = ViewState(period=period)
    cm = src["cm"]
    level = "region"
    if where == "branch":
        state, level, cm = state.at_unit("branch", big_branch), "manager", cm[cm["branch_id"] == big_branch]
    if where == "age-band":
        state, cm = state.with_(age_band=("35-44",)), cm[cm["age_band"] == "35-44"]
    at_branch = where == "branch"
    got = ov.exceptions(state, Scope.all())
    assert list(got.columns) == ov.EXCEPTION_COLUMNS
    assert (got["severity"].diff().dropna() <= 0).all()
    assert (got["severity"] >= 1).all() and (got["level"] == level).all()
    # (a) off target
    actual = (
        cm[cm["m"] == period]
        .groupby(f"{level}_id")
        .agg(
            aum=("aum", "sum"),
            deposits=("deposit_balance", "sum"),
            loans=("loan_balance", "sum"),
            contribution=("contribution", "sum"),
            new_customers=("is_new", "sum"),
        )
    )
    if at_branch:
        mt = src["manager_targets"].merge(src["managers"][["manager_id", "branch_id"]], on="manager_id")
        tg = mt[(mt["m"] == period) & (mt["branch_id"] == big_branch)].pivot_table(
            index="manager_id", columns="metric", values="target_value", aggfunc="sum"
        )
    else:
        bt = src["branch_targets"].merge(src["branches"][["branch_id", "region_id"]], on="branch_id")
        tg = bt[bt["m"] == period].pivot_table(
            index="region_id", columns="metric", values="target_value", aggfunc="sum"
        )
    want = {}
    for unit, row in actual.iterrows():
        for metric in ("aum", "deposits", "loans", "contribution", "new_customers"):
            target = tg[metric].get(unit) if metric in tg else None
            threshold = 0.95 if metric in ("aum", "deposits", "loans") else 0.90
            if target and target > 0 and row[metric] / target < threshold:
                want[(int(unit), metric)] = row[metric] / target
    if where == "age-band":
        want = {}  # targets are for whole units: no target exceptions under a customer filter
    assert len(got) > 0  # every one of these months has something to flag in the demo bank
    t = got[got["kind"] == "target"]
    assert {(int(k), m) for k, m in zip(t["key"], t["kpi"], strict=True)} == set(want)
    for r in t.itertuples():
        assert r.attainment == pytest.approx(want[(r.key, r.kpi)], rel=REL)
        assert r.gap < 0 and r.page == "/branches"
        assert r.params == state.at_unit(level, r.key).to_params() and r.params[level] == str(r.key)
    # (b) unusual for the season and the unit's history
    series = {unit: monthly(g) for unit, g in cm[cm["m"] <= period].groupby(f"{level}_id")}
    want_u = {}
    for unit, s in series.items():
        for key, k in ov.KPIS.items():
            z = unusual_expected(s[key], period, k.stock)
            if z is not None and abs(z) > 3.5:
                want_u[(int(unit), key)] = z
    u = got[got["kind"] == "unusual"]
    assert {(int(k), m) for k, m in zip(u["key"], u["kpi"], strict=True)} == set(want_u)
    for r in u.itertuples():
        assert r.z == pytest.approx(want_u[(r.key, r.kpi)], rel=1e-6)
        assert r.direction == ("up" if r.z > 0 else "down")
        assert r.severity == pytest.approx(abs(r.z) / 3.5)


def test_exceptions_find_a_planted_shock_and_need_history(latest):
    """A unit's deposits jump in one month: flagged then, not before or after; too short a
    history flags nothing."""
    months = [shift_month(latest, -i) for i in range(23, -1, -1)]
    rng = np.random.default_rng(1)
    base = pd.Series(1e6 + np.cumsum(rng.normal(5000, 1000, len(months))), index=months)
    shocked = base.copy()
    shocked.iloc[18:] += 60_000
    found = ov.unusual(shocked, months[18], stock=True)
    assert found is not None and found["z"] > 3.5
    assert found["expected"] == pytest.approx(shocked.iloc[17] + np.median(np.diff(shocked.iloc[:18])))
    assert abs(ov.unusual(shocked, months[19], stock=True)["z"]) < 3.5
    assert ov.unusual(shocked.iloc[5:], months[10], stock=True) is None  # 4 earlier changes only
    # a seasonal flow: the season alone is not unusual, a jump on top of it is
    flow = pd.Series(100 + 20 * np.sin(np.arange(len(months)) * np.pi / 6), index=months)
    flow += rng.normal(0, 1, len(months))
    assert abs(ov.unusual(flow, months[-1], stock=False)["z"]) < 3.5
    flow.iloc[-1] += 40
    assert ov.unusual(flow, months[-1], stock=False)["z"] > 3.5
    assert ov.unusual(flow.iloc[4:], months[-1], stock=False) is None  # 7 earlier YoY changes


# --- the whole view ---------------------------------------------------------------------------


def test_queries_name_every_query_a_render_runs(latest, no_published_scores):
    state = ViewState(period=latest)
    qs = ov.queries(state)
    assert {"months", "tiles", "attainment", "exceptions.targets", "exceptions.history"} <= set(qs)
    # segment movers only once a segmentation run is published (none here)
    assert {n for n in qs if n.startswith("movers.")} == {"movers.region", "movers.product"}
    assert all(isinstance(q, Query) for q in qs.values())
    assert qs["tiles"] == ov.tiles_query(state)
    for name, q in qs.items():
        assert len(ov.run(name, q, Scope.all()).frame) > 0, name
    filtered = ov.queries(state.with_(age_band=("<25",)))
    assert "attainment" not in filtered and "movers.product" not in filtered
