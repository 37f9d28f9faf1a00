"""The anomaly method on synthetic panels where the truth is known (no warehouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cube import anomalies as an


def panel(rng, channels=3, units=12, months=24, level=400.0):
    """Poisson counts with a channel season shared by all units and a unit level."""
    rows = []
    season = {c: 1 + 0.3 * np.sin(np.arange(months) / 12 * 2 * np.pi + c) for c in range(channels)}
    for c in range(channels):
        for u in range(units):
            size = level * rng.uniform(0.3, 2.0)
            for m in range(months):
                n = rng.poisson(size * season[c][m])
                rows.append(
                    {
                        "channel": c,
                        "unit": u,
                        "month": f"{2024 + m // 12}-{m % 12 + 1:02d}",
                        "n": n,
                        "amt": n * 100.0,
                    }
                )
    return pd.DataFrame(rows)


def test_a_planted_drop_and_surge_rank_first_and_the_shared_season_is_not_flagged():
    rng = np.random.default_rng(3)
    frame = panel(rng)
    drop = (frame["channel"] == 1) & (frame["unit"] == 4) & (frame["month"] == "2025-03")
    surge = (frame["channel"] == 2) & (frame["unit"] == 7) & (frame["month"] == "2024-09")
    frame.loc[drop, "n"] = (frame.loc[drop, "n"] * 0.6).round()
    frame.loc[surge, "n"] = (frame.loc[surge, "n"] * 1.5).round()
    # every unit of channel 0 falls by half in one month: the season, not an anomaly
    shared = (frame["channel"] == 0) & (frame["month"] == "2025-06")
    frame.loc[shared, "n"] = (frame.loc[shared, "n"] * 0.5).round()
    frame["amt"] = frame["n"] * 100.0
    scored = an.score_cells(frame, "n", ("amt",))
    top = {(r.channel, r.unit, r.month) for r in scored.head(2).itertuples()}
    assert top == {(1, 4, "2025-03"), (2, 7, "2024-09")}
    assert scored.iloc[0]["severity"] > an.Z_THRESHOLD
    seasonal = scored[(scored["channel"] == 0) & (scored["month"] == "2025-06")]
    assert (seasonal["severity"] < an.Z_THRESHOLD).all()
    row = scored.set_index(["channel", "unit", "month"]).loc[(1, 4, "2025-03")]
    assert row["direction"] == "down" and row["expected_n"] > row["n"]


def test_without_peers_a_unit_is_scored_against_its_own_rolling_median():
    rng = np.random.default_rng(5)
    frame = panel(rng, channels=1, units=1)
    hit = frame["month"] == "2025-02"
    frame.loc[hit, "n"] = (frame.loc[hit, "n"] * 0.5).round()
    frame["amt"] = frame["n"] * 100.0
    scored = an.score_cells(frame, "n", ("amt",))
    assert scored.iloc[0]["month"] == "2025-02"


def test_small_cells_are_not_scored():
    frame = pd.DataFrame(
        {
            "channel": 1,
            "unit": [1] * 12,
            "month": [f"2025-{m:02d}" for m in range(1, 13)],
            "n": [3.0] * 11 + [0.0],
        }
    )
    frame["amt"] = frame["n"]
    scored = an.score_cells(frame, "n", ("amt",))
    assert scored["severity"].isna().all()


def test_poisson_z():
    assert an.poisson_z(np.array([10.0]), np.array([10.0]))[0] == 0.0
    assert an.poisson_z(np.array([0.0]), np.array([8.0]))[0] == pytest.approx(-4.0)  # -sqrt(2E)
    assert an.poisson_z(np.array([30.0]), np.array([10.0]))[0] > 4


def test_the_day_scan_finds_a_week_of_silence():
    rng = np.random.default_rng(11)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    rows = []
    for u in range(8):
        rate = rng.uniform(1.5, 4.0)
        for d in days:
            n = rng.poisson(rate)
            if u == 3 and pd.Timestamp("2025-06-10") <= d <= pd.Timestamp("2025-06-16"):
                n = 0
            rows.append({"channel": 2, "unit": u, "day": d, "txn_count": float(n), "amount": n * 50.0})
    scored = an.score_daily(pd.DataFrame(rows), min_expected=20)
    first = scored.iloc[0]
    assert (first["unit"], first["month"], first["driver"]) == (3, "2025-06", "days")
    assert first["window_observed"] == 0 and first["window_days"] >= 6
