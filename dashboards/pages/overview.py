"""Executive overview: the month's KPI tiles (trend, change vs prior month, target) and a waterfall from
billed charges to cash that shows where the rest of the money is: adjusted, with patients, denied, or
still waiting on payers. Aggregates only: no claim or patient identifier reaches this page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import dash
from dash import dcc, html

from dashboards import queries
from dashboards.access import PAGES, require
from dashboards.components.figures import (
    AMBER,
    BLUE,
    FULL,
    GRAY,
    GREEN,
    MONEY_TICKS,
    PURPLE,
    RED,
    Figure,
    axis,
    chart_layout,
    empty_figure,
    figure,
    plot_number,
    sparkline,
)
from dashboards.components.layout import (
    card,
    graph,
    missing_snapshot_layout,
    page_guard,
    page_header,
)
from dashboards.filters import GlobalFilters, from_mapping
from dashboards.formatting import kpi_delta, kpi_value, money, money_short

KEY = "overview"
PAGE = PAGES[KEY]
MONTH = f"{KEY}-month"
TILES = f"{KEY}-tiles"
WATERFALL = f"{KEY}-waterfall"


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY, check_snapshot=False)) is not None:
        return refusal
    filters = from_mapping(query)
    try:
        with queries.same_snapshot():
            context, tiles, waterfall = update_overview(filters.to_dict())
    except queries.SnapshotMissing as error:
        return missing_snapshot_layout(str(error))
    return html.Div(
        [
            page_header(PAGE.title, "The month's revenue-cycle KPIs, and where billed dollars went."),
            html.P(context, id=MONTH, className="context-line"),
            html.Div(tiles, id=TILES, className="tiles tiles-kpi"),
            card(
                "From billed charges to cash",
                graph(WATERFALL, 380, figure=waterfall),
                note="Primary claims with dates of service in the range. Bars going down are dollars that left "
                "the billed total; the red bar is stuck in open denials and the last bar still waits on payers.",
            ),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=1, layout=layout
)


KPI_SCALE = {"percent": 100.0, "days": 1.0, "dollars": 1.0}


def kpi_tiles(series: Any, month: dt.date) -> list[html.Div]:
    """One tile per overview KPI: value, change vs prior month, target and a 12-month sparkline."""
    tiles: list[html.Div] = []
    for kpi_id in queries.OVERVIEW_KPIS:
        rows = series[series["kpi_id"] == kpi_id]
        if rows.empty:
            continue
        current = rows[rows["month"] == month]
        if current.empty:
            continue
        latest = current.iloc[0]
        prior_rows = rows[rows["month"] < month]
        prior = prior_rows.iloc[-1]["value"] if not prior_rows.empty else None
        unit = str(latest["unit"])
        value = _number(latest["value"])
        target = _number(latest["target"])
        higher_is_better = bool(latest["higher_is_better"])
        delta_class = "delta"
        if prior is not None and value is not None and value != _number(prior):
            improved = (value > _number(prior)) == higher_is_better  # type: ignore[operator]
            delta_class += " delta-good" if improved else " delta-bad"
        on_target = None
        if target is not None and value is not None:
            on_target = value >= target if higher_is_better else value <= target
        figure = sparkline(
            list(rows["month"]),
            [_number(v) for v in rows["value"]],
            target,
            scale=KPI_SCALE.get(unit, 1.0),
            color=GREEN if on_target else RED if on_target is False else BLUE,
        )
        tiles.append(
            html.Div(
                [
                    html.Div(
                        str(latest["kpi_name"]), className="tile-label", title=str(latest["definition"] or "")
                    ),
                    html.Div(
                        kpi_value(value, unit, compact=True),
                        className="tile-value",
                        title=kpi_value(value, unit),
                    ),
                    html.Div(
                        [
                            html.Span(
                                kpi_delta(value, _number(prior), unit, compact=True),
                                className=delta_class,
                                title=kpi_delta(value, _number(prior), unit),
                            ),
                            html.Span(" vs prior month", className="tile-note"),
                        ]
                    ),
                    html.Div(
                        "Target " + kpi_value(target, unit, compact=True)
                        if target is not None
                        else "No target set",
                        className="tile-target "
                        + ("on-target" if on_target else "off-target" if on_target is False else ""),
                    ),
                    dcc.Graph(
                        figure=figure,
                        config={"displayModeBar": False, "staticPlot": True},
                        style={"height": "70px"},
                        className="sparkline",
                    ),
                ],
                className="tile kpi-tile",
                id=f"{KEY}-tile-{kpi_id}",
            )
        )
    return tiles


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)


def waterfall_steps(totals: dict[str, Any]) -> list[tuple[str, Decimal, Decimal, str]]:
    """(label, base, height, colour) per bar: billed, then each deduction hanging from the running
    total, then what still waits on payers. A residual bar appears only if the identity
    billed = contractual + written off + patient share + paid + insurance open does not close."""
    billed = Decimal(totals["billed"])
    deductions = [
        ("Contractual adjustments", Decimal(totals["contractual"]), GRAY),
        ("Written off", Decimal(totals["written_off"]), GRAY),
        ("Patient responsibility", Decimal(totals["patient_responsibility"]), AMBER),
        ("Insurance paid", Decimal(totals["paid"]), GREEN),
        ("Denied, still open", Decimal(totals["denied_open"]), RED),
    ]
    awaiting = Decimal(totals["insurance_open"]) - Decimal(totals["denied_open"])
    residual = billed - sum((amount for _, amount, _ in deductions), Decimal("0")) - awaiting
    if residual != 0:
        deductions.append(("Other adjustments", residual, GRAY))
    steps = [("Billed charges", Decimal("0"), billed, BLUE)]
    running = billed
    for label, amount, color in deductions:
        running -= amount
        steps.append((label, min(running, running + amount), abs(amount), color))
    steps.append(("Awaiting payers", Decimal("0"), awaiting, PURPLE))
    return steps


def waterfall_figure(totals: dict[str, Any]) -> Figure:
    """Billed → contractual → written off → patient share → paid → open denials → awaiting payers."""
    if not totals.get("claims"):
        return empty_figure("No claims in this range")
    steps = waterfall_steps(totals)
    trace = {
        "type": "bar",
        "x": [label for label, _, _, _ in steps],
        "y": [plot_number(height) for _, _, height, _ in steps],
        "base": [plot_number(base) for _, base, _, _ in steps],
        "marker": {"color": [color for _, _, _, color in steps]},
        "text": [money_short(height) for _, _, height, _ in steps],
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": [money(height) for _, _, height, _ in steps],
        "hovertemplate": "%{x}: %{customdata}<extra></extra>",
    }
    return figure(
        [trace],
        chart_layout(
            height=380,
            show_legend=False,
            margin={"l": 60, "r": 24, "t": 30, "b": 48},
            yaxis=axis(**MONEY_TICKS, rangemode="tozero"),
        ),
        width=FULL,
    )


@require(KEY)
def update_overview(filters_data: dict[str, Any] | None) -> tuple[Any, Any, Figure]:
    """The page's data for `filters_data`: the context line, KPI tiles and the waterfall."""
    filters = GlobalFilters.from_dict(filters_data)
    with queries.open_snapshot() as snap:
        month = queries.kpi_report_month(snap, filters)
        series = queries.kpi_series(snap, month) if month else None
        totals = queries.waterfall_totals(snap, filters)
    if month is None or series is None or series.empty:
        context = "No KPI months in this range: widen the date range to see the tiles."
        tiles: list[Any] = [html.Div("No KPIs for this range.", className="empty-state")]
    else:
        context = (
            f"KPIs for {month:%B %Y} (the last month in the range), practice-wide. "
            "The waterfall follows the payer, provider and location filters."
        )
        tiles = kpi_tiles(series, month)
    return context, tiles, waterfall_figure(totals)
