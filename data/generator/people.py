"""Customers of one chunk: who they are (the customers table) and their hidden life course
(segment, activity level, product holdings, churn and dormancy) that drives their activity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

import data.generator.reference as ref
from data import contract
from data.generator.org import Org
from data.generator.util import id_numbers, person_names, phones, to_table

N_CAT = len(ref.CATEGORIES)
CAT = {c: i for i, c in enumerate(ref.CATEGORIES)}
ASSET_CATS = [CAT[c] for c in ("demand_deposit", "time_deposit", "fund", "wealth_management", "insurance")]


@dataclass(frozen=True)
class Period:
    """The months the extract covers: month ``m`` (0-based) starts on ``month_start[m]``."""

    months: int
    month_start: np.ndarray  # datetime64[D], months + 1 entries (the last is the day after the end)

    @classmethod
    def ending(cls, end_month: str, months: int) -> Period:
        end = np.datetime64(end_month, "M")
        starts = (end - np.arange(months - 1, -2, -1)).astype("datetime64[D]")
        return cls(months, starts)

    @property
    def first_day(self) -> np.datetime64:
        return self.month_start[0]

    @property
    def end_day(self) -> np.datetime64:
        return self.month_start[-1] - np.timedelta64(1, "D")

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """0-based month index of each day (-1 before the period)."""
        return np.searchsorted(self.month_start, days, side="right") - 1

    def as_date(self, day: np.datetime64) -> dt.date:
        return day.astype("datetime64[D]").astype(dt.date)


@dataclass
class People:
    """One chunk of customers with their hidden drivers (arrays of length n; (n, M) or (n, C))."""

    ids: np.ndarray
    segment: np.ndarray
    age: np.ndarray  # at the end of the period
    income: np.ndarray  # 0 (low) .. 4 (high)
    branch: np.ndarray  # branch index
    manager: np.ndarray  # manager index
    open_day: np.ndarray
    open_m: np.ndarray  # month of opening, clipped to 0
    churner: np.ndarray
    close_m: np.ndarray  # month of closing (M when not a churner)
    close_day: np.ndarray  # NaT when not a churner
    lead: np.ndarray  # months of decline before closing
    dormant: np.ndarray
    dormant_m: np.ndarray  # first silent month (M when not dormant)
    rate: np.ndarray  # mean transactions per month when fully active
    aum: np.ndarray  # AUM at the start, yuan
    held: np.ndarray  # (n, C) bool
    start_m: np.ndarray  # (n, C) month the product is first held
    product: np.ndarray  # (n, C) product id held in each category (0 if none)
    activity: np.ndarray  # (n, M) multiplier of the transaction rate
    balance_factor: np.ndarray  # (n, M) multiplier of balances
    response_logit: np.ndarray  # campaign response propensity before a campaign's own intercept
    birth: np.ndarray  # datetime64[D]
    occupation: np.ndarray  # occupation codes
    prior_products: np.ndarray  # categories held before any campaign take-up

    @property
    def n(self) -> int:
        return len(self.ids)


ABRUPT_CHURN_SHARE = 0.15  # churners who close without a prior decline
DIP_SHARE = 0.06  # non-churners whose balances and activity dip for 3-5 months, then recover

# Campaign response drivers (logit scale), recorded in the ground truth.
RESPONSE_DRIVERS = {
    "income_band": {"direction": "positive", "coef_per_band": 0.55},
    "age": {"direction": "negative", "coef_per_year": -0.05, "centre": 40},
    "product_count": {"direction": "positive", "coef_per_product": 0.30, "centre": 3},
    "segment": {"affluent_investors": 0.6, "low_engagement_mass": -0.7},
}


def draw_people(rng: np.random.Generator, first_id: int, n: int, org: Org, period: Period) -> People:
    """Draw ``n`` customers with ids from ``first_id``."""
    m_count = period.months
    seg = rng.choice(len(ref.SEGMENT_NAMES), n, p=ref.SEGMENT_SHARE)
    mu = np.array(ref.SEGMENT_AGE)[seg]
    age = np.clip(np.round(rng.normal(mu[:, 0], mu[:, 1])), 18, 88).astype(int)
    income_p = np.cumsum(np.array(ref.SEGMENT_INCOME), axis=1)
    income = np.minimum((rng.random(n)[:, None] > income_p[seg]).sum(1), 4)
    branch = rng.choice(len(org.branch_ids), n, p=org.branch_weight)
    manager = org.branch_manager_start[branch] + (rng.random(n) * org.branch_manager_count[branch]).astype(
        int
    )
    birth = period.end_day - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")
    adult = birth + np.timedelta64(int(18 * 365.25) + 1, "D")
    # Most relationships predate the extract (tenure ~ exponential, mean 6 years); 15% open inside it.
    before = period.first_day - (rng.exponential(6 * 365, n) + 1).astype("timedelta64[D]")
    span = int((period.end_day - period.first_day).astype(int))
    inside = period.first_day + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    open_day = np.where(rng.random(n) < 0.15, inside, before)
    open_day = np.minimum(np.maximum(open_day, adult), period.end_day)
    open_m = np.maximum(period.month_of(open_day), 0)

    # Churn: decline for 3-6 months, then close.
    lead = rng.integers(3, 7, n)
    lo = np.maximum(open_m, 0) + lead + 1
    churner = (rng.random(n) < np.array(ref.SEGMENT_CHURN)[seg]) & (lo <= m_count - 1)
    close_m = np.where(churner, lo + (rng.random(n) * np.maximum(m_count - lo, 1)).astype(int), m_count)
    close_m = np.minimum(close_m, m_count)
    month_len = (period.month_start[1:] - period.month_start[:-1]).astype(int)
    cm = np.minimum(close_m, m_count - 1)
    close_day = period.month_start[cm] + (rng.random(n) * month_len[cm]).astype("timedelta64[D]")
    close_day = np.where(churner, close_day, np.datetime64("NaT"))
    # Dormancy: silent from some month on, at least six months before the end.
    d_lo = open_m + 2
    dormant = ~churner & (rng.random(n) < np.array(ref.SEGMENT_DORMANT)[seg]) & (d_lo <= m_count - 6)
    dormant_m = np.where(
        dormant, d_lo + (rng.random(n) * np.maximum(m_count - 5 - d_lo, 1)).astype(int), m_count
    )

    months = np.arange(m_count)[None, :]
    alive = (months >= open_m[:, None]) & (months <= close_m[:, None])
    to_close = (close_m[:, None] - months) / (lead[:, None] + 1.0)
    # Most churners fade out first; some leave abruptly, with no warning in the data.
    fades = churner & (rng.random(n) >= ABRUPT_CHURN_SHARE)
    decline = np.where(fades[:, None] & (to_close < 1), 0.1 + 0.9 * np.clip(to_close, 0, 1), 1.0)
    # False alarms: some loyal customers go through a dip of a few months and then recover.
    dip_start = open_m + (rng.random(n) * np.maximum(m_count - open_m, 1)).astype(int)
    dip_len = rng.integers(3, 6, n)
    dipper = ~churner & ~dormant & (rng.random(n) < DIP_SHARE)
    in_dip = dipper[:, None] & (months >= dip_start[:, None]) & (months < (dip_start + dip_len)[:, None])
    decline = decline * np.where(in_dip, 0.35, 1.0)
    activity = alive * decline * (months < dormant_m[:, None])
    walk = np.exp(np.cumsum(rng.normal(0.003, 0.035, (n, m_count)), axis=1))
    silent = np.where(months >= dormant_m[:, None], 0.88 ** (months - dormant_m[:, None] + 1), 1.0)
    balance_factor = walk * decline * silent

    level = rng.gamma(3.0, 1 / 3.0, n)  # individual activity around the segment's rate
    rate = np.array(ref.SEGMENT_TXN_RATE)[seg] * level
    aum_mu = np.array(ref.SEGMENT_AUM)[seg]
    aum = rng.lognormal(aum_mu[:, 0] + 0.25 * (income - 2), aum_mu[:, 1])

    held, start_m, product = _holdings(rng, seg, age, income, open_m, m_count)
    occupation = _occupation(rng, seg, age)
    d = RESPONSE_DRIVERS
    response_logit = (
        d["income_band"]["coef_per_band"] * (income - 2)
        + d["age"]["coef_per_year"] * (age - d["age"]["centre"])
        + d["product_count"]["coef_per_product"] * (held.sum(1) - d["product_count"]["centre"])
        + np.select(
            [seg == ref.SEGMENT_NAMES.index(s) for s in d["segment"]], list(d["segment"].values()), 0.0
        )
    )
    people = People(
        ids=np.arange(first_id, first_id + n, dtype=np.int64),
        segment=seg,
        age=age,
        income=income,
        branch=branch,
        manager=manager,
        open_day=open_day,
        open_m=open_m,
        churner=churner,
        close_m=close_m,
        close_day=close_day,
        lead=lead,
        dormant=dormant,
        dormant_m=dormant_m,
        rate=rate,
        aum=aum,
        held=held,
        start_m=start_m,
        product=product,
        activity=activity,
        balance_factor=balance_factor,
        response_logit=response_logit,
        birth=birth,
        occupation=occupation,
        prior_products=held.sum(1),
    )
    return people


def _holdings(
    rng: np.random.Generator, seg: np.ndarray, age: np.ndarray, income: np.ndarray, open_m: np.ndarray,
    m_count: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Which product of each category a customer holds and from which month."""
    n = len(seg)
    p = np.array(ref.SEGMENT_HOLDING, dtype=float)[seg]
    logit = np.log(np.clip(p, 1e-4, 1 - 1e-4) / (1 - np.clip(p, 1e-4, 1 - 1e-4)))
    rich = income - 2
    for cat in ("fund", "wealth_management", "insurance", "forex"):
        logit[:, CAT[cat]] += 0.35 * rich
    logit[:, CAT["credit_card"]] += 0.2 * rich - 0.06 * np.maximum(age - 55, 0)
    logit[:, CAT["mortgage"]] -= 3.0 * ((age < 25) | (age > 62))
    logit[:, CAT["time_deposit"]] += 0.03 * (age - 45)
    held = rng.random((n, N_CAT)) < 1 / (1 + np.exp(-logit))
    held[:, CAT["demand_deposit"]] = True
    # Planted affinities: the second product of a pair mostly comes with the first.
    codes = [x[0] for x in ref.PRODUCTS]
    for a, b in ref.AFFINITY_PAIRS:
        ca, cb = CAT[ref.PRODUCTS[codes.index(a)][3]], CAT[ref.PRODUCTS[codes.index(b)][3]]
        add = held[:, ca] & (rng.random(n) < 0.45)
        drop = ~held[:, ca] & (rng.random(n) < 0.5)
        held[:, cb] = (held[:, cb] | add) & ~drop
    # Most products are held from the start of the relationship; some are taken up later.
    later = rng.random((n, N_CAT)) < 0.12
    start = np.where(
        later,
        open_m[:, None] + (rng.random((n, N_CAT)) * (m_count - open_m[:, None])).astype(int),
        open_m[:, None],
    )
    start[:, CAT["demand_deposit"]] = open_m
    product = np.zeros((n, N_CAT), dtype=np.int32)
    for cat, ids in ref.CATEGORY_PRODUCTS.items():
        if len(ids) == 1:
            product[:, CAT[cat]] = ids[0]
        else:  # longer terms for wealthier customers
            pick = rng.random(n) < 0.3 + 0.1 * income
            product[:, CAT[cat]] = np.where(pick, ids[1], ids[0])
    product = np.where(held, product, 0)
    return held, start, product


def _occupation(rng: np.random.Generator, seg: np.ndarray, age: np.ndarray) -> np.ndarray:
    occ = list(contract.OCCUPATIONS)
    base = {
        0: {"professional": 0.3, "enterprise_staff": 0.45, "student": 0.1, "other": 0.15},
        1: {"worker": 0.3, "civil_servant": 0.15, "farmer": 0.2, "enterprise_staff": 0.2, "other": 0.15},
        2: {"professional": 0.45, "civil_servant": 0.15, "self_employed": 0.3, "enterprise_staff": 0.1},
        3: {"enterprise_staff": 0.45, "professional": 0.25, "civil_servant": 0.2, "worker": 0.1},
        4: {"self_employed": 0.8, "enterprise_staff": 0.1, "other": 0.1},
        5: {"worker": 0.35, "farmer": 0.2, "enterprise_staff": 0.2, "other": 0.2, "student": 0.05},
    }
    table = np.zeros((len(base), len(occ)))
    for s, w in base.items():
        for k, v in w.items():
            table[s, occ.index(k)] = v
    cum = np.cumsum(table / table.sum(1, keepdims=True), axis=1)
    idx = np.minimum((rng.random(len(seg))[:, None] > cum[seg]).sum(1), len(occ) - 1)
    idx = np.where((age >= 60) & (rng.random(len(seg)) < 0.75), occ.index("retired"), idx)
    idx = np.where((age < 23) & (rng.random(len(seg)) < 0.6), occ.index("student"), idx)
    return np.array(occ)[idx]


def customers_table(rng: np.random.Generator, people: People, org: Org, period: Period) -> pa.Table:
    """The customers rows of a chunk."""
    n = people.n
    female = rng.random(n) < 0.51
    birth = people.birth
    signed = rng.random(n) < np.array([0.7, 0.35, 0.8, 0.6, 0.55, 0.15])[people.segment]
    grade = np.clip(np.round(rng.normal(3.2 - 0.5 * people.income, 1.0)), 0, 6).astype(int)
    status = np.where(people.churner, "closed", np.where(people.dormant, "dormant", "active"))
    return to_table(
        contract.CUSTOMERS,
        {
            "customer_id": people.ids,
            "name": person_names(rng, female).tolist(),
            "phone": phones(rng, n).tolist(),
            "id_card_no": id_numbers(rng, org.branch_area[people.branch], birth, female).tolist(),
            "gender": np.where(female, "F", "M").tolist(),
            "birth_date": birth.astype("datetime64[D]"),
            "occupation": people.occupation.tolist(),
            "income_band": np.array(contract.INCOME_BANDS)[people.income].tolist(),
            "city": org.branch_city_zh[people.branch].tolist(),
            "home_branch_id": org.branch_ids[people.branch],
            "manager_id": org.manager_ids[people.manager],
            "open_date": people.open_day.astype("datetime64[D]"),
            "is_signed": signed,
            "credit_grade": np.array(contract.CREDIT_GRADES)[grade].tolist(),
            "status": status.tolist(),
            "close_date": pa.array(
                people.close_day.astype("datetime64[D]"), type=pa.date32(), from_pandas=True
            ),
        },
    )
