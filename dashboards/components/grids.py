"""AG Grid helpers: column definitions that format money, dates, rates and countdowns.

Money travels to the browser as its exact decimal text ("1234.56"); the grid turns it into a number
only to sort and to format ($1,234.56). The Python side never converts money to float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import dash_ag_grid as dag
import pandas as pd


def money_column(field: str, header: str, width: int = 130) -> dict[str, Any]:
    return {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueGetter": {"function": f"params.data.{field} == null ? null : Number(params.data.{field})"},
        "valueFormatter": {"function": "params.value == null ? '' : d3.format('$,.2f')(params.value)"},
        "width": width,
    }


def number_column(field: str, header: str, width: int = 110, fmt: str = ",d") -> dict[str, Any]:
    return {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueFormatter": {"function": f"params.value == null ? '' : d3.format('{fmt}')(params.value)"},
        "width": width,
    }


def percent_column(field: str, header: str, width: int = 110) -> dict[str, Any]:
    return {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueFormatter": {
            "function": "params.value == null ? '' : d3.format('.1f')(params.value * 100) + ' %'"
        },
        "width": width,
    }


def date_column(field: str, header: str, width: int = 130) -> dict[str, Any]:
    return {"field": field, "headerName": header, "width": width}


def text_column(field: str, header: str, width: int | None = None, flex: int | None = None) -> dict[str, Any]:
    column: dict[str, Any] = {"field": field, "headerName": header}
    if width:
        column["width"] = width
    if flex:
        column["flex"] = flex
        column["minWidth"] = 160
    return column


def json_value(value: Any) -> Any:
    """A cell value the browser can take: money as exact text, dates as ISO text, NaN as null."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN from an empty pandas cell
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: json_value(value) for key, value in record.items()} for record in frame.to_dict("records")]


def grid(
    component_id: str,
    column_defs: list[dict[str, Any]],
    height: int = 420,
    empty_message: str = "Nothing to show for these filters.",
    **options: Any,
) -> dag.AgGrid:
    """A sortable grid; filtering is done by the page's own controls (server-side), not in the grid."""
    grid_options = {
        "animateRows": False,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
        # Plain text (AG Grid's HTML overlay template is blocked by dash-ag-grid as an XSS risk).
        "localeText": {"noRowsToShow": empty_message},
    }
    grid_options.update(options.pop("dashGridOptions", {}))
    return dag.AgGrid(
        id=component_id,
        columnDefs=column_defs,
        rowData=options.pop("rowData", []),
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions=grid_options,
        className="ag-theme-alpine",
        style={"height": f"{height}px", "width": "100%"},
        **options,
    )
