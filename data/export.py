"""Exporter: the current warehouse's source tables as CSV files in the contract.

Banks use the output as a template for their own extracts, and the round-trip test uses it to
prove that what we export we can load again unchanged. DuckDB writes UTF-8; other encodings
(GBK by default, as Chinese banks' tools expect) are produced by streaming transcoding.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from data import contract, warehouse

CHUNK_CHARS = 1 << 20


def export_csv(out_dir: Path | str, encoding: str = "gbk") -> list[Path]:
    """Write ``<table>.csv`` for every contract source table of the current warehouse.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing).
    encoding
        ``gbk`` (default), ``utf-8`` or ``utf-8-sig`` (UTF-8 with a BOM), or any Python codec.

    Returns
    -------
    list of Path
        The files written, in contract load order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = warehouse.open_readonly()
    written = []
    try:
        for table in contract.SOURCE_TABLES:
            target = out / f"{table.name}.csv"
            utf8 = target if encoding.lower() in ("utf-8", "utf8") else out / f"_{table.name}.utf8.tmp"
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            key = ", ".join(f'"{k}"' for k in table.primary_key)
            path_sql = "'" + str(utf8).replace("'", "''") + "'"
            # DuckDB's default text forms are the contract's: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS
            # (fractional seconds only when present), true/false, empty for null.
            con.execute(f"COPY (SELECT {cols} FROM {table.name} ORDER BY {key}) TO {path_sql} (HEADER)")
            if utf8 != target:
                _transcode(utf8, target, encoding)
                utf8.unlink()
            written.append(target)
    finally:
        con.close()
    return written


def _transcode(src: Path, dst: Path, encoding: str) -> None:
    with open(src, encoding="utf-8", newline="") as fin, open(dst, "wb") as fout:
        encoder = codecs.getincrementalencoder(encoding)()
        while chunk := fin.read(CHUNK_CHARS):
            fout.write(encoder.encode(chunk))
        fout.write(encoder.encode("", final=True))
