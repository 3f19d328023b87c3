"""Work list (billers): open insurance claims in priority order with the reasons to work them, the
deadline countdown, filters, sorting and a CSV export of the filtered list. Every list shown and every
export is written to the audit log. Clicking an account number opens the claim (its id travels in
session storage, never in the URL)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

import dash
import pyarrow as pa
import pyarrow.csv as pa_csv
from dash import Input, Output, State, dcc, html, no_update

from dashboards import audit, queries
from dashboards.access import PAGES, page_callback
from dashboards.components import grids
from dashboards.components.layout import missing_snapshot_layout, page_guard, page_header
from dashboards.filters import GlobalFilters, from_mapping
from dashboards.formatting import count, countdown, money, root_cause_label, status_label
from dashboards.ids import CLAIM_STORE, URL

KEY = "work-list"
PAGE = PAGES[KEY]
FILTERS = f"{KEY}-filters"
ROOT_CAUSE = f"{KEY}-root-cause"
BILLER = f"{KEY}-biller"
MIN_AGE = f"{KEY}-min-age"
MIN_BALANCE = f"{KEY}-min-balance"
COUNT = f"{KEY}-count"
GRID = f"{KEY}-grid"
EXPORT = f"{KEY}-export"
DOWNLOAD = f"{KEY}-download"
CLAIM_PATH = PAGES["claim-detail"].path


GRID_COLUMNS = [  # what a biller decides on comes first: amount, deadline, status, why
    # rank and account stay pinned on the left while the rest scrolls sideways
    {**grids.number_column("priority_rank", "Rank", width=75), "pinned": "left"},
    {
        **grids.text_column("patient_control_number", "Account (PCN)", width=145),
        "pinned": "left",
        "cellClass": "link-cell",
        "tooltipValueGetter": {"function": "'Open this claim'"},
    },
    grids.text_column("payer_name", "Payer", width=170),
    grids.money_column("insurance_balance_amount", "Balance", width=115),
    grids.money_column("expected_recoverable_amount", "Expected", width=115),
    {
        **grids.text_column("deadline_text", "Deadline", width=150),
        "cellClassRules": {
            "deadline-overdue": "params.data.days_to_deadline < 0",
            "deadline-soon": "params.data.days_to_deadline >= 0 && params.data.days_to_deadline <= 14",
        },
    },
    grids.text_column("status", "Status", width=150),
    {**grids.text_column("priority_reasons", "Why now", width=420), "tooltipField": "priority_reasons"},
    grids.text_column("root_cause_label", "Root cause", width=190),
    grids.text_column("carc_code", "CARC", width=80),
    grids.number_column("age_days", "Age (days)", width=115),
    grids.date_column("deadline_date", "Due date"),
    grids.text_column("deadline_type_label", "Deadline type", width=140),
    grids.text_column("assigned_biller", "Biller", width=100),
]
EXPORT_COLUMNS = list(queries.WORK_LIST_COLUMNS)


def _filter(label: str, control: Any, narrow: bool = False) -> html.Div:
    """A labelled work-list filter; its value survives page changes within the browser session."""
    return html.Div(
        [html.Label(label, htmlFor=control.id), control],
        className="filter filter-narrow" if narrow else "filter",
    )


def _many(placeholder: str) -> dict[str, Any]:
    return {"multi": True, "placeholder": placeholder, "persistence": True, "persistence_type": "session"}


def _at_least(placeholder: str) -> dict[str, Any]:
    return {
        "type": "number",
        "min": 0,
        "placeholder": placeholder,
        "debounce": True,
        "persistence": True,
        "persistence_type": "session",
    }


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY, check_snapshot=False)) is not None:
        return refusal
    filters = from_mapping(query)
    try:
        with queries.open_snapshot() as snap:
            choices = queries.work_list_choices(snap)
    except queries.SnapshotMissing as error:
        return missing_snapshot_layout(str(error))
    root_options = [
        {"label": root_cause_label(None if r == "none" else r), "value": r} for r in choices["root_causes"]
    ]
    biller_options = [{"label": b, "value": b} for b in choices["billers"]] + [
        {"label": "Unassigned", "value": queries.UNASSIGNED}
    ]
    return html.Div(
        [
            page_header(
                PAGE.title, "Open insurance claims, highest priority first: what to work now and why."
            ),
            dcc.Store(id=FILTERS, data=filters.to_dict()),
            html.Div(
                [
                    _filter(
                        "Root cause",
                        dcc.Dropdown(id=ROOT_CAUSE, options=root_options, **_many("Any root cause")),
                    ),
                    _filter(
                        "Assigned biller", dcc.Dropdown(id=BILLER, options=biller_options, **_many("Anyone"))
                    ),
                    _filter(
                        "Older than (days)", dcc.Input(id=MIN_AGE, step=1, **_at_least("0")), narrow=True
                    ),
                    _filter(
                        "Balance at least ($)",
                        dcc.Input(id=MIN_BALANCE, step=0.01, **_at_least("0.00")),
                        narrow=True,
                    ),
                    html.Button("Export CSV", id=EXPORT, className="button-primary", n_clicks=0),
                    dcc.Download(id=DOWNLOAD),
                ],
                className="controls",
            ),
            html.P(id=COUNT, className="context-line"),
            grids.grid(
                GRID,
                GRID_COLUMNS,
                height=560,
                getRowId="params.data.claim_id",
                dashGridOptions={"tooltipShowDelay": 300, "pagination": True, "paginationPageSize": 50},
            ),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=5, layout=layout
)


def local_filters(
    roots: list[str] | None, billers: list[str] | None, min_age: Any, min_balance: Any
) -> queries.WorkListFilters:
    """The page's own filters from the browser's values, validated (bad values are ignored)."""
    age: int | None = None
    if isinstance(min_age, int | float) and not isinstance(min_age, bool) and min_age > 0:
        age = int(min_age)
    balance: Decimal | None = None
    if (
        isinstance(min_balance, int | float | str)
        and not isinstance(min_balance, bool)
        and str(min_balance) != ""
    ):
        try:
            balance = Decimal(str(min_balance)).quantize(Decimal("0.01"))
        except InvalidOperation:
            balance = None
        if balance is not None and balance <= 0:
            balance = None
    return queries.WorkListFilters(
        root_causes=tuple(r for r in (roots or []) if isinstance(r, str))[:50],
        billers=tuple(b for b in (billers or []) if isinstance(b, str))[:50],
        min_age_days=age,
        min_balance=balance,
    )


def decorate(frame: Any) -> Any:
    """Readable columns for the grid: labels, countdown text."""
    frame = frame.copy()
    frame["status"] = [status_label(s) for s in frame["current_status"]]
    frame["root_cause_label"] = [root_cause_label(r) for r in frame["root_cause"]]
    frame["deadline_text"] = [
        countdown(None if d != d or d is None else int(d)) for d in frame["days_to_deadline"]
    ]
    frame["deadline_type_label"] = [
        {"appeal": "Appeal", "timely_filing": "Timely filing"}.get(t, t or "") for t in frame["deadline_type"]
    ]
    return frame


@page_callback(
    KEY,
    Output(GRID, "rowData"),
    Output(COUNT, "children"),
    Input(FILTERS, "data"),
    Input(ROOT_CAUSE, "value"),
    Input(BILLER, "value"),
    Input(MIN_AGE, "value"),
    Input(MIN_BALANCE, "value"),
)
def update_work_list(
    filters_data: dict[str, Any] | None,
    roots: list[str] | None,
    billers: list[str] | None,
    min_age: Any,
    min_balance: Any,
) -> tuple[list[dict[str, Any]], str]:
    """The first rows of the filtered work list; the claims shown are audited."""
    filters = GlobalFilters.from_dict(filters_data)
    local = local_filters(roots, billers, min_age, min_balance)
    with queries.open_snapshot() as snap:
        frame, total = queries.work_list(snap, filters, local)
    if frame.empty:
        return [], "No open claims match these filters."
    frame = decorate(frame)
    audit.record(KEY, frame["claim_id"], action="view", detail={"matching": total})
    balance = sum(frame["insurance_balance_amount"], Decimal("0"))
    shown = len(frame)
    head = (
        f"{count(total)} open claims match"
        if total == shown
        else f"Showing the top {count(shown)} of {count(total)} open claims"
    )
    return grids.rows(
        frame
    ), f"{head} · {money(balance)} open on the rows shown · click an account number to open the claim."


def export_csv(table: pa.Table) -> str:
    """The export file: every matching row, money as plain decimals (1234.56), dates ISO.

    Written by Arrow's CSV writer straight from the query result (exact decimals, no float)."""
    buffer = io.BytesIO()
    pa_csv.write_csv(table.select(EXPORT_COLUMNS), buffer, pa_csv.WriteOptions(quoting_style="needed"))
    return buffer.getvalue().decode("utf-8")


@page_callback(
    KEY,
    Output(DOWNLOAD, "data"),
    Input(EXPORT, "n_clicks"),
    State(FILTERS, "data"),
    State(ROOT_CAUSE, "value"),
    State(BILLER, "value"),
    State(MIN_AGE, "value"),
    State(MIN_BALANCE, "value"),
    prevent_initial_call=True,
)
def export_work_list(
    n_clicks: int | None,
    filters_data: dict[str, Any] | None,
    roots: list[str] | None,
    billers: list[str] | None,
    min_age: Any,
    min_balance: Any,
) -> Any:
    """CSV of the whole filtered list (not only the rows on screen); the export is audited."""
    if not n_clicks:
        return no_update
    filters = GlobalFilters.from_dict(filters_data)
    local = local_filters(roots, billers, min_age, min_balance)
    with queries.open_snapshot() as snap:
        table = queries.work_list_export(snap, filters, local)
    audit.record(KEY, table.column("claim_id").to_pylist(), action="export", detail={"rows": table.num_rows})
    return {
        "content": export_csv(table),
        "filename": f"work-list-{dt.datetime.now(dt.UTC):%Y-%m-%d}.csv",
        "type": "text/csv",
        "base64": False,
    }


@page_callback(
    KEY,
    Output(CLAIM_STORE, "data"),
    Output(URL, "pathname"),
    Input(GRID, "cellClicked"),
    prevent_initial_call=True,
)
def open_claim(cell: dict[str, Any] | None) -> tuple[Any, Any]:
    """A click on an account number opens that claim's detail page."""
    if not cell or cell.get("colId") != "patient_control_number":
        return no_update, no_update
    claim_id = cell.get("rowId")
    if not isinstance(claim_id, str) or not queries.CLAIM_ID.match(claim_id):
        return no_update, no_update
    return claim_id, CLAIM_PATH
