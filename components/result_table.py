"""A cube result as a table: headers, units and formats from the result's column metadata.

Takes any object with ``frame`` (a DataFrame) and ``columns`` (name -> info with ``role``,
``fmt`` and ``label(lang)``), as ``cube.api.Result`` carries, so the page keeps no table of
labels or formats of its own. A dimension with display names shows its names; its key stays
in the row (the row id), so a cell click can be mapped back to the member it stands for.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

from components.i18n import t
from components.tables import data_grid

CUSTOMER_COLUMN = "customer_id"  # drill-through rows of every cube with customers
GRID_FMTS = {"money": "money", "count": "count", "percent": "percent", "number": "number"}


def result_table(
    result: Any,
    lang: str,
    element_id: Any,
    page_size: int = 20,
    key: str | None = None,
    height: str = "420px",
) -> dag.AgGrid:
    """An AG Grid of ``result``; ``key`` (default: the first dimension) becomes the row id."""
    frame = result.frame
    headers: dict[str, str] = {}
    formats: dict[str, str] = {}
    dims = [c for c, info in result.columns.items() if info.role == "dimension" and c in frame]
    key = key or (dims[0] if dims else None)
    for column, info in result.columns.items():
        if column not in frame:
            continue
        if info.role == "dimension" and f"{column}.label" in result.columns:
            continue  # its label column stands in for it
        headers[column] = info.label(lang)
        if info.fmt in GRID_FMTS and info.role in ("measure", "detail"):
            formats[column] = GRID_FMTS[info.fmt]
    for column in frame.columns:  # detail rows without metadata keep their own names
        if column not in headers and column not in result.columns:
            headers[column] = column
    shown = frame.copy()
    if key is not None and key in shown:
        shown["_row_id"] = shown[key].astype(str)
    grid = data_grid(shown, headers, element_id, lang=lang, formats=formats, page_size=page_size)
    _link_customers(grid, result, lang)
    if key is not None and key in shown:
        grid.getRowId = "params.data._row_id"
    grid.style = {"height": height}
    return grid


CUSTOMER_PAGE = "/customer-360"


def _link_customers(grid: dag.AgGrid, result: Any, lang: str) -> None:
    """A customer row's number links to its Customer 360 page (assets'
    ``MamsCustomerLink``): customer rows only reach a grid for roles that may see them (the
    cube refuses them to aggregates-only scopes), and the page applies the scope again."""
    info = result.columns.get(CUSTOMER_COLUMN)
    if info is None or info.role != "detail":
        return
    for spec in grid.columnDefs:
        if spec.get("field") == CUSTOMER_COLUMN:
            spec["cellRenderer"] = "MamsCustomerLink"
            spec["cellRendererParams"] = {"href": CUSTOMER_PAGE, "title": t("table.open_customer", lang)}
