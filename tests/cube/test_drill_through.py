"""Customer identities in the customers cube's drill-through, paging, and the export iterator."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cube import api
from cube.api import CubeError, Filter, Grant, Scope

IDENT = ("customer_name", "customer_phone", "customer_id_card_no")
JAN = Filter("customers.month", "eq", ("2025-01-01",))


def _truth(con) -> dict[int, tuple]:
    rows = con.sql("SELECT customer_id, name, phone, id_card_no, home_branch_id, manager_id FROM customers")
    return {r[0]: r[1:] for r in rows.fetchall()}


def _clear(frame: pd.DataFrame, truth: dict) -> list[bool]:
    """Per row: all three identifying columns equal the stored values (else they must be masked)."""
    out = []
    for cid, name, phone, card in zip(*(frame[c] for c in ("customer_id", *IDENT)), strict=True):
        t = truth[cid]
        if (name, phone, card) == t[:3]:
            out.append(True)
        else:
            assert name == t[0][0] + "**"
            assert phone == t[1][:3] + "****" + t[1][7:11]
            assert card == t[2][:6] + "********" + t[2][14:18]
            out.append(False)
    return out


def test_manager_sees_own_customers_in_clear(served):
    truth = _truth(served)
    r = api.drill_through("customers", [JAN], Scope.for_role("relationship_manager", manager_id=5), 0, 1000)
    assert len(r.frame) > 0 and set(IDENT) <= set(r.frame.columns)
    assert all(_clear(r.frame, truth))
    assert r.columns["customer_id_card_no"].label("zh") == "身份证号"


def test_identities_follow_scope_not_rows(served):
    truth = _truth(served)
    # rows of branches 2 and 3, identities of branch 2 only
    scope = Scope((Grant("branch", (2, 3)),), (Grant("branch", (2,)),))
    f = api.drill_through("customers", [JAN], scope, 0, 1000).frame
    clear = _clear(f, truth)
    want = [truth[c][3] == 2 for c in f["customer_id"]]
    assert clear == want and any(want) and not all(want)


def test_analysts_see_masked_identities(served):
    truth = _truth(served)
    f = api.drill_through("customers", [JAN], Scope.for_role("analyst"), 0, 200).frame
    assert len(f) == 200 and not any(_clear(f, truth))


@pytest.mark.parametrize("cube", ["customers", "transactions", "holdings", "campaigns", "customer_tiers"])
def test_presenters_get_no_customer_rows_from_any_cube(served, cube):
    """Aggregates only is part of the presenter's scope: the cube refuses, whatever page asks."""
    with pytest.raises(CubeError, match="aggregates only"):
        api.drill_through(cube, [], Scope.for_role("presenter"), 0, 10)
    with pytest.raises(CubeError, match="aggregates only"):
        next(api.iter_drill_through(cube, [], Scope.for_role("presenter")))
    # the aggregates themselves stay open to them
    got = api.execute(api.Query("customers", ("customers.customers",)), Scope.for_role("presenter"))
    assert got.frame["customers.customers"].iloc[0] > 0


@pytest.mark.parametrize(
    ("name", "phone", "card"),
    [
        ("张", "1381234", "12345678"),  # one-character name, 7-digit phone, 8-character ID number
        ("Li", "13812345678", "110101199001011234"),  # the standard lengths
        ("Ann", "861381234567890", "110101199001011234567"),  # longer than standard
        ("", "", ""),
    ],
)
def test_masking_never_shows_an_identifier_whole(name, phone, card):
    import duckdb
    import ibis

    from cube import security

    con = ibis.duckdb.from_connection(duckdb.connect())
    t = ibis.memtable({"n": [name], "p": [phone], "c": [card]})
    row = con.execute(
        t.select(n=security.mask_name(t.n), p=security.mask_phone(t.p), c=security.mask_id_card(t.c))
    ).iloc[0]
    for original, masked in ((name, row["n"]), (phone, row["p"]), (card, row["c"])):
        shown = masked.replace("*", "")
        assert "*" in masked
        assert len(shown) <= max(0, len(original) - 1) if original else shown == ""
        if len(original) <= 8:
            assert len(shown) <= len(original) // 2  # at most half of a short identifier
    if len(phone) == 11:
        assert row["p"] == phone[:3] + "****" + phone[7:]
    if len(card) == 18:
        assert row["c"] == card[:6] + "********" + card[14:]


def test_branch_manager_sees_own_branch_in_clear(served):
    truth = _truth(served)
    f = api.drill_through("customers", [JAN], Scope.for_role("branch_manager", branch_id=4), 0, 1000).frame
    assert len(f) > 0 and all(_clear(f, truth))


def test_no_filter_or_member_name_unmasks(served):
    truth = _truth(served)
    scope = Scope.for_role("analyst")
    for flt in (
        Filter("customers.manager", "eq", (5,)),
        Filter("customers.branch", "in", (1, 2, 3, 4, 5, 6, 7, 8)),
        Filter("customers.age_band", "contains", ("",)),
    ):
        f = api.drill_through("customers", [JAN, flt], scope, 0, 1000).frame
        assert len(f) > 0 and not any(_clear(f, truth)), flt
    for member in ("customers.name", "customers.customer_name", "customers.phone", "customers.id_card_no"):
        with pytest.raises(CubeError):
            api.drill_through("customers", [Filter(member, "eq", ("x",))], scope, 0, 10)
    # the masking is in the SQL that ran, not applied to the frame afterwards
    sql = api.drill_through("customers", [JAN], scope, 0, 10).sql
    assert "'********'" in sql and "id_card_no" in sql


def test_page_size_cap_and_paging(served):
    with pytest.raises(CubeError):
        api.drill_through("customers", [JAN], Scope.all(), 0, api.MAX_PAGE_SIZE + 1)
    r = api.drill_through("customers", [JAN], Scope.all(), 0, 1000)
    pages = [api.drill_through("customers", [JAN], Scope.all(), p, 70).frame for p in range(5)]
    joined = pd.concat(pages, ignore_index=True)
    assert joined["customer_id"].tolist() == r.frame["customer_id"].head(len(joined)).tolist()


def test_iter_drill_through_pages_to_the_end_and_caps(served):
    scope = Scope.of("region", 1)
    full = api.drill_through("customers", [JAN], scope, 0, 1000)
    frames = list(api.iter_drill_through("customers", [JAN], scope, page_size=17))
    assert all(len(f) == 17 for f in frames[:-1]) and 0 < len(frames[-1]) <= 17
    got = pd.concat(frames, ignore_index=True)
    assert len(got) == full.total_rows
    assert got["customer_id"].tolist() == full.frame["customer_id"].tolist()
    capped = pd.concat(api.iter_drill_through("customers", [JAN], scope, page_size=17, max_rows=40))
    assert capped["customer_id"].tolist() == full.frame["customer_id"].head(40).tolist()
    assert list(api.iter_drill_through("customers", [JAN], Scope.none())) == []


def test_ibis_fetch_arrow_table_warning_is_filtered_only_there(served):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.drill_through("customers", [JAN], Scope.all(), 0, 5)
        api.execute(api.Query("customers", ("customers.aum",)), Scope.all(), use_cache=False)
    assert not [w for w in caught if "fetch_arrow_table" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served.sql("SELECT 1").fetch_arrow_table()  # outside the cube it still warns
    assert any("fetch_arrow_table" in str(w.message) for w in caught)


# --- model lists: published score columns and a sort order ------------------------------------


def test_model_list_adds_score_columns_sorted_within_scope(scored, tiny_con):
    _version, published = scored
    val = published["value"].set_index("customer_id")
    month = tiny_con.sql("SELECT max(month_date) FROM customer_month").fetchone()[0]
    last = Filter("customers.month", "eq", (str(month),))
    scope = Scope.for_role("branch_manager", branch_id=1)
    r = api.drill_through(
        "customers", [last], scope, 0, 1000, columns=("value_score", "value_tier"), sort=("value_score", True)
    )
    truth = tiny_con.sql(
        f"SELECT customer_id FROM customer_month WHERE month_date = DATE '{month}' AND branch_id = 1"
    ).df()
    want = truth.assign(score=truth["customer_id"].map(val["value_score"]))
    assert r.total_rows == len(want) and len(r.frame) == len(want)
    got_scores = r.frame["value_score"].tolist()
    scored_part = sorted(want["score"].dropna(), reverse=True)
    assert got_scores[: len(scored_part)] == scored_part  # highest first, unscored last
    assert r.frame["value_score"].iloc[len(scored_part) :].isna().all()
    by_id = r.frame.set_index("customer_id")
    for cid, tier in val["value_tier"].items():
        if cid in by_id.index:
            assert by_id.loc[cid, "value_tier"] == tier
    assert r.columns["value_score"].label("zh") == "价值评分"


def test_model_list_refuses_unknown_columns_and_sorts(scored):
    scope = Scope.all()
    with pytest.raises(CubeError, match="not a published customer score column"):
        api.drill_through("customers", [JAN], scope, columns=("name",))
    with pytest.raises(CubeError, match="cannot sort by"):
        api.drill_through("customers", [JAN], scope, sort=("value_score", True))
    with pytest.raises(CubeError, match="sort must be"):
        api.drill_through("customers", [JAN], scope, columns=("value_score",), sort=("value_score", "desc"))
    with pytest.raises(CubeError, match="not a published customer score column"):
        api.drill_through("targets", [], scope, columns=("value_score",))
