"""`fit_margins`: charts carry margins that hold their labels, so plotly.js draws each chart once.

The browser test (test_dash_browser.py) checks the estimate against what Chromium actually lays out
on every page; these check its arithmetic and that it only ever widens a margin."""

from __future__ import annotations

from typing import Any

import pytest

from dashboards.components.figures import (
    FULL,
    HALF,
    MONEY_TICKS,
    Y_LABEL_GAP,
    axis,
    bars_height,
    chart_layout,
    empty_figure,
    figure,
    fit_margins,
    short_label,
    slant,
    sparkline,
    text_width,
)


def margins(fig: dict[str, Any]) -> dict[str, int]:
    return fig["layout"]["margin"]


def test_text_width_is_dejavu_sans_with_a_little_slack() -> None:
    # DejaVu Sans: "0" is 0.636 em, "i" 0.278 em; 13 px, widened 3 %
    assert text_width("0000000000") == pytest.approx(13 * 6.36 * 1.03)
    assert text_width("i") < text_width("W") < text_width("\u00e9\u00e9")  # outside ASCII: a full em
    assert text_width("") == 0


def test_long_category_labels_widen_the_left_margin_and_never_narrow_it() -> None:
    short = figure([{"type": "bar", "orientation": "h", "x": [1, 2], "y": ["A", "B"]}], chart_layout())
    assert margins(short)["l"] == 60  # the house margin already holds "A" and "B"
    name = "Riverbend Community Hospital Outpatient Department"
    long = figure([{"type": "bar", "orientation": "h", "x": [1, 2], "y": [name, "B"]}], chart_layout())
    assert margins(long)["l"] >= text_width(short_label(name)) > 200  # the label as shown (shortened)
    assert margins(long)["r"] == 24 and margins(long)["t"] == 16


def test_y_tick_labels_keep_a_gap_to_the_plot_and_the_margin_holds_it() -> None:
    data = [{"type": "bar", "orientation": "h", "x": [1, 2], "y": ["Riverside Office", "B"]}]
    gapped = figure(data, chart_layout())
    assert gapped["layout"]["yaxis"]["ticklabelstandoff"] == Y_LABEL_GAP
    assert "ticklabelstandoff" not in gapped["layout"]["xaxis"]
    flush = figure(data, chart_layout(yaxis=axis(ticklabelstandoff=0)))  # a caller's own gap stays
    assert flush["layout"]["yaxis"]["ticklabelstandoff"] == 0
    assert margins(gapped)["l"] == margins(flush)["l"] + Y_LABEL_GAP


def test_long_names_are_shortened_in_the_middle_on_whole_words() -> None:
    assert short_label("Main Street Clinic") == "Main Street Clinic"
    assert short_label("Riverbend Community Hospital Outpatient Department") == (
        "Riverbend Community … Department"
    )
    # siblings that differ only at the end stay apart
    north = short_label("Riverbend Community Hospital Outpatient Clinic North")
    south = short_label("Riverbend Community Hospital Outpatient Clinic South")
    assert north != south and north.endswith("North") and south.endswith("South")
    assert short_label("X" * 60) == "X" * 20 + " … " + "X" * 10  # one long word: cut inside it


def test_long_category_labels_show_short_and_keep_their_full_names_in_the_data() -> None:
    name = "Riverbend Community Hospital Outpatient Department"
    data = [{"type": "bar", "orientation": "h", "x": [1, 2], "y": [name, "Main Street Clinic"]}]
    fig = figure(data, chart_layout())
    yaxis = fig["layout"]["yaxis"]
    assert yaxis["tickvals"] == [name, "Main Street Clinic"]
    assert yaxis["ticktext"] == ["Riverbend Community … Department", "Main Street Clinic"]
    assert fig["data"][0]["y"][0] == name  # hover and clicks carry the full name
    assert margins(fig)["l"] < text_width(name)
    assert "ticktext" not in fig["layout"]["xaxis"]  # numbers are never shortened
    short = figure([{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], chart_layout())
    assert "ticktext" not in short["layout"]["xaxis"]


def test_money_axes_hold_their_widest_tick() -> None:
    small = figure([{"type": "bar", "x": ["a"], "y": [900]}], chart_layout(yaxis=axis(**MONEY_TICKS)))
    large = figure([{"type": "bar", "x": ["a"], "y": [98_765_432]}], chart_layout(yaxis=axis(**MONEY_TICKS)))
    assert margins(small)["l"] == 60
    assert margins(large)["l"] >= text_width("$108,641,975")  # padded as plotly pads an autorange
    # stacked bars reach the sum of their stack, not their largest part
    parts = [{"type": "bar", "x": ["a"], "y": [60_000_000], "name": str(n)} for n in range(3)]
    stacked = figure(parts, chart_layout(barmode="stack", yaxis=axis(**MONEY_TICKS), show_legend=False))
    assert margins(stacked)["l"] >= text_width("$198,000,000")


def test_slanted_labels_reach_down_and_left() -> None:
    labels = ["Eligibility / registration", *(f"Cause {n}" for n in range(8))]  # nine bars, a half card
    values = list(range(len(labels)))
    flat = figure([{"type": "bar", "x": labels, "y": values}], chart_layout())
    slanted = figure([{"type": "bar", "x": labels, "y": values}], chart_layout(xaxis=axis(tickangle=-30)))
    assert margins(flat)["b"] == 48
    assert margins(slanted)["b"] > text_width(labels[0]) * 0.5  # sin 30°
    assert margins(slanted)["l"] > margins(flat)["l"]


def test_traces_sharing_categories_count_each_category_once() -> None:
    # five stacked series over six payers (A/R by payer and age): the labels are six, not thirty
    payers = ["Medicare Part B", "Northtide Insurance", "Bluecrest Health", "Patient", "Meadow", "State"]
    one = [{"type": "bar", "x": payers, "y": [1] * 6}]
    five = [{"type": "bar", "x": payers, "y": [1] * 6, "name": str(n)} for n in range(5)]
    slanted = {"show_legend": False, "barmode": "stack", "xaxis": axis(tickangle=-30)}
    assert margins(figure(five, chart_layout(**slanted))) == margins(figure(one, chart_layout(**slanted)))


def test_a_top_legend_gets_a_row_per_wrap() -> None:
    names = ["Initial denial rate", "Not yet adjudicated (under 90% remitted)", "Target"]
    traces = [{"type": "scatter", "x": ["2026-01-01"], "y": [1], "name": n} for n in names]
    half = margins(figure(traces, chart_layout(), width=HALF))["t"]
    full = margins(figure(traces, chart_layout(), width=FULL))["t"]
    assert full < half  # one row across a full-width card; plotly.js's columns in a half-width one
    assert margins(figure(traces, chart_layout(show_legend=False)))["t"] == 16


def test_a_colour_bar_widens_the_right_margin() -> None:
    heat = {
        "type": "heatmap",
        "z": [[1_250_000.0, None]],
        "x": ["a", "b"],
        "y": ["p"],
        "colorbar": MONEY_TICKS,
    }
    assert margins(figure([heat], chart_layout(show_legend=False)))["r"] > text_width("$1,375,000")


def test_hidden_axes_and_empty_charts_keep_their_margins() -> None:
    assert margins(sparkline(["2026-01-01", "2026-02-01"], [1.0, 2.0], 1.5)) == {
        "l": 4,
        "r": 4,
        "t": 4,
        "b": 4,
    }
    assert margins(empty_figure("No denials in this range")) == {"l": 60, "r": 24, "t": 16, "b": 48}
    layout = chart_layout(margin={"l": 300, "r": 300, "t": 300, "b": 300})
    assert fit_margins([], layout)["margin"] == {"l": 300, "r": 300, "t": 300, "b": 300}


def test_category_labels_lie_level_while_they_fit() -> None:
    assert slant(["Medicare Part B", "State Medicaid"], FULL) == 0
    assert slant([f"Keystone Workers Compensation {n}" for n in range(8)], FULL) == -30
    assert slant([f"Payer {n}" for n in range(40)], HALF) == -30


def test_horizontal_bars_get_a_band_each() -> None:
    assert bars_height(3) == 300  # a few bars keep the house height
    assert bars_height(15, per_row=26) == 130 + 15 * 26  # fifteen providers: every name shown


def test_inputs_plotly_accepts_do_not_break_the_estimate() -> None:
    import numpy as np

    arrays = figure(
        [{"type": "bar", "x": np.array(["a", "b"]), "y": np.array([1.5, 2.5e6])}],
        chart_layout(xaxis=axis(tickangle="auto"), yaxis=axis(title="dollars", **MONEY_TICKS)),
    )
    assert margins(arrays)["l"] >= text_width("$2,750,000")
    # a heat map draws a colour bar without being asked
    plain_heat = {"type": "heatmap", "z": [[5_000_000.0]], "x": ["a"], "y": ["p"]}
    assert margins(figure([plain_heat], chart_layout(show_legend=False)))["r"] > 24
    assert margins(figure([{**plain_heat, "showscale": False}], chart_layout(show_legend=False)))["r"] == 24


def test_stacks_reach_their_negative_sums_too() -> None:
    parts = [
        {"type": "bar", "x": ["a", "b"], "y": [-40_000_000, None], "name": "refunds"},
        {"type": "bar", "x": ["a", "b"], "y": [-50_000_000, 1], "name": "reversals"},
    ]
    fig = figure(parts, chart_layout(barmode="relative", yaxis=axis(**MONEY_TICKS), show_legend=False))
    assert margins(fig)["l"] >= text_width("−$99,000,000")


def test_a_taller_chart_lifts_its_legend_higher() -> None:
    traces = [{"type": "bar", "orientation": "h", "x": [1], "y": ["a"], "name": n} for n in ("Median", "p90")]
    short = margins(figure(traces, chart_layout(height=300)))["t"]
    tall = margins(figure(traces, chart_layout(height=800)))["t"]
    assert tall - short == pytest.approx(0.02 * 500, abs=1)  # legend y 1.02 of the plot's height
