"""A/R aging: open balances stacked by age bucket, per payer and insurance vs patient, on any date the
user picks (mart_ar_aging_daily), and the largest aged balances (claim-level, audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboards import audit, queries
from dashboards.access import PAGES, page_callback, require
from dashboards.components import grids
from dashboards.components.figures import (
    BUCKET_COLORS,
    HALF,
    MONEY_TICKS,
    Figure,
    axis,
    chart_layout,
    empty_figure,
    figure,
    plot_number,
)
from dashboards.components.layout import (
    card,
    graph,
    missing_snapshot_layout,
    page_guard,
    page_header,
    stat_tile,
)
from dashboards.filters import GlobalFilters, from_mapping
from dashboards.formatting import count, money, rate, status_label

KEY = "ar-aging"
PAGE = PAGES[KEY]
FILTERS = f"{KEY}-filters"
AS_OF = f"{KEY}-as-of"
SUMMARY = f"{KEY}-summary"
BY_PAYER = f"{KEY}-by-payer"
WIDE_LEFT = 620  # px: the by-payer chart's card is the wider of its row (3fr : 2fr)
BY_RESPONSIBILITY = f"{KEY}-by-responsibility"
LARGEST = f"{KEY}-largest"
LARGEST_NOTE = f"{KEY}-largest-note"
FILTER_NOTE = f"{KEY}-filter-note"


LARGEST_COLUMNS = [
    grids.text_column("patient_control_number", "Account (PCN)", width=150),
    grids.text_column("payer_name", "Payer", width=180),
    grids.text_column("provider_name", "Provider", width=160),
    grids.date_column("service_date", "Service date"),
    grids.number_column("days_since_submission", "Age (days)"),
    grids.text_column("status", "Status", width=130),
    grids.money_column("insurance_balance_amount", "Insurance balance", width=165),
    grids.money_column("patient_balance_amount", "Patient balance", width=140),
    grids.money_column("balance_amount", "Total open", width=130),
    grids.text_column("claim_id", "Claim id", width=290),
]


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY, check_snapshot=False)) is not None:
        return refusal
    filters = from_mapping(query)
    try:
        with queries.same_snapshot():
            with queries.open_snapshot() as snap:
                low, high = queries.aging_date_bounds(snap)
            as_of = high
            if filters.end and low and high and low <= filters.end <= high:
                as_of = filters.end
            tiles, by_payer, by_responsibility, filter_note = update_aging(
                as_of.isoformat() if as_of else None, filters.to_dict()
            )
            largest_rows, largest_note = update_largest(filters.to_dict())
    except queries.SnapshotMissing as error:
        return missing_snapshot_layout(str(error))
    return html.Div(
        [
            page_header(PAGE.title, "Open balances by age since first submission, on the date you pick."),
            dcc.Store(id=FILTERS, data=filters.to_dict()),
            html.Div(
                [
                    html.Label("A/R as of", htmlFor=AS_OF),
                    html.Div(
                        dcc.DatePickerSingle(
                            id=AS_OF,
                            date=as_of,
                            min_date_allowed=low,
                            max_date_allowed=high,
                            initial_visible_month=as_of,
                            display_format="YYYY-MM-DD",
                        ),
                        className="date-single",
                    ),
                    html.Span(filter_note, id=FILTER_NOTE, className="card-note"),
                ],
                className="controls",
            ),
            dcc.Loading(html.Div(tiles, id=SUMMARY, className="tiles"), type="dot", delay_show=300),
            html.Div(
                [
                    card(
                        "A/R by payer and age",
                        graph(BY_PAYER, 380, figure=by_payer),
                        note="Stacked by days since first submission.",
                    ),
                    card("Insurance vs patient", graph(BY_RESPONSIBILITY, 380, figure=by_responsibility)),
                ],
                className="row row-wide-left",
            ),
            card(
                "Largest aged balances",
                html.Div(
                    [
                        html.P(largest_note, id=LARGEST_NOTE, className="card-note"),
                        grids.grid(LARGEST, LARGEST_COLUMNS, height=380, rowData=largest_rows),
                    ]
                ),
            ),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=4, layout=layout
)


def _stack(
    frame: Any, group_column: str, group_labels: dict[str, str], height: int = 380, width: int = HALF
) -> Figure:
    groups = list(dict.fromkeys(frame[group_column]))
    data = []
    for order, bucket in enumerate(queries.AGING_BUCKETS, start=1):
        part = frame[frame["aging_bucket"] == bucket]
        by_group = {getattr(row, group_column): Decimal(row.balance_amount) for row in part.itertuples()}
        amounts = [by_group.get(group, Decimal("0")) for group in groups]
        data.append(
            {
                "type": "bar",
                "x": [group_labels.get(g, g) for g in groups],
                "y": [plot_number(a) for a in amounts],
                "name": f"{bucket} days",
                "marker": {"color": BUCKET_COLORS[order - 1]},
                "customdata": [money(a) for a in amounts],
                "hovertemplate": "%{x} · " + bucket + " days: %{customdata}<extra></extra>",
            }
        )
    return figure(
        data,
        chart_layout(
            height=height,
            barmode="stack",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            xaxis=axis(tickangle=-20),
            yaxis=axis(**MONEY_TICKS),
        ),
        width=width,
    )


def payer_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure("No open A/R on this date")
    totals = frame.groupby("payer_id")["balance_amount"].apply(lambda s: sum(s, Decimal("0")))
    names = dict(zip(frame["payer_id"], frame["payer_name"], strict=True))
    order = sorted(totals.index, key=lambda pid: (-totals[pid], pid))
    ordered = frame.set_index("payer_id").loc[order].reset_index()
    return _stack(ordered, "payer_id", {pid: names[pid] for pid in order}, width=WIDE_LEFT)


def responsibility_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure("No open A/R on this date")
    grouped = frame.groupby(["responsibility", "aging_bucket"], as_index=False)["balance_amount"].agg(
        lambda s: sum(s, Decimal("0"))
    )
    grouped["order"] = grouped["responsibility"].map({"insurance": 0, "patient": 1})
    grouped = grouped.sort_values("order")
    return _stack(grouped, "responsibility", {"insurance": "Insurance", "patient": "Patient"})


def summary_tiles(frame: Any, as_of: dt.date) -> list[html.Div]:
    total = sum(frame["balance_amount"], Decimal("0")) if not frame.empty else Decimal("0")
    insurance = (
        sum(frame[frame["responsibility"] == "insurance"]["balance_amount"], Decimal("0"))
        if not frame.empty
        else Decimal("0")
    )
    patient = total - insurance
    aged = (
        sum(frame[frame["bucket_order"] >= 4]["balance_amount"], Decimal("0"))
        if not frame.empty
        else Decimal("0")
    )
    return [
        stat_tile("Open A/R", money(total), f"as of {as_of.isoformat()}", f"{KEY}-tile-total"),
        stat_tile(
            "Insurance A/R",
            money(insurance),
            rate(float(insurance / total)) if total else "—",
            f"{KEY}-tile-insurance",
        ),
        stat_tile(
            "Patient A/R",
            money(patient),
            rate(float(patient / total)) if total else "—",
            f"{KEY}-tile-patient",
        ),
        stat_tile(
            "Older than 90 days",
            money(aged),
            (rate(float(aged / total)) + " of open A/R") if total else "—",
            f"{KEY}-tile-aged",
        ),
    ]


@page_callback(
    KEY,
    Output(SUMMARY, "children"),
    Output(BY_PAYER, "figure"),
    Output(BY_RESPONSIBILITY, "figure"),
    Output(FILTER_NOTE, "children"),
    Input(AS_OF, "date"),
    State(FILTERS, "data"),
    prevent_initial_call=True,  # the layout drew the page for its first date
)
def update_aging(as_of_text: str | None, filters_data: dict[str, Any] | None) -> tuple[Any, ...]:
    """Tiles, the two aging charts and the filter note for the date picked (the layout calls it first)."""
    filters = GlobalFilters.from_dict(filters_data)
    with queries.open_snapshot() as snap:
        as_of = dt.date.fromisoformat(as_of_text[:10]) if as_of_text else queries.aging_date_bounds(snap)[1]
        if as_of is None:
            return [], empty_figure("No A/R in the snapshot"), empty_figure("No A/R in the snapshot"), ""
        frame = queries.aging_as_of(snap, as_of, filters)
    notes = []
    if filters.payers:
        notes.append("Payer filter: insurance A/R of those payers only (patient A/R is not split by payer).")
    if filters.providers or filters.locations:
        notes.append(
            "The aging charts are not split by provider or location; the largest balances below are."
        )
    return summary_tiles(frame, as_of), payer_figure(frame), responsibility_figure(frame), " ".join(notes)


@require(KEY)
def update_largest(filters_data: dict[str, Any] | None) -> tuple[Any, Any]:
    """Claims open longer than 90 days at the snapshot's as-of date, largest balance first (audited)."""
    filters = GlobalFilters.from_dict(filters_data)
    with queries.open_snapshot() as snap:
        frame = queries.largest_aged_balances(snap, filters)
        as_of = queries.snapshot_as_of(snap)
    when = as_of.isoformat() if as_of else "the snapshot date"
    if frame.empty:
        return [], f"No claim has been open more than 90 days as of {when} in this range."
    frame["status"] = [status_label(s) for s in frame["current_status"]]
    audit.record(KEY, frame["claim_id"], action="view")
    return grids.rows(frame), f"The {count(len(frame))} largest balances open more than 90 days as of {when}."
