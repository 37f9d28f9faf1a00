"""Data versions that review decks are pinned to, read from the ops store.

A deck (``auth.decks``, which owns the ``decks`` table) keeps its figures on the data version it
was made on; the loader keeps those versions' warehouse files when it prunes old ones
(``data.load._prune``). This module only reads the table, so ``data`` needs nothing of ``auth``.
"""

from __future__ import annotations

import sqlite3

from data import ops_store, paths
from settings import get_settings


def pinned_versions() -> set[str]:
    """Every data version some deck is pinned to (empty when no deck was ever made).

    Returns
    -------
    set[str]
        Versions as named in the warehouse file names (``wh-<version>.duckdb``).
    """
    if not get_settings().ops_url and not paths.ops_db_path().exists():  # no store yet: no decks
        return set()
    con = ops_store.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT data_version FROM decks WHERE data_version IS NOT NULL"
        ).fetchall()
    except sqlite3.OperationalError:  # a store the release before left without a deck table
        return set()
    finally:
        con.close()
    return {str(r[0]) for r in rows}
