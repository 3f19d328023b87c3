"""Asset checks on the raw layer.

- One check per CSV extract table runs that kind's Great Expectations suite (``expectations/``) over
  the rows this run loaded, read back from the warehouse as text (every current row when the check
  runs on its own), and the suite's uniqueness expectations over every current row in SQL, so an id
  repeated across files fails. Older rows passed the same suite when they came in; re-validating the
  whole table on every run cost 20-40 s at 1,000,000 claims. Rows quarantined while loading this
  run's files are reported as metadata; they make the check WARN, not fail.
- ``balanced_835_transactions``: 835 transaction sets whose BPR02 differs from ΣCLP04 − ΣPLB (WARN:
  payers do send unbalanced files; the records load flagged with ``is_balanced = false``).
- ``no_files_quarantined_in_run``: files the ``raw_files`` run of this same run quarantined (WARN).

Checks run in pool ``warehouse`` and hold the writer lock while they read, because a DuckDB reader in
another process would block a writer (and the other way round).
"""

import dagster as dg

from orchestration.defs.raw_assets import RAW_ASSET_KEYS
from orchestration.lib.csv_extracts import CSV_KINDS
from orchestration.lib.warehouse import WAREHOUSE_POOL


def _files_loaded_in_run(run_id: str, file_kind: str) -> list[str] | None:
    """The ids of the `file_kind` files this run's ``raw_files`` step loaded, from its summary file;
    None when this run loaded nothing (the check was launched on its own): then every row is checked."""
    import json

    from orchestration.settings import get_settings

    summary_file = get_settings().logs_dir / f"ingest_{run_id}.jsonl"
    if not summary_file.exists():
        return None
    summaries = [json.loads(line) for line in summary_file.read_text(encoding="utf-8").splitlines() if line]
    return [
        item["file_id"]
        for item in summaries
        if item["kind"] == file_kind and item["status"] in ("loaded", "loaded_with_warnings")
    ]


def _make_gx_check(kind: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=RAW_ASSET_KEYS[table],
        name=f"gx_{kind}_suite",
        description=f"Great Expectations suite `{kind}` over the current rows of raw.{table}.",
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from orchestration.lib.raw_checks import csv_suite_check

        file_ids = _files_loaded_in_run(context.run.run_id, CSV_KINDS[kind].file_kind)
        outcome = csv_suite_check(
            kind, purpose=f"dagster run {context.run.run_id[:8]} gx_{kind}_suite", file_ids=file_ids
        )
        severity = dg.AssetCheckSeverity.ERROR if not outcome.suite_passed else dg.AssetCheckSeverity.WARN
        return dg.AssetCheckResult(
            passed=outcome.suite_passed and outcome.quarantined_rows == 0,
            severity=severity,
            metadata={
                "rows_validated": dg.MetadataValue.int(outcome.rows_validated),
                "scope": dg.MetadataValue.text(
                    "every current row" if file_ids is None else f"{len(file_ids)} file(s) loaded in this run"
                ),
                "failed_expectations": dg.MetadataValue.json(outcome.failed_expectations),
                "rows_quarantined_at_load": dg.MetadataValue.int(outcome.quarantined_rows),
                "quarantined_by_expectation": dg.MetadataValue.json(outcome.quarantined_by_code),
            },
        )

    return _check


gx_checks: list[dg.AssetChecksDefinition] = [
    _make_gx_check(kind, spec.table) for kind, spec in CSV_KINDS.items()
]


@dg.asset_check(
    asset=RAW_ASSET_KEYS["era_transactions"],
    description="835 transaction sets where BPR02 ≠ ΣCLP04 − ΣPLB (current file versions).",
    pool=WAREHOUSE_POOL,
)
def balanced_835_transactions(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    from orchestration.lib.raw_checks import unbalanced_835_transactions

    rows = unbalanced_835_transactions(purpose=f"dagster run {context.run.run_id[:8]} balance check")
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unbalanced_transactions": dg.MetadataValue.int(len(rows)),
            "examples": dg.MetadataValue.json(rows[:20]),
        },
    )


@dg.asset_check(
    asset=RAW_ASSET_KEYS["load_ledger"],
    description="Files that the raw_files step of this run quarantined (whole file unreadable).",
)
def no_files_quarantined_in_run(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(RAW_ASSET_KEYS["load_ledger"])
    quarantined: list[str] = []
    same_run = event is not None and event.run_id == context.run.run_id
    if same_run and event is not None and event.asset_materialization is not None:
        value = event.asset_materialization.metadata.get("quarantined_files")
        quarantined = list(value.value) if value is not None else []
    return dg.AssetCheckResult(
        passed=not quarantined,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "files_quarantined": dg.MetadataValue.int(len(quarantined)),
            "quarantined_files": dg.MetadataValue.json(quarantined),
            "materialized_in_this_run": dg.MetadataValue.bool(same_run),
        },
    )


raw_checks = [*gx_checks, balanced_835_transactions, no_files_quarantined_in_run]
