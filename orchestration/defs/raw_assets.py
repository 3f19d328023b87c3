"""The raw layer as Dagster assets: one multi-asset that loads every new file in the inbox.

Asset keys are ``["raw", <table>]`` for every table of ``orchestration.lib.raw_schema`` (the same keys
dagster-dbt gives the dbt sources of schema ``raw``), so lineage runs from files to marts.
One op writes them all because one file fills several tables in one DuckDB transaction.
"""


from collections.abc import Iterator

import dagster as dg

from orchestration.lib.raw_schema import RAW_SCHEMA, TABLES
from orchestration.lib.warehouse import WAREHOUSE_POOL

RAW_GROUP = "raw"

RAW_ASSET_KEYS: dict[str, dg.AssetKey] = {table: dg.AssetKey([RAW_SCHEMA, table]) for table in TABLES}

_DESCRIPTIONS = {
    "load_ledger": "One row per distinct file content received (file_id = sha256[:16]).",
    "load_issues": "One row per problem found in a file: quarantined records and warnings.",
}


class IngestConfig(dg.Config):
    """Which files to load: folders or files; empty means ``Settings.inbox_dir`` (the sensor's case)."""

    paths: list[str] = []


def _spec(table: str) -> dg.AssetSpec:
    kind = "x12" if table.startswith(("era_", "x837_")) else "csv" if table.startswith("csv_") else "ledger"
    return dg.AssetSpec(
        key=RAW_ASSET_KEYS[table],
        group_name=RAW_GROUP,
        description=_DESCRIPTIONS.get(table, f"Raw rows of `{RAW_SCHEMA}.{table}` as read from the files."),
        kinds={"duckdb"},
        tags={"rcm/source": kind},
    )


@dg.multi_asset(
    name="raw_files",
    specs=[_spec(table) for table in TABLES],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def raw_files(context: dg.AssetExecutionContext, config: IngestConfig) -> Iterator[dg.MaterializeResult]:
    """Load every file in the inbox (or ``config.paths``) that the ledger has not seen.

    Same bytes twice change nothing. The per-file summaries go into the ledger asset's metadata
    (``files``), which is how ``rcm ingest`` reads them back from an in-process run.
    """
    from orchestration.lib.loader import load_files, load_inbox, table_row_counts
    from orchestration.lib.warehouse import open_warehouse, writer_lock
    from orchestration.settings import get_settings

    settings = get_settings()
    with writer_lock(settings, purpose=f"dagster run {context.run_id[:8]} raw_files"):
        results = load_files(config.paths, settings) if config.paths else load_inbox(settings)
        with open_warehouse(settings) as con:
            totals = table_row_counts(con)
    for result in results:
        context.log.info(result.one_line())
    added: dict[str, int] = {table: 0 for table in TABLES}
    for result in results:
        for table, count in result.row_counts.items():
            added[table] = added.get(table, 0) + count
    statuses = [result.status for result in results]
    quarantined = [
        f"{result.file_id} {result.file_name}" for result in results if result.status == "quarantined"
    ]
    for table in TABLES:
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
                    "quarantined_files": dg.MetadataValue.json(quarantined),
                    "files": dg.MetadataValue.json([result.summary() for result in results]),
                }
            )
        yield dg.MaterializeResult(asset_key=RAW_ASSET_KEYS[table], metadata=metadata)
