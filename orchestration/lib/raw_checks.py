"""Queries behind the raw layer's Dagster asset checks (plain functions: testable without Dagster).

"Current" rows are the rows of files that loaded and that no later version supersedes: the same rule
dbt staging applies (a file is current unless some ledger row's ``supersedes_file_id`` names it).
Every function takes the writer lock while it has the warehouse open (see ``warehouse.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from orchestration.lib.csv_extracts import CSV_KINDS
from orchestration.lib.raw_schema import RAW_SCHEMA
from orchestration.lib.warehouse import open_warehouse, writer_lock
from orchestration.settings import Settings, get_settings

# The files whose rows are current: loaded, and no later version supersedes them.
CURRENT_FILES_SQL = f"""
    select ledger.file_id
    from {RAW_SCHEMA}.load_ledger as ledger
    where ledger.status in ('loaded', 'loaded_with_warnings')
      and not exists (
          select 1 from {RAW_SCHEMA}.load_ledger as later
          where later.supersedes_file_id = ledger.file_id
      )
"""  # noqa: S608 (a constant: the schema name is ours, nothing comes from input)


@dataclass
class CsvSuiteCheck:
    """The outcome of a CSV kind's suite over the current rows of its raw table."""

    kind: str
    suite_passed: bool
    rows_validated: int
    failed_expectations: dict[str, int] = field(default_factory=dict)  # "type:column" -> failing rows
    quarantined_rows: int = 0  # rows of current files that the suite quarantined at load time
    quarantined_by_code: dict[str, int] = field(default_factory=dict)


def csv_suite_check(
    kind: str,
    settings: Settings | None = None,
    *,
    purpose: str = "gx check",
    file_ids: Sequence[str] | None = None,
) -> CsvSuiteCheck:
    """Run the ``kind`` suite over current rows of its raw table, read back as text.

    ``file_ids`` narrows the suite to those files' rows (the files one ingest run just loaded: the
    older rows passed the same suite when they came in); ``None`` validates every current row. Either
    way, uniqueness is also checked across files, over every current row, in SQL: an id repeated in two
    different current files fails it even though each file passed alone (a double-counted payment).
    """
    settings = settings or get_settings()
    spec = CSV_KINDS[kind]
    casts = ", ".join(f"cast({column} as varchar) as {column}" for column in spec.columns)
    scope = f"file_id in ({CURRENT_FILES_SQL})"
    parameters: list[Any] = []
    if file_ids is not None:
        scope += " and file_id in (select unnest(cast(? as varchar[])))"
        parameters = [list(file_ids)]
    with writer_lock(settings, purpose=purpose), open_warehouse(settings) as con:
        sizes = (
            con.execute(
                f"select file_id, count(*) from {RAW_SCHEMA}.{spec.table} where {scope} "  # noqa: S608
                "group by file_id order by file_id",
                parameters,
            ).fetchall()
            if file_ids is None or file_ids
            else []
        )
        quarantined = con.execute(
            f"select issue_code, count(*) from {RAW_SCHEMA}.load_issues "  # noqa: S608
            f"where issue_code like 'GX:%' and {scope} group by 1 order by 1",
            parameters,
        ).fetchall()
        quarantined_rows_row = con.execute(
            f"select count(distinct (file_id, segment_position)) from {RAW_SCHEMA}.load_issues "  # noqa: S608
            f"where issue_code like 'GX:%' and {scope} "
            f"and file_id in (select file_id from {RAW_SCHEMA}.load_ledger where file_kind = ?)",
            [*parameters, spec.file_kind],
        ).fetchone()
        batches = _batches(sizes)
        # GX's uniqueness expectations see one batch at a time: ids repeated between files or batches
        # are counted in SQL, over every current row
        repeated = _repeated_across_files(con, kind) if file_ids is not None or len(batches) > 1 else {}
    failed: dict[str, int] = dict(repeated)
    success, rows_validated = not repeated, 0
    if batches:
        from expectations.runner import validate_frame
    for batch in batches:
        # one batch of files at a time, read under the lock and validated after it: the whole run's
        # rows as one frame of Python strings took 8.4 GB at 10,000,000 claims
        with writer_lock(settings, purpose=purpose), open_warehouse(settings) as con:
            frame = con.execute(
                f"select {casts} from {RAW_SCHEMA}.{spec.table} "  # noqa: S608
                "where file_id in (select unnest(cast(? as varchar[]))) order by file_id, row_number",
                [batch],
            ).df()
        frame = frame.astype(object).where(frame.notna(), None)
        frame.index = range(rows_validated + 1, rows_validated + len(frame) + 1)
        outcome = validate_frame(kind, frame)
        del frame
        for failure in outcome.failures:
            key = f"{failure.expectation_type}:{failure.column}"
            failed[key] = failed.get(key, 0) + 1
        for error in outcome.errors:
            failed[error] = failed.get(error, 0)
        success = success and outcome.success
        rows_validated += outcome.rows_validated
    kind_codes = _codes_for_kind(kind)
    return CsvSuiteCheck(
        kind=kind,
        suite_passed=success,
        rows_validated=rows_validated,
        failed_expectations=failed,
        quarantined_rows=int(quarantined_rows_row[0]) if quarantined_rows_row else 0,
        quarantined_by_code={code: int(count) for code, count in quarantined if code in kind_codes},
    )


# Rows of one kind validated in one frame by the asset check: the files of the run in order, a batch
# closing once it holds this many rows (a file larger than that is a batch of its own).
CHECK_BATCH_ROWS = 500_000


def _batches(sizes: Sequence[tuple[str, int]]) -> list[list[str]]:
    """The file ids in batches of about ``CHECK_BATCH_ROWS`` rows (files whole, in the given order)."""
    batches: list[list[str]] = []
    rows = CHECK_BATCH_ROWS
    for file_id, count in sizes:
        if rows + count > CHECK_BATCH_ROWS and rows:
            batches.append([])
            rows = 0
        batches[-1].append(file_id)
        rows += count
    return batches


def _repeated_across_files(con: Any, kind: str) -> dict[str, int]:
    """The suite's uniqueness expectations over every current row: key -> number of repeated values."""
    from expectations.suites import suite_definition

    spec = CSV_KINDS[kind]
    repeated: dict[str, int] = {}
    for item in suite_definition(kind):
        if item["type"] not in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
            continue
        columns = [item["kwargs"]["column"]] if "column" in item["kwargs"] else item["kwargs"]["column_list"]
        assert set(columns) <= set(spec.columns), (kind, columns)  # names from our own suite files
        listed = ", ".join(columns)
        (count,) = con.execute(
            f"select count(*) from (select {listed} from {RAW_SCHEMA}.{spec.table} "  # noqa: S608
            f"where file_id in ({CURRENT_FILES_SQL}) "
            + "".join(f"and {column} is not null " for column in columns)
            + f"group by {listed} having count(*) > 1)"
        ).fetchone()
        if count:
            repeated[f"{item['type']}:{'+'.join(columns)} (across files)"] = int(count)
    return repeated


def _codes_for_kind(kind: str) -> set[str]:
    from expectations.suites import suite_definition

    codes = set()
    for item in suite_definition(kind):
        kwargs = item["kwargs"]
        column = kwargs.get("column") or "+".join(kwargs.get("column_list") or [])
        codes.add(f"GX:{item['type']}:{column}")
    return codes


def unbalanced_835_transactions(
    settings: Settings | None = None, *, purpose: str = "balance check"
) -> list[dict[str, Any]]:
    """Current 835 transaction sets where BPR02 ≠ ΣCLP04 − ΣPLB, with the file and the difference."""
    settings = settings or get_settings()
    with writer_lock(settings, purpose=purpose), open_warehouse(settings) as con:
        rows = con.execute(
            f"""
            select ledger.file_name, tx.file_id, tx.transaction_control_number, tx.transaction_position,
                   cast(tx.total_paid_amount as varchar), cast(tx.balance_difference_amount as varchar)
            from {RAW_SCHEMA}.era_transactions as tx
            join {RAW_SCHEMA}.load_ledger as ledger using (file_id)
            where tx.is_balanced = false and tx.file_id in ({CURRENT_FILES_SQL})
            order by ledger.file_name, tx.transaction_position
            """  # noqa: S608
        ).fetchall()
    keys = ["file_name", "file_id", "st02", "transaction_position", "bpr02", "difference"]
    return [dict(zip(keys, row, strict=True)) for row in rows]
