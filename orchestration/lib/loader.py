"""Load X12 and CSV files into the raw layer: ledger, issues, quarantine, versions, nothing lost.

For every input file (``load_files``), under the warehouse writer lock:

1. hash it: ``file_id = sha256[:16]``. Content already in ``raw.load_ledger`` is a *duplicate*: nothing
   is written, the caller is told (with the figures of the earlier load).
2. parse it: X12 through the reader (``orchestration.lib.x12.parse_x12``, injectable), a CSV extract
   (kind from the name prefix) through its Great Expectations suite; the reader returns rows only for
   good transaction sets, the suite marks bad rows, and both report issues.
3. decide: *quarantined* when nothing loadable came out (the whole file is kept in
   ``quarantine/<file_id>__<name>`` with ``.reason.txt``), else *loaded* or *loaded_with_warnings*
   (copy in ``archive/``).
4. write everything of the file in ONE DuckDB transaction: data rows (inserted from Arrow tables, not
   row by row), issues, and the ledger row last. Any error rolls the whole file back, and the file is
   then quarantined with a ``LOAD_FAILED`` issue: a reader never sees half a file.

Versions: a file whose base name was seen before with other content gets ``version_number`` + 1 and
``supersedes_file_id`` = the latest earlier version of that name that loaded. A row of the raw layer
is *current* when no ledger row supersedes its file (the rule dbt staging applies).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orchestration.lib.csv_extracts import (
    CSV_KINDS,
    detect_csv_kind,
    detect_csv_kind_from_header,
    money_total,
    read_csv_text,
    typed_table,
)
from orchestration.lib.huge_pages import without_huge_pages
from orchestration.lib.raw_schema import RAW_SCHEMA, TABLES
from orchestration.lib.warehouse import open_warehouse, writer_lock
from orchestration.settings import Settings, get_settings

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pyarrow as pa

    from orchestration.lib.x12.columnar835 import BatchTables, FileTables
    from orchestration.lib.x12.model import ParseResult

log = logging.getLogger(__name__)

LOADED = "loaded"
LOADED_WITH_WARNINGS = "loaded_with_warnings"
DUPLICATE = "duplicate"
QUARANTINED = "quarantined"
UNREADABLE = "unreadable"  # reported to the caller only: no bytes, so no ledger row is possible

DATA_TABLES = [table for table in TABLES if table not in ("load_ledger", "load_issues")]
_CENTS = Decimal("0.01")


# ------------------------------------------------------------------------------------------ contracts
class IssueLike(Protocol):
    severity: str
    issue_code: str
    message: str
    segment_position: int | None
    segment_id: str | None
    transaction_control_number: str | None
    raw_text: str | None


class ParseResultLike(Protocol):
    kind: str
    tables: dict[str, list[tuple[Any, ...]]]
    issues: list[Any]
    transactions_loaded: int
    transactions_rejected: int
    segment_count: int


Parser = Callable[[bytes, str, str], ParseResultLike]


@dataclass
class LoadIssue:
    """A ``raw.load_issues`` row before it has a file_id."""

    severity: str
    issue_code: str
    message: str
    segment_position: int | None = None
    segment_id: str | None = None
    transaction_control_number: str | None = None
    raw_text: str | None = None

    @classmethod
    def from_reader(cls, issue: IssueLike) -> LoadIssue:
        return cls(
            severity=issue.severity,
            issue_code=issue.issue_code,
            message=issue.message,
            segment_position=issue.segment_position,
            segment_id=issue.segment_id,
            transaction_control_number=issue.transaction_control_number,
            raw_text=issue.raw_text,
        )


@dataclass
class FileResult:
    """What happened to one input file: the per-file summary `rcm ingest` prints."""

    source_path: str
    file_name: str
    status: str
    file_id: str | None = None
    file_sha256: str | None = None
    size_bytes: int = 0
    file_kind: str = "unknown"
    reasons: list[str] = field(default_factory=list)
    stored_path: str | None = None
    version_number: int | None = None
    supersedes_file_id: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)  # raw table -> rows written
    counts: dict[str, int] = field(default_factory=dict)  # transactions_loaded, segments, csv_rows_read...
    money_totals: dict[str, str] = field(default_factory=dict)
    issue_counts: dict[str, int] = field(default_factory=dict)
    parse_seconds: float = 0.0
    insert_seconds: float = 0.0
    duplicate_of: str | None = None  # file_name of the earlier load, for duplicates
    parsed_in_worker: bool = False  # parsed ahead in a worker process (see load_files)
    # read again: the same bytes were quarantined before for a cause on our side (RETRYABLE_CODES);
    # the earlier ledger row's reasons
    retried_from: str | None = None

    @property
    def transactions_loaded(self) -> int:
        return self.counts.get("transactions_loaded", 0)

    @property
    def transactions_rejected(self) -> int:
        return self.counts.get("transactions_rejected", 0)

    @property
    def claims(self) -> int:
        rows = self.row_counts
        return rows.get("era_claims", 0) + rows.get("x837_claims", 0) + self.counts.get("csv_claim_count", 0)

    @property
    def service_lines(self) -> int:
        counts = self.row_counts
        return (
            counts.get("era_service_lines", 0)
            + counts.get("x837_service_lines", 0)
            + counts.get("csv_claims", 0)
        )

    @property
    def balancing_violations(self) -> int:
        return sum(
            count
            for code, count in self.issue_counts.items()
            if code in ("UNBALANCED_LINE", "UNBALANCED_CLAIM", "UNBALANCED_TRANSACTION")
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready per-file summary (money as strings: exact decimals)."""
        totals = self.money_totals
        return {
            "file": self.source_path,
            "file_name": self.file_name,
            "file_id": self.file_id,
            "kind": self.file_kind,
            "status": self.status,
            "version_number": self.version_number,
            "supersedes_file_id": self.supersedes_file_id,
            "transactions": self.transactions_loaded,
            "transactions_rejected": self.transactions_rejected,
            "claims": self.claims,
            "service_lines": self.service_lines,
            "bpr02_total": totals.get("bpr02"),
            "clp04_total": totals.get("clp04"),
            "plb_total": totals.get("plb"),
            "clm02_total": totals.get("clm02"),
            "csv_amount_total": totals.get("csv_amount"),
            "balancing_violations": self.balancing_violations,
            "issues": dict(sorted(self.issue_counts.items())),
            "rows": {k: v for k, v in sorted(self.row_counts.items()) if v},
            "stored_path": self.stored_path,
            "reasons": self.reasons,
            "retried_from": self.retried_from,
            "parse_seconds": round(self.parse_seconds, 4),
            "insert_seconds": round(self.insert_seconds, 4),
        }

    def one_line(self) -> str:
        reasons = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        again = " (read again: it was quarantined for a cause on our side)" if self.retried_from else ""
        return f"{self.file_name}: {self.status} {self.file_kind} file_id={self.file_id}{reasons}{again}"


@dataclass
class _Parsed:
    """A file turned into what will be written (the loader's internal form)."""

    kind: str
    tables: dict[str, pa.Table]
    issues: list[LoadIssue]
    counts: dict[str, int] = field(default_factory=dict)
    money_totals: dict[str, str] = field(default_factory=dict)
    fatal: bool = False  # the file as a whole could not be read
    # where a table is a slice of a parsed chunk's table: (chunk table, first row, the slice); lets a batch
    # insert one slice per chunk instead of concatenating hundreds of per-file slices again
    origins: dict[str, tuple[pa.Table, int, pa.Table]] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ helpers
def collect_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand files and folders (recursively) into a sorted list of files to load.

    Hidden names (``.x``) and in-progress copies (``*.part``, ``*.tmp``) are skipped, so a sender can
    write under a temporary name and rename into the inbox when done.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            relative = candidate.relative_to(path) if path.is_dir() else Path(candidate.name)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if candidate.suffix.lower() in (".part", ".tmp"):
                continue
            out.append(candidate)
    seen: set[Path] = set()
    unique = []
    folders: dict[Path, Path] = {}
    for path in out:
        resolved = _resolved(path, folders)
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique


def _resolved(path: Path, folders: dict[Path, Path]) -> Path:
    """``path.resolve()``, resolving each folder once (``folders`` caches them): a file that is not a
    symlink resolves to its resolved folder plus its name (one ``lstat`` instead of one per part)."""
    if path.name in ("", ".", "..") or path.is_symlink():
        return path.resolve()
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path.parent.resolve()
    return folder / path.name


@functools.cache
def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a raw table (same names, order and types as the DuckDB table; every field
    nullable: NOT NULL is the database's to enforce, inside the file's transaction)."""
    import pyarrow as pa

    from orchestration.lib.x12 import tables

    return pa.schema([field.with_nullable(True) for field in tables.arrow_schema(table)])


def rows_to_arrow(table: str, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """Reader tuples (raw-schema column order) -> Arrow table in ``arrow_schema(table)``; column-wise,
    so it is fast. A row of another width than the table raises ``ValueError`` naming both."""
    from orchestration.lib.x12 import tables

    schema = arrow_schema(table)
    if rows and len(rows[0]) != len(schema):
        raise ValueError(
            f"{table}: reader rows have {len(rows[0])} values, the table has {len(schema)} columns"
        )
    return tables.rows_to_arrow(table, rows, schema)


def _sum_column(table: pa.Table | None, column: str) -> Decimal:
    if table is None or table.num_rows == 0:
        return Decimal("0.00")
    import pyarrow.compute as pc

    total = pc.sum(table.column(column)).as_py()
    return (total if total is not None else Decimal("0")).quantize(_CENTS)


def _default_reader() -> tuple[Parser, Callable[[Any], dict[str, pa.Table]] | None]:
    """The real X12 reader, and its ``to_arrow`` when it has one (faster than converting tuples)."""
    from orchestration.lib import x12 as x12_module

    return x12_module.parse_x12, getattr(x12_module, "to_arrow", None)


def _in_raw_schema(name: str, table: pa.Table) -> pa.Table:
    """``table`` with the raw table's Arrow schema (columns selected and cast when they differ)."""
    import pyarrow as pa

    schema = arrow_schema(name)
    if table.schema.names == schema.names and table.schema.types == schema.types:
        # same columns and types, only nullability flags differ: relabel without copying
        return pa.Table.from_arrays(table.columns, schema=schema)
    return table.select(schema.names).cast(schema)


def _reader_tables(
    result: ParseResultLike, to_arrow: Callable[[Any], dict[str, pa.Table]] | None
) -> dict[str, pa.Table]:
    """The reader's rows as Arrow tables in the raw schema, skipping empty ones."""
    tables: dict[str, pa.Table] = {}
    if to_arrow is not None:
        for name, table in to_arrow(result).items():
            if name not in DATA_TABLES:
                raise ValueError(f"reader produced rows for unknown raw table {name!r}")
            tables[name] = _in_raw_schema(name, table)
    else:
        for name, rows in result.tables.items():
            if name not in DATA_TABLES:
                raise ValueError(f"reader produced rows for unknown raw table {name!r}")
            tables[name] = rows_to_arrow(name, rows)
    return {name: table for name, table in tables.items() if table.num_rows}


def _x12_kind(reader_kind: str) -> str:
    """The ledger's file kind for what the X12 reader found."""
    return reader_kind if reader_kind in ("835", "837P", "837I", "mixed") else "unknown"


def parse_x12_file(
    data: bytes,
    file_id: str,
    file_name: str,
    parser: Parser,
    to_arrow: Callable[[Any], dict[str, pa.Table]] | None = None,
) -> _Parsed:
    """Run the X12 reader and turn its result into the loader's form."""
    result = parser(data, file_id, file_name)
    tables = _reader_tables(result, to_arrow)
    kind = _x12_kind(result.kind)
    return _Parsed(
        kind=kind,
        tables=tables,
        issues=[LoadIssue.from_reader(issue) for issue in result.issues],
        counts={
            "transactions_loaded": int(result.transactions_loaded),
            "transactions_rejected": int(result.transactions_rejected),
            "segments": int(result.segment_count),
        },
        money_totals=_money_totals(kind, tables),
        fatal=not tables,
    )


# The control totals of the ledger: (key, raw table, money column, the file kinds that report it).
_MONEY_TOTALS = (
    ("bpr02", "era_transactions", "total_paid_amount", ("835", "mixed")),
    ("clp04", "era_claims", "paid_amount", ("835", "mixed")),
    ("plb", "era_provider_adjustments", "adjustment_amount", ("835", "mixed")),
    ("clm02", "x837_claims", "total_charge_amount", ("837P", "837I", "mixed")),
)


def _money_totals(kind: str, tables: dict[str, pa.Table]) -> dict[str, str]:
    """The file's control totals (exact decimals as text) from its Arrow tables."""
    totals: dict[str, str] = {}
    if tables:
        for key, table, column, kinds in _MONEY_TOTALS:
            if kind in kinds:
                totals[key] = str(_sum_column(tables.get(table), column))
    return totals


def _cents_by_file(column: pa.ChunkedArray, starts: np.ndarray, ends: np.ndarray) -> list[int] | None:
    """The sums of ``column[start:end]`` for each file, in cents, from one pass over the column; None
    when the column is not ``decimal(18,2)`` or its sums could leave int64 (the caller then sums
    file by file)."""
    import numpy as np
    import pyarrow as pa

    # the low 64 bits of each decimal128(18, s) value (the high word only repeats the sign), 0 for
    # nulls, which SUM skips
    from orchestration.lib.x12.tables import decimal_units

    kind = column.type
    if not (pa.types.is_decimal128(kind) and kind.precision <= 18 and kind.scale == 2):
        return None
    pieces = [decimal_units(chunk) for chunk in column.chunks]
    cents = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    if len(cents) and int(np.abs(cents).max()) * len(cents) >= 2**62:
        return None
    running = np.concatenate(([0], np.cumsum(cents, dtype=np.int64)))
    return (running[ends] - running[starts]).tolist()


def _chunk_money_totals(
    tables: dict[str, pa.Table], files: Sequence[_ChunkFile]
) -> list[dict[str, str] | None]:
    """``_money_totals`` of every file of a parsed chunk (``files`` as ``_parse_x12_chunk`` returns
    them, rows file after file), one pass per money column instead of one Arrow sum per file and
    column (1,219 small 835s: 0.2 s of the loading process's time, spent while it holds the
    interpreter lock the reader threads need)."""
    import numpy as np

    totals: list[dict[str, str] | None] = [None if item is None else {} for item in files]
    for key, table_name, column, kinds in _MONEY_TOTALS:
        table = tables.get(table_name)
        counts = np.array([0 if item is None else item[0].get(table_name, 0) for item in files], np.int64)
        ends = np.cumsum(counts)
        starts = ends - counts
        sums = _cents_by_file(table.column(column), starts, ends) if table is not None else None
        for index, item in enumerate(files):
            if item is None or not item[0]:
                continue  # no rows at all: no totals (as ``_money_totals`` of no tables)
            if _x12_kind(item[3]) not in kinds:
                continue
            if not counts[index]:
                total = Decimal("0.00")
            elif sums is not None:
                total = Decimal(sums[index]).scaleb(-2).quantize(_CENTS)
            else:
                assert table is not None
                total = _sum_column(table.slice(int(starts[index]), int(counts[index])), column)
            totals[index][key] = str(total)  # type: ignore[index]
    return totals


CsvValidator = Callable[[str, Any], Any]


def _default_csv_validator() -> CsvValidator:
    from expectations.runner import validate_frame

    return validate_frame


def parse_csv_file(data: bytes, file_id: str, file_name: str, kind: str, validator: CsvValidator) -> _Parsed:
    """Read a CSV extract as text, validate it with its GX suite, keep the good rows typed."""
    spec = CSV_KINDS[kind]
    text = read_csv_text(data, kind, file_name)
    issues = [
        LoadIssue(
            severity=item.severity,
            issue_code=item.issue_code,
            message=item.message,
            segment_position=item.row_number,
            segment_id=item.column,
            raw_text=item.raw_text,
        )
        for item in text.issues
    ]
    if text.fatal:
        return _Parsed(kind=spec.file_kind, tables={}, issues=issues, fatal=True)
    outcome = validator(kind, text.frame)
    if outcome.errors:
        issues.extend(
            LoadIssue("error", "GX_ERROR", f"{file_name}: expectation could not run: {error}")
            for error in outcome.errors
        )
        return _Parsed(kind=spec.file_kind, tables={}, issues=issues, fatal=True)
    by_row: dict[int, list[Any]] = {}
    for failure in outcome.failures:
        by_row.setdefault(failure.row_number, []).append(failure)
    for row_number in sorted(by_row):
        for failure in by_row[row_number]:
            shown = "empty" if failure.value is None else repr(failure.value)
            issues.append(
                LoadIssue(
                    severity="error",
                    issue_code=failure.issue_code,
                    message=(
                        f"{file_name}: row {row_number}: column {failure.column} = {shown} fails "
                        f"{failure.expectation_type}: row quarantined"
                    ),
                    segment_position=row_number,
                    segment_id=failure.column,
                    raw_text=text.raw_rows.get(row_number),
                )
            )
    good = text.frame.drop(index=sorted(by_row)) if by_row else text.frame
    table = typed_table(good, kind, file_id).cast(arrow_schema(spec.table))
    amount = money_total(good, kind)
    totals = {"csv_amount": str(amount)} if amount is not None else {}
    extra: dict[str, int] = {
        "csv_rows_read": text.rows_read,
        "csv_rows_rejected": text.rows_read - table.num_rows,
    }
    if kind == "claims":
        extra["csv_claim_count"] = int(good["patient_control_number"].nunique())
    nothing_good = text.rows_read > 0 and table.num_rows == 0
    return _Parsed(
        kind=spec.file_kind,
        tables={spec.table: table},
        issues=issues,
        money_totals=totals,
        counts=extra,
        fatal=nothing_good,
    )


def _utc_naive(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _now_utc_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_blank(data: bytes) -> bool:
    # the head first: stripping a whole large file copied it (a 50 MB 835: ~10 ms)
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    return not data[:4096].strip(blank) and not data.strip(blank)


_X12_START = re.compile(rb"^(ISA|ST)[^A-Za-z0-9_\s]")


def _looks_like_x12(data: bytes) -> bool:
    """True when the bytes start like an interchange or a bare transaction set (not a CSV header)."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return bool(_X12_START.match(head))


def classify(file_name: str, data: bytes, csv_kind: str | None = None) -> tuple[str | None, LoadIssue | None]:
    """The CSV extract kind of a file, or None for the X12 reader; plus a warning when guessed.

    X12 content always goes to the X12 reader. Otherwise: ``csv_kind`` when the caller forces one,
    else the kind named by the file-name prefix, else, for a ``.csv`` with no known prefix, the one
    kind its header fits (with a ``CSV_KIND_FROM_HEADER`` warning).
    """
    if _looks_like_x12(data):
        return None, None
    if csv_kind is not None:
        return csv_kind, None
    kind = detect_csv_kind(file_name)
    if kind is not None or not file_name.lower().endswith(".csv"):
        return kind, None
    kind = detect_csv_kind_from_header(data)
    if kind is None:
        return None, None
    warning = LoadIssue(
        "warning",
        "CSV_KIND_FROM_HEADER",
        f"{file_name}: the name has no known extract prefix; read as {kind} because the header has "
        f"exactly that kind's columns",
    )
    return kind, warning


def quarantine_reason_text(result: FileResult, issues: Sequence[LoadIssue]) -> str:
    """The ``.reason.txt`` beside a quarantined file: which file, which segment or row, what was wrong."""
    lines = [
        f"file: {result.file_name}",
        f"source: {result.source_path}",
        f"file_id: {result.file_id}  sha256: {result.file_sha256}  bytes: {result.size_bytes}",
        f"kind: {result.file_kind}",
        "status: quarantined (nothing from this file was loaded)",
        f"reasons: {'; '.join(result.reasons)}",
        "",
        "problems:",
    ]
    for issue in issues:
        where = []
        if issue.segment_position is not None:
            unit = "row" if result.file_kind.startswith("csv_") else "segment"
            where.append(f"{unit} {issue.segment_position}")
        if issue.segment_id:
            where.append(issue.segment_id)
        if issue.transaction_control_number:
            where.append(f"ST02 {issue.transaction_control_number}")
        place = f" at {' '.join(where)}" if where else ""
        lines.append(f"- [{issue.severity}] {issue.issue_code}{place}: {issue.message}")
        if issue.raw_text:
            lines.append(f"    {issue.raw_text[:500]}")
    return "\n".join(lines) + "\n"


def _store_copy(data: bytes, directory: Path, file_id: str, file_name: str) -> Path:
    """Write the bytes that were read (not the file as it is now) to ``directory/<file_id>__<name>``.

    Atomic (temporary name, then rename) and idempotent: the name carries the content's id.
    """
    target = directory / f"{file_id}__{file_name}"
    if target.exists():
        return target
    tmp = os.path.join(directory, f".{file_id}__{file_name}.tmp")
    # os calls, not pathlib: five system calls per copy instead of about seven (each lets go of the
    # interpreter lock and waits to take it back while the reader threads hold it); the directory
    # is made only when missing
    try:
        handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
        handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)
    os.replace(tmp, target)
    return target


def _reasons(issues: Sequence[LoadIssue], limit: int = 5) -> list[str]:
    """Human-readable reasons: one per issue code, errors first, with a count when repeated."""
    by_code: dict[tuple[str, str], list[LoadIssue]] = {}
    for issue in issues:
        by_code.setdefault((issue.severity, issue.issue_code), []).append(issue)
    ordered = sorted(by_code.items(), key=lambda item: (item[0][0] != "error", item[0][1]))
    out = []
    for (_severity, code), items in ordered[:limit]:
        first = items[0].message
        out.append(f"{code}: {first}" + (f" (+{len(items) - 1} more)" if len(items) > 1 else ""))
    if len(ordered) > limit:
        out.append(f"+{len(ordered) - limit} more issue codes")
    return out


def _issue_counts(issues: Sequence[LoadIssue]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in issues:
        counts[issue.issue_code] = counts.get(issue.issue_code, 0) + 1
    return counts


def _issues_arrow(items: Sequence[tuple[str, Sequence[LoadIssue]]]) -> pa.Table:
    """The ``raw.load_issues`` rows of several files (``(file_id, issues)``), in one Arrow table."""
    rows = [
        (
            file_id,
            issue.severity,
            issue.issue_code,
            issue.segment_position,
            issue.segment_id,
            issue.transaction_control_number,
            issue.message,
            issue.raw_text,
        )
        for file_id, issues in items
        for issue in issues
    ]
    return rows_to_arrow("load_issues", rows)


def _insert_arrow(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    if data.num_rows == 0:
        return
    view = f"_incoming_{table}"
    con.register(view, data)
    try:
        con.execute(f"insert into {RAW_SCHEMA}.{table} by name select * from {view}")  # noqa: S608
    finally:
        con.unregister(view)


# ------------------------------------------------------------------------------------------ loading
def _stored_issue_counts(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, int]:
    rows = con.execute(
        f"select issue_code, count(*) from {RAW_SCHEMA}.load_issues where file_id = ? group by 1",  # noqa: S608
        [file_id],
    ).fetchall()
    return {code: int(count) for code, count in rows}


_EXISTING_COLUMNS = [
    "file_name",
    "status",
    "file_kind",
    "row_counts",
    "money_totals",
    "stored_path",
    "version_number",
    "supersedes_file_id",
    "reasons",
]


def _existing(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, Any] | None:
    row = con.execute(
        f"select {', '.join(_EXISTING_COLUMNS)} from {RAW_SCHEMA}.load_ledger where file_id = ?",  # noqa: S608
        [file_id],
    ).fetchone()
    return None if row is None else dict(zip(_EXISTING_COLUMNS, row, strict=True))


# Quarantined for a cause on our side, not in the file's bytes: the reader raised (a reader bug), its
# worker process died (killed, out of memory), or the write failed and was rolled back (a full disk).
# Loading the same bytes again reads them again, and the new outcome replaces the old ledger row. Every
# other quarantined file is the file's own fault and stays a duplicate. The inbox does not retry: it
# skips files unchanged since they were loaded (``skip_unchanged``); name the file to ``rcm ingest``.
RETRYABLE_CODES = frozenset({"READ_FAILED", "WORKER_DIED", "LOAD_FAILED"})


def _retryable(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """The ledger's files that a load reads again, with their error codes (taken once per load: a file
    is read again at most once per call, and a file first quarantined in this call is not)."""
    rows = con.execute(
        f"select file_id, list(distinct issue_code) "  # noqa: S608
        f"from {RAW_SCHEMA}.load_ledger join {RAW_SCHEMA}.load_issues using (file_id) "
        "where status = ? and severity = 'error' "
        "group by file_id having bool_and(issue_code in (select unnest(?)))",
        [QUARANTINED, sorted(RETRYABLE_CODES)],
    ).fetchall()
    return {file_id: frozenset(codes) for file_id, codes in rows}


def _as_duplicate(con: duckdb.DuckDBPyConnection, result: FileResult, earlier: dict[str, Any]) -> FileResult:
    """Fill ``result`` as a duplicate of the ledger row ``earlier`` (its figures, nothing written)."""
    result.status = DUPLICATE
    result.file_kind = earlier["file_kind"]
    result.duplicate_of = earlier["file_name"]
    result.stored_path = earlier["stored_path"]
    result.version_number = earlier["version_number"]
    result.supersedes_file_id = earlier["supersedes_file_id"]
    stored_counts = {k: int(v) for k, v in json.loads(earlier["row_counts"] or "{}").items()}
    result.row_counts = {k: v for k, v in stored_counts.items() if k in TABLES}
    result.counts = {k: v for k, v in stored_counts.items() if k not in TABLES}
    result.money_totals = json.loads(earlier["money_totals"] or "{}")
    assert result.file_id is not None
    result.issue_counts = _stored_issue_counts(con, result.file_id)
    result.reasons = [
        f"DUPLICATE_FILE: same content as {earlier['file_name']} (file_id {result.file_id}, "
        f"status {earlier['status']}); nothing changed"
    ]
    return result


def _unchanged_since_loaded(con: duckdb.DuckDBPyConnection, path: Path) -> FileResult | None:
    """A duplicate result, without reading the file, when this path was loaded with the same size and
    mtime (the inbox case: files stay there and every sensor run sees them again)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    source = str(path.resolve())
    row = con.execute(
        f"select file_id, file_sha256 from {RAW_SCHEMA}.load_ledger "  # noqa: S608
        "where source_path = ? and size_bytes = ? and received_at = ? order by loaded_at desc limit 1",
        [source, stat.st_size, _utc_naive(stat.st_mtime)],
    ).fetchone()
    if row is None:
        return None
    earlier = _existing(con, row[0])
    if earlier is None:
        return None
    result = FileResult(
        source, path.name, DUPLICATE, file_id=row[0], file_sha256=row[1], size_bytes=stat.st_size
    )
    return _as_duplicate(con, result, earlier)


@dataclass
class _Pending:
    """A read file waiting for its transaction: its result (filled in), its rows, its bytes."""

    result: FileResult
    parsed: _Parsed
    data: bytes
    mtime: float
    # the archive/quarantine copy being written by the loader's copy thread (``_keep_copy``)
    copying: Future[None] | None = None
    committed: bool = False  # its transaction committed (its copy is named by a ledger row)
    # read again after a quarantine on our side: the earlier ledger row's quarantine copy, which the
    # commit's ledger row replaces (``_commit`` deletes the earlier row and its issues)
    replaces_copy: str | None = None
    retried_version: int | None = None  # and its version number, which it keeps

    @property
    def data_rows(self) -> int:
        return sum(table.num_rows for table in self.parsed.tables.values())


def _read_with_mtime(path: Path | str) -> tuple[bytes, float]:
    """A file's bytes and its mtime, from one open (the mtime of the file read, even if it is
    replaced meanwhile). Raises ``OSError``."""
    with open(path, "rb") as handle:
        return handle.read(), os.fstat(handle.fileno()).st_mtime


def _read_file(path: Path, folders: dict[Path, Path] | None = None) -> _Pending | FileResult:
    """Read and hash one file; an unreadable file comes back as a final ``FileResult``."""
    file_name = path.name
    source = _source_path(path, {} if folders is None else folders)
    try:
        data, mtime = _read_with_mtime(path)
    except OSError as exc:
        return FileResult(source, file_name, UNREADABLE, reasons=[f"cannot read the file: {exc}"])
    return _pending(path, source, data, hashlib.sha256(data).hexdigest(), mtime)


def _source_path(path: Path, folders: dict[Path, Path]) -> str:
    """The ledger's source path: resolved where the file still exists."""
    return str(_resolved(path, folders)) if path.exists() else str(path)


def _pending(path: Path, source: str, data: bytes, sha: str, mtime: float) -> _Pending:
    result = FileResult(
        source, path.name, QUARANTINED, file_id=sha[:16], file_sha256=sha, size_bytes=len(data)
    )
    return _Pending(result, _Parsed(kind="unknown", tables={}, issues=[]), data, mtime)


def _read_by_chunk(path: Path, slot: _ChunkSlot | None, folders: dict[Path, Path]) -> _Pending | None:
    """The file as its chunk's reader thread read and hashed it, or None (parsed in a worker, or
    not read there): the loading process then reads and hashes it itself (``_read_file``). Reading
    each file once less took 0.2-0.4 s off the loading process's time for 1,219 small 835s."""
    read = slot.read() if slot is not None else None
    if read is None:
        return None
    data, sha, mtime = read
    source = _source_path(path, folders)
    return _pending(path, source, data, sha, mtime)


def _parse_pending(
    pending: _Pending,
    parser: Parser | None,
    csv_validator: CsvValidator | None,
    prefetched: _ChunkSlot | None,
    forced_csv_kind: str | None = None,
) -> None:
    """Parse the file's bytes and decide its status (loaded, loaded_with_warnings or quarantined)."""
    result, data = pending.result, pending.data
    file_name = result.file_name
    assert result.file_id is not None
    started = time.perf_counter()
    csv_kind, kind_warning = classify(file_name, data, forced_csv_kind)
    try:
        if _is_blank(data):
            parsed = _Parsed(
                kind=CSV_KINDS[csv_kind].file_kind if csv_kind else "unknown",
                tables={},
                issues=[
                    LoadIssue("error", "EMPTY_FILE", f"{file_name}: the file is empty ({len(data)} bytes)")
                ],
                fatal=True,
            )
        elif (from_worker := prefetched.result() if prefetched is not None else None) is not None:
            parsed, worker_seconds = from_worker
            result.parsed_in_worker = True
            started = time.perf_counter() - worker_seconds
        elif csv_kind is not None:
            parsed = parse_csv_file(
                data, result.file_id, file_name, csv_kind, csv_validator or _default_csv_validator()
            )
        else:
            reader, to_arrow = (parser, None) if parser is not None else _default_reader()
            parsed = parse_x12_file(data, result.file_id, file_name, reader, to_arrow)
    except WorkersKeepDying:
        raise  # not this file's doing: the load stops
    except WorkerDied as died:  # this file alone took its worker down: keep it out, load the rest
        log.error("reading %s: %s", result.source_path, died)
        result.parsed_in_worker = True  # in a worker, which died
        parsed = _Parsed(
            kind=CSV_KINDS[csv_kind].file_kind if csv_kind else "unknown",
            tables={},
            issues=[LoadIssue("error", "WORKER_DIED", f"{file_name}: {died}")],
            fatal=True,
        )
    except Exception as exc:  # a reader bug must not stop the other files: quarantine this one
        log.exception("reading %s failed", result.source_path)
        parsed = _Parsed(
            kind=CSV_KINDS[csv_kind].file_kind if csv_kind else "unknown",
            tables={},
            issues=[
                LoadIssue(
                    "error", "READ_FAILED", f"{file_name}: the reader failed: {type(exc).__name__}: {exc}"
                )
            ],
            fatal=True,
        )
    if kind_warning is not None:
        parsed.issues.insert(0, kind_warning)
    result.parse_seconds = time.perf_counter() - started
    result.file_kind = parsed.kind
    result.counts = dict(parsed.counts)
    result.money_totals = parsed.money_totals
    if parsed.fatal and not parsed.issues:
        parsed.issues.append(LoadIssue("error", "NO_DATA", f"{file_name}: no loadable records were found"))
    if parsed.fatal:
        result.status = QUARANTINED
        parsed.tables = {}
    else:
        result.status = LOADED_WITH_WARNINGS if parsed.issues else LOADED
        result.row_counts = {name: table.num_rows for name, table in parsed.tables.items()}
    result.issue_counts = _issue_counts(parsed.issues)
    result.reasons = _reasons(parsed.issues)
    pending.parsed = parsed


def _assign_versions(con: duckdb.DuckDBPyConnection, items: Sequence[_Pending]) -> None:
    """Set version_number and supersedes_file_id of each item, in order, from the ledger as it is now
    (inside the transaction) plus the items before it."""
    names = sorted({item.result.file_name for item in items})
    rows = con.execute(
        f"select file_name, max(version_number), "  # noqa: S608
        f"arg_max(file_id, version_number) filter (where status in {_LOADED}), "
        f"max(version_number) filter (where status in {_LOADED}) "
        f"from {RAW_SCHEMA}.load_ledger where file_name in (select unnest(?)) group by file_name",
        [names],
    ).fetchall()
    # name -> (highest version, latest loaded file_id, its version)
    state: dict[str, tuple[int, str | None, int]] = {
        name: (int(top), latest, int(latest_version or 0)) for name, top, latest, latest_version in rows
    }
    # Read again after a quarantine on our side, a file keeps the version number it was given and
    # takes its place in its name's chain: it supersedes the loaded version below it, and the loaded
    # version above it, if any, now supersedes it (older content loaded late is not current). In
    # version order, so that two of one name read again in one batch chain up too.
    again = sorted((item for item in items if item.retried_version is not None), key=_version_key)
    below_here: dict[str, tuple[int, str]] = {}  # name -> the last loaded one of ``again`` (version, id)
    for item in again:
        result, version = item.result, item.retried_version
        assert version is not None and result.file_id is not None
        result.version_number = version
        result.supersedes_file_id = None
        if result.status == QUARANTINED:
            continue
        below, below_version, above = con.execute(
            f"select arg_max(file_id, version_number) filter (where version_number < ?), "  # noqa: S608
            "max(version_number) filter (where version_number < ?), "
            "arg_min(file_id, version_number) filter (where version_number > ?) "
            f"from {RAW_SCHEMA}.load_ledger where file_name = ? and status in {_LOADED}",
            [version, version, version, result.file_name],
        ).fetchone() or (None, None, None)
        # the loaded version just below: the ledger's, or one of ``again`` read before this one
        earlier_here = below_here.get(result.file_name)
        if earlier_here is not None and (below_version is None or earlier_here[0] > below_version):
            below = earlier_here[1]
        result.supersedes_file_id = below
        if above is not None:
            con.execute(
                f"update {RAW_SCHEMA}.load_ledger set supersedes_file_id = ? where file_id = ?",  # noqa: S608
                [result.file_id, above],
            )
        below_here[result.file_name] = (version, result.file_id)
        top, latest, latest_version = state.get(result.file_name, (0, None, 0))
        if latest is None or version > latest_version:
            state[result.file_name] = (top, result.file_id, version)
    for item in items:
        if item.retried_version is not None:
            continue
        result = item.result
        top, latest, latest_version = state.get(result.file_name, (0, None, 0))
        result.version_number = top + 1
        loads = result.status != QUARANTINED
        result.supersedes_file_id = latest if loads else None
        state[result.file_name] = (
            top + 1,
            *((result.file_id, top + 1) if loads else (latest, latest_version)),
        )


_LOADED = "('loaded', 'loaded_with_warnings')"


def _version_key(item: _Pending) -> tuple[str, int]:
    return item.result.file_name, item.retried_version or 0


def _keep_copy(settings: Settings, item: _Pending) -> None:
    """Keep the file's bytes in archive/ (loaded) or quarantine/ with its .reason.txt."""
    result = item.result
    assert result.file_id is not None
    if result.status == QUARANTINED:
        stored = _store_copy(item.data, settings.quarantine_dir, result.file_id, result.file_name)
        reason_path = stored.with_name(stored.name + ".reason.txt")
        reason_path.write_text(quarantine_reason_text(result, item.parsed.issues), encoding="utf-8")
    else:
        stored = _store_copy(item.data, settings.archive_dir, result.file_id, result.file_name)
    result.stored_path = str(stored)


def _copy_kept(settings: Settings, item: _Pending) -> None:
    """The item's copy, written: wait for the copy thread's (re-raising its error), or write it here
    when there is none (the retry of a failed commit: ``_quarantine_after_failure`` waits for a
    pending copy and clears it before it changes the file's status)."""
    copying, item.copying = item.copying, None
    if copying is not None:
        copying.result()
    else:
        _keep_copy(settings, item)


def _discard_copy(settings: Settings, item: _Pending) -> None:
    """A load stopped before this item committed: remove its copy, which no ledger row names (its
    content was new to the ledger, so no earlier load wrote that copy either; a file read again
    after a quarantine keeps the quarantine copy its earlier row names)."""
    if item.copying is not None:
        with contextlib.suppress(BaseException):
            item.copying.result()
        item.copying = None
    if item.committed or not item.result.stored_path:
        return
    if item.result.stored_path != item.replaces_copy:  # read again, quarantined again: the earlier
        _remove_copy(settings, Path(item.result.stored_path))  # ledger row, which stays, names it
    item.result.stored_path = None


def _ledger_arrow(items: Sequence[_Pending]) -> pa.Table:
    loaded_at = _now_utc_naive()
    rows = []
    for item in items:
        result = item.result
        rows.append(
            (
                result.file_id,
                result.file_sha256,
                result.file_name,
                result.source_path,
                result.stored_path,
                result.size_bytes,
                result.file_kind,
                _utc_naive(item.mtime),
                loaded_at,
                result.status,
                "; ".join(result.reasons) or None,
                result.supersedes_file_id,
                result.version_number,
                json.dumps({**result.row_counts, **result.counts}, sort_keys=True),
                json.dumps(result.money_totals, sort_keys=True),
                round(result.parse_seconds, 6),
            )
        )
    return rows_to_arrow("load_ledger", rows)


def _batch_parts(items: Sequence[_Pending], table_name: str) -> list[pa.Table]:
    """The items' rows of one raw table, in item order, as few tables as possible: consecutive files
    whose rows are adjacent slices of one parsed chunk's table become one slice of it (concatenating
    1,219 per-file slices cost 0.75 s of a 7 s load of small 835s)."""
    parts: list[pa.Table] = []
    run: list[Any] | None = None  # [chunk table, first row, end row] of the slices being joined
    for item in items:
        table = item.parsed.tables.get(table_name)
        if table is None:
            continue
        origin = item.parsed.origins.get(table_name)
        if origin is not None and origin[2] is not table:
            origin = None  # the file's table is no longer the chunk's slice it was
        if origin is not None and run is not None and origin[0] is run[0] and origin[1] == run[2]:
            run[2] += table.num_rows
            continue
        if run is not None:
            parts.append(run[0].slice(run[1], run[2] - run[1]))
            run = None
        if origin is not None:
            run = [origin[0], origin[1], origin[1] + table.num_rows]
        else:
            parts.append(table)
    if run is not None:
        parts.append(run[0].slice(run[1], run[2] - run[1]))
    return parts


def _commit(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    items: Sequence[_Pending],
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None,
) -> None:
    """Write the items' rows, issues and ledger rows in ONE transaction (all of them or none)."""
    import pyarrow as pa

    con.execute("begin transaction")
    try:
        _assign_versions(con, items)
        again = [item.result.file_id for item in items if item.retried_version is not None]
        if again:  # the earlier outcome of the same bytes (quarantined, no data rows) makes way
            for table_name in ("load_issues", "load_ledger"):
                con.execute(
                    f"delete from {RAW_SCHEMA}.{table_name} where file_id in (select unnest(?))",  # noqa: S608
                    [again],
                )
        for table_name in DATA_TABLES:
            parts = _batch_parts(items, table_name)
            if parts:
                # one contiguous table per raw table and batch: DuckDB scans one large Arrow chunk
                # two to three times faster than hundreds of per-file slices; a few large parts
                # (large files) it scans as fast as they are, so copying them would only cost
                data = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
                if data.num_columns and data.column(0).num_chunks > 8:
                    data = data.combine_chunks()
                _insert_arrow(con, table_name, data)
        # the copies (``stored_path`` in the ledger rows) were being written while DuckDB inserted
        for item in items:
            _copy_kept(settings, item)
        issues = [(item.result.file_id or "", item.parsed.issues) for item in items]
        _insert_arrow(con, "load_issues", _issues_arrow(issues))
        _insert_arrow(con, "load_ledger", _ledger_arrow(items))
        if before_commit is not None:
            for item in items:
                before_commit(con, item.result)
        con.execute("commit")
        for item in items:
            item.committed = True
            if item.replaces_copy and item.replaces_copy != item.result.stored_path:
                _remove_copy(settings, Path(item.replaces_copy))  # no ledger row names it any more
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise


def _remove_copy(settings: Settings, path: Path) -> None:
    """Remove a kept copy (archive or quarantine) and its reason file. Only in this home's folders:
    a path from a ledger row copied from another home is not ours to remove."""
    if path.parent not in (settings.archive_dir, settings.quarantine_dir):
        return
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".reason.txt").unlink(missing_ok=True)


def _quarantine_after_failure(
    con: duckdb.DuckDBPyConnection, settings: Settings, item: _Pending, error: Exception
) -> None:
    """The file's transaction failed and was rolled back: keep it in quarantine with LOAD_FAILED."""
    result = item.result
    log.error("loading %s failed and was rolled back: %s", result.source_path, error)
    if item.copying is not None:  # a copy still being written: let it finish before looking
        with contextlib.suppress(Exception):
            item.copying.result()
        item.copying = None
    if result.stored_path and Path(result.stored_path).parent == settings.archive_dir:
        # this file_id is in no ledger row, so nothing else refers to the archive copy
        Path(result.stored_path).unlink(missing_ok=True)
    failure = LoadIssue(
        "error", "LOAD_FAILED", f"{result.file_name}: writing failed and was rolled back: {error}"
    )
    result.status = QUARANTINED
    result.row_counts = {}
    result.issue_counts = _issue_counts([failure])
    result.reasons = _reasons([failure])
    item.parsed = _Parsed(
        kind=item.parsed.kind, tables={}, issues=[failure], money_totals=item.parsed.money_totals, fatal=True
    )
    _commit(con, settings, [item], None)


def _flush(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    batch: list[_Pending],
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None,
) -> None:
    """Commit the batch in one transaction; if that fails, retry file by file to isolate the bad one."""
    if not batch:
        return
    started = time.perf_counter()
    try:
        _commit(con, settings, batch, before_commit)
    except Exception as batch_error:
        if len(batch) == 1:
            _quarantine_after_failure(con, settings, batch[0], batch_error)
        else:
            for item in batch:
                try:
                    _commit(con, settings, [item], before_commit)
                except Exception as error:
                    _quarantine_after_failure(con, settings, item, error)
    elapsed = time.perf_counter() - started
    total_bytes = sum(item.result.size_bytes for item in batch) or 1
    for item in batch:  # the batch's write time, shared out by size
        item.result.insert_seconds = elapsed * item.result.size_bytes / total_bytes
    batch.clear()


def ingest_processes_from_env() -> int:
    """RCM_INGEST_PROCESSES: X12 parser worker processes (default 2; 1 parses in the loading process)."""
    raw = os.environ.get("RCM_INGEST_PROCESSES", "")
    return max(1, int(raw)) if raw.strip() else 2


# Below this many bytes of new X12, starting worker processes (~0.5 s each) costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000
# Small files are committed together (one transaction for several files: each file is still all or
# nothing); a batch closes at this many files, data rows or bytes. Large batches matter: when a
# transaction inserts at least a row group (122,880 rows) into a table, DuckDB writes those rows
# straight to the database file; smaller inserts go to the write-ahead log and are written a second
# time at the checkpoint. Loading the 1,000,000-claim demo's 835s (413 MB), batches of 200,000 rows
# and 32 MB cost the loading process 39 s of CPU (62 s wall); 1,000,000 rows and 128 MB, 19.5 s
# (47 s wall), for 0.9 GB peak RSS in the loading process.
BATCH_MAX_FILES = 1000
BATCH_MAX_ROWS = 1_000_000
BATCH_MAX_BYTES = 128_000_000


# Raw rows have no order (every reader sorts or groups by their keys), so DuckDB may insert the
# Arrow batches of a load in parallel instead of one after another, as dbt's profile also allows.
PRESERVE_INSERTION_ORDER = False

# Files parsed ahead are handed to the reader in chunks of about this many bytes (and at most this many
# files): the rows of a whole chunk become one Arrow table per raw table, so the per-column cost of
# building Arrow arrays (and, in a worker, of shipping them back) is paid once per chunk, not per file.
CHUNK_MAX_BYTES = 4_000_000
CHUNK_MAX_FILES = 256

# Chunks are parsed ahead of the insert while the chunks whose files are not all taken into a batch
# yet hold less than this many input bytes (and at least one more chunk than there are parsers; the
# open batch, up to BATCH_MAX_BYTES, comes on top): with only `parsers + 1` chunks ahead, the workers
# sat idle while the loading process committed a batch, and it then waited for them (3.1 s of a 6.1 s
# load of the 100k demo's 1,219 small 835s).
AHEAD_MAX_BYTES = 32_000_000

# One file of a chunk: (rows per table name, issues, counts, kind, parse seconds), or None when the
# file must be parsed by the loading process itself (bytes changed on disk, or the reader raised).
_ChunkFile = tuple[dict[str, int], list[LoadIssue], dict[str, int], str, float] | None
# A file as read once: (bytes, their sha256, the file's mtime).
_Read = tuple[bytes, str, float]
# One file as a reader thread read it, or None.
_Kept = _Read | None


@dataclass
class _Known:
    """What ``_files_ahead`` found out, handed to the reader threads (never to worker processes).

    ``columnar``: the file ids the columnar 835 reader will try. ``kept``: (bytes, sha256, mtime) by
    file id of a file read ahead whose bytes are kept for its chunk (a lone file: reading and hashing
    a 50 MB 835 again cost 0.05 s); each is taken out once used.
    """

    columnar: set[str] = field(default_factory=set)
    kept: dict[str, _Read] = field(default_factory=dict)


def _parse_x12_chunk(
    entries: Sequence[tuple[str, str]],
    compact: bool = True,
    kept: list[_Kept] | None = None,
    alone: bool = False,
    known: _Known | None = None,
) -> tuple[dict[str, pa.Table], list[_ChunkFile]]:
    """Parse several X12 files (``(path, file_id)``) with the real reader; convert their rows at once.

    Runs in a worker process (or in the loading process when there is one process). Returns one Arrow
    table per raw table holding the rows of every file of the chunk, file after file, and per file
    its row count per table (so the loader can slice each file's rows back out, zero-copy), its issues
    and counts. A file whose bytes changed or whose parse raised comes back as None: the loader then
    parses it alone, exactly as without chunks (and reports a reader crash as READ_FAILED).

    ``kept`` (in the loading process only: never shipped back from a worker) receives, per file, the
    bytes read, their sha256 and the file's mtime, or None where the file was unreadable or changed.
    ``alone``: this chunk is the load's only one, so a large 835 in it may be read on two threads
    (``read_835_columnar_split``). ``known``: what ``_files_ahead`` found (in the loading process only).
    """
    collecting = gc.isenabled()
    gc.disable()  # the chunk's rows are hundreds of thousands of tuples and no cycles: see parse_x12
    try:
        return _parse_x12_chunk_rows(entries, compact, kept, alone, known)
    finally:
        if collecting:
            gc.enable()


def _parse_x12_chunk_rows(
    entries: Sequence[tuple[str, str]],
    compact: bool = True,
    kept: list[_Kept] | None = None,
    alone: bool = False,
    known: _Known | None = None,
) -> tuple[dict[str, pa.Table], list[_ChunkFile]]:
    """``_parse_x12_chunk`` with the cyclic garbage collector paused.

    Well-formed 835s go through the columnar reader (``x12.columnar835``), all of the chunk's in one
    pass; its Arrow tables equal the reference reader's. Every other file's rows are collected and
    converted in one go. The chunk's tables keep the files in input order either way.
    """
    import pyarrow as pa

    from orchestration.lib.x12.columnar835 import (
        SPLIT_MIN_BYTES,
        FileTables,
        columnar_candidate,
        read_835_columnar_many,
        read_835_columnar_split,
    )
    from orchestration.lib.x12.model import ParseResult

    reader, to_arrow = _default_reader()
    combined: dict[str, list[tuple[Any, ...]]] = {}
    parts: dict[str, list[pa.Table]] = {}
    files: list[_ChunkFile] = []
    started = time.perf_counter()
    converting_seconds = 0.0

    def convert_rows() -> None:
        nonlocal converting_seconds
        if not combined:
            return
        converting = time.perf_counter()
        arrow = (
            to_arrow(ParseResult(file_id="", kind="", tables=combined))
            if to_arrow is not None
            else {name: rows_to_arrow(name, rows) for name, rows in combined.items()}
        )
        for name, table in arrow.items():
            if table.num_rows:
                parts.setdefault(name, []).append(_in_raw_schema(name, table))
        combined.clear()
        converting_seconds += time.perf_counter() - converting

    run = _BatchRun(parts)  # consecutive files of one columnar batch, taken as one slice

    blobs: list[bytes | None] = []
    for path_text, file_id in entries:
        given = known.kept.pop(file_id, None) if known is not None else None
        if given is not None:  # read and hashed by ``_files_ahead`` already (a lone file)
            data, sha, mtime = given
        else:
            try:
                data, mtime = _read_with_mtime(path_text)
            except OSError:
                data, mtime = None, 0.0
            sha = hashlib.sha256(data).hexdigest() if data is not None else ""
        same = data is not None and sha[:16] == file_id
        blobs.append(data if same else None)
        if kept is not None:
            kept.append((data, sha, mtime) if same and data is not None else None)
    candidates = [
        index
        for index, data in enumerate(blobs)
        if data is not None
        # the same bytes as ``_files_ahead`` looked at (same sha256): its answer holds (a scan of
        # the bytes for an 837, 26 ms for 50 MB)
        and (
            entries[index][1] in known.columnar
            if known is not None
            else columnar_candidate(data, min_bytes=0)
        )
    ]
    columnar_started = time.perf_counter()
    try:
        columnar: dict[int, Any] = {}
        if alone and len(candidates) == 1 and len(blobs[candidates[0]] or b"") >= SPLIT_MIN_BYTES:
            # the load's one large 835: both cores on its pieces (None: read whole below)
            lone = candidates[0]
            pieces = read_835_columnar_split(blobs[lone], entries[lone][1], Path(entries[lone][0]).name)
            if pieces is not None:
                columnar = {lone: pieces}
        if not columnar:
            columnar = dict(
                zip(
                    candidates,
                    read_835_columnar_many(
                        [(blobs[i], entries[i][1], Path(entries[i][0]).name) for i in candidates]
                    ),
                    strict=True,
                )
            )
    except Exception:  # a reader bug: every file is read by the reference reader below
        columnar = {}
    # the columnar pass's time, shared out over the files it read, by size
    columnar_bytes = sum(len(blobs[i] or b"") for i, result in columnar.items() if result is not None) or 1
    columnar_seconds = time.perf_counter() - columnar_started
    for index, (path_text, file_id) in enumerate(entries):
        path = Path(path_text)
        file_started = time.perf_counter()
        data = blobs[index]
        if data is None:  # unreadable, or its bytes changed since they were hashed
            files.append(None)
            continue
        result = columnar.get(index)
        try:
            if result is None:
                result = reader(data, file_id, path.name)
        except Exception:  # the loading process parses it again and reports what happens
            files.append(None)
            continue
        counts = _row_counts(result)
        if counts is None:  # a table outside DATA_TABLES: let the loader report it, file by file
            files.append(None)
            continue
        if isinstance(result.arrow, FileTables):
            convert_rows()  # the rows of the files before it go first
            run.extend(result.arrow)
        elif result.arrow is not None:
            run.flush()
            convert_rows()
            for name in counts:  # put in the raw schema below, per run of one schema
                parts.setdefault(name, []).append(result.arrow[name])
        else:
            run.flush()  # the columnar files before it go first
            for name in counts:
                combined.setdefault(name, []).extend(result.tables[name])
        files.append(
            (
                counts,
                [LoadIssue.from_reader(issue) for issue in result.issues],
                {
                    "transactions_loaded": int(result.transactions_loaded),
                    "transactions_rejected": int(result.transactions_rejected),
                    "segments": int(result.segment_count),
                },
                result.kind,
                time.perf_counter()
                - file_started
                + (columnar_seconds * len(data) / columnar_bytes if result.arrow is not None else 0.0),
            )
        )
    run.flush()
    convert_rows()
    parts = {name: _runs_in_raw_schema(name, tables) for name, tables in parts.items()}
    parse_seconds = time.perf_counter() - started - converting_seconds
    # For a worker (``compact``), one contiguous table per raw table: the columnar reader's per-file
    # tables are slices of its batch's, and pickling a slice to the loading process ships the whole
    # batch's buffers with every file (a 1,223-file load peaked at 3.7 GB that way); concatenating
    # copies them compactly. In the loading process itself, slices cost nothing.
    if not compact:
        return {
            name: pa.concat_tables(tables) if len(tables) > 1 else tables[0] for name, tables in parts.items()
        }, _with_conversion_share(files, converting_seconds, parse_seconds)
    tables = {
        name: pa.concat_tables([*tables, tables[0].slice(0, 0)]).combine_chunks()
        for name, tables in parts.items()
    }
    return tables, _with_conversion_share(files, converting_seconds, parse_seconds)


def _row_counts(result: ParseResult) -> dict[str, int] | None:
    """Rows per non-empty table of a parsed file (a ``FileTables`` counted without slicing it), or
    None when a table is not one of ``DATA_TABLES``."""
    from orchestration.lib.x12.columnar835 import FileTables

    if isinstance(result.arrow, FileTables):  # era_* tables only, all in DATA_TABLES
        return {name: size for name in result.arrow if (size := result.arrow.count(name))}
    rows_of = result.arrow if result.arrow is not None else result.tables
    counts: dict[str, int] = {}
    for name, rows in rows_of.items():
        size = rows.num_rows if result.arrow is not None else len(rows)
        if size:
            if name not in DATA_TABLES:
                return None
            counts[name] = size
    return counts


class _BatchRun:
    """Consecutive files of one columnar batch (``FileTables`` of one ``BatchTables``), added to a
    chunk's ``parts`` as one slice per table when the run ends (``flush``): slicing each small file's
    tables out and concatenating them again held the interpreter lock for nothing."""

    def __init__(self, parts: dict[str, list[pa.Table]]) -> None:
        self.parts = parts
        self.batch: BatchTables | None = None
        self.first = self.stop = 0

    def extend(self, tables: FileTables) -> None:
        if tables.batch is not self.batch or tables.number != self.stop:
            self.flush()
            self.batch, self.first = tables.batch, tables.number
        self.stop = tables.number + 1

    def flush(self) -> None:
        if self.batch is not None:
            for name in self.batch.tables:
                if self.batch.count(name, self.first, self.stop):
                    self.parts.setdefault(name, []).append(self.batch.rows(name, self.first, self.stop))
        self.batch = None


def _runs_in_raw_schema(name: str, tables: list[pa.Table]) -> list[pa.Table]:
    """``tables`` in the raw schema, each run of tables of one schema concatenated (zero-copy) and
    relabelled once: relabelling each file's tables cost 0.6 s of the 3.8 s that the 1,219 small
    835s of the 100k demo took to read."""
    import pyarrow as pa

    runs: list[list[pa.Table]] = []
    for table in tables:
        if runs and runs[-1][-1].schema.equals(table.schema):
            runs[-1].append(table)
        else:
            runs.append([table])
    return [_in_raw_schema(name, pa.concat_tables(run) if len(run) > 1 else run[0]) for run in runs]


def _with_conversion_share(files: list[_ChunkFile], converting: float, parsing: float) -> list[_ChunkFile]:
    """Share the chunk's conversion time out over its files, by their part of the parse time."""
    share = converting / parsing if parsing > 0 else 0.0
    return [None if item is None else (*item[:4], item[4] * (1 + share)) for item in files]


def _parse_csv_entry(path_text: str, file_id: str, kind: str) -> list[tuple[_Parsed, float] | None]:
    """Read one CSV extract, run its GX suite and type its good rows (in a worker process).

    The answer has the shape of a one-file chunk: ``[(parsed, seconds)]``, or ``[None]`` when the bytes
    changed since they were hashed or the reading raised: the loading process then parses the file
    itself, as without workers (and reports a crash as READ_FAILED).
    """
    started = time.perf_counter()
    path = Path(path_text)
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest()[:16] != file_id:
            return [None]
        parsed = parse_csv_file(data, file_id, path.name, kind, _default_csv_validator())
    except Exception:
        return [None]
    return [(parsed, time.perf_counter() - started)]


def _parsed_from_chunk(
    tables: dict[str, pa.Table], offsets: dict[str, int], item: _ChunkFile, money_totals: dict[str, str]
) -> _Parsed:
    """One file's ``_Parsed`` out of a parsed chunk (its rows are slices of the chunk's tables), with
    its control totals (``_chunk_money_totals``)."""
    assert item is not None
    counts, issues, file_counts, reader_kind, _seconds = item
    file_tables = {}
    origins = {}
    for name, rows in counts.items():
        start = offsets.get(name, 0)
        file_tables[name] = tables[name].slice(start, rows)
        origins[name] = (tables[name], start, file_tables[name])
        offsets[name] = start + rows
    kind = _x12_kind(reader_kind)
    return _Parsed(
        kind=kind,
        tables=file_tables,
        issues=issues,
        counts=file_counts,
        money_totals=money_totals,
        fatal=not file_tables,
        origins=origins,
    )


class _Chunk:
    """Files parsed together: in a worker (``future``) or, with one process, here on first use.

    ``csv_kind`` marks a chunk of one CSV extract (always parsed in a worker: ``_parse_csv_entry``).
    """

    def __init__(
        self,
        entries: list[tuple[str, str]],
        future: Future[Any] | None = None,
        csv_kind: str | None = None,
        in_worker: bool | None = None,
        pool: _WorkerPool | None = None,
        isolated: bool = False,
        kept: list[_Kept] | None = None,
    ) -> None:
        self.entries = entries
        # the files' bytes as read in this process (``_parse_x12_chunk``'s ``kept``), else None
        self.kept = kept
        self.future = future
        self.csv_kind = csv_kind
        self.in_worker = future is not None if in_worker is None else in_worker
        self.pool = pool
        self._executor = pool.executor if pool is not None else None  # the one ``future`` runs in
        self.isolated = isolated  # its files are never parsed in this process (see _isolated_slot)
        self._files: list[_Parsed | WorkerDied | None] | None = None
        self._seconds: list[float] = []

    def _resolve(self) -> list[_Parsed | WorkerDied | None]:
        if self._files is None:
            try:
                self._files, self._seconds = self._answers(self.future)
                if self.pool is not None and self.future is not None:
                    self.pool.parsed()
            except BrokenExecutor:
                # a worker process died (killed, out of memory, a crash in native code): every task
                # of its pool fails with it, this chunk's too, whichever file was the cause
                assert self.pool is not None
                self.pool.lost(self._executor, len(self.entries))
                self._files, self._seconds = [], []
                for entry in self.entries:
                    files, seconds = self._again_alone(entry)
                    self._files += files
                    self._seconds += seconds
        return self._files

    def _again_alone(self, entry: tuple[str, str]) -> tuple[list[_Parsed | WorkerDied | None], list[float]]:
        """One file of a chunk whose worker died, parsed again in a process of its own."""
        assert self.pool is not None
        try:
            if self.csv_kind is not None:
                return self._answers(self.pool.alone(_parse_csv_entry, *entry, self.csv_kind))
            return self._answers(self.pool.alone(_parse_x12_chunk, [entry]))
        except WorkerDied as died:
            return [died], [0.0]
        except WorkersKeepDying:
            raise
        except Exception:  # the reader raised outside its per-file guard: parsed here instead
            log.exception("parsing %s again alone failed; parsing it in this process", entry[0])
            return [None], [0.0]

    def _answers(self, answered: Any) -> tuple[list[_Parsed | WorkerDied | None], list[float]]:
        """The chunk's files out of a worker's answer (a future, or its result), or parsed here."""
        if self.csv_kind is not None:
            answers = answered.result() if isinstance(answered, Future) else answered
            return [None if item is None else item[0] for item in answers], [
                0.0 if item is None else item[1] for item in answers
            ]
        try:
            if isinstance(answered, Future):
                answered = answered.result()
            if answered is None:
                if self.kept is not None:
                    self.kept.clear()  # a retry reads the files again
                answered = _parse_x12_chunk(self.entries, False, self.kept)
            tables, files = answered
        except BrokenExecutor:
            raise
        except Exception:  # a bug outside the per-file reads: each file is parsed alone instead
            log.exception("parsing a chunk of %d files failed; parsing them one by one", len(self.entries))
            tables, files = {}, [None] * len(self.entries)
        offsets: dict[str, int] = {}
        totals = _chunk_money_totals(tables, files)
        return [
            None if item is None else _parsed_from_chunk(tables, offsets, item, money)
            for item, money in zip(files, totals, strict=True)
        ], [0.0 if item is None else item[4] for item in files]

    def settle(self, files: list[_Parsed | WorkerDied | None], seconds: list[float]) -> None:
        """The chunk's files, parsed already (no future to wait for)."""
        self._files, self._seconds = files, seconds

    def slot(self, index: int) -> _ChunkSlot:
        return _ChunkSlot(self, index)


class WorkerDied(Exception):
    """The worker process parsing a file died while it held that file alone."""


class WorkersKeepDying(RuntimeError):
    """Workers died on several files in a row, each alone: the cause is the machine, not the files."""


# Files in a row whose worker died while it held each alone, with no file parsed in between, before
# the loader asks whether a worker can still do anything at all (``_worker_alive`` in a new worker):
# if not (a worker that cannot start, a machine out of memory), the load stops instead of
# quarantining every file it has left; if it can, the files are the cause and their quarantine goes on.
DEATHS_IN_A_ROW = 3


def _worker_alive() -> bool:
    """A task that does nothing: a worker that cannot run it cannot run anything."""
    return True


class _WorkerPool:
    """The load's worker processes, replaced when one of them dies.

    A worker that dies (killed, out of memory, a crash in native code) breaks its whole
    ``ProcessPoolExecutor``: every task still in it fails with ``BrokenExecutor``, whichever file was
    the cause. The chunks still to come then go to a new executor, and the files of the broken ones
    are parsed again one at a time in a one-worker executor of their own (``alone``): only a file
    whose worker dies while it holds that file alone is quarantined (``WORKER_DIED``); every other
    file loads as if nothing had happened.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.executor = self._start(processes)
        self._alone: ProcessPoolExecutor | None = None
        self._deaths_in_a_row = 0  # files that died alone since a file last parsed (``parsed``)

    def parsed(self) -> None:
        """A file or chunk parsed: deaths since were not the machine's."""
        self._deaths_in_a_row = 0

    @staticmethod
    def _start(processes: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn"))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        try:
            return self.executor.submit(fn, *args)
        except BrokenExecutor:  # broken since the last submit; the chunk that notices logs it
            self.lost(self.executor, 0)
            return self.executor.submit(fn, *args)

    def lost(self, executor: ProcessPoolExecutor | None, files: int) -> None:
        """``executor`` broke: replace it if it is still the load's (once), and say so."""
        if executor is self.executor:
            log.warning("a parser worker process died; starting new workers for the files still to come")
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._start(self.processes)
        if files:
            log.warning(
                "a chunk of %d file(s) was lost with the worker; parsing them again one at a time", files
            )

    def alone(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the one-worker executor; ``WorkerDied`` if its worker dies meanwhile."""
        if self._alone is None:
            self._alone = self._start(1)
        try:
            answer = self._alone.submit(fn, *args).result()
        except BrokenExecutor as error:
            self._alone.shutdown(wait=False, cancel_futures=True)
            self._alone = None
            self._deaths_in_a_row += 1
            if self._deaths_in_a_row >= DEATHS_IN_A_ROW:
                if self._workers_can_run():
                    self._deaths_in_a_row = 0  # the files are the cause: ask again after as many
                else:
                    raise WorkersKeepDying(
                        f"parser worker processes died on {self._deaths_in_a_row} files in a row, "
                        "each alone, and a new worker cannot run an empty task: the cause is this "
                        "machine (memory? a worker that cannot start?), not the files; the load "
                        "stopped, the files it had not committed are not recorded"
                    ) from error
            raise WorkerDied(
                "the reader's worker process died while it held this file alone (killed by the "
                "system, out of memory, or a crash in native code); the other files loaded"
            ) from error
        self.parsed()
        return answer

    def _workers_can_run(self) -> bool:
        probe = self._start(1)
        try:
            return bool(probe.submit(_worker_alive).result())
        except BrokenExecutor:
            return False
        finally:
            probe.shutdown(wait=True, cancel_futures=True)

    def executors(self) -> list[ProcessPoolExecutor]:
        return [self.executor] + ([self._alone] if self._alone is not None else [])

    def shutdown(self) -> None:
        for executor in self.executors():
            executor.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        """Terminate every worker process (``ProcessPoolExecutor`` has no public way to)."""
        for executor in self.executors():
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()


class _ChunkSlot:
    """One file of a chunk, with the ``result()`` of the per-file future ``_parse_pending`` expects."""

    def __init__(self, chunk: _Chunk, index: int) -> None:
        self.chunk = chunk
        self.index = index
        self.file_id = chunk.entries[index][1]  # the id of the bytes the chunk parses

    def result(self) -> tuple[_Parsed, float] | None:
        parsed = self.chunk._resolve()[self.index]
        if isinstance(parsed, WorkerDied):
            raise parsed
        if parsed is None and self.chunk.isolated:  # the worker's reader failed: not here either
            raise RuntimeError("the reader failed on this file in its worker (its worker died on it before)")
        return None if parsed is None else (parsed, self.chunk._seconds[self.index])

    def read(self) -> _Kept:
        """The file as the chunk read it in this process (given once: the slot then lets go of the
        bytes), or None."""
        kept = self.chunk.kept
        if kept is None:
            return None
        self.chunk._resolve()
        if self.index >= len(kept):
            return None
        read, kept[self.index] = kept[self.index], None
        return read


def _isolated_slot(pool: _WorkerPool, path: Path, read: _Pending, csv_kind: str | None) -> _ChunkSlot:
    """A file whose worker died before, parsed again in ``pool``'s one-worker executor, never in this
    process: if its worker dies again, or its worker's reader fails, it is quarantined again."""
    assert read.result.file_id is not None
    entry = (str(path), read.result.file_id)
    kind, _warning = classify(read.result.file_name, read.data, csv_kind)
    chunk = _Chunk([entry], None, kind, in_worker=True, pool=pool, isolated=True)
    chunk.settle(*chunk._again_alone(entry))
    return chunk.slot(0)


def _chunks(
    ahead: Sequence[tuple[Path, str, int, str | None]],
) -> list[list[tuple[Path, str, int, str | None]]]:
    """Consecutive X12 files grouped into chunks of at most CHUNK_MAX_BYTES / CHUNK_MAX_FILES; each
    CSV extract is a chunk of its own (its suite is validated file by file)."""
    out: list[list[tuple[Path, str, int, str | None]]] = []
    size = 0
    for entry in ahead:
        if (
            not out
            or entry[3] is not None
            or out[-1][0][3] is not None
            or len(out[-1]) >= CHUNK_MAX_FILES
            or size + entry[2] > CHUNK_MAX_BYTES
        ):
            out.append([])
            size = 0
        out[-1].append(entry)
        size += entry[2]
    return out


def _files_ahead(
    files: Sequence[Path],
    csv_kind: str | None,
    known_ids: set[str],
    with_csv: bool,
    known: _Known | None = None,
    threads: int = 2,
) -> list[tuple[Path, str, int, str | None]]:
    """(path, file_id, size, CSV kind or None for X12) of new files that can be parsed ahead.

    X12 files always qualify; CSV extracts only ``with_csv`` (their suite then runs in a worker).
    Into ``known``: the ids of the files the columnar 835 reader will try (``columnar``) and, when
    there is one file only, its (bytes, sha256, mtime) by file id (``kept``). The files are read and
    hashed on ``threads`` threads (at most 2; reads and sha256 release the interpreter lock): one
    thread took 5.5-6.3 s over the 10M demo's 4.3 GB of 835s before the first chunk could start.
    """
    out: list[tuple[Path, str, int, str | None]] = []
    seen: set[str] = set()
    kept = known.kept if known is not None else None

    def identified(group: Sequence[Path]) -> list[_Identified | None]:
        return [_identified(path, csv_kind, with_csv, kept if len(files) == 1 else None) for path in group]

    groups = [files[start : start + 16] for start in range(0, len(files), 16)]  # fewer, larger tasks
    if len(files) > 1 and threads > 1:
        with ThreadPoolExecutor(max_workers=min(threads, 2), thread_name_prefix="rcm-ahead") as identifying:
            found = [entry for group in identifying.map(identified, groups) for entry in group]
    else:
        found = identified(files)
    for entry in found:
        if entry is None:
            continue
        path, file_id, size, kind, is_columnar = entry
        if file_id in seen or file_id in known_ids:
            if kept is not None:
                kept.pop(file_id, None)  # not parsed ahead: nothing to keep its bytes for
            continue
        seen.add(file_id)
        if known is not None and is_columnar:
            known.columnar.add(file_id)
        out.append((path, file_id, size, kind))
    return out


# (path, file_id, size, CSV kind or None, a columnar 835 candidate)
_Identified = tuple[Path, str, int, str | None, bool]


def _identified(
    path: Path,
    csv_kind: str | None,
    with_csv: bool,
    kept: dict[str, _Read] | None = None,
) -> _Identified | None:
    """``_files_ahead`` for one file, or None when it cannot be read, is blank, or is a CSV extract
    and ``with_csv`` is False. Its X12 bytes, sha256 and mtime go to ``kept`` when given."""
    from orchestration.lib.x12.columnar835 import columnar_candidate

    try:
        data, mtime = _read_with_mtime(path)
    except OSError:
        return None
    if _is_blank(data):
        return None
    kind = classify(path.name, data, csv_kind)[0]
    if kind is not None and not with_csv:
        return None
    sha = hashlib.sha256(data).hexdigest()
    if kept is not None and kind is None:
        kept[sha[:16]] = (data, sha, mtime)
    return path, sha[:16], len(data), kind, kind is None and columnar_candidate(data, min_bytes=0)


def _ledger_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every file_id in the ledger (one query, instead of one per file: the loader holds the writer
    lock, so only this call adds to the ledger while it runs)."""
    rows = con.execute(f"select file_id from {RAW_SCHEMA}.load_ledger").fetchall()  # noqa: S608
    return {row[0] for row in rows}


def load_files(
    paths: Iterable[Path | str],
    settings: Settings | None = None,
    *,
    parser: Parser | None = None,
    csv_validator: CsvValidator | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None = None,
    lock_timeout: float | None = None,
    processes: int | None = None,
    skip_unchanged: bool = False,
    csv_kind: str | None = None,
) -> list[FileResult]:
    """Load files and folders into the raw layer; one ``FileResult`` per file, in path order.

    parser: the X12 reader (default ``orchestration.lib.x12.parse_x12``); tests inject fakes.
    csv_validator: ``(kind, frame) -> SuiteOutcome`` (default: the GX runner in ``expectations/``).
    before_commit: called for each file inside its transaction just before commit (tests inject
        failures).
    processes: X12 parser workers (default RCM_INGEST_PROCESSES or 2). With the real reader, new
        X12 files are parsed ahead in chunks of several files (one Arrow table per raw table per
        chunk, sliced back per file); with enough new X12 bytes the chunks are parsed in worker
        processes while this process inserts the previous ones.
    skip_unchanged: a file whose path, size and mtime match a ledger row is reported as a duplicate
        without being read again (``load_inbox`` uses it; content identity is still the sha256).
    csv_kind: read every file that is not X12 as this CSV extract kind, whatever its name.
    Small files are committed in batches (one transaction, several files); a failing batch is retried
    file by file, so one bad file never takes others down and no file is ever half visible.
    Holds the writer lock for the whole call; never raises for a bad file (see the result's status).
    """
    settings = settings or get_settings()
    if csv_kind is not None and csv_kind not in CSV_KINDS:
        raise ValueError(f"unknown CSV extract kind {csv_kind!r}; known: {', '.join(CSV_KINDS)}")
    files = collect_files(paths)
    workers = (processes or ingest_processes_from_env()) if parser is None else 1
    results: list[FileResult] = []
    # huge pages off while loading (already so under `rcm`): the reader's short-lived arrays paid
    # for them in system time (orchestration.lib.huge_pages)
    with (
        without_huge_pages(),
        writer_lock(settings, timeout=lock_timeout, purpose="load_files"),
        open_warehouse(settings) as con,
    ):
        if not PRESERVE_INSERTION_ORDER:
            con.execute("set preserve_insertion_order = false")
        unchanged: dict[Path, FileResult] = {}
        if skip_unchanged:
            for path in files:
                known = _unchanged_since_loaded(con, path)
                if known is not None:
                    unchanged[path] = known
        to_read = [path for path in files if path not in unchanged]
        known_ids = _ledger_ids(con)
        retry = _retryable(con)
        # With the real reader, new X12 files are parsed ahead in chunks (see _parse_x12_chunk): in
        # worker processes when there are enough bytes to pay for starting them, else here. With
        # workers and the real GX suites, new CSV extracts are also read and validated in them, one
        # file per task (the suites are most of a CSV load's CPU).
        csv_ahead = workers > 1 and csv_validator is None
        known = _Known()
        ahead = (
            _files_ahead(
                to_read,
                csv_kind,
                # read again like new files, except those whose worker died: they go to a worker alone
                known_ids - {file_id for file_id, codes in retry.items() if "WORKER_DIED" not in codes},
                with_csv=csv_ahead,
                known=known,
                threads=workers,  # RCM_INGEST_PROCESSES=1: one thread here too
            )
            if parser is None and to_read
            else []
        )
        # A lone new file is parsed ahead only when the columnar reader may take it (an 835: one
        # 50 MB file loaded at 10 MB/s through the reference reader, against oxedi's 37); any other
        # lone file is read and parsed here as it comes, with no chunk to share anything with.
        if len(ahead) == 1 and ahead[0][1] not in known.columnar:
            ahead = []
            known.kept.clear()
        # 835s only: the columnar reader spends most of its time in Arrow kernels, which release the
        # interpreter lock, so threads of this process parse them on every core without the workers'
        # start-up (~1 s each, most of it imports) and without shipping their tables back. Small
        # files too, since a chunk's files are read in one pass: the 1,219 small 835s of the 100k
        # demo loaded in 4.8 s with two reader threads, 6.0 s with two worker processes.
        reader_threads = workers if ahead and all(entry[1] in known.columnar for entry in ahead) else 1
        use_pool = (
            workers > 1 and reader_threads == 1 and sum(entry[2] for entry in ahead) >= PARALLEL_MIN_BYTES
        )
        if not use_pool:  # no workers: CSV extracts are parsed here, file by file, as they come
            ahead = [entry for entry in ahead if entry[3] is None]
        elif any(entry[3] is not None for entry in ahead):
            from expectations.runner import warm_up

            warm_up()  # the asset checks after this load validate again, in this process
        waiting = [
            (
                [(str(path), file_id) for path, file_id, _size, _kind in chunk],
                chunk[0][3],
                sum(size for _path, _file_id, size, _kind in chunk),
            )
            for chunk in _chunks(ahead)
        ]
        alone = len(waiting) == 1  # one chunk: its reader thread may use both cores on a large 835
        slots: dict[Path, _ChunkSlot] = {}
        open_chunks: dict[int, tuple[int, int]] = {}  # id(chunk) -> (files not yet taken below, bytes)
        pool = _WorkerPool(workers) if use_pool else None
        # Without worker processes, X12 chunks are parsed ahead in threads: DuckDB's insert of the
        # previous chunks and the columnar reader's Arrow kernels both release the interpreter lock.
        reader_thread = ThreadPoolExecutor(max_workers=reader_threads) if pool is None and ahead else None
        # Archive and quarantine copies are written by a thread while the loop goes on (file writes
        # release the interpreter lock); a batch's commit waits for its copies after its inserts
        # (``_copy_kept``). A lone file too: its copy is written while DuckDB inserts its rows (one
        # 50 MB 835: 1.43 s against 1.58 s when the commit wrote the copy first). The executor starts
        # its thread at the first copy, so a load that copies nothing costs nothing.
        copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rcm-archive")
        batch: list[_Pending] = []
        batch_rows = 0
        batch_bytes = 0

        def start_chunk() -> None:
            entries, chunk_csv_kind, chunk_bytes = waiting.pop(0)
            future: Future[Any] | None = None
            if chunk_csv_kind is not None:
                assert pool is not None
                future = pool.submit(_parse_csv_entry, *entries[0], chunk_csv_kind)
            elif pool is not None:
                future = pool.submit(_parse_x12_chunk, entries)
            kept: list[_Kept] | None = [] if pool is None and chunk_csv_kind is None else None
            if pool is None and reader_thread is not None:
                future = reader_thread.submit(_parse_x12_chunk, entries, False, kept, alone, known)
            chunk = _Chunk(entries, future, chunk_csv_kind, in_worker=pool is not None, pool=pool, kept=kept)
            open_chunks[id(chunk)] = (len(entries), chunk_bytes)
            for index, (path_text, _file_id) in enumerate(entries):
                slots[Path(path_text)] = chunk.slot(index)

        def take_slot(path: Path) -> _ChunkSlot | None:
            slot = slots.pop(path, None)
            if slot is not None:
                key = id(slot.chunk)
                left, size = open_chunks[key]
                if left > 1:
                    open_chunks[key] = (left - 1, size)
                else:
                    del open_chunks[key]
            return slot

        parsers = workers if pool is not None else reader_threads
        isolated: _WorkerPool | None = None  # for files read again after their worker died
        batch_ids: set[str] = set()  # the file ids in `batch` (a file twice in one call commits the first)
        folders: dict[Path, Path] = {}  # resolved folders of the files (``_resolved``)

        def flush() -> None:
            nonlocal batch_rows, batch_bytes
            ids = [item.result.file_id for item in batch]
            _flush(con, settings, batch, before_commit)
            batch_ids.clear()
            known_ids.update(file_id for file_id in ids if file_id is not None)
            batch_rows = batch_bytes = 0

        try:
            for path in files:
                # keep chunks parsed or parsing ahead of the insert (AHEAD_MAX_BYTES)
                while waiting and (
                    len(open_chunks) <= parsers
                    or sum(size for _left, size in open_chunks.values()) < AHEAD_MAX_BYTES
                ):
                    start_chunk()
                if path in unchanged:
                    results.append(unchanged[path])
                    continue
                slot = take_slot(path)
                read = _read_by_chunk(path, slot, folders) or _read_file(path, folders)
                if isinstance(read, FileResult):
                    results.append(read)
                    continue
                assert read.result.file_id is not None
                if slot is not None and slot.file_id != read.result.file_id:
                    slot = None  # the file changed since it was hashed for its chunk: parse these bytes
                if read.result.file_id in batch_ids:
                    flush()  # the same bytes twice: commit the first
                earlier = _existing(con, read.result.file_id) if read.result.file_id in known_ids else None
                codes = retry.pop(read.result.file_id, None) if earlier is not None else None
                if earlier is not None and codes is None:
                    results.append(_as_duplicate(con, read.result, earlier))
                    continue
                if earlier is not None:  # quarantined before for a cause on our side: read it again
                    log.info("%s was quarantined before (%s); reading it again", path, earlier["reasons"])
                    read.result.retried_from = earlier["reasons"] or "quarantined"
                    read.replaces_copy = earlier["stored_path"]
                    read.retried_version = earlier["version_number"]
                    if "WORKER_DIED" in codes and parser is None and csv_validator is None:
                        # it took a worker down before: it may again, so never in this process
                        isolated = isolated or _WorkerPool(1)
                        slot = _isolated_slot(isolated, path, read, csv_kind)
                _parse_pending(read, parser, csv_validator, slot, csv_kind)
                if slot is not None and not slot.chunk.in_worker:
                    read.result.parsed_in_worker = False  # parsed ahead, but in this process
                results.append(read.result)
                read.copying = copier.submit(_keep_copy, settings, read)
                batch.append(read)
                batch_ids.add(read.result.file_id)
                batch_rows += read.data_rows
                batch_bytes += read.result.size_bytes
                if (
                    len(batch) >= BATCH_MAX_FILES
                    or batch_rows >= BATCH_MAX_ROWS
                    or batch_bytes >= BATCH_MAX_BYTES
                ):
                    flush()
            flush()
        except BaseException as error:
            # stopped (Ctrl-C, SIGTERM through Dagster): workers are not waited for, they are stopped.
            # Waiting for their running files made a stopped load take ~10 s, and a second signal
            # during that wait left workers that never got the executor's stop message, so the
            # process hung at exit joining them.
            if not isinstance(error, Exception):
                for workers_of_load in (pool, isolated):
                    if workers_of_load is not None:
                        workers_of_load.stop()
            raise
        finally:
            try:
                for workers_of_load in (pool, isolated):
                    if workers_of_load is not None:
                        workers_of_load.shutdown()
                if reader_thread is not None:
                    reader_thread.shutdown(wait=True, cancel_futures=True)
            finally:
                copier.shutdown(wait=True, cancel_futures=True)
                for item in batch:  # left only when the load stopped before committing them
                    _discard_copy(settings, item)
    for result in results:
        log.debug("%s", result.one_line())
    return results


def load_inbox(settings: Settings | None = None, **kwargs: Any) -> list[FileResult]:
    """Load whatever is in ``Settings.inbox_dir`` (files already in the ledger come back as duplicates,
    those unchanged since they were loaded without being read again)."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    kwargs.setdefault("skip_unchanged", True)
    return load_files([settings.inbox_dir], settings, **kwargs)


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per raw table (for asset metadata)."""
    counts = {}
    for table in TABLES:
        row = con.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()  # noqa: S608
        counts[table] = int(row[0]) if row else 0
    return counts
