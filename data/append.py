"""Incremental monthly loads: add the next month to the current warehouse.

``python -m data.load --append DIR`` or :func:`append`. ``DIR`` holds the month's
``transactions`` and ``holdings`` (required; every row in the month after the warehouse's last
one) and, optionally, rows of any other source table: new customers and customers whose
attributes changed (whole rows), new or changed reference rows, campaigns, contacts and targets.
A supplied row replaces the warehouse's row with the same primary key; other rows are kept.

The files are validated as in a full load (:func:`data.validate.validate`), against the
warehouse's rows merged with the supplied ones (problems name the supplied file, row and
column). The new warehouse is the current file copied to ``.tmp`` and changed there, then
switched to like a full load's (:mod:`data.load`): a refused or failed append changes nothing.

What an append recomputes (the rest of the copied file is kept), so that the result equals a
full rebuild of the same data:

- ``customer_month``: every row of the customers whose attributes that shape all their months
  changed (``HISTORY_COLUMNS``: branch, manager, demographics, ...), and the new month's row of
  every other customer (new ones, and those closing in the month, included), whose look-back
  columns (``is_dormant`` over six months, ``main_channel_prev`` and ``_ly``) are read from the
  stored earlier months. No column of an earlier month looks forward (churn is flagged in the
  close month itself, dormancy and the previous main channel look back), so those rows stay.
- ``customer_tiers``: the changed customers' rows (their earlier deciles kept: the month's
  values did not change) and the new month (deciles over all its customers, tiers before read
  from the stored months).
- ``holdings_enriched``: the changed customers' rows and the new month; ``product_pairs``: the
  (month, region, branch, manager) cells those rows fall in, before or after the change.
- every load rollup: the groups (its dimension values) that any removed or added source row
  falls in, re-aggregated from the source (so distinct counts stay exact); ``calendar`` and
  ``campaign_contacts_enriched`` are rebuilt (small).

When an earlier month gains or loses customer rows (a new customer opened before the month, a
close date moved back) or a reference row (branch, product, ...) changes, the monthly deciles
and every month's org would shift: the derived layer is then rebuilt in full from the copied
and updated source tables, still without re-reading the earlier months' files.

Published model scores of the previous version are carried over to the new one, marked with
the month they were scored on (:func:`data.scores.carry_forward`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import duckdb

from data import contract, derive, layout, paths, rollups, warehouse
from data.load import (
    LoadResult,
    Progress,
    ValidationFailed,
    _asked_encodings,
    _check_asked_files,
    _cleanup_stale,
    _extract_version,
    _load_lock,
    _prune,
    _q,
    _sql_path,
    _stage_table,
    find_sources,
    new_version,
    open_build,
)
from data.validate import Problem, Report, StagedTable, _collect, validate

MONTHLY = ("transactions", "holdings")  # appended: every row in the new month
REFERENCE = ("regions", "branches", "managers", "products", "channels")
CHANGED = "_changed"  # temp table of the customers whose earlier months change
# The customer columns the derived layer reads for every month (customer_month, customer_tiers,
# holdings_enriched): a change recomputes all the customer's months. (close_date counts only
# in its month and after; status, names and contact details are not in derived tables.)
HISTORY_COLUMNS = (
    "gender",
    "birth_date",
    "occupation",
    "income_band",
    "city",
    "home_branch_id",
    "manager_id",
    "open_date",
    "credit_grade",
)


class AppendRefused(ValueError):
    """The warehouse cannot take an append (none loaded, or built by another layout)."""


def _months_later(month: dt.date, n: int) -> dt.date:
    total = month.year * 12 + month.month - 1 + n
    return dt.date(total // 12, total % 12 + 1, 1)


def append(
    source_dir: Path | str,
    progress: Progress | None = None,
    encoding: str | None = None,
    encodings: dict[str, str] | None = None,
) -> LoadResult:
    """Validate the month in ``source_dir`` and make the current warehouse plus it current.

    Raises
    ------
    ValidationFailed
        With every problem found (including a month that is not the next one); nothing changed.
    AppendRefused
        If there is no current warehouse or it was built with another layout.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    source_dir = Path(source_dir).resolve()
    wdir = paths.warehouse_dir()
    with _load_lock(wdir):
        _cleanup_stale(wdir)
        current = warehouse.current_path()
        if current is None or not current.is_file():
            raise AppendRefused(
                "no warehouse is loaded: load the full extract first (python -m data.load DIR)"
            )
        before = layout.built(current)
        if before.get("layout") != layout.fingerprint():
            raise AppendRefused(
                f"{current.name} was built by another release (its derived layout differs): "
                "load the full extract again before appending"
            )
        version = new_version()
        tmp = wdir / f"{warehouse.FILE_PREFIX}{version}{warehouse.FILE_SUFFIX}.tmp"
        staging = wdir / f"{warehouse.FILE_PREFIX}{version}.staging.tmp"
        work_dir = wdir / f"{warehouse.FILE_PREFIX}{version}.work.tmp"
        work_dir.mkdir()
        final = warehouse.file_for_version(version)
        try:
            say(f"Copying {current.name}")
            shutil.copyfile(current, tmp)
            asked = _asked_encodings(encoding, encodings)
            row_counts, warnings = _build(source_dir, tmp, staging, work_dir, version, asked, say)
            os.replace(tmp, final)
            warehouse.switch_current(final)
        finally:
            for leftover in (tmp, staging, Path(str(tmp) + ".wal"), Path(str(staging) + ".wal")):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(work_dir, ignore_errors=True)
        _prune(wdir, final)
    from data import scores  # the mining folder is touched only after a successful append

    scores.carry_forward(before.get("data_version", ""), version, before.get("last_month", ""))
    seconds = time.perf_counter() - started
    say(f"Appended {sum(row_counts.values()):,} source rows into {final.name} in {seconds:.1f} s")
    return LoadResult(final, version, row_counts, seconds, tuple(warnings))


def _build(
    source_dir: Path,
    tmp: Path,
    staging: Path,
    work_dir: Path,
    version: str,
    encodings: dict[str, str],
    say: Progress,
) -> tuple[dict[str, int], list[str]]:
    con = open_build(tmp, work_dir)
    try:
        main_db = _q(con.execute("SELECT current_database()").fetchone()[0])
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        first = dt.date.fromisoformat(meta["first_month"])
        last = dt.date.fromisoformat(meta["last_month"])
        month = _months_later(last, 1)
        con.execute(f"ATTACH {_sql_path(staging)} AS stg")
        report = Report()
        staged: dict[str, StagedTable] = {}
        sources = find_sources(source_dir)
        _check_asked_files(encodings, sources, report)
        for table in contract.SOURCE_TABLES:
            if table.name in sources:
                say(f"Reading {sources[table.name].name}")
                asked = encodings.get(table.name, encodings.get(""))
                staged[table.name] = _stage_table(con, table, sources[table.name], work_dir, asked, report)
            if table.name not in MONTHLY:
                _merge_with_warehouse(con, table, staged, main_db)
        extract_version = _extract_version(source_dir, staged, report)
        say("Validating against the data contract")
        con.execute("USE stg")
        validate(con, staged, report)
        _check_month(con, staged, month, last, report)
        _check_new_keys(con, staged, main_db, report)
        con.execute(f"USE {main_db}")
        if report.problems or report.omitted:
            raise ValidationFailed(report.problems, report.omitted)
        full = _changes(con, first, month)
        if not full:
            _save_old_rows(con)
        row_counts = _store_sources(con, say)
        con.execute("DETACH stg")
        if full:
            say("Rebuilding the derived layer in full (an earlier month's rows or a reference row changed)")
            _drop_derived(con)
            derive.build_derived(con, progress=say)
        else:
            con.execute("BEGIN")  # one commit: not one write-ahead-log flush per statement
            _extend_derived(con, first, month, say)
            con.execute("COMMIT")
        not_loaded = [
            t.name
            for t in contract.SOURCE_TABLES
            if t.optional and con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] == 0
        ]
        meta |= {
            "data_version": version,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(source_dir),
            "last_month": month.isoformat(),
            "not_loaded": ",".join(not_loaded),
            "extract_version": extract_version,
        }
        con.execute("DELETE FROM meta")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [[k, meta[k]] for k in contract.Meta().keys])
        say("Writing the new warehouse file")
        con.execute("CHECKPOINT")
        return row_counts, list(report.warnings)
    finally:
        con.close()


def _cols(table: contract.Table, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{_q(c)}" for c in table.column_names)


def _key_match(table: contract.Table, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{_q(k)} = {b}.{_q(k)}" for k in table.primary_key)


def _merge_with_warehouse(
    con: duckdb.DuckDBPyConnection, table: contract.Table, staged: dict[str, StagedTable], main_db: str
) -> None:
    """``stg.new_<t>``: the supplied rows (empty if none); ``stg.typed_<t>``: those plus the
    warehouse's rows they do not replace (``_row`` NULL: checked against, never reported)."""
    t = table.name
    supplied = t in staged
    if supplied:
        if not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'stg' AND table_name = ?",
            [f"typed_{t}"],
        ).fetchone()[0]:
            return  # columns missing or unreadable: validation reports it
        con.execute(f"ALTER TABLE stg.typed_{t} RENAME TO new_{t}")
    else:
        types = ", ".join(f"{_q(c.name)} {c.dtype}" for c in table.columns)
        con.execute(f"CREATE TABLE stg.new_{t} (_row BIGINT, {types})")
    con.execute(
        f"""CREATE TABLE stg.typed_{t} AS
        SELECT _row, {_cols(table)} FROM stg.new_{t}
        UNION ALL
        SELECT CAST(NULL AS BIGINT) AS _row, {_cols(table, "w.")} FROM {main_db}.{t} w
        WHERE NOT EXISTS (SELECT 1 FROM stg.new_{t} n WHERE {_key_match(table, "n", "w")})"""
    )
    if not supplied:
        con.execute(f"CREATE VIEW stg.raw_{t} AS SELECT * FROM stg.typed_{t}")
        staged[t] = StagedTable(f"{t}.csv", table.column_names, supplied=False)


def _check_month(
    con: duckdb.DuckDBPyConnection,
    staged: dict[str, StagedTable],
    month: dt.date,
    last: dt.date,
    report: Report,
) -> None:
    """Every transaction and holding must be in ``month``, the one after the warehouse's last."""
    exprs = {
        "transactions": ("txn_at", "CAST(date_trunc('month', txn_at) AS DATE)"),
        "holdings": ("month_date", "month_date"),
    }
    found: dict[str, list[dt.date]] = {}
    for name, (column, expr) in exprs.items():
        if name not in staged or not _has(con, f"typed_{name}"):
            continue
        found[name] = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {expr} FROM typed_{name} WHERE {expr} IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        wrong = [m for m in found[name] if m != month]
        if not wrong:
            continue
        shown = ", ".join(f"{m:%Y-%m}" for m in found[name][:6]) + (" ..." if len(found[name]) > 6 else "")
        report.add(
            Problem(
                staged[name].file,
                None,
                column,
                f"the file holds month(s) {shown}, but the warehouse ends with {last:%Y-%m}: an append "
                f"adds exactly the next month, {month:%Y-%m} (load the full extract to change earlier "
                "months)",
            )
        )
        _collect(
            con,
            report,
            staged[name].file,
            column,
            f"SELECT _row, {_q(column)} AS v FROM typed_{name} WHERE {expr} <> DATE '{month}'",
            f"{{v}} is not in {month:%Y-%m}, the month this append adds",
        )
    if found and not any(found.values()):
        report.add(
            Problem(staged[next(iter(found))].file, None, None, f"the extract has no rows for {month:%Y-%m}")
        )


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'stg' AND table_name = ?", [table]
        ).fetchone()[0]
    )


def _check_new_keys(
    con: duckdb.DuckDBPyConnection, staged: dict[str, StagedTable], main_db: str, report: Report
) -> None:
    """An appended transaction or holding may not have a key the warehouse already holds."""
    for name in MONTHLY:
        table = contract.TABLES[name]
        if name not in staged or not _has(con, f"typed_{name}"):
            continue
        shown = " || ', ' || ".join(f"CAST(n.{_q(k)} AS VARCHAR)" for k in table.primary_key)
        _collect(
            con,
            report,
            staged[name].file,
            ", ".join(table.primary_key),
            f"""SELECT n._row, {shown} AS v FROM typed_{name} n
                WHERE EXISTS (SELECT 1 FROM {main_db}.{name} w WHERE {_key_match(table, "n", "w")})""",
            "primary key {v} is already in the warehouse",
        )


def _changes(con: duckdb.DuckDBPyConnection, first: dt.date, month: dt.date) -> bool:
    """Note the customers whose earlier months change (``_changed``: a column of
    ``HISTORY_COLUMNS`` changed); True when the derived layer must be rebuilt in full (an
    earlier month gains or loses rows, a reference row changed). New customers and changes
    of other columns (status, a close date in the new month) touch only the new month."""
    cust = contract.CUSTOMERS
    differs = " OR ".join(f"n.{_q(c)} IS DISTINCT FROM w.{_q(c)}" for c in cust.column_names)
    history = " OR ".join(f"n.{_q(c)} IS DISTINCT FROM w.{_q(c)}" for c in HISTORY_COLUMNS)
    con.execute(
        f"""CREATE TEMP TABLE _supplied AS
        SELECT n.customer_id,
               w.customer_id IS NOT NULL AS existed,
               w.customer_id IS NOT NULL AND ({history}) AS history,
               CAST(date_trunc('month', w.open_date) AS DATE) AS old_open,
               CAST(date_trunc('month', w.close_date) AS DATE) AS old_close,
               CAST(date_trunc('month', n.open_date) AS DATE) AS new_open,
               CAST(date_trunc('month', n.close_date) AS DATE) AS new_close
        FROM stg.new_customers n LEFT JOIN customers w ON w.customer_id = n.customer_id
        WHERE w.customer_id IS NULL OR {differs}"""
    )
    prev = _months_later(month, -1)

    def span(open_: str, close: str) -> str:  # the customer's months before the new one
        lo = f"greatest({open_}, DATE '{first}')"
        hi = f"least(coalesce({close}, DATE '{prev}'), DATE '{prev}')"
        return f"CASE WHEN {lo} <= {hi} THEN {lo} || '..' || {hi} END"

    old_span = f"CASE WHEN existed THEN {span('old_open', 'old_close')} END"
    new_span = span("new_open", "new_close")
    (earlier,) = con.execute(
        f"SELECT count(*) FROM _supplied WHERE ({old_span}) IS DISTINCT FROM ({new_span})"
    ).fetchone()
    con.execute(f"CREATE TEMP TABLE {CHANGED} AS SELECT customer_id FROM _supplied WHERE history")
    if earlier:
        return True
    for name in REFERENCE:
        table = contract.TABLES[name]
        differs = " OR ".join(f"n.{_q(c)} IS DISTINCT FROM w.{_q(c)}" for c in table.column_names)
        on = _key_match(table, "n", "w")
        (changed,) = con.execute(
            f"SELECT count(*) FROM stg.new_{name} n JOIN {name} w ON {on} WHERE {differs}"
        ).fetchone()
        if changed:
            return True
    return False


def _in_changed(column: str) -> str:
    return f"{column} IN (SELECT customer_id FROM {CHANGED})"


# derived table -> the rows an append replaces or adds, beyond the new month: the changed customers'
CUSTOMER_TABLES = ("customer_month", "customer_tiers", "holdings_enriched")


def _save_old_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the rows about to be replaced: the rollup groups they fall in are recomputed."""
    for name in CUSTOMER_TABLES:
        con.execute(
            f"CREATE TEMP TABLE _old_{name} AS SELECT * FROM {name} WHERE {_in_changed('customer_id')}"
        )


def _store_sources(con: duckdb.DuckDBPyConnection, say: Progress) -> dict[str, int]:
    """Apply the extract to the source tables: append the month, replace rows by key."""
    counts: dict[str, int] = {}
    for table in contract.SOURCE_TABLES:
        t = table.name
        key = ", ".join(_q(k) for k in table.primary_key)
        if t in MONTHLY:
            order = "txn_at, txn_id" if t == "transactions" else key
            say(f"Appending {t}")
            con.execute(f"INSERT INTO {t} SELECT {_cols(table)} FROM stg.typed_{t} ORDER BY {order}")
            counts[t] = con.execute(f"SELECT count(*) FROM stg.typed_{t}").fetchone()[0]
            continue
        counts[t] = con.execute(f"SELECT count(*) FROM stg.new_{t}").fetchone()[0]
        if counts[t]:
            say(f"Updating {t}")
            on = _key_match(table, "n", "w")
            con.execute(f"DELETE FROM {t} w WHERE EXISTS (SELECT 1 FROM stg.new_{t} n WHERE {on})")
            con.execute(f"INSERT INTO {t} SELECT {_cols(table)} FROM stg.new_{t} ORDER BY {key}")
    return counts


def _drop_derived(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS transactions_enriched")
    tables = [
        "calendar",
        "customer_month",
        "customer_tiers",
        "holdings_enriched",
        "product_pairs",
        "campaign_contacts_enriched",
        *(r.name for r in rollups.LOAD_ROLLUPS),
    ]
    for name in tables:
        con.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def _extend_derived(con: duckdb.DuckDBPyConnection, first: dt.date, month: dt.date, say: Progress) -> None:
    """Add ``month`` and the changed customers to the derived layer (see the module docstring)."""
    m = f"DATE '{month}'"
    back = {n: f"DATE '{_months_later(month, -n)}'" for n in (1, 5, 12)}
    con.execute("DROP TABLE calendar")
    derive.build_calendar(con, first, month)

    say("Extending customer_month")
    con.execute(f"DELETE FROM customer_month WHERE {_in_changed('customer_id')}")
    changed_rows = derive.customer_month_query(first, month, customers=_in_changed("{id}"))
    con.execute(f"INSERT INTO customer_month {changed_rows}")
    churned = "(s.close_month IS NOT NULL AND s.close_month = s.month_date)"
    lookback = f""",
        ra AS (SELECT customer_id, bool_or(is_active) AS active FROM customer_month
               WHERE month_date >= {back[5]} AND month_date < {m} GROUP BY customer_id),
        p1 AS (SELECT customer_id, main_channel FROM customer_month WHERE month_date = {back[1]}),
        p12 AS (SELECT customer_id, main_channel FROM customer_month WHERE month_date = {back[12]})"""
    joins = (
        "LEFT JOIN ra ON ra.customer_id = s.customer_id LEFT JOIN p1 ON p1.customer_id = s.customer_id "
        "LEFT JOIN p12 ON p12.customer_id = s.customer_id"
    )
    overrides = {
        # the six-month window of the full build: this month and the five stored before it
        "is_dormant": f"NOT {churned} AND coalesce(t.own_txn_count, 0) = 0 "
        "AND NOT coalesce(ra.active, false)",
        # a customer's rows are consecutive months: the row k back is the month k back
        "main_channel_prev": "p1.main_channel",
        "main_channel_ly": "p12.main_channel",
    }
    new_month = derive.customer_month_query(
        month,
        month,
        customers=f"{{id}} NOT IN (SELECT customer_id FROM {CHANGED})",
        overrides=overrides,
        extra=(lookback, joins),
    )
    con.execute(f"CREATE TEMP TABLE _cm_new AS {new_month}")
    con.execute("INSERT INTO customer_month SELECT * FROM _cm_new")
    con.execute("DROP TABLE _cm_new")

    say("Extending customer_tiers")
    con.execute(f"DELETE FROM customer_tiers WHERE {_in_changed('customer_id')}")
    earlier = derive.customer_tiers_query(
        f"{_in_changed('cm.customer_id')} AND cm.month_date < {m}",
        {"aum_decile": "o.aum_decile", "contribution_decile": "o.contribution_decile"},
        "LEFT JOIN _old_customer_tiers o ON o.month_date = x.month_date AND o.customer_id = x.customer_id",
    )
    con.execute(f"INSERT INTO customer_tiers {earlier}")
    this = derive.customer_tiers_query(
        f"cm.month_date = {m}",
        {
            "aum_tier_before": "coalesce(p1.aum_tier, 'none')",
            "aum_tier_year_before": "coalesce(p12.aum_tier, 'none')",
        },
        f"LEFT JOIN customer_tiers p1 ON p1.customer_id = x.customer_id AND p1.month_date = {back[1]} "
        f"LEFT JOIN customer_tiers p12 ON p12.customer_id = x.customer_id AND p12.month_date = {back[12]}",
    )
    con.execute(f"CREATE TEMP TABLE _ct_new AS {this}")
    con.execute("INSERT INTO customer_tiers SELECT * FROM _ct_new")
    con.execute("DROP TABLE _ct_new")

    say("Extending holdings_enriched and product_pairs")
    con.execute(f"DELETE FROM holdings_enriched WHERE {_in_changed('customer_id')}")
    con.execute(
        "INSERT INTO holdings_enriched "
        + derive.holdings_enriched_query(f"{_in_changed('h.customer_id')} OR h.month_date = {m}")
    )
    # the changed customers' rows of earlier months, before (_old_) and after the change
    earlier = {
        name: f"""(SELECT * FROM _old_{name} UNION ALL BY NAME
            SELECT * FROM {name} WHERE {_in_changed("customer_id")} AND month_date < {m})"""
        for name in CUSTOMER_TABLES
    }
    org = "month_date, region_id, branch_id, manager_id"
    con.execute(f"CREATE TEMP TABLE _cells AS SELECT DISTINCT {org} FROM {earlier['holdings_enriched']}")
    in_cells = (
        "EXISTS (SELECT 1 FROM _cells g WHERE "
        + " AND ".join(f"g.{c} = {{a}}.{c}" for c in org.split(", "))
        + ")"
    )
    con.execute(
        f"CREATE TEMP TABLE _old_product_pairs AS "
        f"SELECT * FROM product_pairs p WHERE {in_cells.format(a='p')}"
    )
    con.execute(f"DELETE FROM product_pairs p WHERE {in_cells.format(a='p')}")
    con.execute(f"INSERT INTO product_pairs {derive.product_pairs_query(None, in_cells.format(a='a'))}")
    con.execute(f"INSERT INTO product_pairs {derive.product_pairs_query(month)}")
    earlier["product_pairs"] = f"""(SELECT * FROM _old_product_pairs UNION ALL BY NAME
        SELECT * FROM product_pairs p WHERE {in_cells.format(a="p")})"""

    con.execute("DROP TABLE campaign_contacts_enriched")
    derive.build_campaign_contacts_enriched(con)

    say("Updating rollups")
    for name, rows in list(earlier.items()):
        con.execute(f"CREATE TEMP TABLE _chg_{name} AS {rows}")
        earlier[name] = f"_chg_{name}"
        if not con.execute(f"SELECT count(*) FROM _chg_{name}").fetchone()[0]:
            del earlier[name]  # no earlier month changed: only the new month's groups are added
    next_month = f"DATE '{_months_later(month, 1)}'"
    this_month = {name: f"month_date = {m}" for name in (*CUSTOMER_TABLES, "product_pairs")}
    # a view: its month_date is computed, so filter on the stored (sorted) txn_at
    this_month["transactions_enriched"] = f"txn_at >= {m} AND txn_at < {next_month}"
    for name, rows in this_month.items():  # read once, not once per rollup
        con.execute(f"CREATE TEMP TABLE _new_{name} AS SELECT * FROM {_q(name)} WHERE {rows}")
    for rollup in rollups.LOAD_ROLLUPS:
        _update_rollup(con, rollup, month, earlier.get(rollup.source), f"_new_{rollup.source}")


def _update_rollup(
    con: duckdb.DuckDBPyConnection,
    rollup: rollups.Rollup,
    month: dt.date,
    earlier: str | None,
    this_month: str,
) -> None:
    """Add the new month's groups of ``rollup`` (``this_month``: its source rows) and
    recompute the groups of earlier months that any of ``earlier`` (source rows removed or
    added there) falls in; the other groups are kept. A rollup without ``month_date`` has every
    group its new rows fall in recomputed over all months (distinct counts do not add up)."""
    types = _types(con, rollup.source)
    src = _q(rollup.source)
    by_month = "month_date" in rollup.dimensions
    if by_month:  # the warehouse has no rows of the new month yet
        con.execute(f"INSERT INTO {_q(rollup.name)} {derive.rollup_select(rollup, this_month, types)}")
        if earlier is None:
            return
        changed_rows = earlier
    else:
        changed_rows = this_month
        if earlier is not None:
            changed_rows = f"(SELECT * FROM {earlier} UNION ALL BY NAME SELECT * FROM {changed_rows})"
    dims = ", ".join(_q(d) for d in rollup.dimensions)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _groups AS SELECT DISTINCT {dims} FROM {changed_rows}")
    if not con.execute("SELECT count(*) FROM _groups").fetchone()[0]:
        return
    match = " AND ".join(f"g.{_q(d)} IS NOT DISTINCT FROM {{r}}.{_q(d)}" for d in rollup.dimensions)
    before = f"AND r.month_date < DATE '{month}'" if by_month else ""
    con.execute(
        f"DELETE FROM {_q(rollup.name)} r WHERE EXISTS (SELECT 1 FROM _groups g WHERE {match.format(r='r')}) "
        f"{before}"
    )
    keep = f"WHERE src.month_date < DATE '{month}'" if by_month else ""
    source = f"(SELECT src.* FROM {src} src SEMI JOIN _groups g ON {match.format(r='src')} {keep})"
    con.execute(f"INSERT INTO {_q(rollup.name)} {derive.rollup_select(rollup, source, types)}")


def _types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {_q(relation)}").fetchall()}
