"""Table builders: frames of already formatted values in, layout out."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html


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


def data_grid(frame: pd.DataFrame, headers: dict[str, str], element_id: str) -> dag.AgGrid:
    """A sortable, filterable grid (free AG Grid features only) for customer rows."""
    return dag.AgGrid(
        id=element_id,
        rowData=frame.to_dict("records"),
        columnDefs=[
            {"field": column, "headerName": label, "filter": True, "sortable": True}
            for column, label in headers.items()
        ],
        defaultColDef={"resizable": True},
        dashGridOptions={"pagination": True, "paginationPageSize": 20},
        style={"height": "420px"},
    )
