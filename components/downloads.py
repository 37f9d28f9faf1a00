"""A table as a file the browser downloads: CSV (UTF-8 with BOM, so Excel reads Chinese) or
Excel, written on the server."""

from __future__ import annotations

import io

import pandas as pd
from dash import dcc


def table_download(frame: pd.DataFrame, name: str, as_excel: bool) -> dict:
    """The ``dcc.Download`` data for ``frame`` as ``name.xlsx`` or ``name.csv``."""
    if as_excel:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, engine="openpyxl")
        return dcc.send_bytes(buffer.getvalue(), f"{name}.xlsx")
    return dcc.send_string("\ufeff" + frame.to_csv(index=False), f"{name}.csv")
