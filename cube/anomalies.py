"""Unusual channel x unit x month cells: a robust seasonal baseline and a robust z-score.

Pure pandas/numpy: a panel of monthly figures in, the same cells scored out. No cube, no engine.

The method, for each measure (transactions, amount) of a panel with one series per
(channel, unit) and one value per month:

1. **Level** of each series: ``L = median over months of v / F`` (first pass with ``F = 1``).
2. **Channel month factor** ``F[channel, month]``: the median, across the units of that
   channel, of ``v / L``. It holds what every unit saw that month on that channel: the season,
   Spring Festival (a moving holiday, so factors are per actual month, not per calendar
   month), the bank-wide drift to mobile. The median ignores the one unit that had an outage.
   Steps 1 and 2 are repeated (:data:`ITERATIONS` times) so level and factor settle together.
3. **Expected** value ``E = L x F``; **residual** ``r = log((v + 1) / (E + 1))`` (multiplicative:
   a 20% drop weighs the same in a small and a big branch).
4. **Robust z** per series: ``z = (r - median(r)) / max(1.4826 x MAD(r), floor)``. The median
   and MAD of the series' own residuals are not dragged by its outliers (Iglewicz & Hoaglin);
   ``floor`` keeps a very steady series from turning noise into alarms: at least
   :data:`MIN_SCALE`, and the sampling noise of the cell: a count of ``E`` expected
   transactions is Poisson, relative noise ``1 / sqrt(E)``; an amount is a sum of a Poisson
   number of amounts, ``sqrt(1 + cv^2) / sqrt(E)`` with ``cv`` = :data:`AMOUNT_CV`.

**Within the month** (:func:`scan_days`): an outage of a week or a surge of three days moves a
month's total little at a small outlet, so each cell's days are scanned too. A unit's expected
transactions on a day are its expected month spread over the days the way the channel's
transactions at all units spread that month; every run of 1 to :data:`MAX_WINDOW` days is
compared with its expectation by a Poisson likelihood-ratio z (:func:`poisson_z`), and the cell
keeps its most unusual run. :func:`score_daily` does both from one daily frame.

With fewer than :data:`MIN_PEERS` units on a channel (a branch manager sees one branch), there
are no peers to take the season from: ``E`` is then the centred 5-month rolling median of the
series itself (one odd month does not move a median of five), and step 4 is the same.

Cells expected to hold fewer than ``min_expected`` transactions are not scored (``z`` NaN): a
branch with three ATM withdrawals a month has nothing to say. A cell's **severity** is the largest ``|z|``
over the measures, its ``driver`` the measure that gave it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MAD_TO_SD = 1.4826  # MAD of a normal sample times this estimates its standard deviation
ITERATIONS = 3
MIN_PEERS = 5  # units of a channel needed to take its month factor from them
MIN_SCALE = 0.02  # residual scale floor: a 2% move on a log scale
MIN_MONTHS = 6  # months a series needs before any of its cells is scored
ROLLING = 5  # months of the own-series baseline without peers
Z_THRESHOLD = 3.5  # |z| above this is unusual (Iglewicz & Hoaglin's modified z rule)
MIN_EXPECTED = 20.0  # transactions a cell must be expected to hold to be scored
AMOUNT_CV = 2.5  # coefficient of variation of one transaction's amount (heavy-tailed payments)


def _median_ratio(values: pd.DataFrame, by: pd.Series, divisor: pd.Series) -> pd.DataFrame:
    """Median of ``values / divisor`` (divisor per series, rows) across series of each group."""
    ratio = values.div(divisor.replace(0, np.nan), axis=0)
    return ratio.groupby(by).median()


def expected_panel(panel: pd.DataFrame, groups: pd.Series, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """Expected values of a panel (rows: series, columns: months in order; NaN: no data).

    ``groups`` (indexed like the rows) names each series' channel: the month factor is shared
    within a group. Groups with fewer than ``min_peers`` series use their own rolling median.
    """
    panel = panel.astype("float64")
    level = panel.median(axis=1, skipna=True)
    peers = groups.map(groups.value_counts())
    pooled = peers >= min_peers
    expected = pd.DataFrame(np.nan, index=panel.index, columns=panel.columns)
    if pooled.any():
        p, g = panel[pooled], groups[pooled]
        lvl = level[pooled]
        factor = pd.DataFrame(1.0, index=p.index, columns=p.columns)
        for _ in range(ITERATIONS):
            per_group = _median_ratio(p, g, lvl)
            factor = per_group.reindex(g.to_numpy()).set_axis(p.index)
            lvl = (p / factor.replace(0, np.nan)).median(axis=1, skipna=True)
        expected.loc[pooled] = factor.mul(lvl, axis=0)
    if (~pooled).any():
        own = panel[~pooled]
        rolled = own.T.rolling(ROLLING, center=True, min_periods=3).median().T
        expected.loc[~pooled] = rolled
    return expected


def robust_z(panel: pd.DataFrame, expected: pd.DataFrame, floor: pd.DataFrame) -> pd.DataFrame:
    """Robust z of each cell's log residual against its own series' residuals (see module);
    ``floor`` is each cell's least scale (NaN: the cell is not scored)."""
    r = np.log((panel + 1.0) / (expected + 1.0))
    r = r.where(floor.notna())
    centre = r.median(axis=1, skipna=True)
    mad = r.sub(centre, axis=0).abs().median(axis=1, skipna=True)
    scale = np.maximum(floor, (MAD_TO_SD * mad).fillna(0.0).to_numpy()[:, None])
    z = r.sub(centre, axis=0) / scale
    enough = r.notna().sum(axis=1) >= MIN_MONTHS
    return z.where(enough, axis=0)


def _panel(frame: pd.DataFrame, keys: list[str], month: str, months: list, column: str) -> pd.DataFrame:
    panel = frame.pivot_table(index=keys, columns=month, values=column, aggfunc="sum").reindex(columns=months)
    # inside a series' span a missing cell is a zero; before its first month it is no data
    present = panel.notna()
    started = present.cumsum(axis=1) > 0
    ended = present.iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1] > 0
    return panel.fillna(0.0).where(started & ended)


def score_cells(
    frame: pd.DataFrame,
    count: str,
    amounts: Sequence[str] = (),
    *,
    channel: str = "channel",
    unit: str = "unit",
    month: str = "month",
    min_expected: float = MIN_EXPECTED,
    min_peers: int = MIN_PEERS,
    amount_cv: float = AMOUNT_CV,
) -> pd.DataFrame:
    """Score every (channel, unit, month) cell of ``frame`` (one row per cell).

    Parameters
    ----------
    frame : DataFrame
        Columns ``channel``, ``unit``, ``month``, ``count`` and the ``amounts``. A cell missing
        from ``frame`` inside a series' span counts as 0 (nothing happened there).
    count : str
        The volume column (transactions): scored, and its expected value sets every measure's
        noise floor.
    amounts : sequence of str
        Sums of amounts over those transactions (e.g. ``("amount",)``), scored too.
    min_expected : float
        Cells expected to hold fewer transactions than this are not scored.
    amount_cv : float
        Coefficient of variation assumed for one transaction's amount: a month's amount is a
        sum of a Poisson number of amounts, so its relative noise is
        ``sqrt(1 + cv^2) / sqrt(E)`` for ``E`` expected transactions (counts: ``1 / sqrt(E)``).

    Returns
    -------
    DataFrame
        One row per cell of the series' spans: the keys, each measure, ``expected_<m>`` and
        ``z_<m>``, ``severity`` (max ``|z|``; NaN when not scored), ``driver`` (the measure of
        that z) and ``direction`` ("up"/"down"), sorted by severity (largest first).
    """
    keys = [channel, unit]
    measures = [count, *amounts]
    months = sorted(frame[month].unique())
    out = None
    expected_count = None
    for m in measures:
        panel = _panel(frame, keys, month, months, m)
        groups = pd.Series(panel.index.get_level_values(channel), index=panel.index)
        expected = expected_panel(panel, groups, min_peers)
        if expected_count is None:
            expected_count = expected
        noise = 1.0 if m == count else float(np.sqrt(1.0 + amount_cv**2))
        ec = expected_count.reindex(index=panel.index, columns=panel.columns)
        floor = np.maximum(MIN_SCALE, noise / np.sqrt(ec.clip(lower=1.0))).where(ec >= min_expected)
        z = robust_z(panel, expected, floor)
        part = pd.DataFrame(
            {
                m: panel.stack(future_stack=True),
                f"expected_{m}": expected.stack(future_stack=True),
                f"z_{m}": z.stack(future_stack=True),
            }
        )
        out = part if out is None else out.join(part, how="outer")
    assert out is not None
    out = out[out[measures].notna().any(axis=1)].reset_index()
    zs = out[[f"z_{m}" for m in measures]]
    absz = zs.abs()
    out["severity"] = absz.max(axis=1, skipna=True)
    idx = absz.fillna(-1.0).to_numpy().argmax(axis=1)
    out["driver"] = [measures[i] for i in idx]
    picked = zs.to_numpy()[np.arange(len(out)), idx] if len(out) else np.array([])
    out["direction"] = np.where(picked > 0, "up", "down")
    return out.sort_values("severity", ascending=False, kind="stable", na_position="last").reset_index(
        drop=True
    )


# --- within the month: a scan over runs of days ------------------------------------------------

MAX_WINDOW = 7  # longest run of days scanned (an outage of a week, a surge of a few days)


def poisson_z(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Signed likelihood-ratio z of ``observed`` counts against Poisson means ``expected``:
    ``sign(O - E) * sqrt(2 * (O log(O / E) - (O - E)))`` (0 log 0 = 0)."""
    o = np.asarray(observed, dtype="float64")
    e = np.maximum(np.asarray(expected, dtype="float64"), 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(o > 0, o * np.log(o / e), 0.0)
    dev = np.maximum(2.0 * (term - (o - e)), 0.0)
    return np.sign(o - e) * np.sqrt(dev)


def scan_days(
    daily: pd.DataFrame,
    monthly_expected: pd.DataFrame,
    *,
    channel: str = "channel",
    unit: str = "unit",
    day: str = "day",
    count: str = "txn_count",
    max_window: int = MAX_WINDOW,
    min_expected: float = MIN_EXPECTED,
) -> pd.DataFrame:
    """The most unusual run of 1 to ``max_window`` days inside each (channel, unit, month) cell.

    A unit's expected transactions on a day are its expected month (``monthly_expected``:
    columns ``channel``, ``unit``, ``month`` "YYYY-MM", ``expected``) spread over the month's
    days the way the channel's transactions at all units spread that month (weekdays, month
    ends, holidays). Every run of consecutive days inside the month is compared with its
    expectation by :func:`poisson_z`; the cell keeps the run of largest ``|z|``.

    Returns
    -------
    DataFrame
        ``channel, unit, month, window_z, window_start, window_days, window_observed,
        window_expected`` for the cells expected to hold at least ``min_expected``.
    """
    d = daily[[channel, unit, day, count]].copy()
    d[day] = pd.to_datetime(d[day])
    days = pd.date_range(d[day].min(), d[day].max(), freq="D")
    counts = d.pivot_table(index=[channel, unit], columns=day, values=count, aggfunc="sum")
    counts = counts.reindex(columns=days).fillna(0.0)
    month_of = days.strftime("%Y-%m")
    # the channel's spread over the days of each month, from every unit's transactions
    per_channel = counts.groupby(level=channel).sum()
    month_total = per_channel.T.groupby(month_of).transform("sum").T
    spread = per_channel / month_total.replace(0, np.nan)
    exp_month = monthly_expected.pivot_table(index=[channel, unit], columns="month", values="expected")
    exp_month = exp_month.reindex(index=counts.index)
    exp_daily = (
        exp_month.reindex(columns=month_of).to_numpy()
        * spread.reindex(counts.index.get_level_values(channel)).to_numpy()
    )
    obs = counts.to_numpy()
    exp_daily = np.where(np.isfinite(exp_daily), exp_daily, np.nan)
    month_codes, month_index = np.unique(month_of, return_inverse=True)
    c_obs = np.concatenate([np.zeros((len(obs), 1)), np.cumsum(obs, axis=1)], axis=1)
    c_exp = np.concatenate([np.zeros((len(obs), 1)), np.nancumsum(exp_daily, axis=1)], axis=1)
    n_days = obs.shape[1]
    best_z = np.zeros((len(obs), len(month_codes)))
    best_start = np.zeros_like(best_z, dtype=int)
    best_len = np.zeros_like(best_z, dtype=int)
    best_o = np.zeros_like(best_z)
    best_e = np.zeros_like(best_z)
    for k in range(1, max_window + 1):
        if k > n_days:
            break
        starts = np.arange(0, n_days - k + 1)
        same_month = month_index[starts] == month_index[starts + k - 1]
        starts = starts[same_month]
        o = c_obs[:, starts + k] - c_obs[:, starts]
        e = c_exp[:, starts + k] - c_exp[:, starts]
        z = poisson_z(o, e)
        z = np.where(np.isfinite(e) & (e > 0), z, 0.0)
        m_idx = month_index[starts]
        for mi in np.unique(m_idx):
            cols = np.nonzero(m_idx == mi)[0]
            zz = np.abs(z[:, cols])
            arg = zz.argmax(axis=1)
            val = zz[np.arange(len(zz)), arg]
            better = val > np.abs(best_z[:, mi])
            rows = np.nonzero(better)[0]
            best_z[rows, mi] = z[rows, cols[arg[rows]]]
            best_start[rows, mi] = starts[cols[arg[rows]]]
            best_len[rows, mi] = k
            best_o[rows, mi] = o[rows, cols[arg[rows]]]
            best_e[rows, mi] = e[rows, cols[arg[rows]]]
    idx = counts.index
    month_exp = exp_month.reindex(columns=month_codes).to_numpy()
    out = pd.DataFrame(
        {
            channel: np.repeat(idx.get_level_values(channel).to_numpy(), len(month_codes)),
            unit: np.repeat(idx.get_level_values(unit).to_numpy(), len(month_codes)),
            "month": np.tile(month_codes, len(idx)),
            "window_z": best_z.ravel(),
            "window_start": days[best_start.ravel()].strftime("%Y-%m-%d"),
            "window_days": best_len.ravel(),
            "window_observed": best_o.ravel(),
            "window_expected": best_e.ravel(),
            "_month_expected": month_exp.ravel(),
        }
    )
    keep = out["_month_expected"] >= min_expected
    return out[keep].drop(columns="_month_expected").reset_index(drop=True)


def score_daily(
    daily: pd.DataFrame,
    *,
    channel: str = "channel",
    unit: str = "unit",
    day: str = "day",
    count: str = "txn_count",
    amount: str = "amount",
    min_expected: float = MIN_EXPECTED,
) -> pd.DataFrame:
    """Every (channel, unit, month) cell scored from daily figures: the month against its
    seasonal baseline (:func:`score_cells`, counts and amounts) and its most unusual run of
    days (:func:`scan_days`). ``severity`` is the largest of ``|z_<count>|``, ``|z_<amount>|``
    and ``|window_z|``; ``driver`` says which ("txn_count", "amount" or "days"). Sorted by
    severity, largest first; cells not scored have severity NaN."""
    d = daily.copy()
    d["month"] = pd.to_datetime(d[day]).dt.strftime("%Y-%m")
    monthly = d.groupby([channel, unit, "month"], as_index=False)[[count, amount]].sum()
    cells = score_cells(monthly, count, (amount,), channel=channel, unit=unit, min_expected=min_expected)
    expected = cells.rename(columns={f"expected_{count}": "expected"})[[channel, unit, "month", "expected"]]
    windows = scan_days(
        d, expected, channel=channel, unit=unit, day=day, count=count, min_expected=min_expected
    )
    out = cells.merge(windows, on=[channel, unit, "month"], how="left")
    zs = out[[f"z_{count}", f"z_{amount}", "window_z"]]
    absz = zs.abs()
    out["severity"] = absz.max(axis=1, skipna=True)
    pick = absz.fillna(-1.0).to_numpy().argmax(axis=1)
    out["driver"] = np.array([count, amount, "days"])[pick] if len(out) else []
    chosen = zs.to_numpy()[np.arange(len(out)), pick] if len(out) else np.array([])
    out["direction"] = np.where(chosen > 0, "up", "down")
    return out.sort_values("severity", ascending=False, kind="stable", na_position="last").reset_index(
        drop=True
    )
