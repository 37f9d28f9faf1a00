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

A bank supplies one file per **source table**: `<table>.parquet` or `<table>.csv` (UTF-8, UTF-8
with BOM, or GBK; comma-separated, double-quoted, header row with the column names below; dates as
`YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS`, booleans as `true`/`false`, empty for null).
Load with `python -m data.load DIR`. Money is DOUBLE in yuan, rounded to the fen; months are the
first day of the month. **Derived tables** are built at load time and are not supplied.

The importer checks: every file and column present (extra columns are ignored with a warning);
every value readable as its type; no empty value where the column is required; unique primary
keys; every reference resolves; allowed values and minimums; dates not before 1900 and not after
the last data month (except campaign end dates and targets); `month_date` on the first of the
month; `close_date` set exactly when status is `closed` and not before `open_date`;
`response_date` set exactly when `responded` and not before `contacted_date`; campaign
`end_date` not before `start_date`.

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
    return "; ".join(parts)


def _table(table: Table) -> list[str]:
    lines = [
        f"### `{table.name}` ({table.kind})",
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
    lines += [
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
