"""cube.explain: the decompositions add up exactly, for any members, on both sides (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cube import explain
from cube.api import CubeError

KEYS = st.lists(st.integers(0, 30), unique=True, max_size=25)
MONEY = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@st.composite
def additive_side(draw) -> pd.DataFrame:
    keys = draw(KEYS)
    values = draw(st.lists(MONEY, min_size=len(keys), max_size=len(keys)))
    return pd.DataFrame({"key": pd.Series(keys, dtype=object), "value": values})


@st.composite
def ratio_side(draw) -> pd.DataFrame:
    keys = draw(st.lists(st.integers(0, 30), unique=True, min_size=1, max_size=25))
    den = draw(st.lists(st.integers(1, 10_000), min_size=len(keys), max_size=len(keys)))
    rate = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=len(keys), max_size=len(keys)))
    return pd.DataFrame(
        {"key": pd.Series(keys, dtype=object), "num": np.array(rate) * np.array(den), "den": den}
    )


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, scale))


@settings(max_examples=200, deadline=None)
@given(additive_side(), additive_side())
def test_additive_contributions_sum_to_the_change(a, b):
    out = explain.additive(a, b)
    scale = float(a["value"].abs().sum() + b["value"].abs().sum())
    assert _close(out["contribution"].sum(), b["value"].sum() - a["value"].sum(), scale)
    assert set(out["key"]) == set(a["key"]) | set(b["key"])
    va, vb = dict(zip(a["key"], a["value"], strict=True)), dict(zip(b["key"], b["value"], strict=True))
    for row in out.itertuples():
        assert row.contribution == pytest.approx(vb.get(row.key, 0.0) - va.get(row.key, 0.0))
        assert row.total == row.contribution


@settings(max_examples=200, deadline=None)
@given(ratio_side(), ratio_side())
def test_mix_and_rate_effects_sum_to_the_ratio_change(a, b):
    out = explain.ratio(a, b)
    r_a = a["num"].sum() / a["den"].sum()
    r_b = b["num"].sum() / b["den"].sum()
    scale = max(abs(r_a), abs(r_b), 1.0)
    assert _close(out["mix"].sum() + out["rate"].sum(), r_b - r_a, scale)
    assert _close(out["total"].sum(), r_b - r_a, scale)
    assert explain.ratio_totals(a) == pytest.approx(r_a)
    a_i, b_i = a.set_index("key"), b.set_index("key")
    for row in out.itertuples():
        in_a, in_b = row.key in a_i.index, row.key in b_i.index
        w_a = a_i.loc[row.key, "den"] / a["den"].sum() if in_a else 0.0
        w_b = b_i.loc[row.key, "den"] / b["den"].sum() if in_b else 0.0
        rate_a = a_i.loc[row.key, "num"] / a_i.loc[row.key, "den"] if in_a else r_a
        want_mix = (w_b - w_a) * (rate_a - r_a)
        want_rate = w_b * (b_i.loc[row.key, "num"] / b_i.loc[row.key, "den"] - rate_a) if in_b else 0.0
        assert row.mix == pytest.approx(want_mix, rel=1e-9, abs=1e-9 * scale)
        assert row.rate == pytest.approx(want_rate, rel=1e-9, abs=1e-9 * scale)
        if not in_a:
            assert row.mix == 0
        if not in_b:
            assert row.rate == 0


@settings(max_examples=150, deadline=None)
@given(ratio_side(), ratio_side(), st.integers(1, 12))
def test_folding_keeps_every_sum_and_orders_by_size(a, b, top):
    for members in (explain.additive(a.rename(columns={"num": "value"}), b.rename(columns={"num": "value"})),
                    explain.ratio(a, b)):  # fmt: skip
        folded = explain.fold(members, top)
        assert len(folded) <= top + 1
        scale = float(members["total"].abs().sum()) or 1.0
        for col in members.columns:
            if col in ("key", "value_a", "value_b"):
                continue
            assert _close(folded[col].sum(), members[col].sum(), scale), col
        kept = folded[folded["kind"] == "member"]["total"].abs().to_numpy()
        assert (np.diff(kept) <= 0).all()
        others = folded[folded["kind"] == "others"]
        if len(others):
            assert others["key"].iloc[0] is None
            assert len(folded) == top + 1
            assert kept.min() >= members["total"].abs().nsmallest(len(members) - top).max()
            if "num_a" in folded:
                rest = members[~members["key"].isin(folded["key"])]
                if rest["den_b"].sum():
                    want = rest["num_b"].sum() / rest["den_b"].sum()
                    assert others["value_b"].iloc[0] == pytest.approx(want)
        else:
            assert len(folded) == len(members)


def test_members_in_one_period_only():
    a = pd.DataFrame({"key": ["x", "y"], "num": [100.0, 300.0], "den": [10, 10]})
    b = pd.DataFrame({"key": ["y", "z"], "num": [330.0, 50.0], "den": [10, 10]})
    out = explain.ratio(a, b).set_index("key")
    r_a = 400 / 20
    assert out.loc["z", "mix"] == 0 and out.loc["z", "rate"] == pytest.approx(0.5 * (5 - r_a))
    assert out.loc["x", "rate"] == 0 and out.loc["x", "mix"] == pytest.approx(-0.5 * (10 - r_a))
    assert out["total"].sum() == pytest.approx(380 / 20 - r_a)
    add = explain.additive(a.rename(columns={"num": "value"}), b.rename(columns={"num": "value"}))
    assert dict(zip(add["key"], add["contribution"], strict=True)) == {"x": -100, "y": 30, "z": 50}


def test_bad_inputs_raise():
    ok = pd.DataFrame({"key": [1], "num": [1.0], "den": [1]})
    with pytest.raises(CubeError, match="duplicate"):
        explain.additive(pd.DataFrame({"key": [1, 1], "value": [1, 2]}), ok.rename(columns={"num": "value"}))
    with pytest.raises(CubeError, match="denominator is 0"):
        explain.ratio(pd.DataFrame({"key": [1], "num": [0.0], "den": [0]}), ok)
    with pytest.raises(CubeError, match="numerator but no denominator"):
        explain.ratio(pd.DataFrame({"key": [1, 2], "num": [1.0, 2.0], "den": [1, 0]}), ok)
    with pytest.raises(CubeError, match="top"):
        explain.fold(
            explain.additive(ok.rename(columns={"num": "value"}), ok.rename(columns={"num": "value"})), 0
        )


def test_robust_z():
    history = [10, 11, 9, 10, 12, 8, 10, 11]
    med, mad = 10.0, 1.0
    assert explain.robust_z(history, 20) == pytest.approx((20 - med) / (1.4826 * mad))
    assert explain.robust_z(history[:-1], 20) is None  # too little history
    assert explain.robust_z(history, float("nan")) is None
    flat = [5.0] * 6 + [6.0, 4.0]  # MAD 0: the mean absolute deviation stands in
    assert explain.robust_z(flat, 7) == pytest.approx(2 / (1.2533 * 0.25))
    assert explain.robust_z([5.0] * 10, 9) is None  # no spread at all
