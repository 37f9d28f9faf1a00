"""The Segmentation view's figures against independent pandas / numpy computations on the demo
bank: factor variance from the features' correlation matrix, z-scores from the features and the
run's labels, segment and value-tier shares from customer_month recomputed in pandas joined with
the run's per-customer files, migration matrices by crosstab, the potential big customers; and
segment names edited by an analyst reaching the cube's labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cube import api
from cube.api import Filter, Query, Scope
from cube.views import segmentation as sv
from cube.views.options import months
from cube.views.state import ViewState
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
_CM: dict[str, pd.DataFrame] = {}


@pytest.fixture(scope="module")
def runs_(segmentation_and_value_runs):
    seg, value = sv.latest("segmentation"), sv.latest("value")
    assert seg is not None and value is not None
    return seg, value


@pytest.fixture(scope="module")
def cm(demo_source) -> pd.DataFrame:
    if "cm" not in _CM:
        frame = pandas_customer_month(demo_source)
        frame["m"] = pd.to_datetime(frame["month_date"]).dt.strftime("%Y-%m")
        _CM["cm"] = frame
    return _CM["cm"]


@pytest.fixture(scope="module")
def behaviour(runs_):
    """The model's input features for the run's month (what the run clustered)."""
    from data import warehouse
    from mining import features

    seg, _ = runs_
    con = warehouse.open_readonly()
    try:
        month = pd.Timestamp(seg.metrics["month"]).date()
        return features.behaviour_frame(con, month, window=seg.params.get("window", 6))
    finally:
        con.close()


def scopes(cm: pd.DataFrame, month: str):
    """(scope, state, customer_month rows of the month in that scope): an analyst and a branch."""
    rows = cm[cm["m"] == month]
    branch = int(rows["branch_id"].value_counts().index[0])
    return [
        (Scope.all(identities=False), ViewState(), rows),
        (Scope.of("branch", branch), ViewState(branch=branch), rows[rows["branch_id"] == branch]),
    ]


def resolved(state: ViewState, scope: Scope) -> ViewState:
    return state.resolve(months(scope))


# --- the run's own outputs ------------------------------------------------------------------------


def test_factor_variance_matches_the_correlation_matrix(runs_, behaviour):
    seg, _ = runs_
    loadings = sv.loadings(seg)
    features = list(dict.fromkeys(loadings["feature"]))
    wide = loadings.pivot(index="feature", columns="factor", values="loading").loc[features]
    corr = behaviour[features].astype("float64").corr().to_numpy()
    values, vectors = np.linalg.eigh(corr)
    top = np.argsort(values)[::-1][: wide.shape[1]]
    # a rotation keeps the variance the factors explain together and each feature's communality
    assert (wide.to_numpy() ** 2).sum() == pytest.approx(values[top].sum(), rel=1e-6)
    communality = (vectors[:, top] ** 2 * values[top]).sum(axis=1)
    assert np.allclose((wide.to_numpy() ** 2).sum(axis=1), communality, rtol=1e-6)
    variance = sv.factor_variance(seg)
    want = (wide.to_numpy() ** 2).sum(axis=0)
    assert np.allclose(variance["variance"], want, rtol=1e-9)
    assert np.allclose(variance["proportion"], want / len(features), rtol=1e-9)
    assert np.allclose(variance["cumulative"], np.cumsum(want) / len(features), rtol=1e-9)
    assert list(variance["proportion"]) == sorted(variance["proportion"], reverse=True)
    zh = sv.loadings(seg, "zh")
    assert zh["factor_label"].str.startswith("F").all() and zh["feature_label"].iloc[0] != features[0]


def test_map_is_a_sample_of_the_run_customers(runs_):
    seg, _ = runs_
    points = sv.map_sample(seg)
    customers = pd.read_parquet(seg.output("customers"))
    assert len(points) == min(sv.MAP_POINTS, len(customers))
    customers[["x", "y"]] = customers[["x", "y"]].round(sv.MAP_DECIMALS)
    found = points.merge(customers, on=["x", "y", "segment"], how="left", indicator=True)
    assert (found["_merge"] == "both").all()
    small = sv.map_sample(seg, points=100)
    assert len(small) == 100 and small["segment"].nunique() > 1


def test_zscores_match_pandas(runs_, behaviour):
    seg, _ = runs_
    got = sv.zscores(seg).pivot(index="segment", columns="feature", values="z")
    labels = pd.read_parquet(seg.output("customers"), columns=["customer_id", "segment"])
    frame = behaviour.merge(labels, on="customer_id")
    assert len(frame) == len(labels)
    features = list(got.columns)
    values = frame[features].astype("float64")
    want = (values.groupby(frame["segment"]).mean() - values.mean()) / values.std(ddof=0)
    assert np.allclose(got.loc[want.index, features].to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12)


def test_k_choice_has_silhouettes_and_stability_of_every_candidate(runs_):
    seg, _ = runs_
    frame = sv.k_choice(seg)
    silhouettes = {int(k): v for k, v in seg.metrics["silhouettes"].items()}
    assert list(frame["k"]) == sorted(silhouettes)
    assert np.allclose(frame["silhouette"], [silhouettes[k] for k in frame["k"]])
    raw = pd.read_parquet(seg.output("stability"))
    assert np.allclose(frame["stability"], raw.groupby("k")["ari"].mean().loc[frame["k"]].to_numpy())
    assert np.allclose(frame["stability_min"], raw.groupby("k")["ari"].min().loc[frame["k"]].to_numpy())
    assert frame.loc[frame["chosen"], "k"].tolist() == [seg.metrics["n_clusters"]]
    assert frame["stability"].between(-1, 1).all()


def test_period_migration_is_the_run_matrix_in_long_form(runs_):
    seg, _ = runs_
    got = sv.period_migration(seg)
    wide = pd.read_parquet(seg.output("migration")).set_index("before")
    assert got["customers"].sum() == wide.to_numpy().sum()
    for r in got.itertuples():
        assert r.customers == wide.loc[str(r.before), str(r.after)]
        assert r.share == pytest.approx(r.customers / wide.loc[str(r.before)].sum(), rel=REL)
    names = sv.name_map(seg, "en")
    assert set(got.loc[got["after"] != "gone", "after_label"]) <= set(names.values())


# --- cube figures -----------------------------------------------------------------------------------


def test_segment_profiles_match_pandas_in_each_scope(runs_, cm):
    seg, _ = runs_
    labels = pd.read_parquet(seg.output("customers"), columns=["customer_id", "segment"])
    month = sv.run_month(seg)
    names = sv.name_map(seg, "en")
    for scope, state, rows in scopes(cm, month):
        got = sv.profiles(resolved(state, scope), scope, seg)
        joined = rows.merge(labels, on="customer_id", how="left")
        key = joined["segment"].map(lambda v: None if pd.isna(v) else int(v))
        want = joined.groupby(key.fillna(-1)).agg(
            customers=("customer_id", "size"), aum=("aum", "sum"), contribution=("contribution", "sum")
        )
        assert len(got) == len(want)
        assert got["share"].sum() == pytest.approx(1.0, rel=REL)
        for r in got.itertuples():
            w = want.loc[-1 if r.segment is None else r.segment]
            assert r.customers == w["customers"]
            assert r.aum == pytest.approx(w["aum"], rel=REL)
            assert r.contribution == pytest.approx(w["contribution"], rel=REL)
            assert r.share == pytest.approx(w["customers"] / len(joined), rel=REL)
            assert r.aum_share == pytest.approx(w["aum"] / joined["aum"].sum(), rel=REL)
            assert r.contribution_share == pytest.approx(
                w["contribution"] / joined["contribution"].sum(), rel=REL
            )
            assert r.name == (names[r.segment] if r.segment is not None else "Not scored")
    # the filter bar applies: one age band
    scope = Scope.all(identities=False)
    band = cm["age_band"].value_counts().index[0]
    got = sv.profiles(resolved(ViewState(age_band=(band,)), scope), scope, seg)
    rows = cm[(cm["m"] == month) & (cm["age_band"] == band)].merge(labels, on="customer_id")
    assert got.dropna(subset=["segment"]).set_index("segment")["customers"].to_dict() == (
        rows.groupby("segment").size().astype(float).to_dict()
    )


def test_pyramid_and_potential_customers_match_pandas(runs_, cm):
    _, value = runs_
    scores_ = pd.read_parquet(value.output("customers"))
    month = sv.run_month(value)
    for scope, state, rows in scopes(cm, month):
        state = resolved(state, scope)
        got = sv.pyramid(state, scope, value).set_index("key")
        joined = rows.merge(scores_, on="customer_id", how="left")
        scored = joined.dropna(subset=["value_tier"])
        want = scored.groupby("value_tier").agg(customers=("customer_id", "size"), aum=("aum", "sum"))
        listed = [k for k in got.index if isinstance(k, str)]
        assert listed == [t for t in sv.VALUE_TIERS if t in want.index]
        for tier in listed:
            assert got.loc[tier, "customers"] == want.loc[tier, "customers"]
            assert got.loc[tier, "aum"] == pytest.approx(want.loc[tier, "aum"], rel=REL)
            assert got.loc[tier, "share"] == pytest.approx(want.loc[tier, "customers"] / len(joined), rel=REL)
            assert got.loc[tier, "aum_share"] == pytest.approx(
                want.loc[tier, "aum"] / joined["aum"].sum(), rel=REL
            )
        potential = joined[joined["is_potential"].fillna(False).astype(bool)]
        by_tier = sv.potential_by_tier(state, scope, value).set_index("key")["customers"]
        assert by_tier.to_dict() == potential.groupby("value_tier").size().astype(float).to_dict()
        listing = sv.potential_customers(state, scope, value)
        assert listing.total_rows == len(potential)
        shown = listing.frame
        assert set(shown["customer_id"]) <= set(potential["customer_id"])
        if "value_score" in shown:
            assert list(shown["value_score"]) == sorted(shown["value_score"], reverse=True)
            top = potential.sort_values(["value_score", "customer_id"], ascending=[False, True])
            assert list(shown["customer_id"]) == list(top["customer_id"].head(len(shown)))
    # analysts see masked identities (the cube masks them)
    listing = sv.potential_customers(
        resolved(ViewState(), Scope.all(identities=False)), Scope.all(False), value
    )
    assert listing.frame["customer_name"].str.contains(r"\*").all()


def test_related_links_carry_the_segment_filter():
    hrefs = sv.related_hrefs(ViewState(period="2025-01", region=2).toggle_selection("x:y", "gender", "F"), 3)
    assert hrefs["customers"] == "/customers?period=2025-01&region=2&segment=3"
    assert set(hrefs) == {"customers", "products", "channels", "overview"}


def test_render_and_queries(runs_):
    scope = Scope.all(identities=False)
    state = resolved(ViewState(), scope)
    out = sv.render(state, scope)
    assert out["segmentation"]["run_id"] == runs_[0].run_id and out["segmentation"]["in_cube"]
    assert (
        out["version"] == runs_[0].data_version and out["segmentation"]["k"] == runs_[0].metrics["n_clusters"]
    )
    assert {
        "loadings",
        "factors",
        "map",
        "zscores",
        "k_choice",
        "profiles",
        "migration",
        "pyramid",
        "potential",
    } <= set(out)
    assert set(sv.queries(state)) == {"segments", "pyramid", "potential"}
    without = sv.render(state, scope, with_rows=False)
    assert "potential" not in without


# --- names -------------------------------------------------------------------------------------------


def test_renamed_segments_reach_the_cube_labels(runs_):
    from mining import segment_names

    seg, _ = runs_
    scope = Scope.all(identities=False)
    month = pd.Timestamp(seg.metrics["month"]).date()
    query = Query(
        "customers",
        ("customers.customers",),
        ("customers.segment",),
        (Filter("customers.month", "eq", (month,)),),
    )
    change = sv.rename(seg, 0, "  Loyal savers ", "忠诚储户", "analyst")
    assert change.after == ("Loyal savers", "忠诚储户") and change.published
    assert sv.name_map(seg, "en")[0] == "Loyal savers" and sv.name_map(seg, "zh")[0] == "忠诚储户"
    for lang, name in (("en", "Loyal savers"), ("zh", "忠诚储户")):
        frame = api.execute(query, scope, lang).frame
        labels = dict(zip(frame["customers.segment"], frame["customers.segment.label"], strict=True))
        assert labels[0] == name
    # the served publication is the same run (renamed), with the same segments
    assert sv.in_cube(seg)
    for bad in (("", "x"), ("x" * 61, "x"), (sv.name_map(seg, "en")[1], "新名")):
        with pytest.raises(sv.InvalidName):
            sv.rename(seg, 0, *bad, "analyst")
    with pytest.raises(sv.InvalidName):
        sv.rename(seg, 99, "A", "甲", "analyst")
    assert segment_names.revision(seg.run_id) == change.revision


# --- last: this test makes new runs (the module's run is no longer the one the cube serves) ----


def test_migration_between_two_runs_matches_a_crosstab(runs_):
    from mining import runs

    seg, _ = runs_
    other = runs.run("segmentation", {"random_state": 1, "n_clusters": 4, "compare_months_back": 0})
    latest = sv.latest("segmentation")
    assert latest.run_id == other.run_id
    assert seg.run_id in [r.run_id for r in sv.previous_runs(latest)]
    state = ViewState().with_param("vs", seg.run_id)
    assert sv.compared_run(state, latest).run_id == seg.run_id
    assert sv.compared_run(ViewState().with_param("vs", "nonsense"), latest) is None
    got = sv.run_migration(latest, seg)
    a = pd.read_parquet(seg.output("customers"), columns=["customer_id", "segment"])
    b = pd.read_parquet(latest.output("customers"), columns=["customer_id", "segment"])
    want = pd.crosstab(a.merge(b, on="customer_id")["segment_x"], a.merge(b, on="customer_id")["segment_y"])
    inner = got[(got["before"] != "new") & (got["after"] != "gone")]
    assert inner["customers"].sum() == want.to_numpy().sum() == len(a.merge(b, on="customer_id"))
    for r in inner.itertuples():
        assert r.customers == (want.loc[r.before, r.after] if r.after in want.columns else 0)
    assert set(inner["before"]) == set(range(seg.metrics["n_clusters"]))
    assert set(inner["after"]) == set(range(4))
    # a run with the default parameters is the latest again for the tests after this one
    runs.run("segmentation", {"random_state": 0})
