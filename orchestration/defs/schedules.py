"""The daily build: dbt seeds, models, tests and publish, every morning (UTC) after the night's files."""

from __future__ import annotations

import dagster as dg

daily_build_schedule = dg.ScheduleDefinition(
    name="daily_build_schedule",
    job_name="build_job",
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Runs build_job daily at 06:00 UTC.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
