"""The dbt profile's DuckDB settings reach dbt's own connection."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from orchestration.lib.dbt_warm import ENV_SOCKET, dbt_path

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def test_dbt_runs_with_a_block_pool_as_large_as_its_memory_cap(tmp_path: Path) -> None:
    """profiles.yml sizes DuckDB's block allocator by the memory cap (RCM_DUCKDB_MEMORY_LIMIT): a
    block freed and taken again is then reused in place instead of faulted in and zeroed again
    (docs/benchmarks.md, 2026-12-02). dbt's connection, under a cap set for this test, reports both.
    The profile is used unchanged, by a project without models (no parse of ours)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: probe\nversion: '1.0.0'\nconfig-version: 2\nprofile: rcm\n", encoding="utf-8"
    )
    shutil.copy(PROFILES, tmp_path / "profiles.yml")
    env = {key: value for key, value in os.environ.items() if key != ENV_SOCKET}
    env |= {"RCM_WAREHOUSE_PATH": str(tmp_path / "probe.duckdb"), "RCM_DUCKDB_MEMORY_LIMIT": "300MB"}
    query = "select current_setting('memory_limit') as cap, current_setting('block_allocator_memory') as pool"
    done = subprocess.run(
        [dbt_path(), "show", "--inline", query, "--profiles-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # 300MB is 300,000,000 bytes: DuckDB shows 286.1 MiB for each
    assert re.search(r"\|\s*286\.1 MiB\s*\|\s*286\.1 MiB\s*\|", done.stdout), done.stdout
