"""Figure helpers: one look for every chart, and empty states that say why in words.

Figures are plain plotly.js dicts ({"data": [...], "layout": {...}}), not plotly.py objects: building
a validated `go.Figure` costs 5-60 ms per chart (template copies and property validation), more than
all of a page's queries together; a dict costs nothing and dcc.Graph takes it as is.

Money reaches a figure as Decimal and leaves as a JSON number: a chart is a display, and every sum
was done in SQL or Decimal before it got here (`plot_number` is the one conversion).

Margins are sized here, before the browser sees the figure (`fit_margins`). Plotly's automargin
draws a chart, measures its tick labels, legend and colour bar, and when they need more room than
`layout.margin` gives, draws the whole chart again: every chart of every page was drawn twice, ~60 %
of a page's drawing time in headless Chromium (denials: 1.14 s of Plotly work, 0.42 s with margins
that fit). `fit_margins` estimates the room from the figure's own labels with the advance widths of
DejaVu Sans, the widest of the fonts the house font stack falls back to, so the estimate is an upper
bound wherever the page is read; automargin stays on as the safety net (a label the estimate missed
costs a second draw, never a clipped label). The browser tests check that no chart of any page needs
more room than its figure asks for.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
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
    """An axis with the house defaults (light grid, no zero line, room for long labels).

    `ticklabeloverflow: allow`: plotly.js otherwise measures every tick label of a numeric or date
    axis on every draw to hide any that would cross the chart's edge (~30 ms a chart in headless
    Chromium); the margins from `fit_margins` already hold them.
    """
    return {
        "gridcolor": GRID,
        "zeroline": False,
        "automargin": True,
        "ticklabeloverflow": "allow",
        **settings,
    }


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


HALF = 520  # px: a chart in a half-width card (the .row grid) at the narrowest two-column window
FULL = 1000  # px: a chart in a full-width card


def figure(data: list[dict[str, Any]], figure_layout: dict[str, Any], width: int = HALF) -> Figure:
    """A plotly.js figure dict whose margins already hold its labels (`width`: the card's chart width)."""
    layout = with_short_labels(data, with_label_gap(figure_layout))
    return {"data": data, "layout": fit_margins(data, layout, width)}


# px between a y axis's tick labels and the plot. plotly.js's own gap (no tick marks drawn) is ~1 px:
# a horizontal bar chart's longest category label touched its bar ("Hillview Center" on payer lag).
Y_LABEL_GAP = 6


# Category labels longer than this many characters are shown shortened in the middle, on whole words
# where they allow ("Riverbend Community … Department"): a 50-character location name took 389 px of
# a 520 px half card. The data keep the full names, so hover labels and clicks still carry them.
LABEL_CHARS = 30


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` within about `limit` characters: its first and last words around an ellipsis."""
    if len(text) <= limit:
        return text
    words = text.split()
    head_budget, tail_budget = round(limit * 0.65), limit - round(limit * 0.65)
    head = ""
    for word in words:
        if len(f"{head} {word}".strip()) > head_budget:
            break
        head = f"{head} {word}".strip()
    tail = ""
    for word in reversed(words[len(head.split()) :]):
        if len(f"{word} {tail}".strip()) > tail_budget:
            break
        tail = f"{word} {tail}".strip()
    head = head or text[:head_budget].rstrip()  # one long word: cut inside it
    tail = tail or text[-tail_budget:].lstrip()
    return f"{head} … {tail}"


def with_short_labels(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    """`layout` with tick texts shortened (`short_label`) on category axes whose labels run long."""
    out = dict(layout)
    for name, settings in layout.items():
        if name[:5] not in ("xaxis", "yaxis") or not isinstance(settings, dict):
            continue
        if settings.get("ticktext") or settings.get("type") in ("linear", "date", "log"):
            continue
        labels, _numbers = _axis_values(data, name, layout.get("barmode"))
        if not labels or not all(isinstance(v, str) for v in labels):
            continue
        if all(len(v) <= LABEL_CHARS for v in labels):
            continue
        out[name] = {
            **settings,
            "tickmode": "array",
            "tickvals": labels,
            "ticktext": [short_label(v) for v in labels],
        }
    return out


def with_label_gap(layout: dict[str, Any]) -> dict[str, Any]:
    """`layout` with every y axis's tick labels `Y_LABEL_GAP` px off the plot, unless it sets its own."""
    return {
        key: {"ticklabelstandoff": Y_LABEL_GAP, **settings}
        if key.startswith("yaxis") and isinstance(settings, dict)
        else settings
        for key, settings in layout.items()
    }


# ------------------------------------------------------------------------------------------ margins

# Advance widths of DejaVu Sans, per mille of the font size, for ASCII 32 (space) to 126 (~). Other
# characters count as a full em.
_ADVANCE = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
# Calibrated on every chart of the 1,000,000-claim demo against the margins Plotly settles on in
# headless Chromium (DejaVu Sans): each estimate came out 0-40 px over (a legend at times a row taller).
LINE = 1.3  # line height, in font sizes
SLACK = 1.03  # text measured this much wider, for kerning and rounding
LABEL_PAD = 18  # px beside tick labels: tick standoff and padding
LEGEND_ROW = 20  # px per row of a horizontal legend at 13 px
LEGEND_ITEM = 70  # px of symbol and gaps per legend entry
LEGEND_PAD = 28  # px around a top legend
COLORBAR = 84  # px of a colour bar beside its tick labels: bar, padding and outline
AUTO_TICKS = 6  # Plotly's default tick labels are short: "250k", "1.5M"


def text_width(text: str, size: float = 13) -> float:
    """Width in px of one line of `text` in DejaVu Sans at `size` px (an upper bound for the house stack)."""
    return SLACK * size * sum(_ADVANCE[ord(c) - 32] if 32 <= ord(c) <= 126 else 1000 for c in text) / 1000


def _widest(labels: Iterable[str], size: float) -> float:
    return max((text_width(label, size) for label in labels), default=0.0)


def _axis_ref(name: str) -> str:
    """'xaxis' -> 'x', 'yaxis2' -> 'y2': how traces name the axis."""
    return name[0] + name[5:]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _listed(values: Any) -> list[Any]:
    """A trace's array as a list (None, a list, or anything iterable such as a numpy array)."""
    return [] if values is None else list(values)


def _numbers(values: Any) -> list[float]:
    return [float(v) for v in _listed(values) if _is_number(v)]


def _text(value: Any) -> str:
    """A title's text, whether plotly.js was given {"text": ...} or a plain string."""
    return str(value.get("text") or "") if isinstance(value, dict) else str(value or "")


def _axis_values(data: list[dict[str, Any]], name: str, barmode: str | None) -> tuple[list[Any], list[float]]:
    """(category labels, numbers) the traces put on axis `name` (numbers: what the axis must reach)."""
    letter, ref = name[0], _axis_ref(name)
    labels: list[Any] = []
    numbers: list[float] = []
    ups: dict[Any, float] = {}  # stacked bars: each category's positive and negative sums
    downs: dict[Any, float] = {}
    for trace in data:
        if trace.get(f"{letter}axis", letter) != ref:
            continue
        values = _listed(trace.get(letter))
        if trace.get("type") == "box" and letter == ("x" if trace.get("orientation") == "h" else "y"):
            values = [*_listed(trace.get("upperfence")), *_listed(trace.get("q3"))]
        present = [v for v in values if v is not None]
        if not all(_is_number(v) for v in present):
            labels.extend(present)
            continue
        bases = _listed(trace.get("base"))
        if len(bases) == len(values):
            values = [
                v + b if _is_number(v) and _is_number(b) else v for v, b in zip(values, bases, strict=True)
            ]
        if barmode in ("stack", "relative") and trace.get("type") == "bar":
            keys = _listed(trace.get("y" if letter == "x" else "x")) or list(range(len(values)))
            for key, value in zip(keys, values, strict=False):
                if _is_number(value):
                    sums = ups if value >= 0 else downs
                    sums[key] = sums.get(key, 0.0) + float(value)
        else:
            numbers.extend(_numbers(values))
    numbers.extend([*ups.values(), *downs.values()])
    # each category once: traces sharing the axis (stacked or grouped bars) repeat them, and a label
    # list five times as long made a slanted label's band a fifth as wide (a far too wide left margin)
    return list(dict.fromkeys(labels)), numbers


def _number_label(value: float, settings: dict[str, Any]) -> str:
    """The longest tick label an axis reaching `value` can show, in its tickformat."""
    fmt = settings.get("tickformat")
    if fmt in (",.0f", ".0f"):
        body = format(value, fmt)  # d3's ",.0f" and ".0f" read the same in Python
    elif abs(value) >= 1000:
        body = "0" * (AUTO_TICKS - 1) + "k"
    else:
        body = format(value, ".0f") + ".5"
    return f"{settings.get('tickprefix', '')}{body}{settings.get('ticksuffix', '')}"


def _date_labels(settings: dict[str, Any]) -> tuple[list[str], int]:
    fmt = settings.get("tickformat")
    if not fmt:
        return ["Mmm 00, 0000"], 2  # Plotly's own date ticks: "May 3" over "2026"
    samples = [dt.date(2026, month, 28).strftime(fmt) for month in range(1, 13)]
    return samples, 1


def _tick_labels(
    data: list[dict[str, Any]], name: str, settings: dict[str, Any], barmode: Any
) -> tuple[list[str], int]:
    """(the labels whose size matters, lines per label) for one axis."""
    if settings.get("ticktext"):
        return [str(t) for t in settings["ticktext"]], 1
    labels, numbers = _axis_values(data, name, barmode)
    if settings.get("type") == "date" or "%" in str(settings.get("tickformat", "")):
        return _date_labels(settings)
    if labels and settings.get("type") != "linear":
        if all(isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-" for v in labels):
            return _date_labels(settings)
        return [str(v) for v in labels], 1
    reach = settings.get("range")
    top = max((abs(v) for v in (_numbers(reach) or numbers)), default=1.0)
    if not reach:
        top *= 1.1  # Plotly pads an autorange by ~5 %; the top tick never passes it
    label = _number_label(top, settings)
    if min(numbers, default=0.0) < 0:
        label = "−" + label
    return [label], 1


def _legend_rows(data: list[dict[str, Any]], plot_width: float, size: float) -> int:
    """Rows of a horizontal legend: one if every entry fits side by side, else plotly.js's columns as
    wide as the widest entry."""
    items = [
        LEGEND_ITEM + text_width(str(t["name"]), size)
        for t in data
        if t.get("name") and t.get("showlegend", True) is not False
    ]
    if not items or sum(items) <= plot_width:
        return len(items[:1])
    per_row = max(1, int(plot_width // max(items)))
    return math.ceil(len(items) / per_row)


def bars_height(rows: int, per_row: int = 24, least: int = 300, frame: int = 130) -> int:
    """Height of a horizontal bar chart that gives each of its `rows` categories a readable band
    (plotly.js skips every other label when they do not fit: 15 providers in 300 px showed 8 names)."""
    return max(least, frame + per_row * rows)


def slant(labels: list[str], width: int = HALF, size: float = 13) -> int:
    """A tick angle for category labels along a horizontal axis: level when each fits its share of
    the chart's width, else -30 degrees (set explicitly, so plotly.js does not choose after drawing)."""
    band = (width - 120) / max(len(labels), 1)
    return 0 if _widest([short_label(str(v)) for v in labels], size) + LABEL_PAD <= band else -30


def fit_margins(data: list[dict[str, Any]], layout: dict[str, Any], width: int = HALF) -> dict[str, Any]:
    """`layout` with its margins raised to hold its tick labels, axis titles, top legend and colour bar.

    Never lowers a margin the caller set. `width` is the chart's width in px (the card's), used to
    guess how many rows a horizontal legend wraps into and how far slanted labels reach left.
    """
    margin = dict(layout.get("margin") or {})
    need = {side: float(margin.get(side, 0)) for side in ("l", "r", "t", "b")}
    size = float((layout.get("font") or {}).get("size", 13))
    barmode = layout.get("barmode")
    # y axes first: a slanted x label's reach to the left is measured from the final left margin
    for name in sorted(
        (key for key in layout if key[:5] in ("xaxis", "yaxis")), key=lambda k: (k[0] != "y", k)
    ):
        settings = layout[name] or {}
        if settings.get("visible") is False:
            continue
        labels, lines = _tick_labels(data, name, settings, barmode)
        wide = _widest(labels, size)
        tall = size * LINE * lines
        title = size * LINE + LABEL_PAD if _text(settings.get("title")) else 0.0
        if name.startswith("y"):
            side = "r" if settings.get("side") == "right" else "l"
            gap = float(settings.get("ticklabelstandoff") or 0) if labels else 0.0
            need[side] = max(need[side], wide + title + LABEL_PAD + gap)
            continue
        tickangle = settings.get("tickangle")
        angle = math.radians(abs(float(tickangle))) if _is_number(tickangle) else 0.0  # "auto": level
        drop = size * math.sin(angle)  # a slanted label's anchor sits below the tick's end
        need["b"] = max(need["b"], wide * math.sin(angle) + tall * math.cos(angle) + drop + title + LABEL_PAD)
        if settings.get("range") and labels:
            need["r"] = max(need["r"], wide / 2 + LABEL_PAD)  # a tick on the range's end is centred on it
        if angle and labels:
            # a slanted label hangs left of its tick: the first ones may reach past the plot's edge
            band = max(width - need["l"] - need["r"], 100.0) / len(labels)
            for index, label in enumerate(labels[:3]):
                reach = text_width(label, size) * math.cos(angle) - (index + 0.5) * band
                need["l"] = max(need["l"], reach + LABEL_PAD)
    legend = layout.get("legend") or {}
    if layout.get("showlegend", True) and legend.get("orientation") == "h" and float(legend.get("y", 0)) >= 1:
        rows = _legend_rows(data, width - need["l"] - need["r"], size)
        if rows:
            # y > 1 lifts the legend that share of the plot's height above it (y 1.02: ~8 px at 400 px)
            lift = (float(legend.get("y", 1)) - 1) * float(layout.get("height") or 450)
            need["t"] = max(need["t"], rows * LEGEND_ROW + LEGEND_PAD + lift)
    for trace in data:
        bar = trace.get("colorbar")
        scaled = bar is not None or trace.get("type") in ("heatmap", "contour", "histogram2d")
        if scaled and trace.get("showscale", True) is not False:
            bar = bar if isinstance(bar, dict) else {}
            values = [v for row in _listed(trace.get("z")) for v in _numbers(row)]
            label = _number_label(max((abs(v) for v in values), default=1.0), bar)
            title = text_width(_text(bar.get("title")), size)
            need["r"] = max(need["r"], COLORBAR + max(text_width(label, size), title))
    return {**layout, "margin": {**margin, **{side: math.ceil(value) for side, value in need.items()}}}


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
