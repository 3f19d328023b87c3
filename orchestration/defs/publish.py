"""The publish step: after the marts are built (and their dbt tests pass), export them as a new
Parquet snapshot for the dashboards (``orchestration.lib.publish``).

Downstream of every mart the dashboards read, so it runs only when they all materialized: a build
whose dbt step failed never reaches it, and the last good snapshot stays current.
"""

import dagster as dg

from orchestration.defs.dbt_assets import rcm_dbt_assets
from orchestration.lib.dagster_dbt_import import get_asset_key_for_model  # ADR 0012
from orchestration.lib.publish import MART_TABLES
from orchestration.lib.warehouse import WAREHOUSE_POOL

MART_ASSET_KEYS: list[dg.AssetKey] = [
    get_asset_key_for_model([rcm_dbt_assets], table) for table in MART_TABLES
]


@dg.asset(
    name="publish_snapshot",
    group_name="publish",
    deps=MART_ASSET_KEYS,
    pool=WAREHOUSE_POOL,
    kinds={"parquet"},
    description="Immutable Parquet snapshot of the marts; snapshots/CURRENT names the live one.",
)
def publish_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Copy every mart to snapshots/<id>/ and switch CURRENT to it, holding the writer lock; a table
    whose rows changed in a few match keys since the current snapshot reuses its file (ADR 0008)."""
    from orchestration.lib.build_state import changed_since_publish, mark_published
    from orchestration.lib.publish import publish_snapshot as publish
    from orchestration.lib.warehouse import open_warehouse, writer_lock
    from orchestration.settings import get_settings

    settings = get_settings()
    with (
        writer_lock(settings, purpose=f"dagster run {context.run.run_id[:8]} publish"),
        open_warehouse(settings) as con,
    ):
        result = publish(con, settings.snapshots_dir, changed=changed_since_publish(con))
        mark_published(con, result.snapshot_id)
    context.log.info(
        f"published snapshot {result.snapshot_id} (as of {result.as_of_date}) in {result.seconds:.1f} s"
    )
    for table, delta in result.deltas.items():
        context.log.info(f"{table}: {delta.describe(result.snapshot_id)}")
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": result.snapshot_id,
            "path": dg.MetadataValue.path(str(result.path)),
            "as_of_date": result.as_of_date or "",
            "rows": dg.MetadataValue.json(result.row_counts),
            "removed_snapshots": dg.MetadataValue.json(list(result.removed)),
            "seconds": round(result.seconds, 2),
            "deltas": dg.MetadataValue.json(
                {table: d.describe(result.snapshot_id) for table, d in result.deltas.items()}
            ),
        }
    )
