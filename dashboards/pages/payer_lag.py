"""Payer lag: how long each payer takes from our submission to its payment (box plot, slowest first),
how the median and 90th percentile move, which share is paid within 30 days, and our own charge lag
(date of service to submission) by provider and location. Aggregates only."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards import queries
from dashboards.access import PAGES, require
from dashboards.components import grids
from dashboards.components.figures import (
    AMBER,
    BLUE,
    FULL,
    GRAY,
    GREEN,
    PERCENT_TICKS,
    RED,
    Figure,
    axis,
    bars_height,
    chart_layout,
    empty_figure,
    figure,
    slant,
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
from dashboards.formatting import count, days, rate

KEY = "payer-lag"
PAGE = PAGES[KEY]
SUMMARY = f"{KEY}-summary"
BOXES = f"{KEY}-boxes"
TREND = f"{KEY}-trend"
WITHIN_30 = f"{KEY}-within-30"
PAYER_GRID = f"{KEY}-payer-grid"
CHARGE_PROVIDER = f"{KEY}-charge-provider"
CHARGE_LOCATION = f"{KEY}-charge-location"
NO_PAYMENTS = "No paid claims in this range"


PAYER_COLUMNS = [
    grids.text_column("payer_name", "Payer (slowest first)", flex=2),
    grids.number_column("paid_claims", "Paid claims", width=130),
    grids.number_column("median", "Median days", width=140, fmt=",.1f"),
    grids.number_column("p90", "90th percentile days", width=190, fmt=",.1f"),
    grids.percent_column("share_within_30", "Paid within 30 days", width=190),
]


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY, check_snapshot=False)) is not None:
        return refusal
    filters = from_mapping(query)
    try:
        with queries.same_snapshot():
            tiles, boxes, trend, within_30, payer_rows, by_provider, by_location = update_payer_lag(
                filters.to_dict()
            )
    except queries.SnapshotMissing as error:
        return missing_snapshot_layout(str(error))
    return html.Div(
        [
            page_header(
                PAGE.title, "Days from our first submission to the payer's first payment (835 payment date)."
            ),
            html.Div(tiles, id=SUMMARY, className="tiles"),
            card(
                "Submission to payment, by payer (slowest first)",
                graph(BOXES, 380, figure=boxes),
                note="Box: middle half of paid claims; line: median; whiskers: 1.5 × the box's height.",
            ),
            html.Div(
                [
                    card(
                        "Median and 90th percentile by month of submission", graph(TREND, 300, figure=trend)
                    ),
                    card("Share of paid claims paid within 30 days", graph(WITHIN_30, 300, figure=within_30)),
                ],
                className="row",
            ),
            card(
                "Payers, slowest first", grids.grid(PAYER_GRID, PAYER_COLUMNS, height=260, rowData=payer_rows)
            ),
            html.Div(
                [
                    card(
                        "Charge lag by provider",
                        graph(CHARGE_PROVIDER, 300, figure=by_provider),
                        note="Date of service to first submission: our own delay.",
                    ),
                    card(
                        "Charge lag by location",
                        graph(CHARGE_LOCATION, 300, figure=by_location),
                        note="Date of service to first submission.",
                    ),
                ],
                className="row",
            ),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=3, layout=layout
)


def box_figure(frame: Any) -> Figure:
    """Precomputed box statistics per payer (the browser never receives one point per claim)."""
    if frame.empty:
        return empty_figure(NO_PAYMENTS, height=380)
    names = list(frame["payer_name"])
    boxes = {
        "type": "box",
        "x": names,
        "q1": list(frame["q1"]),
        "median": list(frame["median"]),
        "q3": list(frame["q3"]),
        "lowerfence": list(frame["lower_fence"]),
        "upperfence": list(frame["upper_fence"]),
        "marker": {"color": BLUE},
        "line": {"color": BLUE},
        "fillcolor": "rgba(31,111,235,0.25)",
        "name": "Days to payment",
        "hoverinfo": "y",
    }
    p90 = {
        "type": "scatter",
        "x": names,
        "y": list(frame["p90"]),
        "mode": "markers",
        "marker": {"symbol": "line-ew-open", "size": 22, "color": RED, "line": {"width": 2}},
        "name": "90th percentile",
        "customdata": [[int(n)] for n in frame["paid_claims"]],
        "hovertemplate": "%{x}: 90th percentile %{y:.1f} days<br>%{customdata[0]} paid claims<extra></extra>",
    }
    thirty = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": 30,
        "y1": 30,
        "line": {"color": GRAY, "dash": "dot"},
    }
    label = {
        "text": "30 days",
        "xref": "paper",
        "x": 1,
        "xanchor": "right",
        "y": 30,
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"color": GRAY},
    }
    return figure(
        [boxes, p90],
        chart_layout(
            height=380,
            xaxis=axis(tickangle=slant(names, FULL)),
            yaxis=axis(title={"text": "days"}, rangemode="tozero"),
            shapes=[thirty],
            annotations=[label],
        ),
        width=FULL,
    )


def trend_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure(NO_PAYMENTS, height=300)
    months = [m.isoformat() for m in frame["month"]]
    data = [
        {
            "type": "scatter",
            "x": months,
            "y": list(frame["median"]),
            "name": "Median",
            "mode": "lines+markers",
            "line": {"color": BLUE},
            "hovertemplate": "%{x|%b %Y}: median %{y:.1f} days<extra></extra>",
        },
        {
            "type": "scatter",
            "x": months,
            "y": list(frame["p90"]),
            "name": "90th percentile",
            "mode": "lines+markers",
            "line": {"color": RED, "dash": "dot"},
            "hovertemplate": "%{x|%b %Y}: 90th percentile %{y:.1f} days<extra></extra>",
        },
    ]
    return figure(
        data,
        chart_layout(
            height=300, xaxis=axis(tickformat="%b %Y"), yaxis=axis(title={"text": "days"}, rangemode="tozero")
        ),
    )


def within_30_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure(NO_PAYMENTS, height=300)
    ordered = frame.sort_values(["share_within_30", "payer_name"])
    shares = [float(s) * 100 for s in ordered["share_within_30"]]
    trace = {
        "type": "bar",
        "y": list(ordered["payer_name"]),
        "x": shares,
        "orientation": "h",
        "marker": {"color": [GREEN if s >= 80 else AMBER if s >= 50 else RED for s in shares]},
        "text": [rate(float(s)) for s in ordered["share_within_30"]],
        "textposition": "auto",
        "hovertemplate": "%{y}: %{text} paid within 30 days<extra></extra>",
    }
    return figure(
        [trace],
        chart_layout(
            height=bars_height(len(shares), per_row=22),
            show_legend=False,
            xaxis=axis(**PERCENT_TICKS, range=[0, 100]),
        ),
    )


def charge_lag_figure(frame: Any, empty_message: str) -> Figure:
    if frame.empty:
        return empty_figure(empty_message, height=300)
    labels = list(frame["label"])
    data = [
        {
            "type": "bar",
            "y": labels,
            "x": list(frame["median"]),
            "name": "Median",
            "orientation": "h",
            "marker": {"color": BLUE},
            "customdata": [[int(n)] for n in frame["claims"]],
            "hovertemplate": "%{y}: median %{x:.1f} days (%{customdata[0]} claims)<extra></extra>",
        },
        {
            "type": "bar",
            "y": labels,
            "x": list(frame["p90"]),
            "name": "90th percentile",
            "orientation": "h",
            "marker": {"color": "rgba(217,72,15,0.55)"},
            "hovertemplate": "%{y}: 90th percentile %{x:.1f} days<extra></extra>",
        },
    ]
    return figure(
        data,
        chart_layout(
            height=bars_height(len(labels), per_row=26),
            barmode="group",
            xaxis=axis(title={"text": "days"}, rangemode="tozero"),
            yaxis=axis(autorange="reversed"),
        ),
    )


@require(KEY)
def update_payer_lag(filters_data: dict[str, Any] | None) -> tuple[Any, ...]:
    """The page's data for `filters_data`: tiles, four figures, the payer grid's rows, two more figures."""
    filters = GlobalFilters.from_dict(filters_data)
    with queries.open_snapshot() as snap:
        histogram = queries.payment_lag_histogram(snap, filters)
        overall = queries.payment_lag_overall(snap, filters, histogram)
        by_payer = queries.payment_lag_by_payer(snap, filters, histogram)
        trend = queries.payment_lag_trend(snap, filters)
        charge_lags = queries.charge_lags(snap, filters)
    slowest = by_payer.iloc[0]["payer_name"] if not by_payer.empty else "—"
    tiles = [
        stat_tile(
            "Median days to payment",
            days(overall["median"]),
            f"{count(overall['paid_claims'])} paid claims",
            f"{KEY}-tile-median",
        ),
        stat_tile("90th percentile", days(overall["p90"]), "nine in ten are paid by then", f"{KEY}-tile-p90"),
        stat_tile(
            "Paid within 30 days", rate(overall["share_within_30"]), "of paid claims", f"{KEY}-tile-within-30"
        ),
        stat_tile("Slowest payer", str(slowest), "by median days", f"{KEY}-tile-slowest", text=True),
        stat_tile(
            "Median charge lag",
            days(overall["charge_lag_median"]),
            "service to submission, paid claims",
            f"{KEY}-tile-charge-lag",
        ),
    ]
    payer_rows = (
        grids.rows(by_payer[["payer_name", "paid_claims", "median", "p90", "share_within_30"]])
        if not by_payer.empty
        else []
    )
    return (
        tiles,
        box_figure(by_payer),
        trend_figure(trend),
        within_30_figure(by_payer),
        payer_rows,
        charge_lag_figure(charge_lags["provider"], "No submitted claims in this range"),
        charge_lag_figure(charge_lags["location"], "No submitted claims in this range"),
    )
