"""Shared fixtures of the dashboard tests: a synthetic snapshot home, users, the app, role contexts.

The home is built once per session (two snapshots: the first is CURRENT, the second is the one the
swap test flips to); each test in this folder gets RCM_HOME/RCM_USERS_FILE pointed at it through
monkeypatch, so other folders' tests never see it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dash_helpers import PASSWORD, USERS
from dash_snapshot_fixture import FIRST_SNAPSHOT, SECOND_SNAPSHOT, build_fixture_snapshot


@pytest.fixture(scope="session")
def dash_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dashboards.auth import add_user

    home = tmp_path_factory.mktemp("rcm_home")
    build_fixture_snapshot(home, SECOND_SNAPSHOT, seed=11)
    build_fixture_snapshot(home, FIRST_SNAPSHOT, seed=7)  # built last: CURRENT names it
    for name, role in USERS.items():
        add_user(name, role, PASSWORD, path=home / "users.toml")
    return home


@pytest.fixture(autouse=True)
def _dash_env(dash_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCM_HOME", str(dash_home))
    monkeypatch.setenv("RCM_USERS_FILE", str(dash_home / "users.toml"))
    monkeypatch.setenv("RCM_SECRET_KEY", "dashboard-tests-only")


@pytest.fixture(scope="session")
def snapshot_dir(dash_home: Path) -> Path:
    return dash_home / "snapshots" / FIRST_SNAPSHOT


@pytest.fixture
def dash_app(_dash_env: None) -> Any:
    from dashboards.app import create_app

    return create_app()
