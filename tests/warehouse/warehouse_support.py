"""Shared helpers of the warehouse tests: running dbt on a warehouse file, and the fixtures' types."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT, Settings

DBT = Path(sys.executable).parent / "dbt"


def run_dbt(args: list[str], warehouse: Path, target_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run this venv's dbt on the project against ``warehouse``, artifacts in ``target_dir``."""
    env = {
        **os.environ,
        "RCM_WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(target_dir),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=REPO_ROOT)


@dataclass(frozen=True)
class BuiltWarehouse:
    """A warehouse home after a successful build: its settings and the build's summary."""

    settings: Settings
    summary: object

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse_path


DEMO_CLAIMS = 2500
DEMO_MONTHS = 4


@dataclass(frozen=True)
class DemoBuild:
    warehouse: Path
    truth: dict[str, object]
