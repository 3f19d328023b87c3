"""`rcm dagster`: the Dagster UI and daemon (``dagster dev``) for this code location and warehouse.

DAGSTER_HOME is ``$RCM_HOME/dagster_home`` with the instance config of
``orchestration.lib.dagster_home`` (pool ``warehouse`` limited to 1, writer runs queued one at a
time), so runs launched from the UI, the inbox sensor and the daily schedule share the instance that
`rcm ingest` and `rcm build` record their runs in. The daemon runs the sensor and the schedule.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
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
    return run_child(command, env=env, cwd=REPO_ROOT)


# How long `dagster dev` may take to stop its UI and daemon after the interrupt before it is killed.
STOP_TIMEOUT = 30.0


def run_child(command: list[str], *, env: dict[str, str], cwd: Path, grace: float = 2.0) -> int:
    """Run ``command`` until it exits; SIGINT or SIGTERM sent to this process stop it too.

    From a terminal, Ctrl-C reaches the whole foreground process group, so the child gets it
    directly. From a service manager or ``kill -INT <pid>`` only this process gets the signal: it is
    passed on (after ``grace`` seconds, if the child has not already stopped by itself), then
    the child gets ``STOP_TIMEOUT`` seconds to stop before it is killed. Returns 0 after an interrupt,
    else the child's exit code.
    """
    child = subprocess.Popen(command, env=env, cwd=cwd)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too, explicitly: a process started as a background job of a script inherits SIGINT
    # *ignored*, and Python then installs no KeyboardInterrupt handler, so `kill -INT` did nothing.
    previous = {sent: signal.signal(sent, stop) for sent in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    except KeyboardInterrupt:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 0
    finally:
        for sent, handler in previous.items():
            signal.signal(sent, handler)
