"""Validation of staged source tables against the contract, in DuckDB SQL.

The importer stages every supplied file in a DuckDB database as two relations per table:

- ``raw_<table>``: the columns as they appear in the file (all VARCHAR for CSV), plus ``_row``,
  the 1-based data row a user sees in the file (the header is not counted);
- ``typed_<table>``: ``_row`` plus every contract column cast with ``TRY_CAST`` to its type.

:func:`validate` runs each check as one SQL query and returns every problem at once (capped per
check and in total, with a count of the rest), so a bank fixes its extract in one round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from data import contract
from data.contract import Table
from data.sniff import DELIMITERS

MAX_PER_CHECK = 50
MAX_TOTAL = 200
EARLIEST_DATE = "1900-01-01"
# Dates that may lie after the data's last month: a campaign may still be running and
# targets may be set ahead.
FUTURE_ALLOWED = {
    ("campaigns", "end_date"),
    ("branch_targets", "month_date"),
    ("manager_targets", "month_date"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the supplied files."""

    file: str
    row: int | None  # 1-based data row (header not counted); None for file-level problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Report:
    """All problems found (capped), how many more there were, and non-fatal warnings."""

    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    warnings: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_TOTAL:
            self.problems.append(problem)
        else:
            self.omitted += 1

    def add_more(self, count: int) -> None:
        self.omitted += count


@dataclass(frozen=True)
class StagedTable:
    """What the importer staged for one table: file name, columns found in it, rows it could
    not parse; the relation holding the file's columns and their types; the CSV delimiter;
    ``supplied`` False for an optional table the extract does not have (staged empty)."""

    file: str
    columns: tuple[str, ...]
    unparsed_rows: int = 0
    relation: str = ""
    types: dict[str, str] = field(default_factory=dict, compare=False)
    delimiter: str | None = None
    supplied: bool = True


def missing_columns(table: Table, present: tuple[str, ...] | set[str]) -> list[str]:
    """Contract columns a file with columns ``present`` lacks and the importer cannot fill:
    optional columns and names whose other-language column is present are not missing."""
    have = set(present)
    return [
        c.name
        for c in table.columns
        if c.name not in have and not c.optional and not (c.fallback and c.fallback in have)
    ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def check_structure(table: Table, staged: StagedTable | None, report: Report) -> bool:
    """Report a missing file or missing columns; warn about extra ones. True if content is checkable."""
    if staged is None:
        report.add(
            Problem(f"{table.name}.csv|.parquet", None, None, "required file is missing (CSV or Parquet)")
        )
        return False
    missing = missing_columns(table, staged.columns)
    for col in missing:
        other = table.column(col).fallback
        either = f" (give {col} or {other})" if other else ""
        report.add(Problem(staged.file, None, col, f"required column is missing from the header{either}"))
    if missing and staged.delimiter is not None:
        report.add(Problem(staged.file, None, None, _header_hint(table, staged)))
    extra = [c for c in staged.columns if c not in table.column_names and c != "_row"]
    if extra:
        report.warnings.append(f"{staged.file}: extra columns ignored: {', '.join(extra)}")
    return not missing and staged.unparsed_rows == 0


def _header_hint(table: Table, staged: StagedTable) -> str:
    """What the header looked like, for a header that does not match the contract."""
    read_as = DELIMITERS.get(staged.delimiter or ",", repr(staged.delimiter))
    known = [c for c in staged.columns if c in table.column_names]
    shown = ", ".join(staged.columns[:6]) + (", ..." if len(staged.columns) > 6 else "")
    text = (
        f"the header does not match the contract: it looks {read_as}-separated, and read so it has "
        f"{len(staged.columns)} field(s) ({shown}), {len(known)} of them contract columns"
    )
    if len(staged.columns) == 1:
        text += " (no comma, semicolon, tab or pipe splits it into the expected names)"
    return text + f"; expected: {', '.join(table.column_names)}"


def _collect(
    con: duckdb.DuckDBPyConnection,
    report: Report,
    file: str,
    column: str | None,
    sql: str,
    message: str,
) -> None:
    """Run ``sql`` (yielding ``_row`` and ``v``) and add one problem per row, formatting ``message``.

    ``message`` may use ``{v}`` (the offending value). Rows without a ``_row`` (the current
    warehouse's rows an append is checked against: :mod:`data.append`) are not reported.
    """
    rows = con.execute(
        f"SELECT _row, CAST(v AS VARCHAR), count(*) OVER () FROM ({sql}) WHERE _row IS NOT NULL "
        f"ORDER BY _row LIMIT {MAX_PER_CHECK}"
    ).fetchall()
    if not rows:
        return
    for row, value, _ in rows:
        report.add(Problem(file, int(row), column, message.format(v=value)))
    report.add_more(int(rows[0][2]) - len(rows))


def _column_checks(con: duckdb.DuckDBPyConnection, table: Table, file: str, report: Report) -> None:
    raw, typed = f"raw_{table.name}", f"typed_{table.name}"
    raw_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {raw}").fetchall()}
    for col in table.columns:
        c = _q(col.name)
        # A Parquet column already of the contract type cannot fail the cast: skip that scan and
        # look for nulls in the (materialised, faster) typed table instead.
        exact = raw_types.get(col.name) == col.dtype
        if not exact:
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, {c} AS v FROM {raw} "
                f"WHERE {c} IS NOT NULL AND TRY_CAST({c} AS {col.dtype}) IS NULL",
                f"cannot read {{v!r}} as {col.dtype}" + _FORMAT_HINT.get(col.dtype, ""),
            )
        pair_reported = col.fallback and table.column_names.index(col.fallback) < table.column_names.index(
            col.name
        )
        if not col.nullable and not pair_reported:
            blank = f" OR trim(CAST({c} AS VARCHAR)) = ''" if col.dtype == "VARCHAR" else ""
            missing = "value is missing (the column may not be empty)"
            if col.fallback:
                missing = f"{col.name} and {col.fallback} are both empty (one of them is needed)"
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, NULL AS v FROM {typed if exact else raw} WHERE {c} IS NULL{blank}",
                missing,
            )
        if col.allowed:
            allowed = ", ".join(_lit(a) for a in col.allowed)
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, {c} AS v FROM {typed} WHERE {c} IS NOT NULL AND {c} NOT IN ({allowed})",
                f"{{v!r}} is not an allowed value (allowed: {', '.join(col.allowed)})",
            )
        if col.min_value is not None and not col.minimum_waived_by:
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, {c} AS v FROM {typed} WHERE {c} < {col.min_value!r}",
                f"{{v}} is below the minimum {col.min_value:g}",
            )


_FORMAT_HINT = {
    "DATE": " (expected YYYY-MM-DD)",
    "TIMESTAMP": " (expected YYYY-MM-DD HH:MM:SS)",
    "BOOLEAN": " (expected true or false)",
    "INTEGER": " (expected a whole number)",
    "BIGINT": " (expected a whole number)",
    "DOUBLE": " (expected a number)",
}


def _key_checks(con: duckdb.DuckDBPyConnection, table: Table, file: str, report: Report) -> None:
    typed = f"typed_{table.name}"
    keys = ", ".join(_q(k) for k in table.primary_key)
    shown = " || ', ' || ".join(f"CAST(t.{_q(k)} AS VARCHAR)" for k in table.primary_key)
    not_null = " AND ".join(f"{_q(k)} IS NOT NULL" for k in table.primary_key)
    on = " AND ".join(f"t.{_q(k)} = d.{_q(k)}" for k in table.primary_key)
    # Find the duplicated keys with a hash aggregate first; only their rows are joined back.
    _collect(
        con,
        report,
        file,
        ", ".join(table.primary_key),
        f"""SELECT t._row, ({shown}) || ' (first seen at row ' || d.first_row || ')' AS v
            FROM {typed} t JOIN (
                SELECT {keys}, min(_row) AS first_row FROM {typed} WHERE {not_null}
                GROUP BY {keys} HAVING count(*) > 1) d ON {on}
            WHERE t._row > d.first_row""",
        "duplicate primary key {v}",
    )


def _reference_checks(
    con: duckdb.DuckDBPyConnection, table: Table, file: str, checkable: set[str], report: Report
) -> None:
    for col in table.columns:
        if not col.references:
            continue
        ref_table, ref_col = col.references.split(".")
        if ref_table not in checkable:
            continue  # the parent already failed; its problems are reported
        c = _q(col.name)
        _collect(
            con,
            report,
            file,
            col.name,
            f"""SELECT t._row, t.{c} AS v FROM typed_{table.name} t
                WHERE t.{c} IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM typed_{ref_table} p WHERE p.{_q(ref_col)} = t.{c})""",
            f"{{v}} does not exist in {ref_table}.{ref_col}",
        )


def _waived_minimum_checks(
    con: duckdb.DuckDBPyConnection, table: Table, file: str, checkable: set[str], report: Report
) -> None:
    """Minimums a product attribute may lift (a negative balance on a product that
    ``allows_negative``): checked against the product of each row."""
    for col in table.columns:
        if col.min_value is None or not col.minimum_waived_by:
            continue
        ref_table, flag = col.minimum_waived_by.split(".")
        key = next(c for c in table.columns if c.references and c.references.startswith(ref_table + "."))
        ref_key = key.references.split(".")[1]
        c = _q(col.name)
        if ref_table in checkable:
            sql = f"""SELECT t._row, t.{c} AS v FROM typed_{table.name} t
                LEFT JOIN typed_{ref_table} p ON p.{_q(ref_key)} = t.{_q(key.name)}
                WHERE t.{c} < {col.min_value!r} AND NOT coalesce(p.{_q(flag)}, false)"""
        else:  # the products failed (reported there): apply the plain minimum
            sql = f"SELECT _row, {c} AS v FROM typed_{table.name} WHERE {c} < {col.min_value!r}"
        _collect(
            con,
            report,
            file,
            col.name,
            sql,
            f"{{v}} is below the minimum {col.min_value:g} (allowed only on a product with "
            f"{ref_table}.{flag} true)",
        )


def data_end(con: duckdb.DuckDBPyConnection, checkable: set[str]) -> str | None:
    """Last day of the latest month with transactions or holdings (ISO date), if known."""
    parts = []
    if "transactions" in checkable:
        parts.append("SELECT max(CAST(txn_at AS DATE)) AS d FROM typed_transactions")
    if "holdings" in checkable:
        parts.append("SELECT max(month_date) AS d FROM typed_holdings")
    if not parts:
        return None
    (end,) = con.execute(f"SELECT last_day(max(d)) FROM ({' UNION ALL '.join(parts)})").fetchone()
    return None if end is None else end.isoformat()


def _date_checks(
    con: duckdb.DuckDBPyConnection, table: Table, file: str, end: str | None, report: Report
) -> None:
    typed = f"typed_{table.name}"
    for col in table.columns:
        if col.dtype not in ("DATE", "TIMESTAMP"):
            continue
        c = _q(col.name)
        _collect(
            con,
            report,
            file,
            col.name,
            f"SELECT _row, {c} AS v FROM {typed} WHERE {c} < DATE '{EARLIEST_DATE}'",
            f"{{v}} is implausibly early (before {EARLIEST_DATE})",
        )
        if end is not None and (table.name, col.name) not in FUTURE_ALLOWED:
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, {c} AS v FROM {typed} WHERE CAST({c} AS DATE) > DATE '{end}'",
                f"{{v}} is after the end of the data ({end})",
            )
        if col.name == "month_date":
            _collect(
                con,
                report,
                file,
                col.name,
                f"SELECT _row, {c} AS v FROM {typed} WHERE day({c}) <> 1",
                "{v} is not the first day of a month",
            )


# Rules between columns of one row: (table, column reported, condition of a bad row, message).
_SYSTEM_CODES = ", ".join(_lit(c) for c in contract.SYSTEM_CHANNEL_CODES)
ROW_RULES: tuple[tuple[str, str, str, str], ...] = (
    (
        "channels",
        "channel_type",
        f"(channel_type = '{contract.SYSTEM_CHANNEL_TYPE}') <> (channel_code IN ({_SYSTEM_CODES}))",
        f"channel type {{v}} does not go with the channel code (the codes "
        f"{', '.join(contract.SYSTEM_CHANNEL_CODES)} and only they have type {contract.SYSTEM_CHANNEL_TYPE})",
    ),
    ("customers", "close_date", "close_date < open_date", "close_date {v} is before open_date"),
    (
        "customers",
        "close_date",
        "(status = 'closed') <> (close_date IS NOT NULL)",
        "close_date {v} must be set if and only if status is closed",
    ),
    ("campaigns", "end_date", "end_date < start_date", "end_date {v} is before start_date"),
    (
        "campaign_contacts",
        "response_date",
        "responded <> (response_date IS NOT NULL)",
        "response_date {v} must be set if and only if responded is true",
    ),
    (
        "campaign_contacts",
        "response_date",
        "response_date < contacted_date",
        "response_date {v} is before contacted_date",
    ),
)


def _row_rules(con: duckdb.DuckDBPyConnection, table: Table, file: str, report: Report) -> None:
    for name, column, condition, message in ROW_RULES:
        if name != table.name:
            continue
        _collect(
            con,
            report,
            file,
            column,
            f"SELECT _row, coalesce(CAST({_q(column)} AS VARCHAR), 'empty') AS v "
            f"FROM typed_{name} WHERE {condition}",
            message,
        )


def validate(
    con: duckdb.DuckDBPyConnection, staged: dict[str, StagedTable], report: Report | None = None
) -> Report:
    """Check the staged tables against the contract; return every problem found (capped).

    Parameters
    ----------
    con
        Connection whose default schema holds ``raw_<table>`` and ``typed_<table>`` for every
        table in ``staged`` that has all its columns.
    staged
        Table name -> what was staged; tables missing from it are reported as missing files.
    report
        A report to add to (for problems found while staging), else a new one.
    """
    report = report or Report()
    checkable = {t.name for t in contract.SOURCE_TABLES if check_structure(t, staged.get(t.name), report)}
    for table in contract.SOURCE_TABLES:
        if table.name in checkable:
            _column_checks(con, table, staged[table.name].file, report)
            _key_checks(con, table, staged[table.name].file, report)
    for table in contract.SOURCE_TABLES:
        if table.name in checkable:
            _reference_checks(con, table, staged[table.name].file, checkable, report)
            _waived_minimum_checks(con, table, staged[table.name].file, checkable, report)
    end = data_end(con, checkable)
    for table in contract.SOURCE_TABLES:
        if table.name in checkable:
            _date_checks(con, table, staged[table.name].file, end, report)
            _row_rules(con, table, staged[table.name].file, report)
    return report
