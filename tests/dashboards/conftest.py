"""Shared fixtures of the dashboard tests: a synthetic snapshot home, users, the app, role contexts.

The home is built once per session (two snapshots: the first is CURRENT, the second is the one the
swap test flips to); each test in this folder gets RCM_HOME/RCM_USERS_FILE pointed at it through
monkeypatch, so other folders' tests never see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dash_snapshot_fixture import FIRST_SNAPSHOT, SECOND_SNAPSHOT, build_fixture_snapshot

PASSWORD = "correct-horse-battery"
USERS = {"ella": "executive", "manny": "manager", "bill": "biller"}
ROLE_USER = {role: name for name, role in USERS.items()}


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


@contextmanager
def signed_in(app: Any, role: str | None) -> Iterator[None]:
    """A request context in which `role`'s user is signed in (None: nobody)."""
    from flask_login import login_user

    from dashboards.auth import SignedInUser, UserRecord

    with app.server.test_request_context("/"):
        if role is not None:
            login_user(SignedInUser(UserRecord(ROLE_USER.get(role, role), role, "", "")))
        yield


def login_client(app: Any, name: str, password: str = PASSWORD) -> Any:
    """A Flask test client signed in through the real sign-in form."""
    client = app.server.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert token, "sign-in form has no CSRF token"
    response = client.post("/login", data={"csrf": token.group(1), "username": name, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:200]
    return client


def callback_body(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """A `_dash-update-component` request body as the Dash renderer sends it."""
    if len(outputs) == 1:
        output = f"{outputs[0][0]}.{outputs[0][1]}"
        outputs_spec: Any = {"id": outputs[0][0], "property": outputs[0][1]}
    else:
        output = ".." + "...".join(f"{cid}.{prop}" for cid, prop in outputs) + ".."
        outputs_spec = [{"id": cid, "property": prop} for cid, prop in outputs]
    return {
        "output": output,
        "outputs": outputs_spec,
        "inputs": [{"id": cid, "property": prop, "value": value} for cid, prop, value in inputs],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"] if inputs else [],
        "state": [],
    }
