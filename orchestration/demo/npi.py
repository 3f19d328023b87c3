"""National Provider Identifier check digit (Luhn over the 80840 prefix, CMS NPI standard).

Every NPI the generator writes (providers, locations, payees) passes this check, so a reader that
validates NPIs accepts the demo data; tests assert it.
"""

from __future__ import annotations

NPI_PREFIX = "80840"


def _luhn_sum(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total


def npi_check_digit(first_nine: str) -> str:
    """Check digit for the first nine digits of an NPI."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError(f"an NPI body has 9 digits, got {first_nine!r}")
    total = _luhn_sum(NPI_PREFIX + first_nine + "0")
    return str((10 - total % 10) % 10)


def is_valid_npi(npi: str) -> bool:
    """True when ``npi`` is 10 digits, starts with 1 or 2 and passes the Luhn check with prefix 80840."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    return _luhn_sum(NPI_PREFIX + npi) % 10 == 0
