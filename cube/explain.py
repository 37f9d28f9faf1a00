"""Explaining a change: pure decompositions of KPI(b) - KPI(a) over the members of a dimension.

No engine here: frames in, frames out, so the Overview (``cube.views.overview``), the tests and
any other view share one definition of "contribution".

Additive measures (sums, counts: customers, AUM, contribution ...) split exactly: member ``i``
contributes ``v_i(b) - v_i(a)``, a member present in one period only counting 0 on the other.

Ratio measures ``R = N / D`` (AUM per customer = aum / customers, active rate = active /
customers ...) split into a *mix* and a *rate* effect per member. With weights ``w_i = D_i / D``
and rates ``r_i = N_i / D_i``::

    mix_i  = (w_i(b) - w_i(a)) * (r_i(a) - R(a))
    rate_i = w_i(b) * (r_i(b) - r_i(a))

A member absent in ``a`` takes ``r_i(a) = R(a)`` (so ``mix_i = 0``, ``rate_i = w_i(b) * (r_i(b) -
R(a))``); a member absent in ``b`` has ``rate_i = 0`` and ``mix_i = -w_i(a) * (r_i(a) - R(a))``.

Why the effects add up to ``R(b) - R(a)`` exactly: summing, ``sum(mix_i + rate_i) = sum w_i(b)
r_i(b) - sum w_i(a) r_i(a) - R(a) * (sum w_i(b) - sum w_i(a))``; the first two sums are ``R(b)``
and ``R(a)`` (``R = sum w_i r_i``) and the weights sum to 1 in both periods, so the last term is
0. The conventions for absent members are this same formula with ``w_i = 0`` on the missing
side (whatever rate is assumed there), so the identity holds for them too.

A member with ``D_i = 0`` on one side (no customers in that month) counts as absent there; it
must then have ``N_i = 0`` too, else the ratio would not be a weighted mean of member rates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cube.api import CubeError

ADDITIVE_COLUMNS = ("value_a", "value_b", "contribution", "total")
RATIO_COLUMNS = (
    "num_a",
    "den_a",
    "num_b",
    "den_b",
    "value_a",
    "value_b",
    "weight_a",
    "weight_b",
    "mix",
    "rate",
    "total",
)
MIN_HISTORY = 8  # robust_z: fewer points give an unstable median absolute deviation
MAD_SCALE = 1.4826  # MAD * 1.4826 estimates the standard deviation of normal data
MEANAD_SCALE = 1.2533  # mean absolute deviation * sqrt(pi / 2): the fallback when MAD is 0


def _side(frame: pd.DataFrame, columns: list[str], suffix: str) -> pd.DataFrame:
    if "key" not in frame.columns:
        raise CubeError("a decomposition input needs a 'key' column")
    if frame["key"].duplicated().any():
        raise CubeError("a decomposition input has duplicate keys")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CubeError(f"a decomposition input lacks columns {missing}")
    out = frame[["key", *columns]].copy()
    for c in columns:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64").fillna(0.0)
    return out.rename(columns={c: f"{c}{suffix}" for c in columns})


def _outer(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    both = a.merge(b, on="key", how="outer", sort=False)
    return both.fillna({c: 0.0 for c in both.columns if c != "key"}).reset_index(drop=True)


def additive(a: pd.DataFrame, b: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Contributions of each member to ``sum(b) - sum(a)`` of an additive measure.

    Parameters
    ----------
    a, b : DataFrame
        One row per member: ``key`` and the ``value`` column, in the start and end period.
        A member missing from a frame (or with a missing value) counts as 0 there.

    Returns
    -------
    DataFrame
        ``key, value_a, value_b, contribution, total`` (``total`` = ``contribution`` = ``value_b -
        value_a``); the contributions sum to ``sum(b) - sum(a)``.
    """
    both = _outer(_side(a, [value], "_a"), _side(b, [value], "_b"))
    both = both.rename(columns={f"{value}_a": "value_a", f"{value}_b": "value_b"})
    both["contribution"] = both["value_b"] - both["value_a"]
    both["total"] = both["contribution"]
    return both[["key", *ADDITIVE_COLUMNS]]


def ratio_totals(frame: pd.DataFrame, num: str = "num", den: str = "den") -> float:
    """``R = sum(num) / sum(den)`` of one period's member rows (CubeError when ``sum(den)`` is 0)."""
    d = float(pd.to_numeric(frame[den]).fillna(0).sum())
    if d == 0:
        raise CubeError("the ratio is undefined: its denominator is 0 in that period")
    return float(pd.to_numeric(frame[num]).fillna(0).sum()) / d


def ratio(a: pd.DataFrame, b: pd.DataFrame, num: str = "num", den: str = "den") -> pd.DataFrame:
    """Mix and rate effects of each member on ``R(b) - R(a)`` for a ratio ``R = N / D``.

    Parameters
    ----------
    a, b : DataFrame
        One row per member: ``key``, the numerator ``num`` and the denominator ``den`` (both
        additive) in the start and end period.

    Returns
    -------
    DataFrame
        ``key, num_a, den_a, num_b, den_b, value_a, value_b`` (member rates ``r_i``, NaN where the
        member is absent), ``weight_a, weight_b`` (``w_i``), ``mix, rate`` and ``total = mix +
        rate``; ``sum(total) == R(b) - R(a)`` (see the module docstring for the proof).

    Raises
    ------
    CubeError
        A period's total denominator is 0, or a member has a numerator but no denominator.
    """
    both = _outer(_side(a, [num, den], "_a"), _side(b, [num, den], "_b"))
    both = both.rename(
        columns={f"{num}_a": "num_a", f"{den}_a": "den_a", f"{num}_b": "num_b", f"{den}_b": "den_b"}
    )
    for s in ("a", "b"):
        orphan = (both[f"den_{s}"] == 0) & (both[f"num_{s}"] != 0)
        if orphan.any():
            raise CubeError(f"members {both.loc[orphan, 'key'].tolist()} have a numerator but no denominator")
    totals = {}
    for s in ("a", "b"):
        d = both[f"den_{s}"].sum()
        if d == 0:
            raise CubeError("the ratio is undefined: its denominator is 0 in one of the periods")
        totals[s] = both[f"num_{s}"].sum() / d
        both[f"weight_{s}"] = both[f"den_{s}"] / d
        present = both[f"den_{s}"] != 0
        both[f"value_{s}"] = (both[f"num_{s}"] / both[f"den_{s}"].where(present)).astype("float64")
    r_a = totals["a"]
    rate_a = both["value_a"].fillna(r_a)  # absent in a: r_i(a) = R(a), so its mix is 0
    in_b = both["den_b"] != 0
    both["mix"] = (both["weight_b"] - both["weight_a"]) * (rate_a - r_a)
    both["rate"] = np.where(in_b, both["weight_b"] * (both["value_b"].fillna(0.0) - rate_a), 0.0)
    both["total"] = both["mix"] + both["rate"]
    return both[["key", *RATIO_COLUMNS]]


def fold(frame: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Sort members by ``|total|`` (largest first) and fold those beyond the first ``top`` into one
    row of ``kind`` ``"others"`` (``key`` None), keeping every sum exact.

    Works on :func:`additive` and :func:`ratio` frames: additive columns are summed; for a ratio
    the others' numerator and denominator are summed, their weights summed, their rate
    recomputed from the sums, and their mix and rate effects summed. Adds a ``kind`` column
    (``"member"`` / ``"others"``). A single member beyond ``top`` is kept as itself.
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise CubeError("top must be a positive integer")
    order = frame.assign(_abs=frame["total"].abs(), _key=frame["key"].astype(str))
    order = order.sort_values(["_abs", "_key"], ascending=[False, True], kind="stable")
    order = order.drop(columns=["_abs", "_key"]).reset_index(drop=True)
    order.insert(0, "kind", "member")
    order["key"] = order["key"].astype(object)  # an "others" row (key None) keeps int keys int
    if len(order) <= top + 1:
        return order
    head, tail = order.iloc[:top], order.iloc[top:]
    row: dict = {"kind": "others", "key": None}
    for c in order.columns:
        if c in ("kind", "key"):
            continue
        if c in ("value_a", "value_b") and "num_a" in order.columns:
            s = c[-1]
            d = tail[f"den_{s}"].sum()
            row[c] = tail[f"num_{s}"].sum() / d if d else math.nan
        elif pd.api.types.is_numeric_dtype(order[c]):
            row[c] = tail[c].sum()
        else:
            row[c] = None
    return pd.concat([head, pd.DataFrame([row], columns=order.columns)], ignore_index=True)


def robust_z(history: list[float] | np.ndarray | pd.Series, value: float) -> float | None:
    """How unusual ``value`` is against ``history``: ``(value - median) / (1.4826 * MAD)``.

    MAD is the median absolute deviation from the median; when it is 0 (more than half the
    history equal) the mean absolute deviation times 1.2533 stands in. Returns None with fewer
    than :data:`MIN_HISTORY` finite points (a median and MAD of a handful of points move with
    every new one, so a flag would mostly be noise), when ``value`` is missing, or when the
    history has no spread at all (any change would be "infinitely" unusual).
    """
    h = np.asarray(pd.to_numeric(pd.Series(history), errors="coerce"), dtype="float64")
    h = h[np.isfinite(h)]
    if len(h) < MIN_HISTORY or value is None or not math.isfinite(float(value)):
        return None
    med = float(np.median(h))
    spread = MAD_SCALE * float(np.median(np.abs(h - med)))
    if spread == 0:
        spread = MEANAD_SCALE * float(np.mean(np.abs(h - med)))
    if spread == 0:
        return None
    return (float(value) - med) / spread
