"""The Dagster code location `rcm`: assembles what ``orchestration/defs/`` defines, nothing else.

The dbt assets (``defs/dbt_assets.py``) and the publish asset (``defs/publish.py``) are optional while
they are being written: a missing module is left out, but a module that exists and fails to import
raises, so a broken dbt project never silently disappears from the UI.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

import dagster as dg

from orchestration.defs.checks import raw_checks
from orchestration.defs.jobs import ingest_job, make_build_job
from orchestration.defs.raw_assets import raw_files
from orchestration.defs.schedules import daily_build_schedule, weekly_full_build_schedule
from orchestration.defs.sensors import inbox_sensor


def _optional_module(name: str) -> ModuleType | None:
    """Import ``name`` if its file exists; let any import error inside it propagate."""
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def build_definitions() -> dg.Definitions:
    """Everything the code location serves; a function so tests can rebuild it."""
    assets: list[dg.AssetsDefinition] = [raw_files]
    build_assets: list[dg.AssetsDefinition] = []
    resources: dict[str, object] = {}

    dbt_module = _optional_module("orchestration.defs.dbt_assets")
    if dbt_module is not None:
        build_assets.append(dbt_module.rcm_dbt_assets)
        resources["dbt"] = dbt_module.dbt_resource()
    publish_module = _optional_module("orchestration.defs.publish")
    if publish_module is not None:
        build_assets.append(publish_module.publish_snapshot)
    assets.extend(build_assets)

    return dg.Definitions(
        assets=assets,
        asset_checks=raw_checks,
        jobs=[ingest_job, make_build_job(build_assets)],
        schedules=[daily_build_schedule, weekly_full_build_schedule],
        sensors=[inbox_sensor],
        resources=resources,
    )


defs = build_definitions()
