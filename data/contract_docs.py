"""Renders ``docs/data-contract.md`` from ``data/contract.py``, so the doc can never drift.

``python -m data.contract_docs`` rewrites the file; a test fails if the committed copy is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from data import contract, paths
from data.contract import Column, Table

DOC_PATH = paths.REPO_ROOT / "docs" / "data-contract.md"

_INTRO = """# Data contract

Generated from `data/contract.py` by `python -m data.contract_docs`; do not edit by hand.

A bank supplies one file per **source table**: `<table>.parquet` or `<table>.csv` (header row
with the column names below, double-quoted fields; dates as `YYYY-MM-DD`, timestamps as
`YYYY-MM-DD HH:MM:SS`, booleans as `true`/`false`, empty for null). Load with
`python -m data.load DIR`. Money is DOUBLE in the currency of the settings (yuan by default),
rounded to the cent; months are the first day of the month. **Derived tables** are built at load
time and are not supplied.

CSV files: the encoding is detected per file (UTF-8, UTF-8 with BOM, GBK/GB18030, cp1250 Central
European, cp1252 Western European) and may be given per file (`--encoding customers.csv=gbk`,
repeatable; `--encoding gbk` for every file). A byte the encoding cannot read is reported with
its file, row and column. Text that decodes as GBK only by accident (Latin letters with accents
read as rare ideographs) is refused, naming the encoding it most likely is. The delimiter
(comma, semicolon, tab or pipe) is detected on the header line; a header that does not match
says which delimiter it looks like.

**Optional tables** (marked below) may be absent or empty: the load builds them empty, records
them in `meta.not_loaded`, and the views that read them say there is nothing to show.
**Optional columns** may be left out of a file: the importer fills them (with the default
given, else empty). A name given in one language only (`name_zh` or `name_en` empty or
absent) takes the other.

An extract may carry `contract_version.txt` (the contract version it was made for). An older
version is migrated (every change since version 1 is optional: new columns are filled) with a
warning saying what changed; a version this release does not know is refused. Without the file,
the version is the oldest one whose columns the files match. The warehouse records both
(`meta.contract_version`, `meta.extract_version`).

The importer checks: every file and column present (extra columns are ignored with a warning);
every value readable as its type; no empty value where the column is required; unique primary
keys; every reference resolves; allowed values and minimums; dates not before 1900 and not after
the last data month (except campaign end dates and targets); `month_date` on the first of the
month; `close_date` set exactly when status is `closed` and not before `open_date`;
`response_date` set exactly when `responded` and not before `contacted_date`; campaign
`end_date` not before `start_date`; negative balances only on products that `allows_negative`;
channel type `system` exactly for the system-posting codes.

Contract version: {version}.
"""


def _rules(table: Table, col: Column) -> str:
    parts = []
    if col.name in table.primary_key:
        parts.append("key")
    parts.append("nullable" if col.nullable else "required")
    if col.references:
        parts.append(f"references `{col.references}`")
    if col.min_value is not None:
        parts.append(f">= {col.min_value:g}")
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{a}`" for a in col.allowed))
    if col.identifying:
        parts.append("personal data")
    if col.optional:
        parts.append("optional column" + (f" (default {col.default})" if col.default else ""))
    if col.fallback:
        parts.append(f"empty or absent: takes `{col.fallback}`")
    if col.minimum_waived_by:
        parts.append(f"minimum waived where `{col.minimum_waived_by}`")
    if col.since != "1":
        parts.append(f"since version {col.since}")
    return "; ".join(parts)


def _table(table: Table) -> list[str]:
    lines = [
        f"### `{table.name}` ({table.kind}{', optional' if table.optional else ''})",
        "",
        table.meaning,
        "",
        f"Primary key: {', '.join(f'`{k}`' for k in table.primary_key)}.",
        "",
        "| column | type | rules | meaning |",
        "|---|---|---|---|",
    ]
    for col in table.columns:
        meaning = col.meaning.replace("|", "\\|")
        lines.append(f"| `{col.name}` | {col.dtype} | {_rules(table, col)} | {meaning} |")
    return [*lines, ""]


def render() -> str:
    """The whole document as Markdown text."""
    lines = [_INTRO.format(version=contract.CONTRACT_VERSION), "## Source tables (supplied by the bank)", ""]
    for table in contract.SOURCE_TABLES:
        lines += _table(table)
    lines += ["## Derived tables (built at load time)", ""]
    for table in contract.DERIVED_TABLES:
        lines += _table(table)
    lines += ["## Changes by version", ""]
    for version, changes in contract.CONTRACT_CHANGES.items():
        lines += [f"- **{version}**: " + " ".join(changes)]
    lines += [
        "",
        "## Table `meta`",
        "",
        "Key/value facts about the built warehouse: "
        + ", ".join(f"`{k}`" for k in contract.Meta().keys)
        + ". `data_version` changes with every successful load.",
        "",
    ]
    return "\n".join(lines)


def write(path: Path = DOC_PATH) -> Path:
    """Write the rendered document to ``path``."""
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC_PATH))
