"""Settings from environment variables, with defaults that work for the demo.

Nothing here touches the disk at import time: paths are computed, never created, until a caller asks
for them through ``ensure_dirs``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and how the servers listen.

    home: RCM_HOME, the warehouse home (DuckDB file, inbox, archive, quarantine, snapshots, logs, dbt
        target).
    """

    home: Path
    host: str
    dash_port: int
    dagster_port: int
    log_level: str

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file that only pipeline runs write; dashboards never open it."""
        return self.home / "warehouse.duckdb"

    @property
    def lock_path(self) -> Path:
        """The exclusive lock every writer holds (Dagster runs and ``rcm ingest`` alike)."""
        return self.home / "warehouse.lock"

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def snapshots_dir(self) -> Path:
        """Published, immutable snapshots of the marts; the dashboards read only these."""
        return self.home / "snapshots"

    @property
    def demo_dir(self) -> Path:
        return self.home / "demo"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this home's builds (run_results.json, partial parse, dbt.log).

        One per home, not one per checkout: two homes building at once from one checkout (two
        users, or the tests under pytest-xdist) would otherwise overwrite each other's results.
        """
        return self.home / "dbt_target"

    @property
    def users_file(self) -> Path:
        """Dashboard users and roles (hashed passwords); RCM_USERS_FILE overrides."""
        override = os.environ.get("RCM_USERS_FILE")
        return Path(override) if override else self.home / "users.toml"

    def ensure_dirs(self) -> None:
        for path in (
            self.home,
            self.inbox_dir,
            self.archive_dir,
            self.quarantine_dir,
            self.snapshots_dir,
            self.dagster_home,
            self.logs_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)


def get_settings() -> Settings:
    """Read the environment now (not at import), so tests can point RCM_HOME elsewhere."""
    home = Path(os.environ.get("RCM_HOME", str(REPO_ROOT / "var"))).expanduser().resolve()
    return Settings(
        home=home,
        host=os.environ.get("RCM_HOST", "127.0.0.1"),
        dash_port=int(os.environ.get("RCM_DASH_PORT", "8050")),
        dagster_port=int(os.environ.get("RCM_DAGSTER_PORT", "3000")),
        log_level=os.environ.get("RCM_LOG_LEVEL", "INFO").upper(),
    )
