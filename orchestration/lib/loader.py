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
import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orchestration.lib.csv_extracts import CSV_KINDS, detect_csv_kind, money_total, read_csv_text, typed_table
from orchestration.lib.raw_schema import RAW_SCHEMA, TABLES, column_names
from orchestration.lib.warehouse import open_warehouse, writer_lock
from orchestration.settings import Settings, get_settings

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

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
            "parse_seconds": round(self.parse_seconds, 4),
            "insert_seconds": round(self.insert_seconds, 4),
        }

    def one_line(self) -> str:
        reasons = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        return f"{self.file_name}: {self.status} {self.file_kind} file_id={self.file_id}{reasons}"


@dataclass
class _Parsed:
    """A file turned into what will be written (the loader's internal form)."""

    kind: str
    tables: dict[str, pa.Table]
    issues: list[LoadIssue]
    counts: dict[str, int] = field(default_factory=dict)
    money_totals: dict[str, str] = field(default_factory=dict)
    fatal: bool = False  # the file as a whole could not be read


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
    for path in out:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique


def _arrow_type(sql_type: str) -> pa.DataType:
    import pyarrow as pa

    base = sql_type.split(" not null")[0].strip()
    if base.startswith("decimal("):
        precision, scale = (int(part) for part in base[len("decimal(") : -1].split(","))
        return pa.decimal128(precision, scale)
    return {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "boolean": pa.bool_(),
        "double": pa.float64(),
        "json": pa.string(),
    }[base]


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a raw table (same names, order and types as the DuckDB table)."""
    import pyarrow as pa

    return pa.schema([pa.field(name, _arrow_type(ctype)) for name, ctype in TABLES[table]])


def rows_to_arrow(table: str, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """Reader tuples (raw-schema column order) -> Arrow table; column-wise, so it is fast."""
    import pyarrow as pa

    schema = arrow_schema(table)
    width = len(schema)
    if rows and any(len(row) != width for row in rows[:1]):
        raise ValueError(f"{table}: reader rows have {len(rows[0])} values, the table has {width} columns")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    arrays = [pa.array(list(values), type=schema.field(i).type) for i, values in enumerate(columns)]
    return pa.Table.from_arrays(arrays, schema=schema)


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


def _reader_tables(
    result: ParseResultLike, to_arrow: Callable[[Any], dict[str, pa.Table]] | None
) -> dict[str, pa.Table]:
    """The reader's rows as Arrow tables in the raw schema, skipping empty ones."""
    tables: dict[str, pa.Table] = {}
    if to_arrow is not None:
        for name, table in to_arrow(result).items():
            if name not in DATA_TABLES:
                raise ValueError(f"reader produced rows for unknown raw table {name!r}")
            schema = arrow_schema(name)
            tables[name] = table.select(schema.names).cast(schema) if table.schema != schema else table
    else:
        for name, rows in result.tables.items():
            if name not in DATA_TABLES:
                raise ValueError(f"reader produced rows for unknown raw table {name!r}")
            tables[name] = rows_to_arrow(name, rows)
    return {name: table for name, table in tables.items() if table.num_rows}


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
    kind = result.kind if result.kind in ("835", "837P", "837I", "mixed") else "unknown"
    totals: dict[str, str] = {}
    if tables:
        if kind in ("835", "mixed"):
            totals["bpr02"] = str(_sum_column(tables.get("era_transactions"), "total_paid_amount"))
            totals["clp04"] = str(_sum_column(tables.get("era_claims"), "paid_amount"))
            totals["plb"] = str(_sum_column(tables.get("era_provider_adjustments"), "adjustment_amount"))
        if kind in ("837P", "837I", "mixed"):
            totals["clm02"] = str(_sum_column(tables.get("x837_claims"), "total_charge_amount"))
    return _Parsed(
        kind=kind,
        tables=tables,
        issues=[LoadIssue.from_reader(issue) for issue in result.issues],
        counts={
            "transactions_loaded": int(result.transactions_loaded),
            "transactions_rejected": int(result.transactions_rejected),
            "segments": int(result.segment_count),
        },
        money_totals=totals,
        fatal=not tables,
    )


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
    table = typed_table(good, kind, file_id)
    in_file = money_total(text.frame.drop(index=[r for r in by_row if r in text.frame.index]), kind)
    totals = {"csv_amount": str(in_file)}
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
    return not data.strip(b" \t\r\n\x00\xef\xbb\xbf")


_X12_START = re.compile(rb"^(ISA|ST)[^A-Za-z0-9_\s]")


def _looks_like_x12(data: bytes) -> bool:
    """True when the bytes start like an interchange or a bare transaction set (not a CSV header)."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return bool(_X12_START.match(head))


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


def _store_copy(source: Path, directory: Path, file_id: str, file_name: str) -> Path:
    """Copy the file to ``directory/<file_id>__<name>`` (atomic rename; idempotent)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{file_id}__{file_name}"
    if not target.exists():
        tmp = directory / f".{file_id}__{file_name}.tmp"
        shutil.copyfile(source, tmp)
        tmp.replace(target)
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


def _issues_arrow(file_id: str, issues: Sequence[LoadIssue]) -> pa.Table:
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
@dataclass
class _LedgerRow:
    file_id: str
    file_sha256: str
    file_name: str
    source_path: str
    stored_path: str | None
    size_bytes: int
    file_kind: str
    received_at: datetime
    loaded_at: datetime
    status: str
    reasons: str | None
    supersedes_file_id: str | None
    version_number: int
    row_counts: str
    money_totals: str
    parse_seconds: float

    def values(self) -> list[Any]:
        return [getattr(self, name) for name in column_names("load_ledger")]


def _insert_ledger(con: duckdb.DuckDBPyConnection, row: _LedgerRow) -> None:
    names = column_names("load_ledger")
    placeholders = ", ".join("?" for _ in names)
    con.execute(
        f"insert into {RAW_SCHEMA}.load_ledger ({', '.join(names)}) values ({placeholders})",  # noqa: S608
        row.values(),
    )


def _stored_issue_counts(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, int]:
    rows = con.execute(
        f"select issue_code, count(*) from {RAW_SCHEMA}.load_issues where file_id = ? group by 1",  # noqa: S608
        [file_id],
    ).fetchall()
    return {code: int(count) for code, count in rows}


def _existing(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, Any] | None:
    cursor = con.execute(
        f"select file_name, status, file_kind, row_counts, money_totals, stored_path, version_number, "  # noqa: S608
        f"supersedes_file_id from {RAW_SCHEMA}.load_ledger where file_id = ?",
        [file_id],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    keys = [
        "file_name",
        "status",
        "file_kind",
        "row_counts",
        "money_totals",
        "stored_path",
        "version_number",
        "supersedes_file_id",
    ]
    return dict(zip(keys, row, strict=True))


def _version(con: duckdb.DuckDBPyConnection, file_name: str, will_load: bool) -> tuple[int, str | None]:
    """(version_number, supersedes_file_id) for new content under ``file_name``."""
    count_row = con.execute(
        f"select count(*) from {RAW_SCHEMA}.load_ledger where file_name = ?",  # noqa: S608
        [file_name],
    ).fetchone()
    version = int(count_row[0] if count_row else 0) + 1
    if not will_load:
        return version, None
    previous = con.execute(
        f"select file_id from {RAW_SCHEMA}.load_ledger where file_name = ? "  # noqa: S608
        "and status in ('loaded', 'loaded_with_warnings') order by version_number desc limit 1",
        [file_name],
    ).fetchone()
    return version, (previous[0] if previous else None)


def _load_one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    parser: Parser | None,
    csv_validator: CsvValidator | None,
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None,
) -> FileResult:
    file_name = path.name
    source = str(path.resolve()) if path.exists() else str(path)
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError as exc:
        return FileResult(source, file_name, UNREADABLE, reasons=[f"cannot read the file: {exc}"])

    sha = hashlib.sha256(data).hexdigest()
    file_id = sha[:16]
    result = FileResult(
        source, file_name, QUARANTINED, file_id=file_id, file_sha256=sha, size_bytes=len(data)
    )
    earlier = _existing(con, file_id)
    if earlier is not None:
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
        result.issue_counts = _stored_issue_counts(con, file_id)
        result.reasons = [
            f"DUPLICATE_FILE: same content as {earlier['file_name']} (file_id {file_id}, "
            f"status {earlier['status']}); nothing changed"
        ]
        return result

    started = time.perf_counter()
    csv_kind = detect_csv_kind(file_name) if not _looks_like_x12(data) else None
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
        elif csv_kind is not None:
            parsed = parse_csv_file(
                data, file_id, file_name, csv_kind, csv_validator or _default_csv_validator()
            )
        else:
            reader, to_arrow = (parser, None) if parser is not None else _default_reader()
            parsed = parse_x12_file(data, file_id, file_name, reader, to_arrow)
    except Exception as exc:  # a reader bug must not stop the other files: quarantine this one
        log.exception("reading %s failed", path)
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
    result.parse_seconds = time.perf_counter() - started
    result.file_kind = parsed.kind
    result.counts = dict(parsed.counts)

    will_load = not parsed.fatal
    if not will_load and not parsed.issues:
        parsed.issues.append(LoadIssue("error", "NO_DATA", f"{file_name}: no loadable records were found"))
    if will_load:
        has_issues = bool(parsed.issues)
        result.status = LOADED_WITH_WARNINGS if has_issues else LOADED
        result.row_counts = {name: table.num_rows for name, table in parsed.tables.items()}
        result.money_totals = parsed.money_totals
    else:
        result.status = QUARANTINED
        result.money_totals = parsed.money_totals
    result.issue_counts = _issue_counts(parsed.issues)
    result.reasons = _reasons(parsed.issues)

    insert_started = time.perf_counter()
    try:
        _write_file(con, path, settings, result, parsed, stat.st_mtime, before_commit)
    except Exception as exc:
        log.exception("loading %s failed; rolled back", path)
        if result.stored_path and Path(result.stored_path).parent == settings.archive_dir:
            # this file_id is in no ledger row (checked above), so nothing else refers to the copy
            Path(result.stored_path).unlink(missing_ok=True)
        failure = LoadIssue("error", "LOAD_FAILED", f"{file_name}: writing failed and was rolled back: {exc}")
        result.status = QUARANTINED
        result.row_counts = {}
        result.issue_counts = _issue_counts([failure])
        result.reasons = _reasons([failure])
        parsed = _Parsed(
            kind=parsed.kind, tables={}, issues=[failure], money_totals=parsed.money_totals, fatal=True
        )
        _write_file(con, path, settings, result, parsed, stat.st_mtime, None)
    result.insert_seconds = time.perf_counter() - insert_started
    return result


def _write_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    result: FileResult,
    parsed: _Parsed,
    mtime: float,
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None,
) -> None:
    """Copy the file to archive/quarantine, then write its rows, issues and ledger row atomically."""
    assert result.file_id is not None and result.file_sha256 is not None
    will_load = result.status != QUARANTINED
    version, supersedes = _version(con, result.file_name, will_load)
    result.version_number = version
    result.supersedes_file_id = supersedes
    if will_load:
        stored = _store_copy(path, settings.archive_dir, result.file_id, result.file_name)
    else:
        stored = _store_copy(path, settings.quarantine_dir, result.file_id, result.file_name)
        reason_path = stored.with_name(stored.name + ".reason.txt")
        reason_path.write_text(quarantine_reason_text(result, parsed.issues), encoding="utf-8")
    result.stored_path = str(stored)
    ledger = _LedgerRow(
        file_id=result.file_id,
        file_sha256=result.file_sha256,
        file_name=result.file_name,
        source_path=result.source_path,
        stored_path=result.stored_path,
        size_bytes=result.size_bytes,
        file_kind=result.file_kind,
        received_at=_utc_naive(mtime),
        loaded_at=_now_utc_naive(),
        status=result.status,
        reasons="; ".join(result.reasons) or None,
        supersedes_file_id=supersedes,
        version_number=version,
        row_counts=json.dumps({**result.row_counts, **result.counts}, sort_keys=True),
        money_totals=json.dumps(result.money_totals, sort_keys=True),
        parse_seconds=round(result.parse_seconds, 6),
    )
    con.execute("begin transaction")
    try:
        if will_load:
            for table_name in DATA_TABLES:
                table = parsed.tables.get(table_name)
                if table is not None:
                    _insert_arrow(con, table_name, table)
        _insert_arrow(con, "load_issues", _issues_arrow(result.file_id, parsed.issues))
        _insert_ledger(con, ledger)
        if before_commit is not None:
            before_commit(con, result)
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise


def load_files(
    paths: Iterable[Path | str],
    settings: Settings | None = None,
    *,
    parser: Parser | None = None,
    csv_validator: CsvValidator | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection, FileResult], None] | None = None,
    lock_timeout: float | None = None,
) -> list[FileResult]:
    """Load files and folders into the raw layer; one ``FileResult`` per file, in path order.

    parser: the X12 reader (default ``orchestration.lib.x12.parse_x12``); tests inject fakes.
    csv_validator: ``(kind, frame) -> SuiteOutcome`` (default: the GX runner in ``expectations/``).
    before_commit: called inside each file's transaction just before commit (tests inject failures).
    Holds the writer lock for the whole call; never raises for a bad file (see the result's status).
    """
    settings = settings or get_settings()
    files = collect_files(paths)
    results: list[FileResult] = []
    with writer_lock(settings, timeout=lock_timeout, purpose="load_files"), open_warehouse(settings) as con:
        for path in files:
            result = _load_one(con, path, settings, parser, csv_validator, before_commit)
            log.debug("%s", result.one_line())
            results.append(result)
    return results


def load_inbox(settings: Settings | None = None, **kwargs: Any) -> list[FileResult]:
    """Load whatever is in ``Settings.inbox_dir`` (files already in the ledger come back as duplicates)."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    return load_files([settings.inbox_dir], settings, **kwargs)


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per raw table (for asset metadata)."""
    counts = {}
    for table in TABLES:
        row = con.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()  # noqa: S608
        counts[table] = int(row[0]) if row else 0
    return counts
