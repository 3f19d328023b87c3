"""The raw layer as Dagster assets: one multi-asset that loads every new file in the inbox.

Asset keys are ``["raw", <table>]`` for every table of ``orchestration.lib.raw_schema`` (the same keys
dagster-dbt gives the dbt sources of schema ``raw``), so lineage runs from files to marts.
One op writes them all because one file fills several tables in one DuckDB transaction.
"""

from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from orchestration.lib.raw_schema import RAW_SCHEMA, TABLES
from orchestration.lib.warehouse import WAREHOUSE_POOL

RAW_GROUP = "raw"
# Files named one by one in the run's log and metadata (the summary file always has all of them).
MAX_LOGGED_FILES = 200

RAW_ASSET_KEYS: dict[str, dg.AssetKey] = {table: dg.AssetKey([RAW_SCHEMA, table]) for table in TABLES}

_DESCRIPTIONS = {
    "load_ledger": "One row per distinct file content received (file_id = sha256[:16]).",
    "load_issues": "One row per problem found in a file: quarantined records and warnings.",
}


class IngestConfig(dg.Config):
    """Which files to load: folders or files; empty means ``Settings.inbox_dir`` (the sensor's case)."""

    paths: list[str] = Field(default_factory=list)
    csv_kind: str | None = None  # read every non-X12 file as this CSV extract kind


# Materialized by every run: it records the run's files (and names their summaries). Every other
# raw table is materialized only by a run that added rows to it, so its checks run only then: a day
# of X12 files no longer re-ran the four CSV suites' queries over every current row (about 0.4 s of
# each ingest at 1,000,000 claims), and no asset reads as updated by a run that left it as it was.
ALWAYS_MATERIALIZED = "load_ledger"


def _spec(table: str) -> dg.AssetSpec:
    kind = "x12" if table.startswith(("era_", "x837_")) else "csv" if table.startswith("csv_") else "ledger"
    return dg.AssetSpec(
        key=RAW_ASSET_KEYS[table],
        group_name=RAW_GROUP,
        description=_DESCRIPTIONS.get(table, f"Raw rows of `{RAW_SCHEMA}.{table}` as read from the files."),
        kinds={"duckdb"},
        tags={"rcm/source": kind},
        skippable=table != ALWAYS_MATERIALIZED,
    )


@dg.multi_asset(
    name="raw_files",
    specs=[_spec(table) for table in TABLES],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def raw_files(context: dg.AssetExecutionContext, config: IngestConfig) -> Iterator[dg.MaterializeResult]:
    """Load every file in the inbox (or ``config.paths``) that the ledger has not seen.

    Same bytes twice change nothing. Only the tables this run added rows to are materialized (and
    the ledger, always; ``ALWAYS_MATERIALIZED``). The per-file summaries are written as JSON lines to
    ``$RCM_HOME/logs/ingest_<run id>.jsonl`` (named in the ledger asset's ``summary_file`` metadata:
    that is how ``rcm ingest`` reads them back); the metadata itself stays small.
    """
    import json

    from orchestration.lib.loader import load_files, load_inbox, table_row_counts
    from orchestration.lib.warehouse import open_warehouse, writer_lock
    from orchestration.settings import get_settings

    settings = get_settings()
    with writer_lock(settings, purpose=f"dagster run {context.run.run_id[:8]} raw_files"):
        if config.paths:
            results = load_files(config.paths, settings, csv_kind=config.csv_kind)
        else:
            results = load_inbox(settings, csv_kind=config.csv_kind)
        with open_warehouse(settings) as con:
            totals = table_row_counts(con)
    summary_file = settings.logs_dir / f"ingest_{context.run.run_id}.jsonl"
    summary_file.parent.mkdir(parents=True, exist_ok=True)
    summary_file.write_text(
        "".join(json.dumps(result.summary(), sort_keys=True) + "\n" for result in results), encoding="utf-8"
    )
    notable = [result for result in results if result.status not in ("loaded", "duplicate")]
    for result in notable[:MAX_LOGGED_FILES]:
        context.log.warning(result.one_line())
    added: dict[str, int] = {table: 0 for table in TABLES}
    for result in results:
        if result.status == "duplicate":
            continue  # its rows were added by the earlier load
        for table, count in result.row_counts.items():
            added[table] = added.get(table, 0) + count
    statuses = [result.status for result in results]
    quarantined = [
        f"{result.file_id} {result.file_name}" for result in results if result.status == "quarantined"
    ]
    context.log.info(
        f"{len(results)} files: {sum(s in ('loaded', 'loaded_with_warnings') for s in statuses)} loaded, "
        f"{statuses.count('duplicate')} duplicate, {len(quarantined)} quarantined; summaries in {summary_file}"
    )
    for table in TABLES:
        if table != ALWAYS_MATERIALIZED and not added.get(table):
            continue  # unchanged: not materialized, and its checks are skipped
        metadata: dict[str, object] = {
            "rows_added": dg.MetadataValue.int(added.get(table, 0)),
            "row_count": dg.MetadataValue.int(totals.get(table, 0)),
        }
        if table == "load_ledger":
            metadata.update(
                {
                    "files_seen": dg.MetadataValue.int(len(results)),
                    "files_loaded": dg.MetadataValue.int(
                        sum(s in ("loaded", "loaded_with_warnings") for s in statuses)
                    ),
                    "files_duplicate": dg.MetadataValue.int(statuses.count("duplicate")),
                    "files_quarantined": dg.MetadataValue.int(len(quarantined)),
                    "quarantined_files": dg.MetadataValue.json(quarantined[:MAX_LOGGED_FILES]),
                    "summary_file": dg.MetadataValue.path(str(summary_file)),
                }
            )
        yield dg.MaterializeResult(asset_key=RAW_ASSET_KEYS[table], metadata=metadata)
