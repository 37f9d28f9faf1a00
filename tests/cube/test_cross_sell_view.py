"""The Cross-sell view's readers and queries against independent pandas computations over the
generated Parquet files and the run's own files: rule metrics from the holdings, product values
from holdings and transactions, gain / lift / calibration / AUC from the scored holdout, the
counts per published dimension from the output files, and the scoped, sorted customer lists.
The runs come from one session fixture (``crosssell_and_churn_runs``)."""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cube.api import Query, Scope, execute
from cube.views import cross_sell as view
from cube.views.state import ViewState
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
# --- independent computations -------------------------------------------------------------------


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def month_of(run) -> pd.Timestamp:
    return pd.Timestamp(str(run.metrics["month"])[:7] + "-01")


def customer_month(demo_source: Path, month: pd.Timestamp) -> pd.DataFrame:
    cm = pandas_customer_month(demo_source)
    return cm[pd.to_datetime(cm["month_date"]) == month].reset_index(drop=True)


def holdings_at(demo_source: Path, month: pd.Timestamp) -> pd.DataFrame:
    h = read(demo_source, "holdings").merge(
        read(demo_source, "products")[["product_id", "product_code", "margin_rate"]], on="product_id"
    )
    return h[pd.to_datetime(h["month_date"]) == month]


def pandas_pair_rules(demo_source: Path, month: pd.Timestamp) -> pd.DataFrame:
    """Support, confidence, lift, leverage and conviction of every rule A -> B between two
    products, over the customers holding anything at month end."""
    h = holdings_at(demo_source, month)[["customer_id", "product_code"]].drop_duplicates()
    n = h["customer_id"].nunique()
    single = h.groupby("product_code")["customer_id"].nunique() / n
    pairs = h.merge(h, on="customer_id")
    pairs = pairs[pairs["product_code_x"] != pairs["product_code_y"]]
    both = pairs.groupby(["product_code_x", "product_code_y"])["customer_id"].nunique() / n
    out = both.rename("support").reset_index()
    out.columns = ["a", "b", "support"]
    out["confidence"] = out["support"] / out["a"].map(single)
    out["lift"] = out["confidence"] / out["b"].map(single)
    out["leverage"] = out["support"] - out["a"].map(single) * out["b"].map(single)
    out["conviction"] = [
        math.inf if c >= 1 - 1e-15 else (1 - s) / (1 - c)
        for c, s in zip(out["confidence"], out["b"].map(single), strict=True)
    ]
    return out.set_index(["a", "b"])


def pandas_gain(holdout: pd.DataFrame, fractions) -> np.ndarray:
    """Share of the positives among the top ``fraction`` of the holdout by score (linear
    between whole customers)."""
    ordered = holdout.sort_values("score", ascending=False, kind="stable")["y"].astype(float)
    found = np.concatenate([[0.0], ordered.cumsum().to_numpy()]) / ordered.sum()
    return np.interp(np.asarray(fractions) * len(ordered), np.arange(len(ordered) + 1), found)


def pandas_auc(holdout: pd.DataFrame) -> float:
    """Mann-Whitney: the chance a random positive outscores a random negative (ties half)."""
    ranks = holdout["score"].rank(method="average")
    pos = holdout["y"].astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pandas_deciles(holdout: pd.DataFrame) -> pd.DataFrame:
    ordered = holdout.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    edges = np.linspace(0, len(ordered), 11).round().astype(int)
    ordered["decile"] = np.searchsorted(edges, np.arange(len(ordered)), side="right")
    base = ordered["y"].mean()
    out = ordered.groupby("decile").agg(
        customers=("y", "size"), rate=("y", "mean"), mean_score=("score", "mean")
    )
    out["lift"] = out["rate"] / base
    return out


def check_quality(q: view.Quality, holdout: pd.DataFrame) -> None:
    """Every figure of a quality panel against the scored holdout."""
    holdout = holdout.assign(y=holdout["y"].astype(float))
    assert q.metrics["auc"] == pytest.approx(pandas_auc(holdout), rel=1e-9)
    assert np.allclose(q.gain["gain"], pandas_gain(holdout, q.gain["fraction"]), rtol=REL, atol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        want_lift = pandas_gain(holdout, q.gain["fraction"])[1:] / q.gain["fraction"].to_numpy()[1:]
    assert np.allclose(q.gain["lift"].to_numpy()[1:], want_lift, rtol=REL)
    d = pandas_deciles(holdout)
    assert q.deciles["customers"].tolist() == d["customers"].tolist()
    assert np.allclose(q.deciles["lift"], d["lift"], rtol=REL)
    assert np.allclose(q.calibration["mean_score"], d["mean_score"], rtol=REL)
    assert np.allclose(q.calibration["observed_rate"], d["rate"], rtol=REL)
    top = round(0.1 * len(holdout))
    ordered = holdout.sort_values("score", ascending=False, kind="stable")
    assert q.metrics["lift_10"] == pytest.approx(ordered["y"].head(top).mean() / holdout["y"].mean(), rel=REL)
    assert q.drivers["importance"].is_monotonic_decreasing


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs_(crosssell_and_churn_runs) -> dict:
    from data import warehouse

    shown = view.runs(warehouse.data_version())
    assert shown["crosssell"].run_id == crosssell_and_churn_runs["crosssell"].run_id
    return shown


# --- tests ----------------------------------------------------------------------------------------


def test_the_view_shows_runs_of_the_served_version_only(runs_):
    for kind in view.KINDS:
        assert runs_[kind].data_version == view.served_version()
    assert view.shown_run("crosssell", "no-such-version") is None


def test_rule_metrics_equal_pandas_over_the_holdings(runs_, demo_source):
    run = runs_["crosssell"]
    want = pandas_pair_rules(demo_source, month_of(run))
    got = view.rules(run)
    pairs = got[got["size"] == 2]
    assert len(pairs) > 20
    for r in pairs.itertuples(index=False):
        w = want.loc[(r.antecedent[0], r.consequent)]
        for column in ("support", "confidence", "lift", "leverage"):
            assert getattr(r, column) == pytest.approx(w[column], rel=REL), column
        assert (math.isinf(r.conviction) and math.isinf(w["conviction"])) or r.conviction == pytest.approx(
            w["conviction"], rel=1e-9
        )
    # every pair above the run's thresholds is there
    support = run.params.get("min_support", 0.01)
    confidence = run.params.get("min_confidence", 0.1)
    expected = want[(want["support"] >= support) & (want["confidence"] >= confidence)]
    assert len(pairs) == len(expected)


def test_rule_filters_keep_what_pandas_keeps(runs_):
    run = runs_["crosssell"]
    every = view.rules(run)
    f = view.RuleFilter.parse("0.05", 0.3, "1.2", None)
    got = view.rules(run, f)
    want = every[(every["support"] >= 0.05) & (every["confidence"] >= 0.3) & (every["lift"] >= 1.2)]
    assert len(got) == len(want) > 0
    product = got["consequent"].iloc[0]
    mine = view.rules(run, view.RuleFilter(product=product))
    want = every[
        [product == c or product in a for a, c in zip(every["antecedent"], every["consequent"], strict=True)]
    ]
    assert len(mine) == len(want) > 0
    assert view.RuleFilter.parse("junk", float("nan"), -3, ["x"]) == view.RuleFilter()
    assert view.RuleFilter.parse(improving_only=True).improving_only
    assert not view.RuleFilter.parse(improving_only="yes").improving_only


def test_a_rule_a_shorter_one_explains_as_well_is_hidden_on_request(runs_, demo_source):
    """Recomputed from the holdings: a longer rule is hidden exactly when some shorter rule with
    the same consequent, itself above the run's thresholds, is within one point of its confidence."""
    run = runs_["crosssell"]
    every = view.rules(run)
    shown = view.rules(run, view.RuleFilter(improving_only=True))
    h = holdings_at(demo_source, month_of(run))[["customer_id", "product_code"]].drop_duplicates()
    onehot = pd.crosstab(h["customer_id"], h["product_code"]).astype(bool)
    min_support = run.params.get("min_support", 0.01)
    min_confidence = run.params.get("min_confidence", 0.1)

    def confidence(antecedent, consequent):
        holders = onehot[list(antecedent)].all(axis=1)
        both = holders & onehot[consequent]
        return both.mean(), both.sum() / holders.sum()

    kept = {(a, c) for a, c in zip(shown["antecedent"], shown["consequent"], strict=True)}
    longer = every[every["size"] >= 3]
    assert len(longer) > 0
    hidden = 0
    for r in longer.itertuples(index=False):
        subs = [sub for k in range(1, len(r.antecedent)) for sub in combinations(r.antecedent, k)]
        explained = False
        for sub in subs:
            support, conf = confidence(sub, r.consequent)
            if support >= min_support - 1e-12 and conf >= min_confidence - 1e-12:
                explained |= r.confidence - conf < view.MIN_IMPROVEMENT
        hidden += explained
        assert ((r.antecedent, r.consequent) not in kept) == explained, (r.antecedent, r.consequent)
    assert hidden > 0  # the demo has such rules: that is why the switch exists
    pairs = every[every["size"] == 2]
    assert len(shown[shown["size"] == 2]) == len(pairs)  # a pair rule has nothing shorter


def test_improvement_is_over_the_best_shorter_rule():
    frame = pd.DataFrame(
        {
            "antecedent": [("A",), ("Z",), ("A", "Z"), ("A", "C"), ("C",), ("X", "Y")],
            "consequent": ["B", "B", "B", "B", "B", "B"],
            "confidence": [0.40, 0.10, 0.405, 0.70, 0.30, 0.5],
        }
    )
    gain = view.improvement(frame)
    assert np.isnan(gain[[0, 1, 4, 5]]).all()  # pairs, and a longer rule with no shorter one stored
    assert gain[2] == pytest.approx(0.005) and gain[3] == pytest.approx(0.30)


def test_graph_nodes_and_edges_are_the_pair_rules(runs_):
    run = runs_["crosssell"]
    nodes, edges = view.graph(run)
    pairs = view.rules(run)
    pairs = pairs[pairs["size"] == 2]
    by_key = {
        (a[0], c): r
        for a, c, r in zip(pairs["antecedent"], pairs["consequent"], pairs.itertuples(), strict=True)
    }
    for e in edges.itertuples():
        assert e.lift == pytest.approx(by_key[(e.source, e.target)].lift, rel=REL)
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["item"])
    assert edges["lift"].is_monotonic_decreasing


def test_product_values_and_best_offers_equal_pandas(runs_, demo_source):
    run = runs_["crosssell"]
    month = month_of(run)
    h = holdings_at(demo_source, month)
    h = h.assign(margin=h["avg_daily_balance"] * h["margin_rate"] / 12)
    t = read(demo_source, "transactions").merge(read(demo_source, "products")[["product_id", "product_code"]])
    t = t[pd.to_datetime(t["txn_at"]).dt.to_period("M") == month.to_period("M")]
    want = (h.groupby("product_code")["margin"].sum() + t.groupby("product_code")["fee"].sum()).dropna()
    want = (
        want.combine_first(h.groupby("product_code")["margin"].sum())
        / h.groupby("product_code")["customer_id"].nunique()
    )
    values = view.output(run, "values").set_index("product")["value"]
    assert np.allclose(values[want.index], want, rtol=REL)
    offers = view.output(run, "best_offer")
    assert np.allclose(
        offers["offer_value"], offers["offer_score"] * offers["best_offer"].map(values), rtol=REL
    )
    held = set(zip(h["customer_id"], h["product_code"], strict=True))
    assert not any((c, p) in held for c, p in zip(offers["customer_id"], offers["best_offer"], strict=True))
    rank = offers["offer_score"].rank(ascending=False, method="first")
    n = len(offers)
    band = np.where(rank <= round(0.1 * n), "high", np.where(rank <= round(0.3 * n), "medium", "low"))
    assert (offers["propensity_band"].to_numpy() == band).all()


def test_propensity_quality_equals_the_scored_holdout(runs_):
    run = runs_["crosssell"]
    holdout = view.output(run, "holdout")
    table = view.products(run)
    assert table["auc"].is_monotonic_decreasing
    for product in table["product"]:
        q = view.propensity_quality(run, product)
        part = holdout[holdout["product"] == product]
        check_quality(q, part)
        assert q.metrics["holdout_rows"] == len(part)


def test_churn_dormancy_and_response_quality_equal_their_holdouts(runs_):
    check_quality(view.panel_quality(runs_["churn"], "churn"), view.output(runs_["churn"], "holdout"))
    check_quality(
        view.panel_quality(runs_["churn"], "dormancy"), view.output(runs_["churn"], "dormancy_holdout")
    )
    check_quality(
        view.panel_quality(runs_["response"], "response"), view.output(runs_["response"], "holdout")
    )


@pytest.mark.parametrize("scope_kind", ["all", "branch"])
def test_counts_by_the_published_dimensions_equal_the_output_files(runs_, demo_source, scope_kind):
    cs, churn = runs_["crosssell"], runs_["churn"]
    cm = customer_month(demo_source, month_of(cs))
    scope, state = Scope.all(identities=False), ViewState()
    if scope_kind == "branch":
        branch = int(cm["branch_id"].value_counts().index[0])
        scope, state, cm = Scope.of("branch", branch), ViewState(branch=branch), cm[cm["branch_id"] == branch]
    offers = cm[["customer_id"]].merge(view.output(cs, "best_offer"), on="customer_id", how="left")
    want = offers.fillna({"best_offer": "none", "propensity_band": "none"})
    want = want.groupby(["best_offer", "propensity_band"]).size().to_dict()
    got = view.offer_counts(state, scope, cs)
    assert got["customers"].sum() == len(cm)
    assert {
        (o if isinstance(o, str) else "none", b if isinstance(b, str) else "none"): n
        for o, b, n in zip(got["best_offer"], got["band"], got["customers"], strict=True)
    } == want
    risk = cm[["customer_id"]].merge(view.output(churn, "risk"), on="customer_id", how="left")
    for band in ("churn_band", "activation_band"):
        want = risk[band].value_counts(dropna=False)
        got = view.band_counts(state, scope, churn, band)
        assert dict(zip(got["band"].fillna("none"), got["customers"], strict=True)) == {
            ("none" if pd.isna(k) else k): v for k, v in want.items()
        }
    # the same through a plain cube query: any view can slice by the new dimension
    q = Query("customers", ("customers.customers",), ("customers.churn_band",), (view.month_filter(churn),))
    frame = execute(q, scope).frame
    assert frame["customers.customers"].sum() == len(cm)


def test_lists_are_scoped_sorted_and_masked(runs_, demo_source):
    cs, churn = runs_["crosssell"], runs_["churn"]
    cm = customer_month(demo_source, month_of(cs))
    branch = int(cm["branch_id"].value_counts().index[0])
    offers = cm[["customer_id", "branch_id"]].merge(view.output(cs, "best_offer"), on="customer_id")
    risk = cm[["customer_id", "branch_id"]].merge(view.output(churn, "risk"), on="customer_id")
    for scope, state, rows in (
        (Scope.all(identities=False), ViewState(), (offers, risk)),
        (
            Scope.of("branch", branch),
            ViewState(branch=branch),
            (offers[offers["branch_id"] == branch], risk[risk["branch_id"] == branch]),
        ),
    ):
        o, r = rows
        got = view.customer_list(state, scope, cs, "offers")
        assert got.total_rows == len(o)
        want = o.sort_values(["offer_value", "customer_id"], ascending=[False, True]).head(
            view.LIST_PAGE_SIZE
        )
        assert got.frame["customer_id"].tolist() == want["customer_id"].tolist()
        assert np.allclose(got.frame["offer_value"], want["offer_value"], rtol=REL)
        product = want["best_offer"].iloc[0]
        mine = view.customer_list(state, scope, cs, "offers", product=product, band="high")
        assert mine.total_rows == ((o["best_offer"] == product) & (o["propensity_band"] == "high")).sum()
        churners = view.customer_list(state, scope, churn, "churn", page=1)
        want = r.sort_values(["value_at_risk", "customer_id"], ascending=[False, True])
        assert churners.total_rows == len(r)
        page = want.iloc[view.LIST_PAGE_SIZE : 2 * view.LIST_PAGE_SIZE]
        assert churners.frame["customer_id"].tolist() == page["customer_id"].tolist()
        dormant = view.customer_list(state, scope, churn, "dormant")
        d = r[r["activation_band"].notna()].sort_values(
            ["activation_value", "customer_id"], ascending=[False, True]
        )
        assert dormant.total_rows == len(d)
        assert dormant.frame["customer_id"].tolist() == d["customer_id"].head(view.LIST_PAGE_SIZE).tolist()
        if scope.rows[0].kind == "branch":
            assert set(got.frame["branch_id"]) == {branch}
    masked = view.customer_list(ViewState(), Scope.all(identities=False), cs, "offers").frame
    assert masked["customer_name"].str.contains(r"\*").all()
    shown = view.customer_list(ViewState(), Scope.all(identities=True), cs, "offers").frame
    names = read(demo_source, "customers").set_index("customer_id")["name"]
    assert shown["customer_name"].tolist() == names[shown["customer_id"]].tolist()


def test_export_holds_the_whole_scoped_list(runs_, demo_source):
    churn = runs_["churn"]
    cm = customer_month(demo_source, month_of(churn))
    branch = int(cm["branch_id"].value_counts().index[0])
    frame = view.export_list(
        ViewState(branch=branch), Scope.of("branch", branch), churn, "churn", band="high", lang="zh"
    )
    risk = cm[cm["branch_id"] == branch][["customer_id"]].merge(view.output(churn, "risk"), on="customer_id")
    assert len(frame) == (risk["churn_band"] == "high").sum()
    assert "客户号" in frame.columns


def test_render_for_the_benchmark_has_every_part(runs_):
    out = view.render(ViewState(), Scope.all(identities=False), "en")
    assert out["runs"]["crosssell"].run_id == runs_["crosssell"].run_id
    for key in (
        "rules",
        "graph",
        "propensity",
        "offer_counts",
        "offers",
        "churn",
        "dormancy",
        "churn_list",
        "response",
    ):
        assert out.get(key) is not None, key
    none = view.render(ViewState(), Scope.all(identities=False), "en", lists=False)
    assert "offers" not in none and "churn_list" not in none


def test_crosssell_uses_the_segmentation_of_its_own_data_version(second_bank):
    """A newer segmentation of another data version in the registry is not used: the affinity
    table's segments are the ones of the run on this version."""
    import json

    from data import ops_store, warehouse
    from mining import runs

    version = warehouse.data_version()
    own = runs.run("segmentation", {"compare_months_back": 0})
    folder = Path(own.outputs["customers"]).parent.parent / "fake-other-version"
    folder.mkdir(exist_ok=True)
    fake = pd.read_parquet(own.outputs["customers"]).assign(segment=99)
    fake.to_parquet(folder / "customers.parquet")
    with ops_store.transaction() as con:
        con.execute(
            "INSERT INTO mining_runs (run_id, kind, status, params, data_version, outputs, started_at, "
            "finished_at) VALUES ('fake-other-version', 'segmentation', 'succeeded', '{}', "
            "'another-version', ?, '2999-01-01', '2999-01-01')",
            (json.dumps({"customers": "customers.parquet"}),),
        )
    try:
        assert runs.latest_output("segmentation") == folder / "customers.parquet"  # the trap is set
        result = runs.run("crosssell", {"products": ["CL01"], "train_size": 1500})
        assert result.metrics["segmentation_run"] == own.run_id
        affinity = pd.read_parquet(result.outputs["affinity"])
        assert set(affinity["segment"]) == set(pd.read_parquet(own.outputs["customers"])["segment"])
        assert 99 not in set(affinity["segment"])
        assert result.data_version == version
    finally:
        with ops_store.transaction() as con:
            con.execute("DELETE FROM mining_runs WHERE run_id = 'fake-other-version'")
