"""The `rcm` entry point: every subcommand is wired, and settings come from the environment."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli import COMMANDS, build_parser, main
from orchestration.settings import REPO_ROOT, get_settings


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_module_has_arguments_and_run(name: str) -> None:
    module = importlib.import_module(COMMANDS[name][0])
    assert callable(module.add_arguments)
    assert callable(module.run)


def test_full_parser_builds_with_every_subcommand() -> None:
    parser = build_parser(load=True)
    args = parser.parse_args(["generate", "--out", "x", "--claims", "10"])
    assert args.claims == 10


def test_console_script_runs_in_a_fresh_process() -> None:
    rcm = Path(sys.executable).parent / "rcm"
    result = subprocess.run([str(rcm), "--help"], capture_output=True, text=True, check=True)
    assert "ingest" in result.stdout


def test_console_script_flushes_and_keeps_the_exit_code_when_it_skips_teardown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rcm` ends with os._exit (console_main): what a command printed to a pipe (block-buffered)
    must still arrive whole, and its return code must be the process's."""
    rcm = Path(sys.executable).parent / "rcm"
    assert "console_main" in rcm.read_text(encoding="utf-8"), "reinstall: make setup"
    env = {"PATH": "/usr/bin:/bin", "RCM_HOME": str(tmp_path / "home")}
    listed = subprocess.run([str(rcm)], capture_output=True, text=True, check=False, env=env)
    assert main([]) == 0
    assert listed.returncode == 0
    assert listed.stdout == capsys.readouterr().out  # the whole help, not what a buffer held
    missing = subprocess.run(
        [str(rcm), "ingest", str(tmp_path / "nowhere.835")], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2
    assert missing.stderr == f"rcm ingest: no such file or folder: {tmp_path / 'nowhere.835'}\n"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RCM_DASH_PORT", "9123")
    monkeypatch.setenv("RCM_LOG_LEVEL", "debug")
    settings = get_settings()
    assert settings.home == (tmp_path / "home").resolve()
    assert settings.warehouse_path == settings.home / "warehouse.duckdb"
    assert settings.dash_port == 9123
    assert settings.log_level == "DEBUG"
    assert not settings.home.exists(), "reading settings must not create directories"
    settings.ensure_dirs()
    assert settings.inbox_dir.is_dir() and settings.snapshots_dir.is_dir()


def test_default_home_is_git_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RCM_HOME", raising=False)
    assert get_settings().home == REPO_ROOT / "var"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/warehouse.duckdb"], cwd=REPO_ROOT, check=False
    )
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0
