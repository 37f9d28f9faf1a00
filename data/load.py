"""The importer: validate a bank's files against the contract and build a new warehouse atomically.

``python -m data.load DIR [--encoding gbk]`` or :func:`load`. Each table is read from
``DIR/<table>.parquet`` or ``DIR/<table>.csv`` (UTF-8, UTF-8 with BOM or GBK; detected). Files
whose names start with ``_`` are ignored.

Atomicity: the new warehouse is built in ``wh-<version>.duckdb.tmp`` beside the current one,
renamed to ``.duckdb`` only when complete, and then the ``CURRENT`` pointer is switched with
``os.replace``. A failure or a kill at any point leaves ``CURRENT`` and the file it names
untouched; the next load removes the leftover ``.tmp`` files. Loads are serialised by an
exclusive lock on ``warehouse_dir()/LOCK`` (released by the OS if the process dies).
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import datetime as dt
import fcntl
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data import contract, derive, layout, paths, warehouse
from data.validate import Problem, Report, StagedTable, validate

KEEP_FILES = 3  # the current warehouse and the two before it (readers may still hold them)
DETECT_BYTES = 4 << 20
CHUNK_CHARS = 1 << 20
LOAD_MEMORY_LIMIT = "6GB"
LOAD_THREADS = 2

Progress = Callable[[str], None]


class ValidationFailed(Exception):
    """The supplied files break the contract; nothing was changed.

    Attributes
    ----------
    problems : list[Problem]
        Up to 200 problems, each naming file, row and column.
    omitted : int
        How many more problems were found but not listed.
    """

    def __init__(self, problems: list[Problem], omitted: int = 0) -> None:
        self.problems = problems
        self.omitted = omitted
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{len(self.problems) + self.omitted} problem(s) found; the warehouse was not changed:"]
        lines += [f"  {p}" for p in self.problems]
        if self.omitted:
            lines.append(f"  ... and {self.omitted} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadResult:
    """What a successful load built."""

    path: Path
    data_version: str
    row_counts: dict[str, int]
    seconds: float
    warnings: tuple[str, ...] = ()


def new_version() -> str:
    """A fresh data version: UTC time (sorts by age) plus random bits (unique within a second)."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if the file starts with a BOM, ``utf-8`` if its head decodes, else ``gb18030``.

    GB18030 is a superset of GBK, so it reads every GBK file.
    """
    with open(path, "rb") as fh:
        head = fh.read(DETECT_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # final=False: a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream ``src`` from ``encoding`` into UTF-8 ``dst`` in chunks (DuckDB has no GBK reader here)."""
    with (
        open(src, encoding=encoding, newline="") as fin,
        open(dst, "w", encoding="utf-8", newline="") as fout,
    ):
        while chunk := fin.read(CHUNK_CHARS):
            fout.write(chunk)


def find_sources(source_dir: Path) -> dict[str, Path]:
    """Table name -> supplied file (Parquet preferred over CSV); ``_``-prefixed names are ignored."""
    found: dict[str, Path] = {}
    for table in contract.SOURCE_TABLES:
        for ext in (".parquet", ".csv"):
            path = source_dir / f"{table.name}{ext}"
            if path.is_file():
                found[table.name] = path
                break
    return found


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_path(path: Path) -> str:
    return _lit(str(path))


def _stage_table(
    con: duckdb.DuckDBPyConnection,
    table: contract.Table,
    path: Path,
    work_dir: Path,
    encoding: str | None,
    report: Report,
) -> StagedTable:
    """Stage one file as ``stg.raw_<t>`` (with ``_row``) and, if complete, ``stg.typed_<t>``."""
    raw = f"stg.raw_{table.name}"
    unparsed = 0
    if path.suffix == ".parquet":
        con.execute(
            f"CREATE VIEW {raw} AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
            f"FROM read_parquet({_sql_path(path)}, file_row_number = true)"
        )
    else:
        enc = encoding or detect_encoding(path)
        if enc.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
            utf8 = work_dir / f"{table.name}.csv"
            transcode_to_utf8(path, utf8, enc)
            path_to_read = utf8
        else:
            path_to_read = path  # DuckDB skips a UTF-8 BOM itself
        # all_varchar: every value arrives as text, so a bad value is reported by row, not fatal.
        # store_rejects: rows with the wrong number of fields are reported instead of aborting.
        header = _csv_header(path_to_read)
        if not header:
            report.add(Problem(path.name, None, None, "the file is empty (no header row)"))
            return StagedTable(path.name, (), unparsed_rows=1)
        # The dialect is fixed (RFC 4180) and the columns come from the header, so DuckDB's
        # sniffer cannot guess wrong on small or damaged files.
        columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
        try:
            con.execute(
                f"CREATE TABLE {raw}_t AS SELECT * FROM read_csv({_sql_path(path_to_read)}, header = true, "
                f"auto_detect = false, columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
                "store_rejects = true)"
            )
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0]
            report.add(Problem(path.name, None, None, f"cannot read the file as CSV: {reason}"))
            return StagedTable(path.name, tuple(header), unparsed_rows=1)
        rejects = con.execute(
            "SELECT line, column_name, error_type, error_message FROM reject_errors ORDER BY line"
        ).fetchall()
        con.execute("DELETE FROM reject_errors")
        con.execute("DELETE FROM reject_scans")
        unparsed = len(rejects)
        for line, column, _kind, message in rejects[:50]:
            report.add(Problem(path.name, int(line) - 1, column, f"cannot parse the row: {message}"))
        report.add_more(max(0, unparsed - 50))
        # Insertion order is preserved, so rowid follows the file's data rows.
        con.execute(f"CREATE VIEW {raw} AS SELECT *, rowid + 1 AS _row FROM {raw}_t")
    columns = tuple(r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall() if r[0] != "_row")
    staged = StagedTable(path.name, columns, unparsed)
    if all(c in columns for c in table.column_names):
        casts = ", ".join(f"TRY_CAST({_q(c.name)} AS {c.dtype}) AS {_q(c.name)}" for c in table.columns)
        con.execute(f"CREATE TABLE stg.typed_{table.name} AS SELECT _row, {casts} FROM {raw}")
    return staged


def _csv_header(path: Path) -> list[str]:
    """The column names in the first line of a UTF-8 CSV file (empty if the file is empty)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        # Surrounding spaces in names are a common export quirk, not a different column.
        return [name.strip() for name in next(csv.reader(fh), [])]


def _cleanup_stale(wdir: Path) -> None:
    """Remove leftovers of loads that failed or were killed (only called under the load lock)."""
    for path in wdir.iterdir():
        if ".tmp" in path.name and path.name.startswith(warehouse.FILE_PREFIX):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _prune(wdir: Path, keep: Path) -> None:
    """Delete all but the newest KEEP_FILES warehouse files (never the current one)."""
    files = sorted(
        (p for p in wdir.glob(f"{warehouse.FILE_PREFIX}*{warehouse.FILE_SUFFIX}")),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in files[KEEP_FILES:]:
        if old != keep:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


@contextlib.contextmanager
def _load_lock(wdir: Path) -> Iterator[None]:
    with open(wdir / "LOCK", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load(source_dir: Path | str, progress: Progress | None = None, encoding: str | None = None) -> LoadResult:
    """Validate the files in ``source_dir`` and, if all is well, make them the current warehouse.

    Parameters
    ----------
    source_dir
        Folder with ``<table>.parquet`` or ``<table>.csv`` for every contract source table.
    progress
        Receives one line per step.
    encoding
        Encoding of the CSV files; detected per file if omitted (UTF-8, UTF-8 with BOM, GBK).

    Returns
    -------
    LoadResult

    Raises
    ------
    ValidationFailed
        With every problem found; the current warehouse is unchanged.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    source_dir = Path(source_dir).resolve()
    wdir = paths.warehouse_dir()
    with _load_lock(wdir):
        _cleanup_stale(wdir)
        version = new_version()
        tmp = wdir / f"{warehouse.FILE_PREFIX}{version}{warehouse.FILE_SUFFIX}.tmp"
        staging = wdir / f"{warehouse.FILE_PREFIX}{version}.staging.tmp"
        work_dir = wdir / f"{warehouse.FILE_PREFIX}{version}.work.tmp"
        work_dir.mkdir()
        final = warehouse.file_for_version(version)
        try:
            row_counts, warnings = _build(source_dir, tmp, staging, work_dir, version, encoding, say)
            os.replace(tmp, final)
            warehouse.switch_current(final)
        finally:
            for leftover in (tmp, staging, Path(str(tmp) + ".wal"), Path(str(staging) + ".wal")):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(work_dir, ignore_errors=True)
        _prune(wdir, final)
    seconds = time.perf_counter() - started
    say(f"Loaded {sum(row_counts.values()):,} source rows into {final.name} in {seconds:.1f} s")
    return LoadResult(final, version, row_counts, seconds, tuple(warnings))


def _build(
    source_dir: Path,
    tmp: Path,
    staging: Path,
    work_dir: Path,
    version: str,
    encoding: str | None,
    say: Progress,
) -> tuple[dict[str, int], list[str]]:
    """Stage and validate into ``staging``, then build the warehouse in ``tmp``."""
    con = duckdb.connect(str(tmp), config=warehouse.connect_config(LOAD_THREADS, LOAD_MEMORY_LIMIT))
    try:
        con.execute(f"SET temp_directory = {_sql_path(work_dir / 'spill')}")
        main_db = con.execute("SELECT current_database()").fetchone()[0]
        # Staging lives in its own file, so raw text columns never bloat the warehouse file.
        con.execute(f"ATTACH {_sql_path(staging)} AS stg")
        report = Report()
        staged: dict[str, StagedTable] = {}
        sources = find_sources(source_dir)
        for table in contract.SOURCE_TABLES:
            if table.name in sources:
                say(f"Reading {sources[table.name].name}")
                staged[table.name] = _stage_table(con, table, sources[table.name], work_dir, encoding, report)
        say("Validating against the data contract")
        con.execute("USE stg")
        validate(con, staged, report)
        con.execute(f"USE {_q(main_db)}")
        if report.problems or report.omitted:
            raise ValidationFailed(report.problems, report.omitted)
        row_counts: dict[str, int] = {}
        for table in contract.SOURCE_TABLES:
            say(f"Storing {table.name}")
            cols = ", ".join(_q(c) for c in table.column_names)
            types = ", ".join(f"{_q(c.name)} {c.dtype}" for c in table.columns)
            key = ", ".join(_q(k) for k in table.primary_key)
            # No PRIMARY KEY constraint: keys were just validated, and an index on 100M rows
            # would cost gigabytes of memory at load time for no benefit to read-only queries.
            con.execute(f"CREATE TABLE {table.name} ({types})")
            # Transactions sorted by time: filtered drills then skip whole row groups.
            order = "txn_at, txn_id" if table.name == "transactions" else key
            con.execute(
                f"INSERT INTO {table.name} SELECT {cols} FROM stg.typed_{table.name} ORDER BY {order}"
            )
            row_counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
        con.execute("DETACH stg")
        first_month, last_month = derive.build_derived(con, progress=say)
        meta = {
            "data_version": version,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source": str(source_dir),
            "first_month": first_month,
            "last_month": last_month,
            "contract_version": contract.CONTRACT_VERSION,
            "layout": layout.fingerprint(),
        }
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [[k, meta[k]] for k in contract.Meta().keys])
        con.execute("CHECKPOINT")
        return row_counts, list(report.warnings)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: load DIR; print problems and exit 1 if the files break the contract."""
    parser = argparse.ArgumentParser(prog="python -m data.load", description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder with <table>.csv or <table>.parquet files")
    parser.add_argument("--encoding", help="CSV encoding (default: detect UTF-8, UTF-8 with BOM or GBK)")
    args = parser.parse_args(argv)
    try:
        result = load(args.source_dir, progress=print, encoding=args.encoding)
    except ValidationFailed as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"data version {result.data_version}: {result.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
