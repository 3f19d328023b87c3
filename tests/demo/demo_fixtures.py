"""The session data set's shape, shared by the generator's tests (imported by name: keep unique)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from demo_naive_x12 import Claim837, Remit, Transaction835

SMALL = {"claims": 4000, "seed": 42, "start": date(2025, 5, 1), "months": 8}


@dataclass
class DemoData:
    root: Path
    truth: dict
    transactions: list[Transaction835]
    remits: list[Remit]
    balance_problems: list[str]
    claims: list[Claim837]
    csv_rows: dict[str, list[dict[str, str]]]
