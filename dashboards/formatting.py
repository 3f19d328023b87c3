"""How numbers read on every page: money as $1,234.56, rates as 12.3 %, lags as 41.2 days.

Money arrives as Decimal (the marts are decimal(18,2)) and is formatted without going through float,
so a displayed cent is the stored cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Decimal from what a query returns (Decimal, int, str); None counts as zero."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("money must not travel as float")
    return Decimal(str(value))


def money(value: object) -> str:
    """$1,234.56, with a leading minus for negatives: -$12.00."""
    amount = to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def money_short(value: object) -> str:
    """$1.2M / $45.3K / $950 for tiles and axis annotations where space is short."""
    amount = to_decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:,.1f}M"
    if amount >= 10_000:
        return f"{sign}${amount / 1_000:,.1f}K"
    return f"{sign}${amount:,.0f}"


def rate(value: float | None, digits: int = 1) -> str:
    """A 0..1 share as '12.3 %'; None (no denominator) reads as an em dash."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"


def days(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} days"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _kpi_money(value: float, compact: bool) -> str:
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    if compact and abs(amount) >= 1_000_000:
        # A tile has room for about 11 characters at its size: $2,074,424.33 was cut to "$2,074,424.…".
        sign = "-" if amount < 0 else ""
        return f"{sign}${abs(amount) / 1_000_000:,.2f}M"
    return money(amount)


def kpi_value(value: float | None, unit: str, compact: bool = False) -> str:
    """A KPI in its unit (mart_kpis_monthly.unit): days, percent (0..1) or dollars. `compact` writes
    dollars of a million or more as $2.07M (tiles; the exact amount goes in their tooltip)."""
    if value is None:
        return "—"
    if unit == "percent":
        return rate(value)
    if unit == "days":
        return days(value)
    if unit == "dollars":
        return _kpi_money(value, compact)
    return f"{value:,.2f}"


def kpi_delta(current: float | None, prior: float | None, unit: str, compact: bool = False) -> str:
    """Change vs the prior period in the KPI's unit: '+1.2 pts', '-3.0 days', '+$1,200.00' (compact:
    '+$1.15M' from a million up)."""
    if current is None or prior is None:
        return "no prior month"
    diff = current - prior
    sign = "+" if diff >= 0 else "-"
    if unit == "percent":
        return f"{sign}{abs(diff) * 100:.1f} pts"
    if unit == "days":
        return f"{sign}{abs(diff):,.1f} days"
    if unit == "dollars":
        return f"{sign}{_kpi_money(abs(diff), compact)}"
    return f"{sign}{abs(diff):,.2f}"


def countdown(days_left: int | None) -> str:
    """A deadline as a biller reads it: 'due in 6 days', 'due today', 'overdue by 3 days'."""
    if days_left is None:
        return "no deadline"
    if days_left == 0:
        return "due today"
    if days_left > 0:
        return f"due in {days_left} day{'s' if days_left != 1 else ''}"
    return f"overdue by {-days_left} day{'s' if days_left != -1 else ''}"


ROOT_CAUSE_LABELS: dict[str, str] = {
    "eligibility_registration": "Eligibility / registration",
    "authorization_referral": "Authorization / referral",
    "coding_bundling": "Coding / bundling",
    "medical_necessity": "Medical necessity",
    "timely_filing": "Timely filing",
    "duplicate": "Duplicate claim",
    "coordination_of_benefits": "Coordination of benefits",
    "missing_information": "Missing information",
    "non_covered": "Not covered",
    "contractual_pricing": "Contract pricing",
    "patient_responsibility": "Patient responsibility",
    "other": "Other",
}


def root_cause_label(root_cause: str | None) -> str:
    if not root_cause:
        return "No denial"
    return ROOT_CAUSE_LABELS.get(root_cause, root_cause.replace("_", " ").capitalize())


STATUS_LABELS: dict[str, str] = {
    "submitted": "Submitted",
    "no_response": "No response",
    "paid": "Paid",
    "partially_paid": "Partially paid",
    "denied": "Denied",
    "appealed": "Appealed",
    "overturned": "Overturned",
    "written_off": "Written off",
    "voided": "Voided",
}


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", (status or "").replace("_", " ").capitalize())
