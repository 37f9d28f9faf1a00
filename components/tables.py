"""Table builders: frames in, layout out.

``link_table`` shows values as given (format them first); ``data_grid`` takes raw numbers and
formats them in the browser (``formats``), so its sorting stays numeric."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components.formatting import format_value
from components.i18n import MESSAGES, normalise_lang, t

# The ``formats`` a grid column may take, and the format its browser-side formatter applies:
# money in a table is exact to the fen.
GRID_FORMATS = {
    "money": "money_exact",
    "money_exact": "money_exact",
    "money_compact": "money",
    "percent": "percent",
    "count": "count",
    "number": "number",
}


def link_table(
    frame: pd.DataFrame, headers: dict[str, str], link_column: str, href_column: str, element_id: str
) -> dbc.Table:
    """A plain table whose ``link_column`` cells link to ``href_column`` (e.g. a drill URL)."""
    head = html.Thead(html.Tr([html.Th(label) for label in headers.values()]))
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column in headers:
            value = row[column]
            if column == link_column and row.get(href_column):
                cells.append(html.Td(dcc.Link(str(value), href=row[href_column])))
            else:
                cells.append(html.Td(value))
        body.append(html.Tr(cells))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, striped=True, id=element_id)


def grid_locale_text(lang: str | None) -> dict[str, str]:
    """AG Grid's ``localeText`` (paging, filter menus, column menu) in ``lang``, from the
    catalog's ``grid.*`` keys."""
    lang = normalise_lang(lang)
    return {key[len("grid.") :]: texts[lang] for key, texts in MESSAGES.items() if key.startswith("grid.")}


def _grid_column(column: str, label: str, fmt: str | None, lang: str) -> dict:
    # Wide enough for the header and a typical value; flex shares what is left over.
    width = max(100, 14 * len(label) if lang == "zh" else 8 * len(label) + 50)
    spec: dict = {"field": column, "headerName": label, "filter": True, "sortable": True, "minWidth": width}
    if fmt is None:
        return spec
    if fmt not in GRID_FORMATS:
        raise ValueError(f"unknown format {fmt!r} for column {column!r}; one of {sorted(GRID_FORMATS)}")
    # The cell keeps its number (numeric sort and filter); only the shown text is formatted,
    # by assets/dashAgGridFunctions.js (the same rules as components.formatting).
    return spec | {
        "minWidth": max(width, 160 if fmt == "money" else 0),
        "filter": "agNumberColumnFilter",
        "cellDataType": "number",
        "type": "rightAligned",
        "valueFormatter": {"function": f"mamsFormat(params.value, '{GRID_FORMATS[fmt]}', '{lang}')"},
    }


def data_grid(
    frame: pd.DataFrame,
    headers: dict[str, str],
    element_id: str,
    lang: str = "en",
    formats: dict[str, str] | None = None,
    *,
    page_size: int = 20,
) -> dag.AgGrid:
    """A sortable, filterable grid (free AG Grid features only) for customer rows, with its
    texts in ``lang``.

    ``formats`` maps a column to its format: "money" (shown to the fen, ``¥1,234,567.89``),
    "money_compact" (万/亿 or K/M/B), "percent", "count", "number". Those columns hold raw
    numbers, formatted in the browser, so sorting and number filters stay numeric."""
    lang = normalise_lang(lang)
    formats = formats or {}
    # NaN is not JSON: send missing values as null (the formatter shows "-").
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dag.AgGrid(
        id=element_id,
        rowData=rows,
        columnDefs=[_grid_column(c, label, formats.get(c), lang) for c, label in headers.items()],
        defaultColDef={"resizable": True, "flex": 1, "minWidth": 100},
        dashGridOptions={
            # paging only when there is more than a page: small tables stay compact
            "pagination": len(frame) > page_size,
            "paginationPageSize": page_size,
            "localeText": grid_locale_text(lang),
        },
        style={"height": "420px"},
    )


def cut_note(shown: int, total: int, lang: str, element_id: str | None = None) -> html.Div | None:
    """ "Showing the first 500 of 12,345 customers" when a table shows fewer rows than there
    are; None when it shows them all."""
    if total is None or shown >= total:
        return None
    text = t(
        "table.cut_note",
        lang,
        shown=format_value(shown, "count", lang),
        total=format_value(total, "count", lang),
    )
    props = {"id": element_id} if element_id else {}
    return html.Div(text, className="small text-muted mb-1", **props)
