"""Dagster definitions by concern: raw assets, checks, jobs, sensors, schedules (assembled in
``orchestration.definitions``). Pure ingestion logic lives in ``orchestration.lib``.

dagster-dbt is imported here, before any module of this package imports it, in its mode without
dbt-core (ADR 0012): dbt runs in its own process, and this one saves ~2 s of imports.
"""

from orchestration.lib.dagster_dbt_import import import_dagster_dbt

import_dagster_dbt()
