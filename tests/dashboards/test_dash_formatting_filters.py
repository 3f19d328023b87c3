"""Money, rate and deadline formatting; the URL query string of the global filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dashboards.filters import GlobalFilters, parse_search, to_search
from dashboards.formatting import countdown, kpi_delta, kpi_value, money, money_short, rate, root_cause_label


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), "$1,234.56"),
        (Decimal("0"), "$0.00"),
        (Decimal("-12"), "-$12.00"),
        (Decimal("1234567.005"), "$1,234,567.01"),  # half up, as money is rounded
        (125, "$125.00"),
        (None, "$0.00"),
    ],
)
def test_money_reads_as_dollars_and_cents(value: object, expected: str) -> None:
    assert money(value) == expected


def test_money_refuses_float() -> None:
    with pytest.raises(TypeError):
        money(1.5)


def test_short_money_rates_and_kpis() -> None:
    assert money_short(Decimal("1250000")) == "$1.2M"
    assert money_short(Decimal("45300")) == "$45.3K"
    assert money_short(Decimal("950")) == "$950"
    assert rate(0.1234) == "12.3 %"
    assert rate(None) == "—"
    assert kpi_value(41.23, "days") == "41.2 days"
    assert kpi_value(0.052, "percent") == "5.2 %"
    assert kpi_value(18217.91, "dollars") == "$18,217.91"
    assert kpi_value(18217.91, "dollars", compact=True) == "$18,217.91"
    assert kpi_value(2074424.33, "dollars") == "$2,074,424.33"
    assert kpi_value(2074424.33, "dollars", compact=True) == "$2.07M"
    assert kpi_value(-20435542.99, "dollars", compact=True) == "-$20.44M"
    assert kpi_delta(20435542.99, 19287848.52, "dollars") == "+$1,147,694.47"
    assert kpi_delta(20435542.99, 19287848.52, "dollars", compact=True) == "+$1.15M"
    assert kpi_delta(19287848.52, 19210118.97, "dollars", compact=True) == "+$77,729.55"
    assert kpi_delta(0.20, 0.25, "percent") == "-5.0 pts"
    assert kpi_delta(130.0, 120.0, "days") == "+10.0 days"
    assert kpi_delta(1.0, None, "days") == "no prior month"


def test_countdown_and_labels() -> None:
    assert countdown(6) == "due in 6 days"
    assert countdown(1) == "due in 1 day"
    assert countdown(0) == "due today"
    assert countdown(-3) == "overdue by 3 days"
    assert countdown(None) == "no deadline"
    assert root_cause_label("coordination_of_benefits") == "Coordination of benefits"
    assert root_cause_label(None) == "No denial"


def test_filters_round_trip_through_the_query_string() -> None:
    filters = GlobalFilters(
        start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), payers=("BCX01", "MCR01"), locations=("LOC1",)
    )
    search = to_search(filters)
    assert search == "?from=2024-01-01&to=2024-06-30&payer=BCX01,MCR01&location=LOC1"
    assert parse_search(search) == filters
    assert to_search(GlobalFilters()) == ""


def test_bad_query_values_are_dropped_not_echoed() -> None:
    parsed = parse_search(
        "?from=2024-13-40&to=2024-02-01&payer=MCR01,%27%3B%20drop%20table%20x,BCX01&provider=<script>&patient=PAT12345"
    )
    assert parsed.start is None
    assert parsed.end == dt.date(2024, 2, 1)
    assert parsed.payers == ("BCX01", "MCR01")
    assert parsed.providers == ()
    assert "patient" not in to_search(parsed)


def test_reversed_dates_are_swapped() -> None:
    parsed = parse_search("?from=2024-06-30&to=2024-01-01")
    assert (parsed.start, parsed.end) == (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
