"""Money as integer cents, and its two text forms (X12 and CSV).

The generator never touches floats for money: every amount is an ``int`` of cents from the moment a
charge is priced, so totals in ground_truth.json equal the sums a reader recomputes from the files.
"""

from __future__ import annotations


def x12_amount(cents: int) -> str:
    """X12 decimal (type R): no trailing zeros after the point, no point for whole dollars."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


def csv_amount(cents: int) -> str:
    """CSV money: always two decimals, '.' point, no thousands separator (docs/data_contracts.md)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def percent_of(cents: int, basis_points: int) -> int:
    """``cents × basis_points / 10000`` rounded half up, in integer arithmetic."""
    return (cents * basis_points + 5000) // 10000
