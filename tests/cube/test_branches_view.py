"""The Branches view's figures against an independent pandas computation over the generated
Parquet files.

The expected side never calls the cube: customer_month is recomputed in pandas from the source
files (``tests.data.test_derive.pandas_customer_month``), targets are read from the Parquet
files and joined to their branches and regions here, and the composite score is worked out again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube.api import MAX_PAGE_SIZE, Scope
from cube.views import branches as bv
from cube.views.options import months
from cube.views.state import Selection, ViewState, shift_month
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
UNITS_CHART = "branches:units"  # the key the Branches page registers its units chart under
KPI_COLUMNS = {
    "aum": "aum",
    "deposits": "deposit_balance",
    "loans": "loan_balance",
    "contribution": "contribution",
    "new_customers": "is_new",
    "lost_customers": "is_churned",
}
ORG_COLUMNS = {"region": "region_id", "branch": "branch_id", "manager": "manager_id"}
WEIGHTS = {"aum": 0.30, "deposits": 0.20, "contribution": 0.20, "new_customers": 0.15, "attainment": 0.15}


@pytest.fixture(scope="module")
def src(demo_home: Path, demo_source: Path) -> dict[str, pd.DataFrame]:
    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(demo_source / f"{name}.parquet")

    cm = pandas_customer_month(demo_source)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    branches, managers = (
        read("branches")[["branch_id", "region_id"]],
        read("managers")[["manager_id", "branch_id"]],
    )
    bt = read("branch_targets").merge(branches, on="branch_id")
    mt = read("manager_targets").merge(managers, on="manager_id").merge(branches, on="branch_id")
    for t in (bt, mt):
        t["m"] = pd.to_datetime(t["month_date"]).dt.strftime("%Y-%m")
    return {"cm": cm, "branch_targets": bt, "manager_targets": mt}


@pytest.fixture(scope="module")
def latest(src) -> str:
    return max(src["cm"]["m"])


@pytest.fixture(scope="module")
def units_of(src, latest) -> dict[str, int]:
    """A big branch, its region, its biggest manager, and a second region."""
    now = src["cm"][src["cm"]["m"] == latest]
    branch = int(now["branch_id"].value_counts().index[0])
    region = int(now.loc[now["branch_id"] == branch, "region_id"].iloc[0])
    manager = int(now.loc[now["branch_id"] == branch, "manager_id"].value_counts().index[0])
    other_region = int(now.loc[now["region_id"] != region, "region_id"].value_counts().index[0])
    return {"branch": branch, "region": region, "manager": manager, "other_region": other_region}


@dataclass(frozen=True)
class Case:
    """A view state and a scope, and how pandas cuts its rows to the same figures."""

    name: str
    state: ViewState
    scope: Scope
    scope_cut: tuple[str, int] | None = None  # (org level, id) the scope holds

    def org_filters(self, chart: str | None) -> list[tuple[str, tuple]]:
        """(level, ids) of the state's org unit and of org selections on other charts."""
        out = [
            (lvl, (getattr(self.state, lvl),)) for lvl in ORG_COLUMNS if getattr(self.state, lvl) is not None
        ]
        out += [
            (s.dimension, s.values)
            for s in self.state.selection
            if s.chart != chart and s.dimension in ORG_COLUMNS
        ]
        return out

    def customer_filters(self, chart: str | None) -> list[tuple[str, tuple]]:
        out = [("age_band", self.state.age_band)] if self.state.age_band else []
        out += [
            (s.dimension, s.values)
            for s in self.state.selection
            if s.chart != chart and s.dimension == "age_band"
        ]
        return out

    def rows(self, frame: pd.DataFrame, chart: str | None = None, org_only: bool = False) -> pd.DataFrame:
        if self.scope_cut is not None:
            level, key = self.scope_cut
            frame = frame[frame[ORG_COLUMNS[level]] == key]
        for level, values in self.org_filters(chart):
            frame = frame[frame[ORG_COLUMNS[level]].isin(values)]
        if not org_only:
            for column, values in self.customer_filters(chart):
                frame = frame[frame[column].isin(values)]
        return frame

    def by_manager(self, by_child: bool) -> bool:
        """Manager targets answer when the targets query groups or filters by manager or the
        scope is a manager's."""
        names = [lvl for lvl, _ in self.org_filters(UNITS_CHART if by_child else None)]
        if by_child:
            names.append(self.state.child_level())
        return "manager" in names or (self.scope_cut is not None and self.scope_cut[0] == "manager")


def cases(u: dict[str, int]) -> list[Case]:
    b, r, m = u["branch"], u["region"], u["manager"]
    analyst = Scope.all(identities=False)
    return [
        Case("bank", ViewState(), analyst),
        Case("region", ViewState(region=r), analyst),
        Case("branch", ViewState(region=r, branch=b), analyst),
        Case("branch-scope-bank", ViewState(), Scope.of("branch", b), ("branch", b)),
        Case("branch-scope-home", ViewState(branch=b), Scope.of("branch", b), ("branch", b)),
        Case(
            "branch-scope-other-region",
            ViewState(region=u["other_region"]),
            Scope.of("branch", b),
            ("branch", b),
        ),
        Case("rm-scope-bank", ViewState(), Scope.of("manager", m), ("manager", m)),
        Case(
            "rm-scope-home", ViewState(region=r, branch=b, manager=m), Scope.of("manager", m), ("manager", m)
        ),
        Case("age-band", ViewState(region=r, age_band=("35-44", "45-54")), analyst),
        Case(
            "selection",
            ViewState(
                selection=(
                    Selection(UNITS_CHART, "region", (r,)),  # the units chart's own: not applied to it
                    Selection("overview:ages", "age_band", ("25-34",)),
                )
            ),
            analyst,
        ),
        Case(
            "selection-in-region",
            ViewState(region=r, selection=(Selection("other:chart", "branch", (b,)),)),
            Scope.of("branch", b),
            ("branch", b),
        ),
    ]


CASE_IDS = [c.name for c in cases({"branch": 0, "region": 0, "manager": 0, "other_region": 0})]


@pytest.fixture(params=CASE_IDS)
def case(request, units_of) -> Case:
    return next(c for c in cases(units_of) if c.name == request.param)


def resolved(case: Case) -> ViewState:
    return case.state.resolve(months(case.scope))


def kpis_expected(rows: pd.DataFrame) -> dict[str, float]:
    out = {"customers": float(len(rows))}
    out.update({k: float(rows[c].astype(float).sum()) for k, c in KPI_COLUMNS.items()})
    return out


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.005)


# --- KPIs -------------------------------------------------------------------------------------


def test_kpis_match_pandas(src, case, latest):
    state = resolved(case)
    assert state.period == latest
    for period in (state.period, shift_month(state.period, -1)):
        rows = case.rows(src["cm"][src["cm"]["m"] == period])
        want = kpis_expected(rows)
        got = bv.kpis(state, case.scope, period)
        assert list(got) == list(bv.KPIS)
        for key in bv.KPIS:
            assert close(got[key], want[key]), (key, period, got[key], want[key])
    if case.name == "branch-scope-other-region":
        assert all(v == 0 for v in bv.kpis(state, case.scope).values())  # none of another region


def test_kpis_of_a_month_without_data_are_zero(case):
    state = resolved(case)
    assert bv.kpis(state, case.scope, "1999-01") == dict.fromkeys(bv.KPIS, 0.0)
    assert set(bv.kpis(state, Scope.none()).values()) == {0.0}


# --- units: KPIs, attainment, composite score -------------------------------------------------


def attainment_expected(src, case: Case, period: str, by_child: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(actuals, targets) by metric, per child unit (column ``key``) if ``by_child``."""
    manager = case.by_manager(by_child)
    targets = src["manager_targets" if manager else "branch_targets"]
    if case.scope_cut is not None and case.scope_cut[0] == "manager" and not manager:
        raise AssertionError("a manager scope always reads manager targets")
    chart = UNITS_CHART if by_child else None
    t = case.rows(targets[targets["m"] == period], chart, org_only=True)
    a = case.rows(src["cm"][src["cm"]["m"] == period], chart, org_only=True)
    key = [ORG_COLUMNS[case.state.child_level()]] if by_child else []
    metrics = list(bv.TARGET_METRICS)
    if key:
        tv = t.pivot_table(index=key, columns="metric", values="target_value", aggfunc="sum")
        av = a.groupby(key)[[KPI_COLUMNS[m] for m in metrics]].sum()
    else:
        tv = pd.DataFrame([t.groupby("metric")["target_value"].sum()])
        av = pd.DataFrame([a[[KPI_COLUMNS[m] for m in metrics]].sum()])
    av.columns = metrics
    return av.astype(float), tv.reindex(columns=metrics).astype(float)


def score_expected(frame: pd.DataFrame) -> np.ndarray:
    score = np.zeros(len(frame))
    for column, weight in WEIGHTS.items():
        v = np.maximum(np.nan_to_num(frame[column].to_numpy(dtype=float)), 0.0)
        if len(v) and v.max() > 0:
            score += weight * 100 * v / v.max()
    return score


def test_units_match_pandas(src, case, latest):
    state = resolved(case)
    got = bv.units(state, case.scope, "en")
    level = state.child_level()
    if level is None:
        assert got.empty and bv.units_query(state) is None
        return
    rows = case.rows(src["cm"][src["cm"]["m"] == state.period], UNITS_CHART)
    column = ORG_COLUMNS[level]
    groups = rows.groupby(column)
    want = pd.DataFrame({"customers": groups.size().astype(float)})
    for key, col in KPI_COLUMNS.items():
        want[key] = groups[col].sum().astype(float)
    if case.name == "branch-scope-other-region":
        assert got.empty and want.empty
        return
    assert len(want) > 0
    actual, target = attainment_expected(src, case, state.period, by_child=True)
    ratio = (actual / target.where(target != 0)).reindex(want.index)
    want["attainment"] = ratio.mean(axis=1, skipna=True).fillna(0.0)
    want["score"] = score_expected(want)
    want["rank"] = want["score"].rank(ascending=False, method="min").astype(int)

    assert sorted(got["key"]) == sorted(want.index)
    g = got.set_index("key")
    for c in ["customers", *KPI_COLUMNS, "attainment", "score"]:
        np.testing.assert_allclose(g.loc[want.index, c], want[c], rtol=REL, atol=0.005, err_msg=c)
    assert (g.loc[want.index, "rank"] == want["rank"]).all()
    assert list(got["rank"]) == sorted(got["rank"]) and got["rank"].iloc[0] == 1
    assert got["name"].notna().all() and (got["name"].astype(str) != got["key"].astype(str)).all()
    if case.name == "selection":
        # the units chart's own selection only highlights: every region is still listed
        assert len(got) == src["cm"]["region_id"].nunique()


def test_rank_comes_from_the_unrounded_score():
    """Two units shown with the same rounded score (27.0) still rank 2 and 3."""
    frame = pd.DataFrame(
        {
            "key": [3, 1, 2],
            "aum": [0.8995, 1.0, 0.9],  # scores 26.985, 100, 27.0
            "deposits": [0.0, 1.0, 0.0],
            "contribution": [0.0, 1.0, 0.0],
            "new_customers": [0.0, 1.0, 0.0],
            "attainment": [0.0, 1.0, 0.0],
        }
    )
    scored = bv.composite_score(frame)
    assert list(scored["key"]) == [1, 2, 3]
    assert list(scored["rank"]) == [1, 2, 3]
    shown = scored["score"].round(1)
    assert shown.iloc[1] == shown.iloc[2] == 27.0
    np.testing.assert_allclose(scored["score"], [100.0, 27.0, 26.985], rtol=1e-12)


def test_the_units_chart_key_is_the_one_its_query_excludes(src, units_of, latest):
    """A selection made on the units chart highlights its bars: the chart (and its attainment)
    keeps every unit, while the KPIs follow the selection."""
    r, other = units_of["region"], units_of["other_region"]
    state = ViewState(period=latest, selection=(Selection(UNITS_CHART, "region", (r,)),))
    plain = bv.units(ViewState(period=latest), Scope.all(False), "en")
    selected = bv.units(state, Scope.all(False), "en")
    pd.testing.assert_frame_equal(plain, selected)
    assert bv.units_query(state) == bv.units_query(ViewState(period=latest))
    kpis = bv.kpis(state, Scope.all(False))
    cm = src["cm"]
    assert kpis["customers"] == len(cm[(cm["m"] == latest) & (cm["region_id"] == r)])
    assert other in set(selected["key"])


# --- targets ----------------------------------------------------------------------------------


def test_targets_match_pandas(src, case):
    state = resolved(case)
    got = bv.targets(state, case.scope)
    assert list(got.columns) == ["metric", "target", "actual", "attainment"]
    actual, target = attainment_expected(src, case, state.period, by_child=False)
    a, t = actual.iloc[0], target.iloc[0]
    want = [m for m in bv.TARGET_METRICS if pd.notna(t[m]) and t[m]]
    if case.name == "branch-scope-other-region":
        assert got.empty or (got["actual"] == 0).all()
        return
    assert list(got["metric"]) == want and want
    g = got.set_index("metric")
    for m in want:
        assert close(g.loc[m, "target"], t[m]), m
        assert close(g.loc[m, "actual"], a[m]), m
        assert math.isclose(g.loc[m, "attainment"], a[m] / t[m], rel_tol=1e-9), m


# --- trend ------------------------------------------------------------------------------------


def test_trend_matches_pandas(src, case):
    state = resolved(case)
    got = bv.trend(state, case.scope)
    rows = case.rows(src["cm"])
    g = rows.groupby("m")
    want = pd.DataFrame(
        {
            "customers.aum": g["aum"].sum(),
            "customers.deposits": g["deposit_balance"].sum(),
            "customers.loans": g["loan_balance"].sum(),
        }
    ).astype(float)
    got_m = got.assign(m=got["month"].dt.strftime("%Y-%m")).set_index("m").sort_index()
    assert list(got_m.index) == list(want.index)
    for c in bv.TREND_MEASURES:
        np.testing.assert_allclose(got_m[c], want[c], rtol=REL, atol=0.005, err_msg=c)


# --- customers behind the figures -------------------------------------------------------------


def test_customers_total_is_the_pandas_count(src, case):
    state = resolved(case)
    rows = case.rows(src["cm"][src["cm"]["m"] == state.period])
    result = bv.customers(state, case.scope, "en", 50)
    frame, total = result.frame, result.total_rows
    assert total == len(rows)
    assert len(frame) == min(50, len(rows))
    assert set(frame["customer_id"].astype(str)) <= set(rows["customer_id"].astype(str))


def test_customers_page_through_more_than_one_drill_through_page(src, latest, demo_source):
    limit = MAX_PAGE_SIZE + 7
    state = ViewState(period=latest)
    result = bv.customers(state, Scope.all(False), "en", limit)
    frame, total = result.frame, result.total_rows
    rows = src["cm"][src["cm"]["m"] == latest]
    assert total == len(rows) > limit
    want = sorted(rows["customer_id"].astype(int))[:limit]
    assert list(frame["customer_id"].astype(int)) == want  # in detail order, none twice
    names = set(pd.read_parquet(demo_source / "customers.parquet")["name"])
    assert not frame["customer_name"].astype(str).isin(names).any()  # an analyst sees no identities


def test_queries_of_one_render(units_of, latest):
    state = ViewState(period=latest, region=units_of["region"])
    qs = bv.queries(state)
    assert set(qs) == {"months", "kpis", "kpis_comparison", "trend", "units", "targets", "units.attainment"}
    assert set(qs) >= bv.ATTAINMENT_QUERIES
    assert qs["units"].dimensions == ("customers.branch",)
    at_manager = state.at_unit("branch", units_of["branch"]).at_unit("manager", units_of["manager"])
    assert "units" not in bv.queries(at_manager)
    assert "kpis_comparison" not in bv.queries(ViewState(period=latest, compare="month"))
