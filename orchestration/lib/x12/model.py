"""The reader's result types: what one parsed X12 file hands to the loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Issue:
    """One problem found in a file, as the loader writes it to ``raw.load_issues``.

    ``severity`` is ``error`` when the record it names (a transaction set, an interchange or the whole
    file) was not loaded, ``warning`` when it was loaded and flagged. ``issue_code`` is one of the
    codes in docs/data_contracts.md ("Issue codes").
    """

    severity: str
    issue_code: str
    message: str
    segment_position: int | None = None
    segment_id: str | None = None
    transaction_control_number: str | None = None
    raw_text: str | None = None


@dataclass
class ParseResult:
    """Everything read from one file.

    ``tables`` maps raw table names to rows: tuples in the column order of
    ``orchestration.lib.raw_schema.TABLES``, holding ``str``, ``int``, ``Decimal``, ``date``, ``bool``
    or ``None``. All nine X12 raw tables are always present as keys, empty when the file has none.
    """

    file_id: str
    kind: str  # "835" | "837P" | "837I" | "mixed" | "unknown"
    tables: dict[str, list[tuple]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    transactions_loaded: int = 0
    transactions_rejected: int = 0
    segment_count: int = 0
    # Set only by parse_file(..., arrow=True) / parse_files_parallel(..., arrow=True) and by the
    # columnar 835 reader: the rows as typed Arrow tables (pyarrow.Table by raw table name; the
    # columnar reader's is a ``FileTables`` mapping, slices of its batch's), ``tables`` then empty.
    arrow: Mapping[str, Any] | None = None
