"""The importer: validate a bank's files against the contract and build a new warehouse atomically.

``python -m data.load DIR [--encoding gbk] [--encoding customers.csv=cp1250 ...]`` or
:func:`load`; ``--append DIR`` adds the next month to the current warehouse (:mod:`data.append`).
Each table is read from ``DIR/<table>.parquet`` or ``DIR/<table>.csv``. A CSV file's encoding
(UTF-8, UTF-8 with BOM, GBK/GB18030, cp1250, cp1252) and delimiter (comma, semicolon, tab, pipe)
are detected per file (:mod:`data.sniff`); ``--encoding`` overrides the
encoding for every file or, as ``FILE=ENCODING``, for one. Files whose names start with ``_``
are ignored. Optional tables (campaigns, contacts, targets) may be absent: they are built
empty and named in meta ``not_loaded``. ``DIR/contract_version.txt`` may say which contract
version the extract was made for; older versions are migrated (new optional columns filled),
unknown ones refused.

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
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data import contract, derive, layout, paths, sniff, warehouse
from data.validate import Problem, Report, StagedTable, validate
from settings import get_settings

KEEP_FILES = 3  # the current warehouse and the two before it (readers may still hold them)
CHUNK_CHARS = 1 << 20

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
    """The encoding of a CSV file: ``utf-8-sig``, ``utf-8``, ``gb18030`` (a superset of GBK),
    ``cp1250`` or ``cp1252`` (see :func:`data.sniff.detect_encoding`).

    Raises
    ------
    data.sniff.EncodingProblem
        If the file is in none of them (or decodes as GBK only by accident and as nothing else).
    """
    return sniff.detect_encoding(path).encoding


class Undecodable(ValueError):
    """A byte the file's encoding cannot read, with where it is (1-based data row, column)."""

    def __init__(self, byte: int, row: int, column: str | None, encoding: str) -> None:
        self.byte, self.row, self.column, self.encoding = byte, row, column, encoding
        super().__init__(
            f"byte 0x{byte:02X} cannot be read as {sniff.ENCODING_NAMES.get(encoding, encoding)}"
        )


def transcode_to_utf8(src: Path, dst: Path, encoding: str, delimiter: str | None = None) -> None:
    """Stream ``src`` from ``encoding`` into UTF-8 ``dst`` in chunks (DuckDB reads only UTF-8).

    Raises
    ------
    Undecodable
        At the first byte ``encoding`` cannot read, with its data row and column.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        while True:
            chunk = fin.read(CHUNK_CHARS)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = exc.object[: exc.start].decode(encoding, errors="replace")
                fout.write(good)
                fout.close()
                row, column = _position(dst, delimiter)
                raise Undecodable(exc.object[exc.start], row, column, encoding) from None
            fout.write(text)
            if not chunk:
                return


def _position(utf8_prefix: Path, delimiter: str | None) -> tuple[int, str | None]:
    """Data row (1-based) and column name at the end of a CSV prefix (the header is row 0),
    read as a stream: the prefix may be gigabytes."""
    with open(utf8_prefix, "rb") as fh:
        fh.seek(max(0, fh.seek(0, os.SEEK_END) - 1))
        at_line_start = fh.read(1) in (b"", b"\n", b"\r")
    with open(utf8_prefix, encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
        fh.seek(0)
        delim = delimiter or sniff.detect_delimiter(first)
        header, last, count = [], [], 0
        for count, record in enumerate(csv.reader(fh, delimiter=delim), start=1):
            if count == 1:
                header = [name.strip() for name in record]
            last = record
    if count <= 1 and not at_line_start:
        return 0, header[-1] if header else None  # inside the header itself
    if at_line_start:
        return count, header[0] if header else None
    index = max(len(last) - 1, 0)
    return count - 1, header[index] if index < len(header) else None


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
    """Stage one file as ``stg.raw_<t>`` (with ``_row``) and, if complete, ``stg.typed_<t>``.

    ``encoding`` is the one asked for this file (checked, see :func:`data.sniff.check_encoding`),
    else it is detected. ``raw_<t>`` carries every contract column the file can give: optional
    columns the file lacks are filled (:func:`_fill_expressions`).
    """
    if path.suffix == ".parquet":
        base = f"stg.raw_{table.name}_p"
        con.execute(
            f"CREATE VIEW {base} AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
            f"FROM read_parquet({_sql_path(path)}, file_row_number = true)"
        )
        staged = _staged(con, base, path.name)
    else:
        staged = _stage_csv(con, table, path, work_dir, encoding, report)
        if staged.unparsed_rows or not staged.columns:
            return staged
    _create_raw_and_typed(con, table, f"stg.raw_{table.name}", staged)
    return staged


def _staged(con: duckdb.DuckDBPyConnection, relation: str, file: str, **kwargs: object) -> StagedTable:
    described = con.execute(f"DESCRIBE {relation}").fetchall()
    columns = tuple(r[0] for r in described if r[0] != "_row")
    types = {r[0]: r[1] for r in described}
    return StagedTable(file, columns, relation=relation, types=types, **kwargs)


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    table: contract.Table,
    path: Path,
    work_dir: Path,
    encoding: str | None,
    report: Report,
) -> StagedTable:
    """Decode, sniff the delimiter and read one CSV file into ``stg.raw_<t>_t`` (all VARCHAR)."""
    try:
        if encoding:
            enc = sniff.check_encoding(path, encoding)
        else:
            found = sniff.detect_encoding(path)
            enc = found.encoding
            if found.note:
                report.warnings.append(found.note)
    except sniff.EncodingProblem as exc:
        report.add(Problem(path.name, None, None, str(exc)))
        return StagedTable(path.name, (), unparsed_rows=1)
    path_to_read = path  # DuckDB reads UTF-8 and skips a UTF-8 BOM itself
    if enc not in ("utf-8", "utf-8-sig"):
        path_to_read = work_dir / f"{table.name}.csv"
        try:
            transcode_to_utf8(path, path_to_read, enc)
        except Undecodable as exc:
            report.add(Problem(path.name, exc.row or None, exc.column, f"{exc}; {_encoding_hint(path)}"))
            return StagedTable(path.name, (), unparsed_rows=1)
    first_line = _first_line(path_to_read)
    delim = sniff.detect_delimiter(first_line, table.column_names)
    header = _csv_header(path_to_read, delim)
    if not header:
        report.add(Problem(path.name, None, None, "the file is empty (no header row)"))
        return StagedTable(path.name, (), unparsed_rows=1)
    # all_varchar: every value arrives as text, so a bad value is reported by row, not fatal.
    # store_rejects: rows with the wrong number of fields are reported instead of aborting.
    # The dialect is fixed (RFC 4180 with the sniffed delimiter) and the columns come from the
    # header, so DuckDB's own sniffer cannot guess wrong on small or damaged files.
    columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
    raw = f"stg.raw_{table.name}"
    try:
        con.execute(
            f"CREATE TABLE {raw}_t AS SELECT * FROM read_csv({_sql_path(path_to_read)}, header = true, "
            f"auto_detect = false, columns = {columns}, delim = {_lit(delim)}, quote = '\"', "
            "escape = '\"', store_rejects = true)"
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
    for line, column, kind, message in rejects[:50]:
        if kind == "INVALID ENCODING":
            text = f"an undecodable byte: the file is not valid UTF-8 here; {_encoding_hint(path)}"
        else:
            text = f"cannot parse the row: {message}"
        report.add(Problem(path.name, int(line) - 1, column, text))
    report.add_more(max(0, len(rejects) - 50))
    # Insertion order is preserved, so rowid follows the file's data rows.
    con.execute(f"CREATE VIEW {raw}_v AS SELECT *, rowid + 1 AS _row FROM {raw}_t")
    return _staged(con, f"{raw}_v", path.name, unparsed_rows=len(rejects), delimiter=delim)


def _encoding_hint(path: Path) -> str:
    return f"give the file's encoding with --encoding {path.name}=ENCODING ({', '.join(sniff.SUPPORTED)})"


def _fill_expressions(table: contract.Table, staged: StagedTable) -> dict[str, str]:
    """SQL for the contract columns the file lacks or may leave empty: optional columns take
    their default, names in one language the other one, ``unknown``-able attributes their
    default where empty. Columns the file lacks and cannot be filled are left out (reported as
    missing by validation)."""
    present = set(staged.columns)
    out: dict[str, str] = {}
    for col in table.columns:
        c = _q(col.name)
        text = staged.types.get(col.name) == "VARCHAR"
        if col.name in present:
            if (table.name, col.name) == ("transactions", "time_known") and "txn_at" in present:
                known = _time_known(staged.types.get("txn_at", "VARCHAR"))
                out[col.name] = f"coalesce({_non_blank(c, text)}, CAST({known} AS {staged.types[col.name]}))"
            elif col.fallback and col.fallback in present:
                out[col.name] = f"coalesce({_non_blank(c, text)}, {_non_blank(_q(col.fallback), text)})"
            elif col.default is not None:
                out[col.name] = (
                    f"coalesce({_non_blank(c, text)}, CAST({col.default} AS {staged.types[col.name]}))"
                )
            continue
        if col.fallback and col.fallback in present:
            out[col.name] = _non_blank(_q(col.fallback), staged.types.get(col.fallback) == "VARCHAR")
        elif (table.name, col.name) == ("transactions", "time_known") and "txn_at" in present:
            out[col.name] = _time_known(staged.types.get("txn_at", "VARCHAR"))
        elif col.optional:
            out[col.name] = f"CAST({col.default or 'NULL'} AS {col.dtype})"
    return out


def _non_blank(expr: str, text: bool) -> str:
    return f"CASE WHEN trim({expr}) <> '' THEN {expr} END" if text else expr


def _time_known(txn_at_type: str) -> str:
    """Whether each txn_at carries a time of day, read from the value the file gives."""
    if txn_at_type == "DATE":
        return "false"
    if txn_at_type.startswith("TIMESTAMP"):
        return "true"
    return "CASE WHEN txn_at IS NULL THEN NULL ELSE length(trim(CAST(txn_at AS VARCHAR))) > 10 END"


def _create_raw_and_typed(
    con: duckdb.DuckDBPyConnection, table: contract.Table, raw: str, staged: StagedTable
) -> None:
    """``raw``: the file's columns with the fills of :func:`_fill_expressions`; ``stg.typed_<t>``
    when every contract column is there."""
    fills = _fill_expressions(table, staged)
    replace = [f"{expr} AS {_q(name)}" for name, expr in fills.items() if name in staged.columns]
    added = [f"{expr} AS {_q(name)}" for name, expr in fills.items() if name not in staged.columns]
    select = "*" + (f" REPLACE ({', '.join(replace)})" if replace else "")
    con.execute(f"CREATE VIEW {raw} AS SELECT {', '.join([select, *added])} FROM {staged.relation}")
    available = set(staged.columns) | set(fills)
    if all(c in available for c in table.column_names):
        casts = ", ".join(f"TRY_CAST({_q(c.name)} AS {c.dtype}) AS {_q(c.name)}" for c in table.columns)
        con.execute(f"CREATE TABLE stg.typed_{table.name} AS SELECT _row, {casts} FROM {raw}")


def _stage_absent(con: duckdb.DuckDBPyConnection, table: contract.Table) -> StagedTable:
    """An optional table the extract does not have: empty ``raw_<t>`` and ``typed_<t>``."""
    cols = ", ".join(f"CAST(NULL AS {c.dtype}) AS {_q(c.name)}" for c in table.columns)
    con.execute(f"CREATE TABLE stg.typed_{table.name} AS SELECT CAST(NULL AS BIGINT) AS _row, {cols} LIMIT 0")
    con.execute(f"CREATE VIEW stg.raw_{table.name} AS SELECT * FROM stg.typed_{table.name}")
    return StagedTable(f"{table.name}.csv", table.column_names, supplied=False)


def _first_line(path: Path) -> str:
    # errors="replace": a bad byte further on is DuckDB's to report, by row and column
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return fh.readline()


def _csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """The column names in the first line of a UTF-8 CSV file (empty if the file is empty)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        # Surrounding spaces in names are a common export quirk, not a different column.
        return [name.strip() for name in next(csv.reader(fh, delimiter=delimiter), [])]


def _cleanup_stale(wdir: Path) -> None:
    """Remove leftovers of loads that failed or were killed (only called under the load lock)."""
    for path in wdir.iterdir():
        if ".tmp" in path.name and path.name.startswith(warehouse.FILE_PREFIX):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def remove_leftovers(log: Progress | None = None) -> list[str]:
    """At start: remove what killed imports left behind (staging databases and their WAL,
    half-built ``.tmp`` files, work folders, pointer temp files, and a finished file the pointer
    was never switched to). Never the current warehouse, a file a review deck is pinned to, or
    anything while an import runs: the load lock is only tried, and if it is held nothing is
    touched. Returns the names removed; a folder that cannot be written is reported to ``log``.
    """
    from data import ops_store, pins  # pins: decks keep their warehouse files

    say = log or (lambda _msg: None)
    try:
        wdir = paths.warehouse_dir()
        with open(wdir / "LOCK", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []  # an import is running: its files are in use
            try:
                names = sorted(p.name for p in wdir.iterdir())
                _cleanup_stale(wdir)
                for pointer_tmp in wdir.glob(f"{warehouse.POINTER_NAME}.*.tmp"):
                    pointer_tmp.unlink(missing_ok=True)
                current = warehouse.current_path()
                if current is not None:
                    pinned = {warehouse.file_for_version(v).name for v in pins.pinned_versions()}
                    keep = {current.name, *pinned}
                    newest = current.stat().st_mtime_ns
                    for path in wdir.glob(f"{warehouse.FILE_PREFIX}*{warehouse.FILE_SUFFIX}"):
                        # finished after the current one but never switched to: a killed import's
                        if path.name not in keep and path.stat().st_mtime_ns > newest:
                            path.unlink(missing_ok=True)
                            Path(f"{path}.wal").unlink(missing_ok=True)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    except (OSError, ops_store.StoreUnwritable) as exc:
        say(f"Could not remove what an earlier import left in the warehouse folder: {exc}")
        return []
    removed = [name for name in names if not (wdir / name).exists()]
    if removed:
        say(f"Removed what a stopped import left behind: {', '.join(removed)}")
    return removed


def _prune(wdir: Path, keep: Path) -> None:
    """Delete all but the newest KEEP_FILES warehouse files (never the current one, nor a file
    a review deck is pinned to: ``data.pins``)."""
    from data import pins  # the ops store is read only when there is something to prune

    files = sorted(
        (p for p in wdir.glob(f"{warehouse.FILE_PREFIX}*{warehouse.FILE_SUFFIX}")),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    if len(files) <= KEEP_FILES:
        return
    pinned = {warehouse.file_for_version(v).name for v in pins.pinned_versions()}
    for old in files[KEEP_FILES:]:
        if old != keep and old.name not in pinned:
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


def open_build(tmp: Path, work_dir: Path) -> duckdb.DuckDBPyConnection:
    """The new warehouse file ``tmp``, opened to be built: the import's threads and memory
    limit, spilling to ``work_dir``."""
    con = duckdb.connect(str(tmp), config=load_config())
    con.execute(f"SET temp_directory = {_sql_path(work_dir / 'spill')}")
    return con


# Of the import's memory limit (MAMS_LOAD_MEMORY, the whole process), DuckDB's buffer manager
# gets this share: the rest is what DuckDB does not count (its per-thread state, Arrow batches
# read into Python, the interpreter). At 1M customers a 6 GB DuckDB limit peaked at 6.9 GB.
DUCKDB_SHARE = 0.7
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def size_bytes(text: str) -> int:
    """``6GB``, ``6GiB``, ``512m``, ``1024`` (bytes) as a number of bytes, as DuckDB reads them."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*", text.strip().lower())
    if found is None:
        raise ValueError(f"not a size: {text!r}")
    number, unit, binary = found.groups()
    scale = 1024 ** "bkmgt".index(unit) if binary and unit else _UNITS[unit]
    return int(float(number) * scale)


def load_config() -> dict[str, object]:
    """DuckDB's configuration for an import: the settings' threads, and a share of the memory
    limit (MAMS_LOAD_THREADS, MAMS_LOAD_MEMORY) so the whole process stays within it; past its
    share, DuckDB spills to the work folder."""
    settings = get_settings()
    duckdb_bytes = int(size_bytes(settings.load_memory) * DUCKDB_SHARE)
    return warehouse.connect_config(settings.load_threads, f"{duckdb_bytes // 2**20}MiB")


def load(
    source_dir: Path | str,
    progress: Progress | None = None,
    encoding: str | None = None,
    encodings: Mapping[str, str] | None = None,
) -> LoadResult:
    """Validate the files in ``source_dir`` and, if all is well, make them the current warehouse.

    Parameters
    ----------
    source_dir
        Folder with ``<table>.parquet`` or ``<table>.csv`` for every contract source table.
    progress
        Receives one line per step.
    encoding
        Encoding of every CSV file; detected per file if omitted (UTF-8, UTF-8 with BOM,
        GBK/GB18030, cp1250, cp1252).
    encodings
        Per-file encodings, by file or table name (``{"customers.csv": "gbk"}``); they win over
        ``encoding``. GBK asked for a file that decodes as GBK only by accident is refused.

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
            asked = _asked_encodings(encoding, encodings)
            row_counts, warnings = _build(source_dir, tmp, staging, work_dir, version, asked, say)
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
    encodings: dict[str, str],
    say: Progress,
) -> tuple[dict[str, int], list[str]]:
    """Stage and validate into ``staging``, then build the warehouse in ``tmp``."""
    con = open_build(tmp, work_dir)
    try:
        main_db = con.execute("SELECT current_database()").fetchone()[0]
        # Staging lives in its own file, so raw text columns never bloat the warehouse file.
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
            elif table.optional:
                staged[table.name] = _stage_absent(con, table)
        extract_version = _extract_version(source_dir, staged, report)
        say("Validating against the data contract")
        con.execute("USE stg")
        validate(con, staged, report)
        not_loaded = _not_loaded(con, staged)
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
            "not_loaded": ",".join(not_loaded),
            "extract_version": extract_version,
        }
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [[k, meta[k]] for k in contract.Meta().keys])
        con.execute("CHECKPOINT")
        if not_loaded:
            report.warnings.append(
                "not loaded (absent or empty), the views that read them say so: " + ", ".join(not_loaded)
            )
        return row_counts, list(report.warnings)
    finally:
        con.close()


def _asked_encodings(encoding: str | None, encodings: Mapping[str, str] | None) -> dict[str, str]:
    """Table name (``""``: every file) -> encoding asked for it."""
    out = {"": encoding} if encoding else {}
    for name, enc in (encodings or {}).items():
        table = Path(name).name
        table = table[: -len(".csv")] if table.lower().endswith(".csv") else table
        out[table] = enc
    return out


def _check_asked_files(encodings: dict[str, str], sources: dict[str, Path], report: Report) -> None:
    for name in encodings:
        if name and name not in sources:
            report.add(
                Problem(f"{name}.csv", None, None, "--encoding names a file the extract does not have")
            )
        elif name and sources[name].suffix == ".parquet":
            report.warnings.append(f"{sources[name].name}: --encoding ignored (Parquet has no encoding)")


def _extract_version(source_dir: Path, staged: dict[str, StagedTable], report: Report) -> str:
    """The contract version the extract was made for: ``contract_version.txt`` if there is one,
    else the oldest version whose columns the files match. An older version is migrated (its
    tables lack only optional columns, which are filled) with a warning saying what changed;
    an unknown one is refused."""
    current = contract.CONTRACT_VERSION
    marker = source_dir / contract.VERSION_FILE
    if marker.is_file():
        stated = marker.read_text(encoding="utf-8-sig").strip()
        if stated not in contract.READABLE_VERSIONS:
            newer = stated.isdigit() and int(stated) > int(current)
            why = (
                f"the extract was made for contract version {stated}, newer than this release reads "
                f"(up to {current}): update MAMS, or export the extract for version {current}"
                if newer
                else f"unknown contract version {stated!r} (this release reads versions "
                f"{', '.join(contract.READABLE_VERSIONS)})"
            )
            report.add(Problem(contract.VERSION_FILE, None, None, why))
            return stated
        version = stated
    else:
        supplied = {name: s for name, s in staged.items() if s.supplied and s.columns}

        def matches(v: str) -> bool:
            return all(
                set(s.columns) & set(contract.TABLES[name].column_names)
                <= set(contract.TABLES[name].columns_in(v))
                for name, s in supplied.items()
            )

        version = next((v for v in contract.READABLE_VERSIONS if matches(v)), current)
    if version != current:
        changes = [
            c
            for v in contract.READABLE_VERSIONS
            if int(v) > int(version)
            for c in contract.CONTRACT_CHANGES[v]
        ]
        how = "as contract_version.txt says" if marker.is_file() else "its columns match that version"
        report.warnings.append(
            f"the extract is for contract version {version} ({how}); migrated to version {current} "
            "(new optional columns filled). Changes since: " + " ".join(changes)
        )
    return version


def _not_loaded(con: duckdb.DuckDBPyConnection, staged: dict[str, StagedTable]) -> list[str]:
    """Optional tables the extract does not have or has empty (in the staging schema)."""
    out = []
    for table in contract.SOURCE_TABLES:
        if not table.optional or table.name not in staged:
            continue
        try:
            rows = con.execute(f"SELECT count(*) FROM typed_{table.name}").fetchone()[0]
        except duckdb.CatalogException:  # columns were missing: reported by validation
            continue
        if not staged[table.name].supplied or rows == 0:
            out.append(table.name)
    return out


def _encoding_args(parser: argparse.ArgumentParser, values: list[str]) -> tuple[str | None, dict[str, str]]:
    """``--encoding`` values: the one for every file (or None) and FILE -> encoding."""
    every = [v for v in values if "=" not in v]
    if len(every) > 1:
        parser.error("--encoding without FILE= may be given once")
    per_file = dict(v.split("=", 1) for v in values if "=" in v)
    return (every[0] if every else None), per_file


def main(argv: list[str] | None = None) -> int:
    """Command line: load DIR; print problems and exit 1 if the files break the contract."""
    parser = argparse.ArgumentParser(prog="python -m data.load", description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder with <table>.csv or <table>.parquet files")
    parser.add_argument(
        "--encoding",
        action="append",
        default=[],
        metavar="[FILE=]ENCODING",
        help="CSV encoding of every file, or FILE=ENCODING for one (repeatable; e.g. customers.csv=gbk). "
        "Default: detected per file (UTF-8, UTF-8 with BOM, GBK/GB18030, cp1250, cp1252)",
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="add the next month in DIR to the current warehouse (data.append) instead of a full load",
    )
    args = parser.parse_args(argv)
    every, per_file = _encoding_args(parser, args.encoding)
    remove_leftovers(log=print)
    try:
        if args.append:
            from data import append  # imports this module

            result = append.append(args.source_dir, progress=print, encoding=every, encodings=per_file)
        else:
            result = load(args.source_dir, progress=print, encoding=every, encodings=per_file)
    except ValidationFailed as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except ValueError as exc:  # data.append.AppendRefused: no warehouse, or another layout
        print(str(exc), file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"data version {result.data_version}: {result.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
