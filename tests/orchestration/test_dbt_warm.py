"""rcm-dbt and the dbt process started ahead (orchestration.lib.dbt_warm): the command runs there,
with the launcher's streams, arguments, environment and folder, and ends as dbt itself would."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.dbt_warm import ENV_SOCKET, dbt_path, launcher_path, warm_dbt

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the hand-over needs Linux 5.3+")


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != ENV_SOCKET}
    environment.update(env)
    return subprocess.run(
        args, capture_output=True, text=True, cwd=cwd, env=environment, check=False, timeout=120
    )


def _probe_project(tmp_path: Path, database: str) -> Path:
    """A dbt project with no models, and its profiles.yml beside it: DuckDB at ``database``."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: probe\nversion: '1.0.0'\nconfig-version: 2\nprofile: probe\n", encoding="utf-8"
    )
    (tmp_path / "profiles.yml").write_text(
        f"probe:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: {database}\n",
        encoding="utf-8",
    )
    return project


@pytest.fixture(scope="module")
def dbt_version(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`dbt --version` run by dbt itself."""
    return _run([dbt_path(), "--version"], tmp_path_factory.mktemp("version"))


def test_the_waiting_process_runs_the_command_as_dbt_would(
    tmp_path: Path, dbt_version: subprocess.CompletedProcess[str]
) -> None:
    theirs = dbt_version
    with warm_dbt() as warm:
        assert warm is not None and os.environ[ENV_SOCKET]
        ours = _run([launcher_path(), "--version"], tmp_path, **{ENV_SOCKET: os.environ[ENV_SOCKET]})
        # it served this command and ended: the launcher did not run dbt itself
        assert warm.wait(timeout=30) == 0
    assert ENV_SOCKET not in os.environ
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    assert "Core:" in ours.stdout


def test_arguments_environment_folder_and_exit_code_reach_dbt(tmp_path: Path) -> None:
    project = _probe_project(tmp_path, "\"{{ env_var('PROBE_DB') }}\"")
    # `dbt show` reads the profile (PROBE_DB from the environment), opens the database, queries it
    args = ["show", "--inline", "select 40 + 2 as answer", "--profiles-dir", str(tmp_path)]
    env = {"PROBE_DB": str(tmp_path / "probe.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with warm_dbt() as warm:
        assert warm is not None
        shown = _run([launcher_path(), *args], project, **env, **{ENV_SOCKET: os.environ[ENV_SOCKET]})
        # the launcher ends after the process that ran dbt, so the database is free again (the
        # publish opens the warehouse right after `dbt build`)
        duckdb.connect(env["PROBE_DB"]).close()
        warm.wait(timeout=60)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "42" in shown.stdout  # run in the launcher's folder, where dbt found the project
    # without the variable profiles.yml needs, dbt fails, and the launcher exits as dbt does
    del env["PROBE_DB"]
    theirs = _run([dbt_path(), *args], project, **env)
    with warm_dbt():
        ours = _run([launcher_path(), *args], project, **env, **{ENV_SOCKET: os.environ[ENV_SOCKET]})
    assert theirs.returncode != 0
    assert ours.returncode == theirs.returncode
    assert "PROBE_DB" in ours.stdout + ours.stderr


def test_a_build_in_the_waiting_process_leaves_its_database_closed_and_its_log_whole(
    tmp_path: Path,
) -> None:
    """The waiting process ends without the interpreter's teardown: the database it wrote is closed
    (checkpointed, no write-ahead log left) and dbt's log file is complete when the launcher exits."""
    database = tmp_path / "p.duckdb"
    project = _probe_project(tmp_path, str(database))
    (project / "models").mkdir()
    (project / "models" / "answers.sql").write_text(
        "{{ config(materialized='table') }}\nselect range as answer from range(1000)\n", encoding="utf-8"
    )
    logs = tmp_path / "logs"
    args = ["run", "--profiles-dir", str(tmp_path), "--log-path", str(logs)]
    env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    with warm_dbt() as warm:
        assert warm is not None
        ran = _run([launcher_path(), *args], project, **env, **{ENV_SOCKET: os.environ[ENV_SOCKET]})
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert not Path(f"{database}.wal").exists()
        with duckdb.connect(str(database), read_only=True) as con:
            assert con.execute("select count(*), sum(answer) from answers").fetchone() == (1000, 499500)
        log = (logs / "dbt.log").read_text(encoding="utf-8")
        assert "Command `dbt run` succeeded" in log, log[-2000:]
        assert warm.wait(timeout=30) == 0


def test_the_launcher_runs_dbt_itself_without_a_waiting_process(
    tmp_path: Path, dbt_version: subprocess.CompletedProcess[str]
) -> None:
    theirs = dbt_version
    alone = _run([launcher_path(), "--version"], tmp_path)
    gone = _run([launcher_path(), "--version"], tmp_path, **{ENV_SOCKET: str(tmp_path / "no.sock")})
    assert (alone.returncode, alone.stdout) == (theirs.returncode, theirs.stdout)
    assert (gone.returncode, gone.stdout) == (theirs.returncode, theirs.stdout)


def test_one_command_per_waiting_process_and_none_left_behind(tmp_path: Path) -> None:
    """Two launchers at once: one is served, the other runs dbt itself; an unused process stops."""
    with warm_dbt() as warm:
        assert warm is not None
        env = {ENV_SOCKET: os.environ[ENV_SOCKET]}
        environment = {**{k: v for k, v in os.environ.items() if k != ENV_SOCKET}, **env}
        launchers = [
            subprocess.Popen(
                [launcher_path(), "--version"],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [launcher.communicate(timeout=120)[0] for launcher in launchers]
        assert [launcher.returncode for launcher in launchers] == [0, 0]
        assert all("Core:" in output for output in outputs)
    assert warm.poll() is not None
    with warm_dbt() as unused:
        assert unused is not None
        with warm_dbt() as inner:
            assert inner is None  # one per process: the inner use reuses it
    assert unused.poll() is not None, "a waiting process outlived its build"
    assert Path(sys.executable).with_name("rcm-dbt").is_file()


def test_an_interrupt_reaches_dbt_and_the_launcher_exits_with_it(tmp_path: Path) -> None:
    """dagster-dbt cancels dbt with SIGINT to the process it started: the launcher forwards it, and
    dbt stops even when the process that started the waiting one ignores SIGINT (a background job
    of a script, as CI's runs were: there this timed out until the waiting process reset it)."""
    project = _probe_project(tmp_path, str(tmp_path / "p.duckdb"))
    endless = "select count(*) from range(1000000000000) a"  # hours of counting, unless interrupted
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        warming = warm_dbt()
        warm = warming.__enter__()  # the waiting process starts with SIGINT ignored, inherited
    finally:
        signal.signal(signal.SIGINT, previous)
    with contextlib.ExitStack() as stack:
        stack.push(warming)
        assert warm is not None
        environment = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        launcher = subprocess.Popen(
            [launcher_path(), "show", "--inline", endless, "--profiles-dir", str(tmp_path)],
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert launcher.stdout is not None
        first = launcher.stdout.readline()  # dbt is running: its first line came through the launcher
        assert "Running with dbt" in first, first
        launcher.send_signal(signal.SIGINT)
        rest = launcher.communicate(timeout=90)[0]
        assert launcher.returncode not in (0, None), rest
        # stopped by the interrupt, not by some other failure ("KeyboardInterrupt" when it came
        # during dbt's start, "Exited because of keyboard interrupt" when it cancelled the query)
        assert "keyboard" in rest.lower(), rest
        assert warm.wait(timeout=30) is not None


def test_without_the_launcher_installed_dagster_runs_dbt_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout updated without `make setup` has no rcm-dbt yet: the resource then names dbt."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    assert launcher_path() == dbt_path() == str(tmp_path / "bin" / "dbt")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "rcm-dbt").write_text("#!/bin/sh\n", encoding="utf-8")
    assert launcher_path() == str(tmp_path / "bin" / "rcm-dbt")
