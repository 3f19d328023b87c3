"""Dagster definitions by concern: raw assets, checks, jobs, sensors, schedules (assembled in
``orchestration.definitions``). Pure ingestion logic lives in ``orchestration.lib``."""
