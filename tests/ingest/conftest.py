"""Fixtures for the ingestion tests: a throw-away RCM_HOME per test and a tiny fake X12 reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orchestration.lib.raw_schema import column_names
from orchestration.settings import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RCM_LOCK_TIMEOUT", "10")
    current = get_settings()
    current.ensure_dirs()
    return current


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------ a fake reader for loader mechanics
@dataclass
class FakeIssue:
    severity: str
    issue_code: str
    message: str
    segment_position: int | None = None
    segment_id: str | None = None
    transaction_control_number: str | None = None
    raw_text: str | None = None


@dataclass
class FakeResult:
    kind: str
    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    issues: list[FakeIssue] = field(default_factory=list)
    transactions_loaded: int = 0
    transactions_rejected: int = 0
    segment_count: int = 0


def _row(table: str, **values: Any) -> tuple[Any, ...]:
    return tuple(values.get(name) for name in column_names(table))


def fake_parser(data: bytes, file_id: str, file_name: str) -> FakeResult:
    """Reads a line format: ``TX <st02> <bpr02>``, ``CLP <pcn> <paid>`` (in the last TX),
    ``BADTX <st02>`` (a set the reader rejects), ``NULLCLAIM`` (a row the database refuses);
    anything else is 'not X12'. Segment position = line number."""
    result = FakeResult(kind="835")
    transactions: list[tuple[Any, ...]] = []
    claims: list[tuple[Any, ...]] = []
    tx_position = None
    for number, line in enumerate(data.decode().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "TX":
            tx_position = number
            transactions.append(
                _row(
                    "era_transactions",
                    file_id=file_id,
                    transaction_position=number,
                    transaction_control_number=parts[1],
                    total_paid_amount=Decimal(parts[2]),
                )
            )
            result.transactions_loaded += 1
        elif parts[0] == "CLP":
            claims.append(
                _row(
                    "era_claims",
                    file_id=file_id,
                    transaction_position=tx_position,
                    claim_position=number,
                    patient_control_number=parts[1],
                    paid_amount=Decimal(parts[2]),
                )
            )
        elif parts[0] == "NULLCLAIM":
            claims.append(_row("era_claims", file_id=file_id, transaction_position=tx_position))
        elif parts[0] == "BADTX":
            result.transactions_rejected += 1
            result.issues.append(
                FakeIssue(
                    "error",
                    "BAD_ELEMENT",
                    f"{file_name}: segment {number} BPR: unreadable amount",
                    number,
                    "BPR",
                    parts[1],
                    line,
                )
            )
        else:
            return FakeResult(
                kind="unknown",
                issues=[
                    FakeIssue("error", "NOT_X12", f"{file_name}: segment {number}: not X12: {line!r}", number)
                ],
            )
    result.tables = {"era_transactions": transactions, "era_claims": claims}
    return result


@pytest.fixture
def fake() -> Iterator[Any]:
    yield fake_parser
