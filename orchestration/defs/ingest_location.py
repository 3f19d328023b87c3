"""The ingest-only part of the code location, for in-process ingest runs (`rcm ingest`).

It holds exactly what ``ingest_job`` needs (the raw assets and their checks), so loading files never
depends on the dbt project being parsed, and starts without importing dbt. The full code location
(``orchestration.definitions``) serves the same objects.
"""

import dagster as dg

from orchestration.defs.checks import raw_checks
from orchestration.defs.jobs import ingest_job
from orchestration.defs.raw_assets import raw_files


def ingest_definitions() -> dg.Definitions:
    """Definitions with the raw assets, their checks and ``ingest_job``."""
    return dg.Definitions(assets=[raw_files], asset_checks=raw_checks, jobs=[ingest_job])
