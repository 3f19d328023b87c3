"""`rcm dagster`: the Dagster UI and daemon (``dagster dev``) for this code location and warehouse.

DAGSTER_HOME is ``$RCM_HOME/dagster_home`` with the instance config of
``orchestration.lib.dagster_home`` (pool ``warehouse`` limited to 1, writer runs queued one at a
time), so runs launched from the UI, the inbox sensor and the daily schedule share the instance that
`rcm ingest` and `rcm build` record their runs in. The daemon runs the sensor and the schedule.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.settings import REPO_ROOT, get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=None, help="UI port (default RCM_DAGSTER_PORT, 3000)")
    parser.add_argument("--host", default=None, help="UI host (default RCM_HOST, 127.0.0.1)")
    parser.add_argument(
        "--print-command", action="store_true", help="print the command and environment instead of running it"
    )


def dagster_dev_command(host: str, port: int) -> list[str]:
    """``dagster dev`` for the ``orchestration.definitions`` module, from this virtualenv."""
    executable = Path(sys.executable).with_name("dagster")
    dagster = str(executable) if executable.exists() else (shutil.which("dagster") or "dagster")
    return [dagster, "dev", "-m", "orchestration.definitions", "--host", host, "--port", str(port)]


def run(args: argparse.Namespace) -> int:
    from orchestration.lib.dagster_home import ensure_dagster_home

    settings = get_settings()
    home = ensure_dagster_home(settings)
    try:
        from orchestration.commands.build import prepare_dbt_project

        prepare_dbt_project(settings)  # the dbt assets are defined from dbt's manifest
    except Exception as exc:  # the UI still starts and shows the code location's load error
        print(
            f"rcm dagster: could not parse the dbt project ({exc}); the UI will show the error",
            file=sys.stderr,
        )
    host = args.host or settings.host
    port = args.port or settings.dagster_port
    command = dagster_dev_command(host, port)
    env = {**os.environ, "DAGSTER_HOME": str(home), "RCM_HOME": str(settings.home)}
    if args.print_command:
        print(f"DAGSTER_HOME={home} RCM_HOME={settings.home} {' '.join(command)}")
        return 0
    print(f"Dagster UI on http://{host}:{port}  (DAGSTER_HOME={home}); Ctrl-C stops it", flush=True)
    try:
        return subprocess.call(command, env=env, cwd=REPO_ROOT)
    except KeyboardInterrupt:
        return 0
