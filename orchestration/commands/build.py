"""`rcm build`: dbt seeds, models and tests through Dagster, then publish the Parquet snapshot.

Runs the ``build_job`` of ``orchestration.definitions`` in this process against the persistent
Dagster instance (``Settings.dagster_home``), so the run shows up in `rcm dagster`. Parses the dbt
project first when its manifest is missing or older than any project file (the dbt assets are
defined from the manifest). Prints a short summary and exits non-zero when the run failed, which a
failing error-severity dbt test causes (warn-severity tests are reported, not fatal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR, Settings, get_settings

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult

BUILD_JOB = "build_job"
DBT_ASSETS_OP = "rcm_dbt_assets"
KEY_MARTS = ("fct_claims", "fct_denials", "mart_ar_aging_daily", "mart_kpis_monthly", "mart_work_list")
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        dest="as_of",
        metavar="YYYY-MM-DD",
        help="pin the marts' as-of date (default: the latest event date in the data)",
    )
    parser.add_argument(
        "--full-refresh",
        dest="full_refresh",
        action="store_true",
        help="rebuild every model from scratch (default: incremental when the last build allows it)",
    )
    parser.add_argument(
        "--reparse", action="store_true", help="run `dbt parse` even when the manifest looks current"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="write dbt's node-by-node output to $RCM_HOME/logs/build_<time>.log; print only the summary",
    )


def _newest_project_file() -> float:
    newest = (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime
    for root in (
        DBT_PROJECT_DIR / "models",
        DBT_PROJECT_DIR / "macros",
        DBT_PROJECT_DIR / "tests",
        SEEDS_DIR,
    ):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.suffix in _PROJECT_SUFFIXES and path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_path() -> Path:
    return DBT_PROJECT_DIR / "target" / "manifest.json"


def prepare_dbt_project(settings: Settings | None = None, *, force: bool = False) -> Path:
    """Write dbt_project/target/manifest.json with `dbt parse` unless it is newer than every project file.

    The dbt Dagster assets are built from this manifest, so call this before importing
    ``orchestration.definitions`` (``rcm build``, ``rcm dagster`` and the tests do). Returns its path.
    """
    settings = settings or get_settings()
    manifest = manifest_path()
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # One parse at a time: dbt writes the manifest in place, so a second process (another pytest-xdist
    # worker, `rcm dagster` next to `rcm build`) that found it stale too would parse at the same time,
    # and one of them could read the other's half-written file. Under the lock, a waiting caller finds
    # the manifest fresh and whole.
    with (manifest.parent / ".parse.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and manifest.exists() and manifest.stat().st_mtime >= _newest_project_file():
            return manifest
        _parse(settings, manifest)
    return manifest


def _parse(settings: Settings, manifest: Path) -> None:
    from orchestration.lib.dbt_warm import dbt_path

    env = {
        **os.environ,
        "RCM_WAREHOUSE_PATH": str(settings.warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [
            dbt_path(),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")


@dataclass
class BuildSummary:
    """What `rcm build` reports: counts from dbt's run_results.json and the publish step's metadata."""

    success: bool
    seconds: float
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # resource type -> status -> n
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    snapshot_id: str | None = None
    as_of_date: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    publish_seconds: float | None = None
    mode: str | None = None  # incremental or full refresh (ADR 0007), and why
    deltas: dict[str, str] = field(default_factory=dict)  # table -> how it was published (ADR 0008)

    def lines(self) -> list[str]:
        def count(kind: str, *statuses: str) -> int:
            return sum(self.counts.get(kind, {}).get(status, 0) for status in statuses)

        incremental = (self.mode or "").startswith("incremental")
        # a whole incremental build loads no seed and re-creates no view (dbt_build_args)
        skipped_unchanged = incremental and not self.counts.get("seed")
        out = [
            f"build {'succeeded' if self.success else 'FAILED'} in {self.seconds:.1f} s"
            + (f" ({self.mode})" if self.mode else ""),
            (
                f"  seeds loaded: {count('seed', 'success')}"
                if not skipped_unchanged
                else "  seeds: already loaded"
            )
            + f"   models built: {count('model', 'success')}"
            f" (errors: {count('model', 'error')}, skipped: {count('model', 'skipped')})"
            + ("; views: unchanged" if skipped_unchanged else ""),
            f"  data tests passed: {count('test', 'pass')}   failed: {count('test', 'fail', 'error')}"
            f"   warned: {count('test', 'warn')}"
            + (" (on incremental models: changed rows only)" if incremental else ""),
            f"  unit tests passed: {count('unit_test', 'pass')}   failed: {count('unit_test', 'fail', 'error')}"
            if self.counts.get("unit_test") or not incremental
            else "  unit tests: not run (incremental: the code is that of the last recorded build)",
        ]
        for name in self.failures[:20]:
            out.append(f"  FAILED: {name}")
        for name in self.warnings[:20]:
            out.append(f"  warning: {name}")
        for step in self.failed_steps:
            out.append(f"  failed step: {step}")
        if self.snapshot_id:
            published = (
                f", published in {self.publish_seconds:.1f} s" if self.publish_seconds is not None else ""
            )
            out.append(f"  snapshot: {self.snapshot_id} (as of {self.as_of_date}){published}")
            for table in KEY_MARTS:
                if table in self.rows:
                    out.append(f"    {table}: {self.rows[table]:,} rows")
            for table, how in self.deltas.items():
                out.append(f"    {table}: {how}")
        else:
            out.append("  snapshot: not published (the last good snapshot stays current)")
        return out


def read_run_results(path: Path) -> tuple[dict[str, dict[str, int]], list[str], list[str]]:
    """Counts by resource type and status, and the names of failed and warned nodes."""
    counts: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    warnings: list[str] = []
    if not path.exists():
        return counts, failures, warnings
    data = json.loads(path.read_text(encoding="utf-8"))
    for result in data.get("results", []):
        unique_id = result.get("unique_id", "")
        kind = unique_id.split(".", 1)[0]
        status = str(result.get("status", "")).lower()
        counts.setdefault(kind, {})
        counts[kind][status] = counts[kind].get(status, 0) + 1
        if status in ("fail", "error"):
            failures.append(f"{unique_id}: {result.get('message') or status}")
        elif status == "warn":
            warnings.append(f"{unique_id}: {result.get('message') or status}")
    return counts, failures, warnings


def summarize(result: ExecuteInProcessResult, seconds: float, run_results: Path) -> BuildSummary:
    """Turn the in-process run and dbt's artifacts into a BuildSummary."""
    counts, failures, warnings = read_run_results(run_results)
    summary = BuildSummary(
        success=result.success, seconds=seconds, counts=counts, failures=failures, warnings=warnings
    )
    for event in result.all_events:
        if event.is_step_failure:
            summary.failed_steps.append(event.step_key or "?")
        if not event.is_step_materialization:
            continue
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path[-1] != "publish_snapshot":
            continue
        metadata: dict[str, Any] = {key: value.value for key, value in materialization.metadata.items()}
        summary.snapshot_id = str(metadata.get("snapshot_id") or "") or None
        summary.as_of_date = str(metadata.get("as_of_date") or "") or None
        if isinstance(metadata.get("seconds"), int | float):
            summary.publish_seconds = float(metadata["seconds"])
        rows = metadata.get("rows")
        if isinstance(rows, dict):
            summary.rows = {str(k): int(v) for k, v in rows.items()}
        deltas = metadata.get("deltas")
        if isinstance(deltas, dict):
            summary.deltas = {str(k): str(v) for k, v in deltas.items()}
    return summary


def run_build(
    settings: Settings | None = None,
    *,
    as_of: str | None = None,
    reparse: bool = False,
    full_refresh: bool = False,
) -> BuildSummary:
    """Parse if needed, run the build job in-process under the writer lock, and summarize it."""
    from orchestration.lib.dbt_warm import warm_dbt

    started = time.perf_counter()
    # dbt's imports (~2.2 s) now, beside this process's own start-up, not after it (dbt_warm)
    with warm_dbt():
        return _run_build(started, settings, as_of=as_of, reparse=reparse, full_refresh=full_refresh)


def _run_build(
    started: float, settings: Settings | None, *, as_of: str | None, reparse: bool, full_refresh: bool
) -> BuildSummary:
    settings = settings or get_settings()
    settings.ensure_dirs()
    prepare_dbt_project(settings, force=reparse)
    from orchestration.defs.dbt_assets import build_target_dir
    from orchestration.lib.build_state import last_plan
    from orchestration.lib.dagster_home import execute_job_in_process
    from orchestration.lib.warehouse import writer_lock

    run_results = build_target_dir(settings) / "run_results.json"
    run_results.unlink(missing_ok=True)
    run_config: dict[str, Any] = {}
    if as_of or full_refresh:
        op_config = {"as_of_date": as_of, "full_refresh": full_refresh}
        run_config = {"ops": {DBT_ASSETS_OP: {"config": op_config}}}
    with writer_lock(settings, purpose="rcm build"):
        planned_after = dt.datetime.now(dt.UTC)
        result = execute_job_in_process(BUILD_JOB, run_config=run_config, settings=settings)
        summary = summarize(result, time.perf_counter() - started, run_results)
        summary.mode = last_plan(settings, since=planned_after)
    return summary


def run(args: argparse.Namespace) -> int:
    full_refresh = getattr(args, "full_refresh", False)
    if args.as_of:
        dt.date.fromisoformat(args.as_of)  # fail fast on a bad date
    if getattr(args, "quiet", False):
        import contextlib

        settings = get_settings()
        settings.ensure_dirs()
        log_dir = settings.home / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"build_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.log"
        with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            summary = run_build(as_of=args.as_of, reparse=args.reparse, full_refresh=full_refresh)
        print(f"dbt output: {log_path}")
    else:
        summary = run_build(as_of=args.as_of, reparse=args.reparse, full_refresh=full_refresh)
    for line in summary.lines():
        print(line)
    return 0 if summary.success else 1
