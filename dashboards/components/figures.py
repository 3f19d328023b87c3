"""Figure helpers: one look for every chart, and empty states that say why in words.

Figures are plain plotly.js dicts ({"data": [...], "layout": {...}}), not plotly.py objects: building
a validated `go.Figure` costs 5-60 ms per chart (template copies and property validation), more than
all of a page's queries together; a dict costs nothing and dcc.Graph takes it as is.

Money reaches a figure as Decimal and leaves as a JSON number: a chart is a display, and every sum
was done in SQL or Decimal before it got here (`plot_number` is the one conversion).
"""

from __future__ import annotations

from typing import Any

Figure = dict[str, Any]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
BLUE = "#1f6feb"
GREEN = "#2f9e44"
RED = "#d9480f"
AMBER = "#f08c00"
GRAY = "#868e96"
PURPLE = "#7048e8"
# 0-30 .. 120+: calm to alarming
BUCKET_COLORS = ["#74c0fc", "#4dabf7", "#fcc419", "#ff922b", "#e03131"]
SERIES = [BLUE, "#0ca678", AMBER, PURPLE, RED, "#1098ad", "#d6336c", "#5c940d", GRAY, "#3b5bdb"]
MONEY_TICKS = {"tickprefix": "$", "tickformat": ",.0f"}
PERCENT_TICKS = {"ticksuffix": " %", "tickformat": ".0f", "rangemode": "tozero"}


def plot_number(value: object) -> float | None:
    """A Decimal (or int) as a JSON number for a chart; None stays None. Display only."""
    if value is None:
        return None
    return float(value)  # type: ignore[arg-type]


def axis(**settings: Any) -> dict[str, Any]:
    """An axis with the house defaults (light grid, no zero line, room for long labels)."""
    return {"gridcolor": GRID, "zeroline": False, "automargin": True, **settings}


def chart_layout(height: int = 340, show_legend: bool = True, **settings: Any) -> dict[str, Any]:
    """A figure layout with the house look; `settings` (xaxis=axis(...), barmode=...) override."""
    base: dict[str, Any] = {
        "height": height,
        "margin": {"l": 60, "r": 24, "t": 16, "b": 48},
        "font": {"family": FONT, "size": 13, "color": INK},
        "hoverlabel": {"font": {"family": FONT, "size": 13}},
        "colorway": SERIES,
        "showlegend": show_legend,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": axis(),
        "yaxis": axis(),
    }
    base.update(settings)
    return base


def figure(data: list[dict[str, Any]], figure_layout: dict[str, Any]) -> Figure:
    return {"data": data, "layout": figure_layout}


def empty_figure(message: str, height: int = 340) -> Figure:
    """A blank chart carrying the reason it is blank, e.g. 'No denials in this range'."""
    return figure(
        [],
        chart_layout(
            height=height,
            show_legend=False,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": message,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                    "showarrow": False,
                    "font": {"size": 15, "color": MUTED},
                }
            ],
        ),
    )


def sparkline(
    x: list[object], y: list[float | None], target: float | None, scale: float = 1.0, color: str = BLUE
) -> Figure:
    """A small trend with its target as a dashed line (values multiplied by `scale` for display)."""
    values = [None if v is None else v * scale for v in y]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x,
            "y": values,
            "mode": "lines+markers",
            "line": {"color": color, "width": 2},
            "marker": {"size": 4},
            "hovertemplate": "%{x|%b %Y}: %{y:,.1f}<extra></extra>",
            "name": "value",
        }
    ]
    if target is not None and x:
        data.append(
            {
                "type": "scatter",
                "x": [x[0], x[-1]],
                "y": [target * scale, target * scale],
                "mode": "lines",
                "line": {"color": GRAY, "width": 1, "dash": "dash"},
                "hoverinfo": "skip",
                "name": "target",
            }
        )
    return figure(
        data,
        chart_layout(
            height=70,
            show_legend=False,
            margin={"l": 4, "r": 4, "t": 4, "b": 4},
            xaxis={"visible": False},
            yaxis={"visible": False},
        ),
    )


def is_empty(fig: Figure) -> bool:
    return not fig["data"]
