"""Denials: where denied dollars come from (Pareto by root cause and by CARC, payer x root cause), how the
initial denial rate moves, how much was avoidable, and what came back on appeal. Clicking a bar or a
cell lists the denials behind it (an audited, claim-level view)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboards import audit, queries
from dashboards.access import PAGES, page_callback, require
from dashboards.components import grids
from dashboards.components.figures import (
    AMBER,
    BLUE,
    FULL,
    GRAY,
    GREEN,
    MONEY_TICKS,
    PERCENT_TICKS,
    RED,
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
from dashboards.formatting import count, money, money_short, rate, root_cause_label

KEY = "denials"
PAGE = PAGES[KEY]
FILTERS = f"{KEY}-filters"
SUMMARY = f"{KEY}-summary"
PARETO_ROOT = f"{KEY}-pareto-root"
PARETO_CARC = f"{KEY}-pareto-carc"
HEATMAP = f"{KEY}-heatmap"
TREND = f"{KEY}-trend"
AVOIDABLE = f"{KEY}-avoidable"
OUTCOMES = f"{KEY}-outcomes"
DRILL_TITLE = f"{KEY}-drill-title"
DRILL_GRID = f"{KEY}-drill-grid"
CARC_TOP = 15
NO_DENIALS = "No denials in this range"


DRILL_COLUMNS = [
    grids.text_column("patient_control_number", "Account (PCN)", width=150),
    grids.text_column("payer_name", "Payer", width=180),
    grids.date_column("service_date", "Service date"),
    grids.date_column("denial_date", "Denied on"),
    grids.text_column("root_cause_label", "Root cause", width=190),
    grids.text_column("carc_code", "CARC", width=90),
    grids.text_column("rarc_codes", "RARC", width=100),
    grids.money_column("denied_amount", "Denied"),
    grids.text_column("outcome_label", "Outcome", width=150),
    grids.money_column("recovered_amount", "Recovered"),
    grids.text_column("claim_id", "Claim id", width=290),
]


def layout(**query: Any) -> html.Div:
    if (refusal := page_guard(KEY, check_snapshot=False)) is not None:
        return refusal
    filters = from_mapping(query)
    try:
        with queries.same_snapshot():
            tiles, root, carc, heat, trend, avoidable, outcomes = update_denials(filters.to_dict())
    except queries.SnapshotMissing as error:
        return missing_snapshot_layout(str(error))
    return html.Div(
        [
            page_header(PAGE.title, "What is denied, why, by which payer, and what came back."),
            dcc.Store(id=FILTERS, data=filters.to_dict()),
            html.Div(tiles, id=SUMMARY, className="tiles"),
            html.Div(
                [
                    card(
                        "Denied dollars by root cause",
                        graph(PARETO_ROOT, figure=root),
                        note="Bars: denied dollars; line: cumulative share. Click a bar for its claims.",
                    ),
                    card(
                        f"Denied dollars by CARC (top {CARC_TOP})",
                        graph(PARETO_CARC, figure=carc),
                        note="Click a bar for its claims.",
                    ),
                ],
                className="row",
            ),
            card(
                "Payer × root cause",
                graph(HEATMAP, 360, figure=heat),
                note="Denied dollars; click a cell for its claims.",
            ),
            html.Div(
                [
                    card(
                        "Initial denial rate by month of service",
                        graph(TREND, 300, figure=trend),
                        note="Primary claims denied on their first remittance ÷ primary claims; dashed: target; dotted: "
                        "months under 90 % adjudicated, whose rate still rises.",
                    ),
                    card(
                        "Avoidable vs unavoidable",
                        graph(AVOIDABLE, 300, figure=avoidable),
                        note="Avoidable: a front-end, coding or filing fix would have prevented it.",
                    ),
                ],
                className="row",
            ),
            card(
                "What came back: outcome of denied dollars by root cause",
                graph(OUTCOMES, 360, figure=outcomes),
            ),
            card(
                "Claims behind the selection",
                html.Div(
                    [
                        html.P(
                            "Click a bar or a cell above to list its denials.",
                            id=DRILL_TITLE,
                            className="card-note",
                        ),
                        grids.grid(
                            DRILL_GRID,
                            DRILL_COLUMNS,
                            height=360,
                            empty_message="Click a bar or a cell above to list its denials.",
                        ),
                    ]
                ),
            ),
        ],
        className="page",
        id=f"page-{KEY}",
    )


dash.register_page(
    __name__, path=PAGE.path, name=PAGE.title, title=f"{PAGE.title} · RCM dashboards", order=2, layout=layout
)


def summary_tiles(summary: dict[str, Any]) -> list[html.Div]:
    denied = Decimal(summary["denied_amount"])
    avoidable = Decimal(summary["avoidable_amount"])
    avoidable_share = float(avoidable / denied) if denied else None
    return [
        stat_tile(
            "Denied dollars", money(denied), f"{count(summary['denials'])} denials", f"{KEY}-tile-denied"
        ),
        stat_tile(
            "Still open", money(summary["open_amount"]), "denied dollars not yet resolved", f"{KEY}-tile-open"
        ),
        stat_tile(
            "Avoidable share", rate(avoidable_share), f"{money(avoidable)} avoidable", f"{KEY}-tile-avoidable"
        ),
        stat_tile(
            "Overturn rate",
            rate(summary["overturn_rate"]),
            f"{count(summary['overturned'])} of {count(summary['initial_denials'])} initial denials",
            f"{KEY}-tile-overturn",
        ),
        stat_tile(
            "Recovered", money(summary["recovered_amount"]), "paid after a denial", f"{KEY}-tile-recovered"
        ),
    ]


def pareto_figure(frame: Any, labels: list[str], keys: list[str], show_cause: bool = False) -> Figure:
    """Bars of denied dollars, largest first, with the cumulative share of all denied dollars."""
    if frame.empty:
        return empty_figure(NO_DENIALS)
    amounts = [Decimal(value) for value in frame["denied_amount"]]
    total = sum(amounts, Decimal("0"))
    cumulative, running = [], Decimal("0")
    for amount in amounts:
        running += amount
        cumulative.append(float(running / total * 100) if total else 0.0)
    bars = {
        "type": "bar",
        "x": labels,
        "y": [plot_number(a) for a in amounts],
        "name": "Denied dollars",
        "marker": {"color": RED},
        "customdata": [
            [key, money(a), int(n), (" · " + root_cause_label(cause)) if show_cause else ""]
            for key, a, n, cause in zip(keys, amounts, frame["denials"], frame["root_cause"], strict=True)
        ],
        "hovertemplate": "%{x}%{customdata[3]}<br>%{customdata[1]} in %{customdata[2]} denials<extra></extra>",
    }
    line = {
        "type": "scatter",
        "x": labels,
        "y": cumulative,
        "yaxis": "y2",
        "name": "Cumulative share",
        "mode": "lines+markers",
        "line": {"color": GRAY},
        "hovertemplate": "%{y:.1f} % of denied dollars<extra></extra>",
    }
    return figure(
        [bars, line],
        chart_layout(
            xaxis=axis(tickangle=-30),
            yaxis=axis(**MONEY_TICKS),
            yaxis2=axis(
                overlaying="y",
                side="right",
                range=[0, 105],
                tickvals=[0, 25, 50, 75, 100],
                ticktext=["0 %", "25 %", "50 %", "75 %", "100 %"],
                showgrid=False,
            ),
        ),
    )


def heatmap_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure(NO_DENIALS)
    payers = sorted({(row.payer_id, row.payer_name) for row in frame.itertuples()}, key=lambda p: p[1])
    causes = sorted(set(frame["root_cause"]), key=root_cause_label)
    cell = {(row.payer_id, row.root_cause): row for row in frame.itertuples()}
    z, text, custom = [], [], []
    for payer_id, _ in payers:
        z_row, text_row, custom_row = [], [], []
        for cause in causes:
            row = cell.get((payer_id, cause))
            amount = Decimal(row.denied_amount) if row is not None else None
            z_row.append(plot_number(amount))
            text_row.append(money_short(amount) if amount is not None else "")
            custom_row.append([payer_id, cause, money(amount) if amount is not None else "$0.00"])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    trace = {
        "type": "heatmap",
        "z": z,
        "x": [root_cause_label(c) for c in causes],
        "y": [name for _, name in payers],
        "text": text,
        "texttemplate": "%{text}",
        "customdata": custom,
        "colorscale": "OrRd",
        "hoverongaps": False,
        "hovertemplate": "%{y} · %{x}<br>%{customdata[2]} denied<extra></extra>",
        "colorbar": {"tickprefix": "$", "tickformat": ",.0f", "title": {"text": "Denied"}},
    }
    return figure(
        [trace],
        chart_layout(
            height=360,
            show_legend=False,
            xaxis=axis(tickangle=-25, showgrid=False),
            # plotly draws a heatmap's first row at the bottom: reversed, the payers read A to Z
            # downwards, like every other payer list in the suite
            yaxis=axis(showgrid=False, autorange="reversed"),
        ),
        width=FULL,
    )


# A month of service whose primary claims are less than this share adjudicated is drawn apart: its
# initial denial rate is a floor that rises as remittances arrive (the last month, 21 % adjudicated at
# 1,000,000 claims, read 2.5 % against 12-14 % for settled months).
MATURE_SHARE = 0.9


def trend_figure(frame: Any, target: float | None) -> Figure:
    if frame.empty:
        return empty_figure("No claims in this range", height=300)
    months = [m.isoformat() for m in frame["month"]]
    rates = [r * 100 for r in frame["rate"]]
    shares = [
        int(a) / int(c) if int(c) else 1.0 for a, c in zip(frame["adjudicated"], frame["claims"], strict=True)
    ]
    mature = [share >= MATURE_SHARE for share in shares]
    customdata = [
        [int(d), int(c), int(a), share * 100]
        for d, c, a, share in zip(
            frame["initially_denied"], frame["claims"], frame["adjudicated"], shares, strict=True
        )
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": months,
            "y": [rate if ok else None for rate, ok in zip(rates, mature, strict=True)],
            "mode": "lines+markers",
            "name": "Initial denial rate",
            "line": {"color": RED, "width": 2},
            "customdata": customdata,
            "hovertemplate": "%{x|%b %Y}: %{y:.1f} %<br>%{customdata[0]} of %{customdata[1]} claims<extra></extra>",
        }
    ]
    if not all(mature):
        # Each run of maturing months is dotted from the settled month on either side, so the line does
        # not read as a fall in denials; a settled stretch between two runs stays off the dotted trace.
        last = len(months) - 1
        keep = [
            i
            for i in range(len(months))
            if not mature[i] or (i > 0 and not mature[i - 1]) or (i < last and not mature[i + 1])
        ]
        xs: list[str] = []
        ys: list[float | None] = []
        dotted_data: list[list[Any]] = []
        for position, i in enumerate(keep):
            previous = keep[position - 1] if position else i - 1
            if position and (i != previous + 1 or (mature[previous] and mature[i])):
                # a gap breaks the dotted line over the settled months between two maturing runs
                xs.append(months[previous + 1])
                ys.append(None)
                dotted_data.append(customdata[previous + 1])
            xs.append(months[i])
            ys.append(rates[i])
            dotted_data.append(customdata[i])
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines+markers",
                "name": f"Not yet adjudicated (under {MATURE_SHARE:.0%} remitted)",
                "line": {"color": RED, "width": 2, "dash": "dot"},
                "marker": {"symbol": "circle-open", "size": 8},
                "customdata": dotted_data,
                "hovertemplate": "%{x|%b %Y}: %{y:.1f} % so far<br>%{customdata[0]} of %{customdata[1]} claims; "
                "%{customdata[2]} adjudicated (%{customdata[3]:.0f} %)<extra></extra>",
            }
        )
    if target is not None:
        data.append(
            {
                "type": "scatter",
                "x": [months[0], months[-1]],
                "y": [target * 100, target * 100],
                "mode": "lines",
                "name": "Target",
                "line": {"color": GRAY, "dash": "dash"},
                "hovertemplate": f"Target {target * 100:.1f} %<extra></extra>",
            }
        )
    return figure(data, chart_layout(height=300, xaxis=axis(tickformat="%b %Y"), yaxis=axis(**PERCENT_TICKS)))


def avoidable_figure(summary: dict[str, Any]) -> Figure:
    avoidable = Decimal(summary["avoidable_amount"])
    unavoidable = Decimal(summary["unavoidable_amount"])
    total = avoidable + unavoidable
    if not total:
        return empty_figure(NO_DENIALS, height=300)
    amounts = [avoidable, unavoidable]
    trace = {
        "type": "bar",
        "x": [plot_number(a) for a in amounts],
        "y": ["Avoidable", "Unavoidable"],
        "orientation": "h",
        "marker": {"color": [AMBER, GRAY]},
        "text": [f"{money(a)} · {rate(float(a / total))}" for a in amounts],
        "textposition": "auto",
        "hovertemplate": "%{y}: %{text}<extra></extra>",
    }
    return figure(
        [trace],
        chart_layout(
            height=300, show_legend=False, xaxis=axis(**MONEY_TICKS), yaxis=axis(autorange="reversed")
        ),
    )


OUTCOME_LABELS = {
    "overturned": "Overturned",
    "patient": "Moved to patient",
    "written_off": "Written off",
    "open": "Open",
}
OUTCOME_ORDER = [
    ("overturned", "Overturned (paid)", GREEN),
    ("patient", "Moved to patient", AMBER),
    ("written_off", "Written off", RED),
    ("open", "Still open", BLUE),
]


def outcomes_figure(frame: Any) -> Figure:
    if frame.empty:
        return empty_figure(NO_DENIALS)
    causes = sorted(set(frame["root_cause"]), key=root_cause_label)
    data = []
    for outcome, label, color in OUTCOME_ORDER:
        part = frame[frame["outcome"] == outcome]
        by_cause = {row.root_cause: Decimal(row.denied_amount) for row in part.itertuples()}
        if not by_cause:
            continue
        amounts = [by_cause.get(cause, Decimal("0")) for cause in causes]
        data.append(
            {
                "type": "bar",
                "y": [root_cause_label(c) for c in causes],
                "x": [plot_number(a) for a in amounts],
                "name": label,
                "orientation": "h",
                "marker": {"color": color},
                "customdata": [money(a) for a in amounts],
                "hovertemplate": "%{y} · " + label + ": %{customdata}<extra></extra>",
            }
        )
    return figure(
        data,
        chart_layout(
            height=360,
            barmode="stack",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
            xaxis=axis(**MONEY_TICKS),
            yaxis=axis(autorange="reversed"),
        ),
        width=FULL,
    )


@require(KEY)
def update_denials(filters_data: dict[str, Any] | None) -> tuple[Any, ...]:
    """The page's data for `filters_data`: tiles and the six figures (the layout puts them in place)."""
    filters = GlobalFilters.from_dict(filters_data)
    with queries.open_snapshot() as snap:
        summary = queries.denial_summary(snap, filters)
        by_root = queries.denials_by(snap, filters, "root_cause")
        by_carc = queries.denials_by(snap, filters, "carc_code").head(CARC_TOP)
        heat = queries.denial_heatmap(snap, filters)
        trend = queries.initial_denial_trend(snap, filters)
        target = queries.kpi_target(snap, "initial_denial_rate")
        outcomes = queries.denial_outcomes(snap, filters)
    root_keys = list(by_root["root_cause"]) if not by_root.empty else []
    carc_keys = list(by_carc["key"]) if not by_carc.empty else []
    return (
        summary_tiles(summary),
        pareto_figure(by_root, [root_cause_label(k) for k in root_keys], root_keys),
        pareto_figure(
            by_carc,
            [f"CARC {k}" for k in carc_keys],
            carc_keys,
            show_cause=True,
        ),
        heatmap_figure(heat),
        trend_figure(trend, target),
        avoidable_figure(summary),
        outcomes_figure(outcomes),
    )


def _clicked(click: dict[str, Any] | None) -> list[Any] | None:
    points = (click or {}).get("points") or []
    if not points or not isinstance(points[0].get("customdata"), list):
        return None
    return points[0]["customdata"]


def drill_rows(source: str | None, click: dict[str, Any] | None, filters: GlobalFilters) -> tuple[Any, Any]:
    """Title and grid rows for a click on `source` (a Pareto or the heat map); audits what it shows."""
    data = _clicked(click)
    if data is None:
        return no_update, no_update
    if source == PARETO_ROOT:
        selection = {"root_cause": str(data[0])}
        title = f"Root cause: {root_cause_label(str(data[0]))}"
    elif source == PARETO_CARC:
        selection = {"carc_code": str(data[0])}
        title = f"CARC {data[0]}"
    elif source == HEATMAP:
        selection = {"payer_id": str(data[0]), "root_cause": str(data[1])}
        title = f"Payer {data[0]} · {root_cause_label(str(data[1]))}"
    else:
        return no_update, no_update
    with queries.open_snapshot() as snap:
        frame = queries.denied_claims(snap, filters, **selection)
    if frame.empty:
        return f"{title}: no denials in this range.", []
    frame["root_cause_label"] = [root_cause_label(r) for r in frame["root_cause"]]
    frame["outcome_label"] = [OUTCOME_LABELS.get(o, o) for o in frame["outcome"]]
    audit.record(
        KEY, frame["claim_id"].drop_duplicates(), action="drill_down", detail={"selection": selection}
    )
    shown = len(frame)
    note = f" (the {shown} largest)" if shown >= queries.DRILL_ROW_LIMIT else ""
    denied = money(sum(frame["denied_amount"], Decimal("0")))
    return f"{title}: {shown} denials{note}, {denied} denied.", grids.rows(frame)


@page_callback(
    KEY,
    Output(DRILL_TITLE, "children"),
    Output(DRILL_GRID, "rowData"),
    Input(PARETO_ROOT, "clickData"),
    Input(PARETO_CARC, "clickData"),
    Input(HEATMAP, "clickData"),
    State(FILTERS, "data"),
    prevent_initial_call=True,
)
def drill_down(
    root_click: dict[str, Any] | None,
    carc_click: dict[str, Any] | None,
    heat_click: dict[str, Any] | None,
    filters_data: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """The denials behind the clicked bar or cell (largest first); each list shown is audited."""
    source = ctx.triggered_id
    click = {PARETO_ROOT: root_click, PARETO_CARC: carc_click, HEATMAP: heat_click}.get(source)
    return drill_rows(source, click, GlobalFilters.from_dict(filters_data))
