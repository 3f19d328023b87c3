"""The daily build: dbt seeds, models, tests and publish, every morning (UTC) after the night's files.

Monday to Saturday the build is incremental when it can be (ADR 0007): it recomputes and tests only
the files and encounters that changed. On Sunday it is a full refresh, which rebuilds every model
and runs every data test on every row (and the dbt unit tests), so anything an incremental build
would not see (a table edited by hand, say) is caught within a week.
"""

from __future__ import annotations

import dagster as dg

daily_build_schedule = dg.ScheduleDefinition(
    name="daily_build_schedule",
    job_name="build_job",
    cron_schedule="0 6 * * 1-6",
    execution_timezone="UTC",
    description="Runs build_job at 06:00 UTC, Monday to Saturday (incremental when it can be).",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

weekly_full_build_schedule = dg.ScheduleDefinition(
    name="weekly_full_build_schedule",
    job_name="build_job",
    cron_schedule="0 6 * * 0",
    execution_timezone="UTC",
    run_config={"ops": {"rcm_dbt_assets": {"config": {"full_refresh": True}}}},
    description="Runs build_job as a full refresh at 06:00 UTC on Sundays: every model, every test, every row.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
