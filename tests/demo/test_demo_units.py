"""Small pure helpers of the generator, with exact expected values."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from orchestration.demo.generator import allocate, period_end
from orchestration.demo.money import csv_amount, percent_of, x12_amount
from orchestration.demo.npi import is_valid_npi, npi_check_digit
from orchestration.demo.truth import median_from_histogram
from orchestration.demo.x12 import cas_segments, isa
from orchestration.settings import SEEDS_DIR


@pytest.mark.parametrize(
    ("cents", "x12", "text"),
    [(0, "0", "0.00"), (12345, "123.45", "123.45"), (12340, "123.4", "123.40"), (12300, "123", "123.00"),
     (-5, "-0.05", "-0.05"), (-100000, "-1000", "-1000.00")],
)  # fmt: skip
def test_money_text(cents: int, x12: str, text: str) -> None:
    assert x12_amount(cents) == x12
    assert csv_amount(cents) == text


def test_percent_of_rounds_half_up_in_integers() -> None:
    assert percent_of(10050, 200) == 201  # 2 % of 100.50 = 2.01
    assert percent_of(125, 2000) == 25
    assert percent_of(13, 5000) == 7  # 6.5 cents rounds up


def test_median_is_quantile_cont() -> None:
    assert median_from_histogram({}) is None
    assert median_from_histogram({5: 1}) == 5.0
    assert median_from_histogram({1: 1, 4: 1}) == 2.5
    assert median_from_histogram({1: 2, 9: 1}) == 1.0
    assert median_from_histogram({3: 2, 10: 2}) == 6.5


def test_npi_check_digit_and_seeds() -> None:
    assert npi_check_digit("123456789") == "3"  # the CMS example NPI 1234567893
    assert is_valid_npi("1234567893") and not is_valid_npi("1234567890") and not is_valid_npi("3234567893")
    for name, column in (("providers.csv", "npi"), ("locations.csv", "location_id")):
        with (SEEDS_DIR / name).open(newline="") as handle:
            for row in csv.DictReader(handle):
                assert is_valid_npi(row[column]), (name, row[column])


def test_period_and_allocation() -> None:
    assert period_end(date(2025, 5, 1), 18) == date(2026, 10, 31)
    assert period_end(date(2024, 1, 15), 2) == date(2024, 2, 29)
    assert allocate(10, [1.0, 1.0, 2.0]) == [3, 2, 5]
    assert sum(allocate(20000, [1.1, 0.3, 0.1] * 100)) == 20000


def test_isa_is_fixed_width_and_cas_groups_triplets() -> None:
    text = isa("MCR01", "MAPLEGROVEDEMO", date(2025, 6, 1), 7)
    assert len(text) == 107 and text[105] == "~" and text[3] == "*" and text[104] == ":"
    segments = cas_segments([("CO", "45", 1000), ("PR", "2", 250), ("CO", "253", 15)] + [("OA", "23", 1)] * 7)
    assert segments[0] == "CAS*CO*45*10**253*0.15~\n"
    assert segments[1] == "CAS*PR*2*2.5~\n"
    assert len(segments) == 4 and segments[3] == "CAS*OA*23*0.01~\n"
