"""CSV extracts from the practice-management system: kinds, parsing as text, typed conversion.

The contract is docs/data_contracts.md; the column types come from ``raw_schema.TABLES`` so there is
one source for both. The steps, in the order the loader runs them:

1. ``detect_csv_kind(file_name)``: the kind comes from the file-name prefix (``claims_2024-03.csv``).
2. ``read_csv_text(data, kind)``: every field as text (``None`` when empty), header checked; rows with
   the wrong number of fields are reported (``CSV_FIELD_COUNT``) instead of being guessed at.
3. The Great Expectations suite of the kind (``expectations/``) marks failing rows.
4. ``typed_table(frame, kind, file_id)``: the surviving rows as an Arrow table in raw-table column
   order (dates as ``date``, money as ``decimal(18,2)``), ready for DuckDB to insert in one statement.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from orchestration.lib.raw_schema import TABLES

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

META_COLUMNS = ("file_id", "row_number")


@dataclass(frozen=True)
class CsvKind:
    """One extract kind: where it loads and what its columns must look like."""

    kind: str  # file-name prefix and suite name, e.g. "patient_payments"
    table: str  # raw table, e.g. "csv_patient_payments"
    unique_columns: tuple[str, ...]  # unique within one file
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    non_negative_money: tuple[str, ...] = ()

    @property
    def file_kind(self) -> str:
        """The ledger's file_kind for this extract (the raw table's name)."""
        return self.table

    @property
    def columns(self) -> list[str]:
        """Data columns in raw-table order (without file_id and row_number)."""
        return [name for name, _ in TABLES[self.table] if name not in META_COLUMNS]

    def column_type(self, column: str) -> str:
        return dict(TABLES[self.table])[column]

    @property
    def required(self) -> list[str]:
        return [c for c in self.columns if "not null" in self.column_type(c)]

    def columns_of(self, sql_type_prefix: str) -> list[str]:
        return [c for c in self.columns if self.column_type(c).startswith(sql_type_prefix)]

    @property
    def date_columns(self) -> list[str]:
        return self.columns_of("date")

    @property
    def money_columns(self) -> list[str]:
        return self.columns_of("decimal(18,2)")

    @property
    def quantity_columns(self) -> list[str]:
        return self.columns_of("decimal(18,3)")

    @property
    def integer_columns(self) -> list[str]:
        return [c for c in self.columns if self.column_type(c).split()[0] in ("integer", "bigint")]


CSV_KINDS: dict[str, CsvKind] = {
    spec.kind: spec
    for spec in (
        CsvKind(
            kind="claims",
            table="csv_claims",
            unique_columns=("patient_control_number", "line_number"),
            accepted_values={"claim_type": ("professional", "institutional")},
            non_negative_money=("charge_amount",),
        ),
        CsvKind(
            kind="patient_payments",
            table="csv_patient_payments",
            unique_columns=("payment_id",),
            accepted_values={
                "method": ("cash", "check", "card", "ach"),
                "channel": ("point_of_service", "statement", "payment_plan", "portal"),
            },
        ),
        CsvKind(
            kind="adjustments",
            table="csv_adjustments",
            unique_columns=("adjustment_id",),
            accepted_values={
                "adjustment_type": (
                    "denial_write_off",
                    "timely_filing_write_off",
                    "small_balance",
                    "bad_debt",
                    "charity",
                    "refund",
                    "administrative",
                )
            },
        ),
        CsvKind(
            kind="bank_deposits",
            table="csv_bank_deposits",
            unique_columns=("deposit_id",),
            accepted_values={"deposit_type": ("eft", "check", "patient_batch")},
        ),
        CsvKind(
            kind="claim_activities",
            table="csv_claim_activities",
            unique_columns=("activity_id",),
            accepted_values={
                "activity_type": (
                    "appeal_sent",
                    "corrected_claim_sent",
                    "status_call",
                    "note",
                    "write_off_requested",
                )
            },
        ),
    )
}

# Value patterns shared by the GX suites and the typed conversion (one definition of "valid").
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
DATE_FORMAT = "%Y-%m-%d"
MONEY_PATTERN = r"^-?\d{1,16}(?:\.\d{1,2})?$"
NON_NEGATIVE_MONEY_PATTERN = r"^\d{1,16}(?:\.\d{1,2})?$"
QUANTITY_PATTERN = r"^-?\d{1,15}(?:\.\d{1,3})?$"
INTEGER_PATTERN = r"^\d{1,9}$"

_PREFIX_RE = re.compile(r"^(?P<prefix>[a-z_]+?)(?:[-_.\d]|$)")


def detect_csv_kind(file_name: str) -> str | None:
    """The extract kind named by the file's prefix, or None when it is not a known ``.csv`` extract.

    ``claims_2024-03.csv`` -> claims; ``claim_activities-01.csv`` -> claim_activities. Longest prefix
    wins so that ``claims`` never captures ``claim_activities``.
    """
    lowered = file_name.lower()
    if not lowered.endswith(".csv"):
        return None
    for kind in sorted(CSV_KINDS, key=len, reverse=True):
        if lowered.startswith(kind):
            rest = lowered[len(kind) :]
            if rest[:1] in ("", "_", "-", ".") or rest[:1].isdigit():
                return kind
    return None


def detect_csv_kind_from_header(data: bytes) -> str | None:
    """For a ``.csv`` whose name has no known prefix: the one kind whose required columns are all in
    the header row (and no column outside that kind's list), or None when none or several fit."""
    try:
        text = data[:65536].decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    for fields in csv.reader(io.StringIO(text, newline="")):
        if not any(cell.strip() for cell in fields):
            continue
        header = {cell.strip().lower() for cell in fields}
        fits = [
            kind
            for kind, spec in CSV_KINDS.items()
            if set(spec.required) <= header and header <= set(spec.columns)
        ]
        return fits[0] if len(fits) == 1 else None
    return None


@dataclass
class CsvIssue:
    """A problem found while reading the text (before any expectation runs)."""

    severity: str
    issue_code: str
    row_number: int | None
    column: str | None
    message: str
    raw_text: str | None = None


@dataclass
class CsvText:
    """The file as text: a frame of strings (index = row_number) plus reading issues.

    ``fatal`` is set when the file cannot be loaded at all (bad header, not UTF-8): quarantine it.
    """

    frame: pd.DataFrame
    raw_rows: RawRows  # row_number -> the row as CSV text, for load_issues.raw_text
    issues: list[CsvIssue]
    fatal: bool
    rows_read: int


def _row_text(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


class RawRows:
    """Each row's fields as read, written back as CSV text only when asked (for a failing row):
    formatting every row up front was a third of reading a file."""

    def __init__(self) -> None:
        self._fields: dict[int, list[str]] = {}

    def __setitem__(self, row_number: int, fields: list[str]) -> None:
        self._fields[row_number] = fields

    def get(self, row_number: int) -> str | None:
        fields = self._fields.get(row_number)
        return None if fields is None else _row_text(fields)

    def __len__(self) -> int:
        return len(self._fields)


def read_csv_text(data: bytes, kind: str, file_name: str = "") -> CsvText:
    """Parse the bytes as a CSV extract of ``kind``, every field as text.

    Blank cells become None; surrounding whitespace is stripped. A header that lacks a required column
    (or repeats one) makes the result ``fatal`` with a ``CSV_HEADER`` error; unknown columns are
    ignored and optional columns that are absent are filled with None, each with a ``CSV_COLUMNS``
    warning. A row
    whose field count differs from the header's is left out with a ``CSV_FIELD_COUNT`` error.
    """
    import pandas as pd

    spec = CSV_KINDS[kind]
    issues: list[CsvIssue] = []
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in spec.columns})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issues.append(
            CsvIssue(
                "error",
                "CSV_ENCODING",
                None,
                None,
                f"{file_name}: not UTF-8 text ({exc.reason} at byte {exc.start})",
            )
        )
        return CsvText(empty, RawRows(), issues, True, 0)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    for fields in reader:
        if any(cell.strip() for cell in fields):
            header = [cell.strip().lower() for cell in fields]
            break
    if header is None:
        issues.append(CsvIssue("error", "EMPTY_FILE", None, None, f"{file_name}: no header row and no data"))
        return CsvText(empty, RawRows(), issues, True, 0)

    duplicated = sorted({name for name in header if header.count(name) > 1})
    missing_required = [c for c in spec.required if c not in header]
    if missing_required or duplicated:
        problems = []
        if missing_required:
            problems.append(f"required column(s) missing: {', '.join(missing_required)}")
        if duplicated:
            problems.append(f"column(s) repeated: {', '.join(duplicated)}")
        issues.append(
            CsvIssue(
                "error",
                "CSV_HEADER",
                0,
                None,
                f"{file_name}: header row: {'; '.join(problems)} (expected {kind} columns: {', '.join(spec.columns)})",
                _row_text(header),
            )
        )
        return CsvText(empty, RawRows(), issues, True, 0)
    unknown = [name for name in header if name not in spec.columns]
    if unknown:
        issues.append(
            CsvIssue(
                "warning",
                "CSV_COLUMNS",
                0,
                None,
                f"{file_name}: unknown column(s) ignored: {', '.join(unknown)}",
            )
        )
    absent = [c for c in spec.columns if c not in header]
    if absent:
        issues.append(
            CsvIssue(
                "warning",
                "CSV_COLUMNS",
                0,
                None,
                f"{file_name}: optional column(s) absent, loaded empty: {', '.join(absent)}",
            )
        )

    positions = [header.index(c) if c in header else None for c in spec.columns]
    width = len(header)
    row_numbers: list[int] = []
    raw_rows = RawRows()
    good: list[list[str]] = []
    row_number = 0
    for fields in reader:
        if not "".join(fields).strip():
            continue  # blank lines (and rows of blank cells) are not rows
        row_number += 1
        if len(fields) != width:
            issues.append(
                CsvIssue(
                    "error",
                    "CSV_FIELD_COUNT",
                    row_number,
                    None,
                    f"{file_name}: row {row_number} has {len(fields)} fields, the header has {width}: row not loaded",
                    _row_text(fields),
                )
            )
            continue
        row_numbers.append(row_number)
        raw_rows[row_number] = fields
        good.append(fields)
    columns: list[list[str | None]] = [
        [None] * len(good) if position is None else [fields[position].strip() or None for fields in good]
        for position in positions
    ]
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in zip(spec.columns, columns, strict=True)}
    )
    frame.index = pd.Index(row_numbers, dtype="int64", name="row_number")
    return CsvText(frame, raw_rows, issues, False, row_number)


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def typed_table(frame: pd.DataFrame, kind: str, file_id: str) -> pa.Table:
    """The validated rows as an Arrow table with the raw table's columns, names and types.

    Call only on rows that passed the suite: a value that does not convert raises (a bug, not data).
    """
    import pyarrow as pa

    spec = CSV_KINDS[kind]
    arrays: dict[str, pa.Array] = {}
    n = len(frame)
    arrays["file_id"] = pa.array([file_id] * n, type=pa.string())
    arrays["row_number"] = pa.array([int(i) for i in frame.index], type=pa.int64())
    for column in spec.columns:
        values = list(frame[column])
        ctype = spec.column_type(column).split()[0]
        if ctype == "date":
            arrays[column] = pa.array(
                [None if v is None else date.fromisoformat(v) for v in values], pa.date32()
            )
        elif ctype.startswith("decimal"):
            precision, scale = (int(part) for part in ctype[len("decimal(") : -1].split(","))
            arrays[column] = pa.array([_decimal_or_none(v) for v in values], pa.decimal128(precision, scale))
        elif ctype == "integer":
            arrays[column] = pa.array([None if v is None else int(v) for v in values], pa.int32())
        elif ctype == "bigint":
            arrays[column] = pa.array([None if v is None else int(v) for v in values], pa.int64())
        else:
            arrays[column] = pa.array(values, pa.string())
    return pa.table(arrays)


def money_total(frame: pd.DataFrame, kind: str) -> Decimal | None:
    """Σ of the extract's money column over the given rows (the ledger's ``csv_amount``); None when
    the kind has no money column (claim activities)."""
    spec = CSV_KINDS[kind]
    if not spec.money_columns:
        return None
    column = spec.money_columns[0]
    return sum((Decimal(v) for v in frame[column] if v is not None), Decimal("0.00")).quantize(
        Decimal("0.01")
    )
