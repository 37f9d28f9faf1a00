"""Campaign evaluation against an independent pandas computation from the stored rows, on SQLite
and PostgreSQL: rates, money, ROI by branch / manager / channel / segment, uplift with its Wald
interval and pooled z-test (numpy formulas here), scope per role, and the small-count guards.

Campaigns, members, contacts and take-ups are inserted directly (:func:`insert_campaign` and
friends), so these tests do not depend on how campaigns are created or contacts recorded."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import ops_schema, ops_store
from marketing import evaluation
from marketing.errors import MarketingInputError, NotPermitted

START, END = "2026-03-01", "2026-03-31"
NOW = "2026-04-01T09:00:00"
REL = 1e-9


# --- a small helper to store a campaign's rows directly ------------------------------------


def insert_campaign(
    products: tuple[str, ...] = ("FD01",),
    channels: tuple[str, ...] = ("phone_banking",),
    *,
    name: str = "Spring funds",
    status: str = "closed",
    cost_per_contact: float = 8.0,
    start: str = START,
    end: str = END,
    data_version: str | None = None,
    created_by: str = "analyst",
) -> int:
    """One campaign (and the group it draws on); its id."""
    with ops_store.transaction() as con:
        group = con.execute(
            "INSERT INTO customer_groups (owner, name, origin, definition, data_version, member_count, aum, "
            "created_at) VALUES (:o, :n, 'filter', '{}', :v, 0, 0, :at) RETURNING id",
            {
                "o": created_by,
                "n": f"{name} group {dt.datetime.now().timestamp()}",
                "v": data_version or "x",
                "at": NOW,
            },
        ).scalar()
        return int(
            con.execute(
                "INSERT INTO campaigns (name, objective, products, channels, start_date, end_date, "
                "cost_per_contact, budget, group_id, control_share, seed, priority, status, data_version, "
                "created_by, created_at, closed_at) VALUES (:name, '', :p, :c, :s, :e, :cpc, 1e6, :g, 0.1, "
                "1, 5, "
                ":status, :v, :by, :at, :at) RETURNING id",
                {
                    "name": name,
                    "p": json.dumps(list(products)),
                    "c": json.dumps(list(channels)),
                    "s": start,
                    "e": end,
                    "cpc": cost_per_contact,
                    "g": group,
                    "status": status,
                    "v": data_version,
                    "by": created_by,
                    "at": NOW,
                },
            ).scalar()
        )


def insert_rows(table: str, campaign_id: int, rows: list[dict]) -> None:
    """Rows of ``campaign_members``, ``campaign_contacts`` or ``campaign_takeups``."""
    if not rows:
        return
    defaults = {
        "campaign_contacts": {"source": "manual", "recorded_by": "rm", "recorded_at": NOW},
        "campaign_takeups": {"recorded_by": "analyst", "recorded_at": NOW},
    }.get(table, {})
    full = [{**defaults, **r, "campaign_id": campaign_id} for r in rows]
    keys = sorted({k for r in full for k in r})  # executemany: the same keys in every row
    with ops_store.transaction() as con:
        rows = [{k: r.get(k) for k in keys} for r in full]
        con.connection.execute(getattr(ops_schema, table).insert(), rows)


def synthetic_campaign(
    customers: pd.DataFrame,
    products: tuple[str, ...],
    other_product: str,
    channels: tuple[str, ...],
    seed: int = 1,
    n: int = 700,
    status: str = "closed",
    cost_per_contact: float = 8.0,
) -> int:
    """A campaign over ``n`` of ``customers`` (customer_id, home_branch_id, manager_id) with
    every kind of row the evaluation must handle: a control arm, excluded members, targets in a
    branch's pool, members without a segment, several contacts a customer through several
    channels, unreached and declined contacts, accepted contacts without a product or amount,
    contacts and take-ups outside the window, take-ups of products not offered."""
    rng = np.random.default_rng(seed)
    chosen = customers.sample(n=n, random_state=seed).reset_index(drop=True)
    arm = rng.choice(["target", "control", "excluded"], size=n, p=[0.8, 0.15, 0.05])
    members = []
    for i, row in chosen.iterrows():
        members.append(
            {
                "customer_id": int(row["customer_id"]),
                "arm": str(arm[i]),
                "branch_id": int(row["home_branch_id"]),
                "manager_id": None if (arm[i] == "target" and rng.random() < 0.1) else int(row["manager_id"]),
                "segment": None if rng.random() < 0.07 else str(rng.choice(["S1", "S2", "S3"])),
            }
        )
    cid = insert_campaign(products, channels, status=status, cost_per_contact=cost_per_contact)
    insert_rows("campaign_members", cid, members)
    contacts, takeups = [], []
    for m in members:
        if m["arm"] == "target":
            for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
                reached = rng.random() < 0.8
                outcome = (
                    rng.choice(["declined", "interested", "accepted"], p=[0.5, 0.3, 0.2]) if reached else None
                )
                if reached and rng.random() < 0.05:
                    outcome = None
                product = amount = None
                if outcome == "accepted":
                    product = rng.choice([*products, other_product]) if rng.random() < 0.9 else None
                    amount = None if rng.random() < 0.1 else round(float(rng.uniform(1000, 90000)), 2)
                day = int(rng.integers(-5, 36))  # a few before the start and after the end
                at = dt.datetime(2026, 3, 1, 9) + dt.timedelta(days=day, minutes=int(rng.integers(0, 600)))
                contacts.append(
                    {
                        "customer_id": m["customer_id"],
                        "manager_id": m["manager_id"],
                        "branch_id": m["branch_id"],
                        "channel": str(rng.choice(channels)),
                        "contacted_at": at.isoformat(timespec="seconds"),
                        "reached": int(reached),
                        "outcome": None if outcome is None else str(outcome),
                        "product": None if product is None else str(product),
                        "amount": amount,
                    }
                )
        if m["arm"] in ("target", "control", "excluded") and rng.random() < 0.12:
            product = str(rng.choice([*products, other_product]))
            day = dt.date(2026, 3, 1) + dt.timedelta(days=int(rng.integers(-3, 34)))
            takeups.append(
                {
                    "customer_id": m["customer_id"],
                    "product": product,
                    "amount": 500.0,
                    "taken_on": day.isoformat(),
                }
            )
    insert_rows("campaign_contacts", cid, contacts)
    insert_rows("campaign_takeups", cid, takeups)
    return cid


# --- the independent computation -----------------------------------------------------------


def stored(campaign_id: int) -> dict[str, pd.DataFrame]:
    """The campaign's stored rows, read with pandas straight from the store's tables."""
    engine = ops_store.engine()
    out = {}
    for table in ("campaigns", "campaign_members", "campaign_contacts", "campaign_takeups"):
        frame = pd.read_sql_query(f"SELECT * FROM {table}", engine)
        key = "id" if table == "campaigns" else "campaign_id"
        out[table] = frame[frame[key] == campaign_id].reset_index(drop=True)
    return out


def expected(rows: dict[str, pd.DataFrame], rates: dict[str, float], members_in_scope=None) -> dict:
    """Every figure of the evaluation, from the rows, in plain pandas."""
    camp = rows["campaigns"].iloc[0]
    offered = json.loads(camp["products"])
    cpc = float(camp["cost_per_contact"])
    mem = rows["campaign_members"]
    if members_in_scope is not None:
        mem = mem[members_in_scope(mem)]
    tgt = mem[mem["arm"] == "target"]
    con = rows["campaign_contacts"]
    con = con[con["customer_id"].isin(set(tgt["customer_id"]))].copy()
    con["ok"] = (con["reached"] == 1) & (con["outcome"] == "accepted")
    con["amt"] = np.where(con["ok"], con["amount"].fillna(0.0), 0.0)
    con["rev"] = [
        a * rates.get(p if isinstance(p, str) else offered[0], 0.0)
        for a, p in zip(con["amt"], con["product"], strict=True)
    ]

    def figures(t: pd.DataFrame, c: pd.DataFrame, n_targets: int | None = None) -> dict:
        targets = len(t) if n_targets is None else n_targets
        reached = c.loc[c["reached"] == 1, "customer_id"].nunique()
        accepted = c.loc[c["ok"], "customer_id"].nunique()
        cost = len(c) * cpc
        revenue = float(c["rev"].sum())
        return {
            "targets": targets,
            "contacts": len(c),
            "contacted": c["customer_id"].nunique(),
            "reached": reached,
            "accepted": accepted,
            "amount": float(c["amt"].sum()),
            "cost": cost,
            "revenue": revenue,
            "contact_rate": reached / targets if targets else None,
            "success_rate": accepted / reached if reached else None,
            "roi": (revenue - cost) / cost if cost else None,
        }

    out = {"overall": figures(tgt, con), "by": {}}
    for key, column in (("branch", "branch_id"), ("manager", "manager_id"), ("segment", "segment")):
        groups = {}
        for value in tgt[column].drop_duplicates():
            if pd.isna(value):
                t = tgt[tgt[column].isna()]
                value = None
            else:
                t = tgt[tgt[column] == value]
                value = int(value) if column != "segment" else value
            groups[value] = figures(t, con[con["customer_id"].isin(set(t["customer_id"]))])
        out["by"][key] = groups
    out["by"]["channel"] = {ch: figures(tgt, c, len(tgt)) for ch, c in con.groupby("channel")}
    # responders: accepted (reached) contact naming a product, or a take-up of an offered
    # product, within the window
    day = con["contacted_at"].str[:10]
    yes = set(con.loc[con["ok"] & con["product"].notna() & (day >= START) & (day <= END), "customer_id"])
    tk = rows["campaign_takeups"]
    yes |= set(
        tk.loc[
            tk["product"].isin(offered) & (tk["taken_on"] >= START) & (tk["taken_on"] <= END), "customer_id"
        ]
    )
    arms = mem[mem["arm"].isin(["target", "control"])]
    out["uplift"] = two_proportions(arms, yes)
    out["by_segment"] = {
        (None if pd.isna(s) else s): two_proportions(part, yes)
        for s, part in arms.groupby(arms["segment"].fillna("<none>"))
        for s in [None if s == "<none>" else s]
    }
    return out


def two_proportions(arms: pd.DataFrame, responders: set) -> dict:
    """Wald 95% interval and pooled z-test with plain numpy formulas (1.959963984540054 is the
    standard normal's 97.5% quantile; the normal tail from math.erfc)."""
    t = arms[arms["arm"] == "target"]
    c = arms[arms["arm"] == "control"]
    n1, n2 = len(t), len(c)
    x1, x2 = int(t["customer_id"].isin(responders).sum()), int(c["customer_id"].isin(responders).sum())
    out = {"target_n": n1, "target_responders": x1, "control_n": n2, "control_responders": x2}
    p1 = x1 / n1 if n1 else None
    p2 = x2 / n2 if n2 else None
    out |= {"target_rate": p1, "control_rate": p2, "uplift": p1 - p2 if n1 and n2 else None}
    pooled = (x1 + x2) / (n1 + n2) if n1 + n2 else 0
    if n1 >= 10 and n2 >= 10 and 0 < pooled < 1:
        d = p1 - p2
        se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        z = d / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        out |= {"low": d - 1.959963984540054 * se, "high": d + 1.959963984540054 * se, "z": z}
        out |= {"p_value": math.erfc(abs(z) / math.sqrt(2)), "testable": True}
    else:
        out |= {"low": None, "high": None, "z": None, "p_value": None, "testable": False}
    return out


def same(actual, wanted, key="") -> None:
    if wanted is None:
        assert actual is None or (isinstance(actual, float) and math.isnan(actual)), (key, actual)
    elif isinstance(wanted, bool):
        assert bool(actual) == wanted, (key, actual, wanted)
    elif isinstance(wanted, (int, np.integer)) and not isinstance(wanted, bool):
        assert actual == wanted, (key, actual, wanted)
    else:
        assert actual == pytest.approx(wanted, rel=REL, abs=1e-12), (key, actual, wanted)


def check(ev: evaluation.Evaluation, want: dict) -> None:
    for name in evaluation.COLUMNS:
        same(ev.overall[name], want["overall"][name], f"overall.{name}")
    for key in evaluation.GROUPS:
        frame = ev.by[key]
        assert sorted(map(str, frame["key"])) == sorted(map(str, want["by"][key])), key
        for row in frame.to_dict("records"):
            for name in evaluation.COLUMNS:
                same(row[name], want["by"][key][row["key"]][name], f"{key}={row['key']}.{name}")
    for name, value in want["uplift"].items():
        same(getattr(ev.uplift, name), value, f"uplift.{name}")
    seg = ev.uplift_by_segment
    assert sorted(map(str, seg["segment"])) == sorted(map(str, want["by_segment"]))
    for row in seg.to_dict("records"):
        for name, value in want["by_segment"][row["segment"]].items():
            same(row[name], value, f"segment={row['segment']}.{name}")


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse_rows(demo_source: Path) -> dict:
    products = pd.read_parquet(demo_source / "products.parquet")
    customers = pd.read_parquet(
        demo_source / "customers.parquet", columns=["customer_id", "home_branch_id", "manager_id"]
    )
    channels = pd.read_parquet(demo_source / "channels.parquet")
    rates = dict(zip(products["product_code"], products["margin_rate"] + products["fee_rate"], strict=True))
    codes = products["product_code"].tolist()
    return {
        "customers": customers,
        "rates": rates,
        "offered": (codes[3], codes[5]),
        "other": codes[1],
        "channels": tuple(
            c for c in channels["channel_code"] if c in ("phone_banking", "counter", "mobile_banking")
        ),
    }


def busy_customers(warehouse_rows: dict, branch_id: int) -> pd.DataFrame:
    """Half of the campaign from the test users' branch, so every scope has members."""
    c = warehouse_rows["customers"]
    return pd.concat(
        [c[c["home_branch_id"] == branch_id].head(400), c[c["home_branch_id"] != branch_id].head(600)]
    )


# --- tests ---------------------------------------------------------------------------------


def test_every_figure_equals_pandas_from_the_stored_rows(loop_users, warehouse_rows) -> None:
    w = warehouse_rows
    cid = synthetic_campaign(busy_customers(w, loop_users.branch_id), w["offered"], w["other"], w["channels"])
    ev = evaluation.evaluate(loop_users.analyst, cid)
    want = expected(stored(cid), w["rates"])
    check(ev, want)
    # the case is not trivial: contacts in every state, responders in both arms, a testable uplift
    assert (
        0 < ev.overall["accepted"] < ev.overall["reached"] < ev.overall["contacted"] <= ev.overall["targets"]
    )
    assert ev.uplift.testable and ev.uplift.control_responders > 0
    assert None in set(ev.by["manager"]["key"]) and None in set(ev.by["segment"]["key"])
    assert len(ev.by["channel"]) == len(w["channels"])
    # admin and marketing head see the same as the analyst
    for user in (loop_users.admin, loop_users.head):
        assert evaluation.evaluate(user, cid).overall == ev.overall


def test_scope_branch_manager_and_relationship_manager_count_their_own_members(
    loop_users, warehouse_rows
) -> None:
    w = warehouse_rows
    cid = synthetic_campaign(
        busy_customers(w, loop_users.branch_id), w["offered"], w["other"], w["channels"], seed=3
    )
    rows = stored(cid)
    branch = evaluation.evaluate(loop_users.branch, cid)
    check(branch, expected(rows, w["rates"], lambda m: m["branch_id"] == loop_users.branch_id))
    assert set(branch.by["branch"]["key"]) == {loop_users.branch_id}
    assert 0 < branch.overall["targets"] < evaluation.evaluate(loop_users.admin, cid).overall["targets"]
    rm = evaluation.evaluate(loop_users.rm, cid)
    check(rm, expected(rows, w["rates"], lambda m: m["manager_id"] == loop_users.manager_id))
    assert set(rm.by["manager"]["key"]) <= {loop_users.manager_id}
    with pytest.raises(NotPermitted):
        evaluation.evaluate(loop_users.presenter, cid)


def test_reference_case_rates_and_text(loop_users) -> None:
    """The seeds' case: 1,200 targets, 1,047 reached (87.25%), 139 of them accepted (13.28%)."""
    cid = insert_campaign(("FD01",), ("phone_banking",), cost_per_contact=10.0)
    members = [
        {"customer_id": i, "arm": "target", "branch_id": 1, "manager_id": 1, "segment": "S"}
        for i in range(1200)
    ]
    members += [
        {"customer_id": 5000 + i, "arm": "control", "branch_id": 1, "segment": "S"} for i in range(130)
    ]
    insert_rows("campaign_members", cid, members)
    contacts = [
        {
            "customer_id": i,
            "channel": "phone_banking",
            "contacted_at": "2026-03-05T10:00:00",
            "reached": int(i < 1047),
            "outcome": "accepted" if i < 139 else ("declined" if i < 1047 else None),
            "product": "FD01" if i < 139 else None,
            "amount": 10000.0 if i < 139 else None,
        }
        for i in range(1150)
    ]
    insert_rows("campaign_contacts", cid, contacts)
    ev = evaluation.evaluate(loop_users.analyst, cid)
    assert (ev.overall["targets"], ev.overall["contacted"], ev.overall["reached"]) == (1200, 1150, 1047)
    assert f"{ev.overall['contact_rate'] * 100:.2f}%" == "87.25%"
    assert f"{ev.overall['success_rate'] * 100:.2f}%" == "13.28%"
    assert ev.overall["cost"] == 11500.0
    # no control member responded: every control is a non-responder, the test still runs
    assert ev.uplift.control_rate == 0.0 and ev.uplift.testable and ev.uplift.p_value < 1e-3


def test_small_and_zero_counts_are_too_few_to_test(loop_users) -> None:
    cid = insert_campaign()
    ev = evaluation.evaluate(loop_users.analyst, cid)  # no members at all
    assert ev.overall["targets"] == 0 and ev.overall["contact_rate"] is None and ev.overall["roi"] is None
    assert not ev.uplift.testable and ev.uplift.uplift is None and ev.uplift.p_value is None
    assert all(frame.empty for frame in ev.by.values()) and ev.uplift_by_segment.empty
    members = [{"customer_id": i, "arm": "target", "branch_id": 1, "segment": "A"} for i in range(30)]
    members += [
        {"customer_id": 100 + i, "arm": "control", "branch_id": 1, "segment": "A" if i < 9 else "B"}
        for i in range(12)
    ]
    insert_rows("campaign_members", cid, members)
    insert_rows(
        "campaign_contacts",
        cid,
        [{"customer_id": 1, "channel": "counter", "contacted_at": "2026-03-02T10:00:00", "reached": 0}],
    )
    ev = evaluation.evaluate(loop_users.analyst, cid)
    assert ev.overall["success_rate"] is None and ev.overall["contact_rate"] == 0.0
    assert ev.overall["roi"] == -1.0  # cost, no revenue
    # nobody responded in either arm: no test (pooled rate 0)
    assert ev.uplift.uplift == 0.0 and not ev.uplift.testable
    seg = ev.uplift_by_segment.set_index("segment")
    assert seg.loc["A", "control_n"] == 9 and not seg.loc["A", "testable"]  # 9 < MIN_ARM controls
    assert seg.loc["B", "target_n"] == 0 and pd.isna(seg.loc["B", "uplift"])


def test_uplift_formulas_match_known_values() -> None:
    """A textbook case: 60/400 against 30/400."""
    u = evaluation.uplift_test(60, 400, 30, 400)
    assert u.uplift == pytest.approx(0.075)
    se = math.sqrt(0.15 * 0.85 / 400 + 0.075 * 0.925 / 400)
    assert (u.low, u.high) == pytest.approx((0.075 - 1.959963984540054 * se, 0.075 + 1.959963984540054 * se))
    pooled = 90 / 800
    z = 0.075 / math.sqrt(pooled * (1 - pooled) * (2 / 400))
    assert u.z == pytest.approx(z) and u.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert u.significant
    assert not evaluation.uplift_test(0, 0, 0, 0).testable


def test_unknown_campaign_names_the_field(loop_users) -> None:
    with pytest.raises(MarketingInputError) as err:
        evaluation.evaluate(loop_users.analyst, 987654)
    assert err.value.field == "campaign_id"


def test_a_kept_evaluation_is_given_again_until_the_campaign_changes(loop_users) -> None:
    cid = insert_campaign()
    members = [{"customer_id": i, "arm": "target", "branch_id": 1, "manager_id": 1} for i in range(20)]
    insert_rows("campaign_members", cid, members)
    first = evaluation.evaluate(loop_users.analyst, cid)
    assert evaluation.evaluate(loop_users.analyst, cid) is first  # unchanged: kept
    insert_rows(
        "campaign_contacts",
        cid,
        [{"customer_id": 1, "channel": "counter", "contacted_at": "2026-03-02T10:00:00", "reached": 1}],
    )
    second = evaluation.evaluate(loop_users.analyst, cid)
    assert (first.overall["contacts"], second.overall["reached"]) == (0, 1)
    with ops_store.transaction() as con:  # a reassignment: the by-manager rows move
        con.execute(
            "UPDATE campaign_members SET manager_id = 2 WHERE campaign_id = :c AND customer_id < 5",
            {"c": cid},
        )
    third = evaluation.evaluate(loop_users.analyst, cid)
    assert dict(zip(third.by["manager"]["key"], third.by["manager"]["targets"], strict=True)) == {1: 15, 2: 5}
