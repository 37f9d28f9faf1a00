"""Incremental monthly loads at scale: a full rebuild of months 1..N against a full load of
months 1..N-1 plus the append of month N, timed in one run (the ratio is what the target is).

    python -m benchmarks.append_bench SOURCE_DIR WORK_DIR

``SOURCE_DIR`` is a Parquet extract (e.g. ``python -m data.generate``'s output); ``WORK_DIR``
receives the split extract and three homes. Prints one JSON line per step and a summary with
the seconds of each and append / full.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from benchmarks import _peak
from data import contract


def split_last_month(full: Path, base: Path, month_dir: Path, changed: int | None = None) -> dt.date:
    """Split the Parquet extract ``full`` into ``base`` (every month but the last, as the bank
    would have sent it then) and ``month_dir`` (the last month, new and changed customers, the
    month's campaigns, contacts and targets). ``changed``: a customer whose income band and
    home branch were different in ``base`` (the append changes them). Returns the last month."""
    base.mkdir(parents=True)
    month_dir.mkdir(parents=True)
    con = duckdb.connect()
    for table in contract.SOURCE_TABLES:
        con.execute(
            f"CREATE VIEW f_{table.name} AS SELECT * FROM read_parquet('{full / table.name}.parquet')"
        )
    (month,) = con.execute("SELECT max(month_date) FROM f_holdings").fetchone()
    m = f"DATE '{month}'"
    change = changed if changed is not None else -1
    other = con.execute(
        "SELECT b.branch_id, m.manager_id FROM f_branches b JOIN f_managers m USING (branch_id) "
        f"WHERE b.branch_id <> (SELECT coalesce(max(home_branch_id), -1) FROM f_customers "
        f"WHERE customer_id = {change}) ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    base_sql = {
        "customers": f"""SELECT * REPLACE (
                CASE WHEN close_date >= {m} THEN NULL ELSE close_date END AS close_date,
                CASE WHEN close_date >= {m} THEN 'active' ELSE status END AS status,
                CASE WHEN customer_id = {change} AND income_band = 'high' THEN 'low'
                     WHEN customer_id = {change} THEN 'high' ELSE income_band END AS income_band,
                CASE WHEN customer_id = {change} THEN {other[0]} ELSE home_branch_id END AS home_branch_id,
                CASE WHEN customer_id = {change} THEN {other[1]} ELSE manager_id END AS manager_id)
            FROM f_customers WHERE open_date < {m}""",
        "transactions": f"SELECT * FROM f_transactions WHERE txn_at < {m}",
        "holdings": f"SELECT * FROM f_holdings WHERE month_date < {m}",
        "campaigns": f"SELECT * FROM f_campaigns WHERE start_date < {m}",
        "campaign_contacts": f"""SELECT * FROM f_campaign_contacts WHERE campaign_id IN (
                SELECT campaign_id FROM f_campaigns WHERE start_date < {m})
            AND coalesce(contacted_date, DATE '1900-01-01') < {m}
            AND coalesce(response_date, DATE '1900-01-01') < {m}""",
        "branch_targets": f"SELECT * FROM f_branch_targets WHERE month_date < {m}",
        "manager_targets": f"SELECT * FROM f_manager_targets WHERE month_date < {m}",
    }
    for table in contract.SOURCE_TABLES:
        t = table.name
        con.execute(f"COPY ({base_sql.get(t, f'SELECT * FROM f_{t}')}) TO '{base / t}.parquet'")
        if t in ("transactions", "holdings"):
            extra = f"SELECT * FROM f_{t} EXCEPT ALL SELECT * FROM read_parquet('{base / t}.parquet')"
        elif t in base_sql:  # what is new or different since the base extract
            extra = f"SELECT * FROM f_{t} EXCEPT SELECT * FROM read_parquet('{base / t}.parquet')"
        else:
            continue  # reference tables did not change
        con.execute(f"COPY ({extra}) TO '{month_dir / t}.parquet'")
    con.close()
    return month


def _timed(step: str, home: Path, code: str) -> float:
    """Run ``code`` in a child process with MAMS_HOME=home; print its seconds and its own peak
    RSS (``VmHWM``, which the parent's in-memory split does not inflate as ``ru_maxrss`` does)."""
    report = _peak.peak_file()
    env = {**os.environ, "MAMS_HOME": str(home), _peak.PEAK_FILE_ENV: str(report)}
    t0 = time.perf_counter()
    repo = Path(__file__).resolve().parent.parent
    status = subprocess.call([sys.executable, "-c", _peak.REPORT_AT_EXIT + code], env=env, cwd=repo)
    seconds = time.perf_counter() - t0
    peak_mib = _peak.read_peak_mib(report)
    if status != 0:
        raise SystemExit(f"{step} failed (status {status})")
    peak_gb = None if peak_mib is None else round(peak_mib / 1024, 2)
    print(json.dumps({"step": step, "seconds": round(seconds, 1), "peak_rss_gb": peak_gb}), flush=True)
    return seconds


def main(argv: list[str]) -> None:
    source, work = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    month = split_last_month(source, work / "base", work / "month")
    print(
        json.dumps({"step": "split", "month": str(month), "seconds": round(time.perf_counter() - t0, 1)}),
        flush=True,
    )
    full = _timed(
        "full rebuild of 1..N", work / "home_full", f"from data import load; load.load({str(source)!r})"
    )
    base = _timed(
        "full load of 1..N-1", work / "home_inc", f"from data import load; load.load({str(work / 'base')!r})"
    )
    inc = _timed(
        "append of N", work / "home_inc", f"from data import append; append.append({str(work / 'month')!r})"
    )
    print(
        json.dumps(
            {
                "full_s": round(full, 1),
                "base_s": round(base, 1),
                "append_s": round(inc, 1),
                "append_over_full": round(inc / full, 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
