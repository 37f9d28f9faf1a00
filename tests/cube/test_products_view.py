"""The Products view's figures against an independent pandas computation over the generated
Parquet files, on two generated banks (the demo bank and a second one with another seed).

The expected side never calls the cube: customer_month is recomputed in pandas
(``tests.data.test_derive.pandas_customer_month``), holdings, products and transactions are
read from the Parquet files and joined here; holders, penetration, margin, fees, the
holder profile's index, the cross-holding pairs and the channel shares are worked out again.
"""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from cube.api import Scope
from cube.views import products as pv
from cube.views.options import months
from cube.views.state import ViewState, shift_month
from tests.data.test_derive import pandas_customer_month

REL = 1e-9
DEMOGRAPHICS = ("age_band", "gender", "income_band", "occupation", "tenure_band")
_CACHE: dict[str, dict] = {}


def close(got, want, rel: float = REL) -> bool:
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-6)


def bank_frames(folder: Path) -> dict:
    """The bank's rows in pandas: customer-months, holdings with their product and holder,
    transactions with their product, channel and month."""
    key = str(folder)
    if key in _CACHE:
        return _CACHE[key]

    def read(name: str) -> pd.DataFrame:
        return pd.read_parquet(folder / f"{name}.parquet")

    cm = pandas_customer_month(folder)
    cm["m"] = pd.to_datetime(cm["month_date"]).dt.strftime("%Y-%m")
    products = read("products")
    h = read("holdings").merge(products[["product_id", "category", "margin_rate"]], on="product_id")
    h["m"] = pd.to_datetime(h["month_date"]).dt.strftime("%Y-%m")
    h["margin"] = h["avg_daily_balance"] * h["margin_rate"] / 12
    h = h.merge(
        cm[["m", "customer_id", "region_id", "branch_id", "manager_id", *DEMOGRAPHICS]],
        on=["m", "customer_id"],
    )
    t = read("transactions").merge(products[["product_id", "category"]], on="product_id")
    t = t.merge(read("channels")[["channel_id", "channel_type"]], on="channel_id")
    t["m"] = pd.to_datetime(t["txn_at"]).dt.strftime("%Y-%m")
    _CACHE[key] = {"cm": cm, "h": h, "t": t, "products": products}
    return _CACHE[key]


@pytest.fixture(params=["demo", "second"])
def bank(request) -> dict:
    folder = request.getfixturevalue("demo_source" if request.param == "demo" else "second_bank")
    return bank_frames(folder)


def scopes(bank: dict) -> list[tuple[Scope, ViewState, dict]]:
    """(scope, state, pandas rows in that scope) for an analyst and a branch manager."""
    branch = int(bank["cm"]["branch_id"].value_counts().index[0])
    return [
        (Scope.all(identities=False), ViewState(), {k: v for k, v in bank.items()}),
        (
            Scope.of("branch", branch),
            ViewState(branch=branch),
            {
                "cm": bank["cm"][bank["cm"]["branch_id"] == branch],
                "h": bank["h"][bank["h"]["branch_id"] == branch],
                "t": bank["t"][bank["t"]["branch_id"] == branch],  # booking branch
                "products": bank["products"],
            },
        ),
    ]


def resolved(state: ViewState, scope: Scope) -> ViewState:
    return state.resolve(months(scope))


# --- categories and products ----------------------------------------------------------------------


def test_items_by_category_match_pandas(bank):
    for scope, state, rows in scopes(bank):
        state = resolved(state, scope)
        got = pv.items(state, scope).set_index("key")
        h = rows["h"][rows["h"]["m"] == state.period]
        customers = (rows["cm"]["m"] == state.period).sum()
        want = h.groupby("category").agg(
            holdings=("product_id", "size"),
            holders=("customer_id", "nunique"),
            balance=("balance", "sum"),
            avg_daily_balance=("avg_daily_balance", "sum"),
            margin=("margin", "sum"),
        )
        fees = rows["t"][rows["t"]["m"] == state.period].groupby("category")["fee"].sum()
        assert set(got.index) == set(want.index) | set(fees.index)
        assert got.attrs["customers"] == customers
        for cat in got.index:
            w = want.loc[cat] if cat in want.index else pd.Series(0.0, index=want.columns)
            g = got.loc[cat]
            assert g["holdings"] == w["holdings"] and g["holders"] == w["holders"], cat
            assert g["penetration"] == pytest.approx(w["holders"] / customers, rel=REL), cat
            for c in ("balance", "avg_daily_balance", "margin"):
                assert close(g[c], w[c]), (cat, c)
            assert close(g["fee"], fees.get(cat, 0.0)), cat
            assert close(g["contribution"], w["margin"] + fees.get(cat, 0.0)), cat
        # most holders first
        assert list(got["holders"]) == sorted(got["holders"], reverse=True)


def test_contribution_by_product_adds_up_to_the_customers_contribution(bank):
    scope = Scope.all(identities=False)
    state = resolved(ViewState(), scope)
    got = pv.items(state, scope)
    cm = bank["cm"]
    want = cm.loc[cm["m"] == state.period, "contribution"].sum()
    assert close(got["contribution"].sum(), want, rel=1e-9)


def test_products_of_one_category_and_distinct_holders(bank):
    h = bank["h"]
    counts = bank["products"].groupby("category")["product_id"].nunique()
    category = counts.idxmax()  # the category with the most products (time deposits)
    for scope, state, rows in scopes(bank):
        state = resolved(state.with_(category=(category,)), scope)
        assert pv.level(state) == "product"
        got = pv.items(state, scope).set_index("key")
        hm = rows["h"][(rows["h"]["m"] == state.period) & (rows["h"]["category"] == category)]
        want = hm.groupby("product_id")["customer_id"].nunique()
        assert {int(k) for k in got.index} == set(want.index)
        for pid, n in want.items():
            assert got.loc[pid, "holders"] == n
        # a category's holders are distinct customers, not the sum over its products
        cat = pv.items(state.with_(category=()), scope).set_index("key")
        assert cat.loc[category, "holders"] == hm["customer_id"].nunique()
    assert len(h)


def test_trend_has_13_months_of_holders_and_penetration(bank):
    for scope, state, rows in scopes(bank):
        state = resolved(state, scope)
        got = pv.trend(state, scope)
        wanted = [shift_month(state.period, -k) for k in range(12, -1, -1)]
        have = sorted(set(rows["cm"]["m"]) & set(wanted))
        assert sorted(got["month"].dt.strftime("%Y-%m").unique()) == have
        h = rows["h"][rows["h"]["m"].isin(wanted)]
        want = h.groupby(["m", "category"])["customer_id"].nunique()
        customers = rows["cm"][rows["cm"]["m"].isin(wanted)].groupby("m").size()
        assert len(got) == len(want)
        for r in got.to_dict("records"):
            m = r["month"].strftime("%Y-%m")
            assert r["holders"] == want[(m, r["key"])]
            assert r["penetration"] == pytest.approx(want[(m, r["key"])] / customers[m], rel=REL)


# --- who holds it -----------------------------------------------------------------------------------


def test_profile_index_matches_pandas(bank):
    for scope, state, rows in scopes(bank):
        state = resolved(state, scope)
        h = rows["h"][rows["h"]["m"] == state.period]
        cm = rows["cm"][rows["cm"]["m"] == state.period]
        product = int(h["product_id"].value_counts().index[-1])  # a product few customers hold
        subjects = (
            (("product", product), h[h["product_id"] == product]),
            (("category", "time_deposit"), h[h["category"] == "time_deposit"]),
        )
        for subject, held in subjects:
            got = pv.profile(state, scope, subject, attributes=DEMOGRAPHICS)
            holders = held.drop_duplicates("customer_id")
            for attribute in DEMOGRAPHICS:
                part = got[got["attribute"] == attribute].set_index("value")
                hv = holders.groupby(attribute).size()
                cv = cm.groupby(attribute).size()
                assert set(part.index) == set(cv.index) | set(hv.index)
                assert part["holders"].sum() == len(holders)
                for value in part.index:
                    n, c = hv.get(value, 0), cv.get(value, 0)
                    assert part.loc[value, "holders"] == n and part.loc[value, "customers"] == c
                    want = (n / len(holders)) / (c / len(cm)) * 100
                    assert part.loc[value, "index"] == pytest.approx(want, rel=REL), (subject, value)


def test_profile_by_published_scores_has_every_holder(bank):
    """Segment and value tier: every holder counted once (customers without a published score
    in one "Not scored" group), and the index of the whole population is 100."""
    scope = Scope.all(identities=False)
    state = resolved(ViewState(), scope)
    h = bank["h"][bank["h"]["m"] == state.period]
    got = pv.profile(state, scope, ("category", "credit_card"), attributes=("segment", "value_tier"))
    holders = h.loc[h["category"] == "credit_card", "customer_id"].nunique()
    customers = (bank["cm"]["m"] == state.period).sum()
    for attribute in ("segment", "value_tier"):
        part = got[got["attribute"] == attribute]
        assert part["holders"].sum() == holders
        assert part["customers"].sum() == customers
        weighted = (part["index"].fillna(0) * part["customer_share"]).sum()
        assert weighted == pytest.approx(100, rel=1e-9)  # sum of holder shares x 100


# --- cross-holding and channels ------------------------------------------------------------------


def test_cross_holding_matrix_matches_pandas(bank):
    for scope, state, rows in scopes(bank):
        state = resolved(state, scope)
        h = rows["h"][rows["h"]["m"] == state.period][["customer_id", "product_id"]]
        pairs = h.merge(h, on="customer_id", suffixes=("", "_other"))
        want = pairs.groupby(["product_id", "product_id_other"]).size()
        holders = h.groupby("product_id")["customer_id"].nunique()
        got = pv.pairs(state, scope)
        assert len(got) == len(want)
        for r in got.to_dict("records"):
            assert r["both"] == want[(r["product"], r["other_product"])]
            assert r["holders"] == holders[r["product"]]
            assert r["share"] == pytest.approx(
                want[(r["product"], r["other_product"])] / holders[r["product"]]
            )


def test_a_branch_managers_matrix_counts_only_their_customers(bank):
    scope, state, rows = scopes(bank)[1]
    state = resolved(ViewState(), scope)  # no branch in the URL: the scope still applies
    got = pv.pairs(state, scope)
    h = rows["h"][rows["h"]["m"] == state.period]
    assert got.loc[got["product"] == got["other_product"], "both"].sum() == len(h)


def test_channel_use_matches_pandas(bank):
    for scope, state, rows in scopes(bank):
        state = resolved(state, scope)
        t = rows["t"][rows["t"]["m"] == state.period]
        want = t.groupby(["category", "channel_type"]).agg(n=("txn_id", "size"), amount=("amount", "sum"))
        got = pv.channels(state, scope)
        assert len(got) == len(want)
        totals = t.groupby("category").size()
        for r in got.to_dict("records"):
            w = want.loc[(r["key"], r["channel_type"])]
            assert r["txn_count"] == w["n"] and close(r["amount"], w["amount"])
            assert r["txn_share"] == pytest.approx(w["n"] / totals[r["key"]], rel=REL)


# --- links, filters and the whole render ----------------------------------------------------------


def test_cross_sell_link_carries_the_product_and_the_filters(demo_home):
    state = ViewState(period="2026-01", region=2, selection=())
    href = pv.cross_sell_href(state.with_param("profile", "p:9"), ("product", 9))
    parts = urlsplit(href)
    assert parts.path == "/cross-sell"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    linked = ViewState.from_params(params)
    assert linked.selected("link").dimension == "product" and linked.selected("link").values == (9,)
    assert linked.region == 2 and linked.period == "2026-01" and not linked.extra


def test_customer_filters_apply_to_holders_and_customers_alike(demo_source):
    bank = bank_frames(demo_source)
    scope = Scope.all(identities=False)
    state = resolved(ViewState(age_band=("35-44",)), scope)
    got = pv.items(state, scope).set_index("key")
    h = bank["h"][(bank["h"]["m"] == state.period) & (bank["h"]["age_band"] == "35-44")]
    cm = bank["cm"][(bank["cm"]["m"] == state.period) & (bank["cm"]["age_band"] == "35-44")]
    want = h.groupby("category")["customer_id"].nunique()
    for cat, n in want.items():
        assert got.loc[cat, "holders"] == n
        assert got.loc[cat, "penetration"] == pytest.approx(n / len(cm), rel=REL)
    # transactions cannot tell a customer's age band: no fees, no contribution
    assert not pv.fees_comparable(state)
    assert got["fee"].isna().all() and got["contribution"].isna().all()
    assert "age_band" in state.ignored("product_pairs") and "age_band" in state.ignored("transactions")


def test_render_runs_every_query_of_the_view(demo_home):
    scope = Scope.all(identities=False)
    state = resolved(ViewState(), scope)
    out = pv.render(state, scope)
    assert out["subject"] is not None and len(out["profile"])
    names = set(pv.queries(state, out["subject"]))
    assert {"items", "customers", "fees", "trend", "pairs", "channels", "profile.age_band"} <= names
    # the default profile is of a telling item: held by at most half the customers
    items = out["items"].set_index("key")
    assert items.loc[out["subject"][1], "penetration"] <= pv.PROFILE_MAX_PENETRATION
    assert pv.parse_subject("p:12") == ("product", 12) and pv.parse_subject("c:fund") == ("category", "fund")
    assert pv.parse_subject("x:1") is None and pv.parse_subject("p:1; drop") is None
