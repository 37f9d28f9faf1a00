"""The bank's fixed dimensions: regions, branches (sizes an order of magnitude apart), managers,
products and channels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

import data.generator.reference as ref
from data import contract
from data.generator.util import person_names, to_table


@dataclass
class Org:
    """The organisation plus the arrays the customer generator draws from."""

    tables: dict[str, pa.Table]
    branch_ids: np.ndarray
    branch_weight: np.ndarray  # share of customers booked at each branch
    branch_region: np.ndarray  # region index (0-based) per branch
    branch_city_zh: np.ndarray
    branch_area: np.ndarray  # ID-card area code per branch
    branch_is_outlet: np.ndarray
    manager_ids: np.ndarray
    manager_branch: np.ndarray  # branch index per manager
    branch_manager_start: np.ndarray  # first manager index of each branch (managers sorted by branch)
    branch_manager_count: np.ndarray


def branch_count(customers: int) -> int:
    """About 60 branches at the 20k-customer demo, growing with the square root of customers."""
    return max(6, round(60 * (customers / 20_000) ** 0.5))


def build_org(rng: np.random.Generator, customers: int, end_day: dt.date) -> Org:
    """Draw regions, branches and managers; products and channels are fixed tables."""
    n_regions = len(ref.REGIONS)
    regions = to_table(
        contract.REGIONS,
        {
            "region_id": np.arange(1, n_regions + 1),
            "name_zh": [r[0] for r in ref.REGIONS],
            "name_en": [r[1] for r in ref.REGIONS],
        },
    )
    cities = [(ri, c) for ri, r in enumerate(ref.REGIONS) for c in r[2]]
    n_b = branch_count(customers)
    # Big cities get more branches; every city gets at least one.
    city_idx = np.concatenate(
        [np.arange(len(cities)), rng.integers(0, len(cities), max(0, n_b - len(cities)))]
    )
    city_idx = np.sort(city_idx[:n_b])
    weight = rng.lognormal(0.0, 0.9, n_b)  # sizes differ by an order of magnitude
    weight /= weight.sum()
    is_outlet = weight < np.quantile(weight, 0.4)
    names_zh, names_en, seen = [], [], {}
    district = rng.integers(0, len(ref.DISTRICTS), n_b)
    for i in range(n_b):  # a few dozen to a few hundred rows: a loop is clearer than tricks
        _, (czh, cen, _) = cities[city_idx[i]]
        dzh, den = ref.DISTRICTS[district[i]]
        k = seen.get((czh, dzh), 0) + 1
        seen[(czh, dzh)] = k
        suffix_zh, suffix_en = ("" if k == 1 else f"第{k}"), ("" if k == 1 else f" No.{k}")
        if is_outlet[i]:
            names_zh.append(f"{czh}{dzh}{suffix_zh}营业网点")
            names_en.append(f"{cen} {den}{suffix_en} Outlet")
        else:
            names_zh.append(f"{czh}{dzh}{suffix_zh}支行")
            names_en.append(f"{cen} {den}{suffix_en} Sub-branch")
    opened = np.where(
        is_outlet,
        np.datetime64("2000-01-01") + rng.integers(0, 22 * 365, n_b),
        np.datetime64("1988-01-01") + rng.integers(0, 20 * 365, n_b),
    ).astype("datetime64[D]")
    branch_ids = np.arange(101, 101 + n_b, dtype=np.int32)
    branches = to_table(
        contract.BRANCHES,
        {
            "branch_id": branch_ids,
            "region_id": np.array([cities[c][0] + 1 for c in city_idx], dtype=np.int32),
            "name_zh": names_zh,
            "name_en": names_en,
            "branch_type": np.where(is_outlet, "outlet", "branch").tolist(),
            "city": [cities[c][1][0] for c in city_idx],
            "opened_date": opened,
        },
    )
    # About one manager per 150 customers, spread by branch size (at least one per branch).
    n_m = max(n_b, customers // 150)
    per_branch = 1 + np.floor(weight * (n_m - n_b)).astype(int)
    per_branch[np.argsort(-weight)[: n_m - per_branch.sum()]] += 1
    manager_branch = np.repeat(np.arange(n_b), per_branch)
    manager_ids = np.arange(10001, 10001 + len(manager_branch), dtype=np.int32)
    female = rng.random(len(manager_ids)) < 0.55
    grade = rng.choice(3, len(manager_ids), p=[0.5, 0.35, 0.15])
    hired = (np.datetime64("2005-01-01") + rng.integers(0, 365 * 20, len(manager_ids))).astype(
        "datetime64[D]"
    )
    hired = np.minimum(hired, np.datetime64(end_day))
    managers = to_table(
        contract.MANAGERS,
        {
            "manager_id": manager_ids,
            "branch_id": branch_ids[manager_branch],
            "name": person_names(rng, female).tolist(),
            "grade": np.array(contract.MANAGER_GRADES)[grade].tolist(),
            "hired_date": hired,
        },
    )
    starts = np.concatenate([[0], np.cumsum(per_branch)[:-1]])
    return Org(
        tables={
            "regions": regions,
            "branches": branches,
            "managers": managers,
            "products": products_table(),
            "channels": channels_table(),
        },
        branch_ids=branch_ids,
        branch_weight=weight,
        branch_region=np.array([cities[c][0] for c in city_idx]),
        branch_city_zh=np.array([cities[c][1][0] for c in city_idx]),
        branch_area=np.array([cities[c][1][2] for c in city_idx]),
        branch_is_outlet=is_outlet,
        manager_ids=manager_ids,
        manager_branch=manager_branch,
        branch_manager_start=starts,
        branch_manager_count=per_branch,
    )


def products_table() -> pa.Table:
    """The fixed product catalogue."""
    p = ref.PRODUCTS
    return to_table(
        contract.PRODUCTS,
        {
            "product_id": np.arange(1, len(p) + 1),
            "product_code": [x[0] for x in p],
            "name_zh": [x[1] for x in p],
            "name_en": [x[2] for x in p],
            "category": [x[3] for x in p],
            "category_name_zh": [ref.CATEGORY_NAMES[x[3]][0] for x in p],
            "category_name_en": [ref.CATEGORY_NAMES[x[3]][1] for x in p],
            "balance_type": [ref.BALANCE_TYPE[x[3]] for x in p],
            "margin_rate": [x[4] for x in p],
            "fee_rate": [x[5] for x in p],
        },
    )


def channels_table() -> pa.Table:
    """The fixed channel list."""
    c = ref.CHANNELS
    return to_table(
        contract.CHANNELS,
        {
            "channel_id": np.arange(1, len(c) + 1),
            "channel_code": [x[0] for x in c],
            "name_zh": [x[1] for x in c],
            "name_en": [x[2] for x in c],
            "channel_type": [x[3] for x in c],
            "type_name_zh": [ref.CHANNEL_TYPE_NAMES[x[3]][0] for x in c],
            "type_name_en": [ref.CHANNEL_TYPE_NAMES[x[3]][1] for x in c],
        },
    )
