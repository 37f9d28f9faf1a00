"""Comparing cube frames with reference frames: counts exact, money to the cent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def _norm(v):
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _keys(s: pd.Series) -> list:
    """Values for comparison, missing ones (None, NaN: "not scored") as None."""
    return [None if pd.isna(v) else v for v in s.tolist()]


def assert_frames_match(got: pd.DataFrame, want: pd.DataFrame, dims, measures, rel: float = 1e-9) -> None:
    dims, measures = list(dims), list(measures)
    g = got[dims + measures].copy()
    w = want[dims + measures].copy()
    for d in dims:
        g[d] = g[d].map(_norm)
        w[d] = w[d].map(_norm)
    if dims:
        g = g.sort_values(dims, kind="stable").reset_index(drop=True)
        w = w.sort_values(dims, kind="stable").reset_index(drop=True)
    assert len(g) == len(w), f"row counts differ: {len(g)} vs {len(w)}"
    for d in dims:
        assert _keys(g[d]) == _keys(w[d]), f"{d} differs"
    for m in measures:
        a = g[m].astype("float64").to_numpy()
        b = w[m].astype("float64").to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{m}: missing values differ"
        ok = ~np.isnan(a)
        # to the cent for money, and a relative bound for large sums and ratios
        assert np.allclose(a[ok], b[ok], rtol=rel, atol=0.005), f"{m} differs: {a[ok][:5]} vs {b[ok][:5]}"
