"""Jobs: ``ingest_job`` (inbox -> raw layer, with its checks) and ``build_job`` (dbt seeds, models and
tests, then publish). Both carry the writer run tag, so launched runs queue one at a time."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.raw_assets import RAW_GROUP
from orchestration.lib.warehouse import WRITER_RUN_TAGS

ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.groups(RAW_GROUP),
    description="Load new inbox files into the raw layer and run the raw asset checks.",
    tags=WRITER_RUN_TAGS,
)


def make_build_job(assets: Sequence[dg.AssetsDefinition]) -> dg.UnresolvedAssetJobDefinition:
    """The build job over the given dbt and publish assets (with their checks: the dbt tests).

    Called by ``orchestration.definitions`` with whatever of ``rcm_dbt_assets`` and
    ``publish_snapshot`` exist, so that the job is always defined (``rcm build`` relies on its name).
    """
    selection = (
        dg.AssetSelection.assets(*assets) if assets else dg.AssetSelection.groups("__no_build_assets__")
    )
    return dg.define_asset_job(
        name="build_job",
        selection=selection,
        description="dbt seeds, models and tests, then publish the Parquet snapshot.",
        tags=WRITER_RUN_TAGS,
    )
