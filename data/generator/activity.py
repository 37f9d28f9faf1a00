"""Activity of one chunk of customers: month-end holdings, transactions and campaign contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

import data.generator.reference as ref
from data import contract
from data.derive import SPRING_FESTIVAL
from data.generator.people import ASSET_CATS, CAT, N_CAT, People, Period
from data.generator.util import choose, cumulative, round2, take_str, to_table

N_CH = len(contract.CHANNEL_CODES)
CH = {c: i for i, c in enumerate(contract.CHANNEL_CODES)}
FEE_RATE = np.array([0.0] + [p[5] for p in ref.PRODUCTS])  # by product id
MARGIN_RATE = np.array([0.0] + [p[4] for p in ref.PRODUCTS])
PRODUCT_BALANCE = np.array(["none"] + [ref.BALANCE_TYPE[p[3]] for p in ref.PRODUCTS])


@dataclass(frozen=True)
class Anomaly:
    """A planted channel anomaly at one branch: ``factor`` 0 is an outage, > 1 a surge."""

    kind: str
    branch_index: int
    branch_id: int
    channel: str
    start: np.datetime64
    end: np.datetime64  # inclusive
    factor: float

    def as_truth(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "branch_id": self.branch_id,
            "channel_code": self.channel,
            "start_date": str(self.start),
            "end_date": str(self.end),
            "factor": self.factor,
        }


@dataclass(frozen=True)
class Campaign:
    """A campaign's plan; contacts are drawn per chunk."""

    campaign_id: int
    product_id: int
    channel: str
    start: np.datetime64
    end: np.datetime64
    target_rate: float
    intercept: float


# --- calendar-shaped sampling tables --------------------------------------------------------


def channel_cum(period: Period) -> np.ndarray:
    """(segments * months, channels) cumulative channel mix: each segment's habits drifting to mobile."""
    years = np.arange(period.months) / 12.0
    drift = np.array([ref.CHANNEL_DRIFT.get(c, 1.0) for c in contract.CHANNEL_CODES])
    w = np.array(ref.SEGMENT_CHANNELS)[:, None, :] * drift[None, None, :] ** years[None, :, None]
    return cumulative(w.reshape(-1, N_CH))


def day_cum(period: Period) -> np.ndarray:
    """(months * channels, 31) cumulative day-of-month weights: weekdays, month ends, Spring Festival."""
    out = np.zeros((period.months, N_CH, 31))
    for m in range(period.months):
        days = np.arange(period.month_start[m], period.month_start[m + 1])
        weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        w = np.array([ref.WEEKDAY_WEIGHTS[c] for c in contract.CHANNEL_CODES])[:, weekday]
        w[:, -2:] *= 1.6  # month-end peak (salaries, repayments)
        year = int(str(days[0])[:4])
        if year in SPRING_FESTIVAL:
            sf = np.datetime64(f"{year}-{SPRING_FESTIVAL[year]}")
            before = (days >= sf - 10) & (days < sf - 1)  # shopping and cash before the festival
            holiday = (days >= sf - 1) & (days <= sf + 5)
            for c, f in ref.FESTIVAL_BOOST.items():
                w[CH[c], before] *= f
            for c, f in ref.FESTIVAL_CLOSED.items():
                w[CH[c], holiday] *= f
        out[m, :, : len(days)] = w
    return cumulative(out.reshape(-1, 31))


HOUR_CUM = cumulative(np.array([ref.HOUR_WEIGHTS[c] for c in contract.CHANNEL_CODES]))
CATEGORY_CUM = cumulative(
    np.array(
        [[ref.CHANNEL_CATEGORY[ch].get(cat, 0.0) for cat in ref.CATEGORIES] for ch in contract.CHANNEL_CODES]
    )
)
TXN_TYPE_CUM = cumulative(
    np.array([[ref.CATEGORY_TXN[cat][0].get(t, 0.0) for t in contract.TXN_TYPES] for cat in ref.CATEGORIES])
)
CATEGORY_MEDIAN = np.array([ref.CATEGORY_TXN[cat][1] for cat in ref.CATEGORIES], dtype=float)


# --- holdings ------------------------------------------------------------------------------


def holdings(
    rng: np.random.Generator, people: People, period: Period
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    """Month-end holdings rows (sorted by month, customer, product) and their arrays for targets."""
    n, m_count = people.n, period.months
    base = np.zeros((n, N_CAT))
    split = np.array(ref.SEGMENT_AUM_SPLIT)[people.segment] * rng.gamma(2.0, 0.5, (n, len(ASSET_CATS)))
    split *= people.held[:, ASSET_CATS]
    split /= split.sum(1, keepdims=True)
    base[:, ASSET_CATS] = people.aum[:, None] * split
    for cat, (mu, sd) in ref.LOAN_BALANCE.items():
        base[:, CAT[cat]] = rng.lognormal(mu + 0.15 * (people.income - 2), sd, n)
    stop = np.where(people.churner, people.close_m - 1, m_count - 1)  # no balance once closed
    first = np.maximum(people.start_m, people.open_m[:, None])
    length = np.where(people.held, np.maximum(stop[:, None] - first + 1, 0), 0)
    cust, cat = np.nonzero(length)
    reps = length[cust, cat]
    cust, cat = np.repeat(cust, reps), np.repeat(cat, reps)
    offset = np.arange(len(cust)) - np.repeat(np.cumsum(reps) - reps, reps)
    month = np.repeat(first[np.nonzero(length)], reps) + offset
    age = offset  # months since the product was first held in the extract
    bal = base[cust, cat] * people.balance_factor[cust, month] * rng.lognormal(0, 0.03, len(cust))
    bal = np.where(cat == CAT["mortgage"], bal * np.maximum(1 - 0.005 * age, 0.3), bal)
    bal = np.where(cat == CAT["consumer_loan"], bal * np.maximum(1 - 0.04 * age, 0.05), bal)
    bal = np.where(cat == CAT["credit_card"], bal * rng.lognormal(0, 0.4, len(cust)), bal)
    product = people.product[cust, cat]
    bal = np.where(PRODUCT_BALANCE[product] == "none", 0.0, round2(bal))
    adb = round2(bal * rng.uniform(0.9, 1.08, len(cust)))
    order = np.lexsort((product, people.ids[cust], month))
    cust, month, product, bal, adb = cust[order], month[order], product[order], bal[order], adb[order]
    table = to_table(
        contract.HOLDINGS,
        {
            "month_date": period.month_start[month],
            "customer_id": people.ids[cust],
            "product_id": product,
            "balance": bal,
            "avg_daily_balance": adb,
        },
    )
    return table, {"cust": cust, "month": month, "product": product, "balance": bal, "adb": adb}


# --- transactions --------------------------------------------------------------------------


def transactions(
    rng: np.random.Generator,
    people: People,
    period: Period,
    branch_weight: np.ndarray,
    anomalies: list[Anomaly],
    chan_cum: np.ndarray,
    days_cum: np.ndarray,
) -> dict[str, np.ndarray]:
    """Transactions of a chunk as arrays (sorted by time; ids are assigned by the writer)."""
    m_count = period.months
    counts = rng.poisson(people.rate[:, None] * people.activity)
    cust = np.repeat(np.repeat(np.arange(people.n), m_count), counts.ravel())
    month = np.repeat(np.tile(np.arange(m_count), people.n), counts.ravel())
    k = len(cust)
    channel = choose(chan_cum, people.segment[cust] * m_count + month, rng.random(k))
    day = choose(days_cum, month * N_CH + channel, rng.random(k))
    date = period.month_start[month] + day.astype("timedelta64[D]")
    # Nothing before the relationship opened or after it closed.
    keep = (date >= people.open_day[cust]) & ~(people.churner[cust] & (date > people.close_day[cust]))
    cust, month, channel, date = cust[keep], month[keep], channel[keep], date[keep]
    # Branch-bound channels are sometimes used at another branch; the rest book to the home branch.
    branch = people.branch[cust]
    away = np.isin(channel, [CH["counter"], CH["atm"], CH["cdm"]]) & (rng.random(len(cust)) < 0.12)
    branch = np.where(away, rng.choice(len(branch_weight), len(cust), p=branch_weight), branch)
    cust, month, channel, date, branch = _apply_anomalies(rng, anomalies, cust, month, channel, date, branch)
    k = len(cust)
    hour = choose(HOUR_CUM, channel, rng.random(k))
    seconds = hour * 3600 + rng.integers(0, 3600, k)
    at = date.astype("datetime64[us]") + (seconds * 1_000_000).astype("timedelta64[us]")
    category = choose(CATEGORY_CUM, channel, rng.random(k))
    held_now = people.product[cust, category]
    held_now = np.where(people.start_m[cust, category] <= month, held_now, 0)
    debit = np.where(
        people.start_m[cust, CAT["debit_card"]] <= month, people.product[cust, CAT["debit_card"]], 0
    )
    card_like = np.isin(category, [CAT["credit_card"], CAT["debit_card"]])
    fallback = np.where(card_like & (debit > 0), debit, people.product[cust, CAT["demand_deposit"]])
    product = np.where(held_now > 0, held_now, fallback)
    category = np.where(
        held_now > 0, category, np.where(product == debit, CAT["debit_card"], CAT["demand_deposit"])
    )
    txn_type = choose(TXN_TYPE_CUM, category, rng.random(k))
    scale = np.clip((people.aum[cust] / 50_000.0) ** 0.25, 0.3, 4.0)
    amount = np.maximum(round2(CATEGORY_MEDIAN[category] * scale * rng.lognormal(0, 0.9, k)), 1.0)
    fee = round2(amount * FEE_RATE[product])
    order = np.lexsort((cust, at))
    return {
        "txn_at": at[order],
        "cust": cust[order],
        "customer_id": people.ids[cust[order]],
        "product_id": product[order].astype(np.int32),
        "channel_id": (channel[order] + 1).astype(np.int32),
        "branch": branch[order],
        "txn_type": txn_type[order],
        "amount": amount[order],
        "fee": fee[order],
        "month": month[order],
    }


def _apply_anomalies(
    rng: np.random.Generator,
    anomalies: list[Anomaly],
    cust: np.ndarray,
    month: np.ndarray,
    channel: np.ndarray,
    date: np.ndarray,
    branch: np.ndarray,
) -> tuple[np.ndarray, ...]:
    for a in anomalies:
        hit = (branch == a.branch_index) & (channel == CH[a.channel]) & (date >= a.start) & (date <= a.end)
        if a.factor == 0:  # machines down: customers turn to their phones instead
            channel = np.where(hit, CH["mobile_banking"], channel)
        else:  # a surge: each affected transaction comes with (factor - 1) more that day
            reps = np.where(hit, int(round(a.factor)), 1)
            cust, month, channel, date, branch = (
                np.repeat(x, reps) for x in (cust, month, channel, date, branch)
            )
    return cust, month, channel, date, branch


def transactions_table(tx: dict[str, np.ndarray], first_id: int, branch_ids: np.ndarray) -> pa.Table:
    """Arrow table of a chunk's transactions with ids from ``first_id``."""
    k = len(tx["cust"])
    return to_table(
        contract.TRANSACTIONS,
        {
            "txn_id": np.arange(first_id, first_id + k, dtype=np.int64),
            "txn_at": tx["txn_at"],
            "customer_id": tx["customer_id"],
            "product_id": tx["product_id"],
            "channel_id": tx["channel_id"],
            "branch_id": branch_ids[tx["branch"]],
            "txn_type": take_str(contract.TXN_TYPES, tx["txn_type"]),
            "amount": tx["amount"],
            "fee": tx["fee"],
        },
    )


# --- campaign contacts ---------------------------------------------------------------------

CONTACT_RATE = {"mobile_banking": 0.9, "phone_banking": 0.6, "call_centre": 0.6, "counter": 0.8,
                "wealth_centre": 0.85, "online_banking": 0.85}  # fmt: skip


def contacts(
    rng: np.random.Generator, people: People, period: Period, campaigns: list[Campaign]
) -> tuple[pa.Table, np.ndarray]:
    """Campaign contacts of a chunk; responders take up the promoted product (updates ``people``).

    Returns the contacts table and the number of contacts per campaign.
    """
    cols: dict[str, list[np.ndarray]] = {c: [] for c in contract.CAMPAIGN_CONTACTS.column_names}
    per_campaign = np.zeros(len(campaigns), dtype=np.int64)
    end_day = period.end_day
    for i, c in enumerate(campaigns):  # a dozen campaigns: the loop is over campaigns, not rows
        eligible = (people.open_day <= c.start) & ~(people.churner & (people.close_day <= c.end + 30))
        eligible &= people.dormant_m > period.month_of(np.array([c.start]))[0]
        idx = np.nonzero(eligible & (rng.random(people.n) < c.target_rate))[0]
        k = len(idx)
        per_campaign[i] = k
        span = int((min(c.end, end_day) - c.start).astype(int)) + 1
        contacted_day = c.start + rng.integers(0, span, k).astype("timedelta64[D]")
        contacted = rng.random(k) < CONTACT_RATE[c.channel]
        p = 1 / (1 + np.exp(-(c.intercept + people.response_logit[idx])))
        responded = contacted & (rng.random(k) < p)
        resp_day = np.minimum(contacted_day + rng.geometric(0.2, k).astype("timedelta64[D]") - 1, end_day)
        cat = ref.PRODUCTS[c.product_id - 1][3]
        amount = np.where(responded, round2(rng.lognormal(np.log(ref.CATEGORY_TXN[cat][1] * 2), 0.8, k)), 0.0)
        cols["campaign_id"].append(np.full(k, c.campaign_id, dtype=np.int32))
        cols["customer_id"].append(people.ids[idx])
        cols["channel_id"].append(np.full(k, CH[c.channel] + 1, dtype=np.int32))
        cols["contacted_date"].append(contacted_day)
        cols["contacted"].append(contacted)
        cols["responded"].append(responded)
        cols["response_date"].append(np.where(responded, resp_day, np.datetime64("NaT")))
        cols["response_amount"].append(amount)
        # Take-up: responders hold the product from the response month on.
        r = idx[responded]
        ci = CAT[cat]
        new = ~people.held[r, ci]
        people.held[r[new], ci] = True
        people.product[r[new], ci] = c.product_id
        people.start_m[r[new], ci] = period.month_of(resp_day[responded][new])
    data = {name: np.concatenate(v) for name, v in cols.items()}
    data["contacted_date"] = data["contacted_date"].astype("datetime64[D]")
    data["response_date"] = pa.array(
        data["response_date"].astype("datetime64[D]"), type=pa.date32(), from_pandas=True
    )
    return to_table(contract.CAMPAIGN_CONTACTS, data), per_campaign
