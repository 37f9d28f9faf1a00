"""The layout of a built warehouse: which derived tables and rollups, with which columns.

Each load records :func:`fingerprint` in the warehouse's ``meta`` table (key ``layout``). When
the code declares a derived column or a rollup measure that a warehouse built by an earlier
release lacks, the fingerprints differ: the demo warehouse is then rebuilt from its demo data,
and a bank's own warehouse gets a clear "reload your data" message instead of failing queries.
"""

from __future__ import annotations

import hashlib
import json

import duckdb

from data import contract, rollups, warehouse


def fingerprint() -> str:
    """A short hash of every derived table's columns and types and every rollup declaration."""
    derived = [(t.name, [(c.name, c.dtype) for c in t.columns]) for t in contract.DERIVED_TABLES]
    declared = [
        (r.name, r.source, list(r.dimensions), [(m.name, m.agg, m.column) for m in r.measures])
        for r in rollups.ROLLUPS
    ]
    text = json.dumps([contract.CONTRACT_VERSION, derived, declared], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def built(path) -> dict[str, str]:
    """The ``meta`` facts of the warehouse file at ``path`` (read-only; {} if it has none)."""
    con = warehouse.connect_readonly(path)
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def is_current(path) -> bool:
    """Whether the warehouse at ``path`` was built with the layout this code declares."""
    return built(path).get("layout") == fingerprint()
