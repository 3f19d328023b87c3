"""Element converters: X12 text to the exact Python values the raw tables hold.

Money becomes ``Decimal`` quantized to cents, quantities ``Decimal`` quantized to thousandths, dates
``datetime.date``. Remittance files repeat the same few hundred amounts and dates thousands of times,
so every converter memoises in a dict (shared by all the files a process reads, see
``state.MONEY_CACHE``): the hot loops call ``cache.get(text)`` inline and fall back to the ``*_miss``
function, which validates strictly (X12 ``R`` and ``DT`` types, no exponent,
no underscores, no ``NaN``) and raises ``BadElement`` for anything a DuckDB ``decimal(18,2)`` or
``date`` column could not hold. Equal values then share one object, which also keeps memory down.
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0.00")
_MONEY_LIMIT = Decimal("1e16")  # decimal(18,2): 16 integer digits
_QUANTITY_LIMIT = Decimal("1e15")  # decimal(18,3): 15 integer digits
_NUMBER_CHARS = "0123456789.-"
_CACHE_LIMIT = 1 << 18  # entries per cache before it is cleared (bounds memory on unusual files)


class BadElement(Exception):
    """An element's text cannot become the value its column needs; the transaction set is rejected."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r}: {reason}")
        self.value = value
        self.reason = reason


def _bad_number(text: str, limit: Decimal) -> BadElement:
    """Why ``text`` is no amount: not a number at all, or too large for the column."""
    if not text.strip(_NUMBER_CHARS):
        try:
            if abs(Decimal(text)) >= limit:
                return BadElement(text, f"exceeds the column (|value| >= {limit:E})")
        except InvalidOperation:
            pass
    return BadElement(text, "is not an X12 decimal number")


def money_miss(text: str, cache: dict[str, Decimal | None]) -> Decimal | None:
    """Convert an amount not yet in ``cache``; empty text is ``None`` (the element is absent).

    Runs inside ``reading_context()``, whose rounding is half up, so ``quantize`` needs no argument.
    Only digits, ``.`` and ``-`` pass the strip test, and Decimal rejects every malformed arrangement
    of them (``1-2``, ``--1``, ``1.2.3``), so nothing but X12 ``R`` text is accepted.
    """
    if not text:
        return None
    if text.strip(_NUMBER_CHARS):
        raise BadElement(text, "is not an X12 decimal number")
    try:
        value = Decimal(text).quantize(CENT)
    except InvalidOperation:
        raise _bad_number(text, _MONEY_LIMIT) from None
    if len(text) > 16 and abs(value) >= _MONEY_LIMIT:
        raise _bad_number(text, _MONEY_LIMIT)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = value
    return value


def quantity_miss(text: str, cache: dict[str, Decimal | None]) -> Decimal | None:
    """Convert a quantity (units, CAS quantity) not yet in ``cache``; empty text is ``None``."""
    if not text:
        return None
    if text.strip(_NUMBER_CHARS):
        raise BadElement(text, "is not an X12 decimal number")
    try:
        value = Decimal(text).quantize(MILLI)
    except InvalidOperation:
        raise _bad_number(text, _QUANTITY_LIMIT) from None
    if len(text) > 15 and abs(value) >= _QUANTITY_LIMIT:
        raise _bad_number(text, _QUANTITY_LIMIT)
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = value
    return value


def reading_context() -> decimal.localcontext:
    """The decimal context every conversion and sum runs in: 28 digits, half-up rounding, traps on.

    Set once per file (thread-local, restored on exit) so the hot paths call ``quantize(CENT)``
    without a rounding argument, which costs twice as much.
    """
    return decimal.localcontext(prec=28, rounding=ROUND_HALF_UP)


def date_miss(text: str, cache: dict[str, date | None]) -> date | None:
    """Convert a ``CCYYMMDD`` date not yet in ``cache``; empty text is ``None``."""
    if not text:
        return None
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        raise BadElement(text, "is not a CCYYMMDD date")
    try:
        value = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise BadElement(text, "is not a calendar date") from None
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = value
    return value


def to_money(text: str, cache: dict[str, Decimal | None]) -> Decimal | None:
    """Amount element to ``Decimal`` (cents) or ``None``; raises ``BadElement``."""
    value = cache.get(text)
    return value if value is not None else money_miss(text, cache)


def to_quantity(text: str, cache: dict[str, Decimal | None]) -> Decimal | None:
    """Quantity element to ``Decimal`` (thousandths) or ``None``; raises ``BadElement``."""
    value = cache.get(text)
    return value if value is not None else quantity_miss(text, cache)


def to_date(text: str, cache: dict[str, date | None]) -> date | None:
    """``CCYYMMDD`` element to ``date`` or ``None``; raises ``BadElement``."""
    value = cache.get(text)
    return value if value is not None else date_miss(text, cache)


def to_int(text: str) -> int | None:
    """A counter or line number (``N0``); empty is ``None``; raises ``BadElement`` beyond int32."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise BadElement(text, "is not a whole number")
    return int(text)


def interchange_date(text: str) -> date | None:
    """ISA09 ``YYMMDD`` (century inferred: 00-69 is 20xx) or ``None`` when unreadable.

    The interchange date is informational, so a bad one never rejects the data it envelops.
    """
    text = text.strip()
    if len(text) != 6 or not (text.isascii() and text.isdigit()):
        return None
    year = int(text[:2])
    try:
        return date(2000 + year if year < 70 else 1900 + year, int(text[2:4]), int(text[4:]))
    except ValueError:
        return None
