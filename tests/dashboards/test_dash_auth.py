"""Sign-in, the users file, the `rcm users` command, and the Flask-layer guard for pages and for
direct `_dash-update-component` calls."""

from __future__ import annotations

import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from dash_helpers import PASSWORD, callback_body, login_client

from dashboards.auth import UserError, add_user, ensure_demo_users, load_users, verify_password
from orchestration.settings import REPO_ROOT

ALL = {"from": None, "to": None, "payer": [], "provider": [], "location": []}
# The A/R page's date picker callback (manager only). Pages draw their first view in their layout, so
# a page's data also travels in the router's response (router_call).
AGING_CALL = {
    **callback_body(
        [
            ("ar-aging-summary", "children"),
            ("ar-aging-by-payer", "figure"),
            ("ar-aging-by-responsibility", "figure"),
            ("ar-aging-filter-note", "children"),
        ],
        [("ar-aging-as-of", "date", "2024-09-30")],
    ),
    "state": [{"id": "ar-aging-filters", "property": "data", "value": ALL}],
}
WORK_LIST_CALL = callback_body(
    [("work-list-grid", "rowData"), ("work-list-count", "children")],
    [
        ("work-list-filters", "data", ALL),
        ("work-list-root-cause", "value", None),
        ("work-list-biller", "value", None),
        ("work-list-min-age", "value", None),
        ("work-list-min-balance", "value", None),
    ],
)


def router_call(pathname: str) -> dict[str, Any]:
    return callback_body(
        [("_pages_content", "children"), ("_pages_store", "data")],
        [("_pages_location", "pathname", pathname), ("_pages_location", "search", "")],
    )


def test_users_file_holds_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    add_user("alice", "manager", "a-long-password", path=path)
    text = path.read_text()
    assert "a-long-password" not in text
    assert tomllib.loads(text)["users"]["alice"]["role"] == "manager"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert verify_password("alice", "a-long-password", path=path) is not None
    assert verify_password("alice", "wrong-password", path=path) is None
    assert verify_password("nobody", "a-long-password", path=path) is None
    with pytest.raises(UserError):
        add_user("alice", "manager", "another-password", path=path)
    with pytest.raises(UserError):
        add_user("Bad Name", "manager", "a-long-password", path=path)
    with pytest.raises(UserError):
        add_user("bob", "admin", "a-long-password", path=path)
    with pytest.raises(UserError):
        add_user("bob", "biller", "short", path=path)


def test_demo_users_are_created_once(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    passwords = ensure_demo_users(path)
    assert passwords is not None and set(passwords) == {"executive", "manager", "biller"}
    assert {u.role for u in load_users(path).values()} == {"executive", "manager", "biller"}
    assert verify_password("biller", passwords["biller"], path=path) is not None
    assert ensure_demo_users(path) is None  # the file exists: nothing changes


def test_rcm_users_command(tmp_path: Path) -> None:
    env = {"RCM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    add = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "users",
            "add",
            "carol",
            "--role",
            "biller",
            "--password-stdin",
        ],
        input="carols-password\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=False,
    )
    assert add.returncode == 0, add.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "users", "list"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    assert "carol" in listing.stdout and "biller" in listing.stdout
    assert verify_password("carol", "carols-password", path=tmp_path / "users.toml") is not None


def test_signed_out_requests_get_the_sign_in_page(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    response = client.get("/work-list")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200 and 'id="login-form"' in page.get_data(as_text=True)
    assert client.post("/_dash-update-component", json=AGING_CALL).status_code == 401
    assert client.post("/_dash-update-component", json=router_call("/overview")).status_code == 401
    assert client.get("/_dash-layout").status_code == 401


def test_wrong_password_and_missing_csrf_are_refused(dash_app: Any) -> None:
    client = dash_app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"csrf": "forged", "username": "manny", "password": PASSWORD})
    assert response.status_code == 401 and "Wrong user name or password" in response.get_data(as_text=True)
    with pytest.raises(AssertionError):
        login_client(dash_app, "manny", "not-the-password")


def test_biller_cannot_reach_the_executive_page_or_its_data(dash_app: Any) -> None:
    client = login_client(dash_app, "bill")
    assert client.get("/overview").status_code == 403
    assert client.post("/_dash-update-component", json=AGING_CALL).status_code == 403
    assert client.post("/_dash-update-component", json=router_call("/overview")).status_code == 403
    for disguised in ("//overview", "/overview/", "overview"):  # Dash's router reads all three as /overview
        assert client.post("/_dash-update-component", json=router_call(disguised)).status_code == 403
    allowed = client.post("/_dash-update-component", json=WORK_LIST_CALL)
    assert allowed.status_code == 200
    assert client.get("/").headers["Location"] == "/work-list"


def test_executive_cannot_reach_the_work_list_or_its_data(dash_app: Any) -> None:
    client = login_client(dash_app, "ella")
    assert client.get("/work-list").status_code == 403
    assert client.get("/claim-detail").status_code == 403
    assert client.post("/_dash-update-component", json=WORK_LIST_CALL).status_code == 403
    assert client.post("/_dash-update-component", json=router_call("/claim-detail")).status_code == 403
    assert client.post("/_dash-update-component", json=AGING_CALL).status_code == 403
    response = client.post("/_dash-update-component", json=router_call("/overview"))
    assert response.status_code == 200 and "November 2024" in response.get_data(as_text=True)


def test_manager_may_call_the_aging_date_callback(dash_app: Any) -> None:
    """The refusals of AGING_CALL above come from the role, not from a malformed call."""
    client = login_client(dash_app, "manny")
    response = client.post("/_dash-update-component", json=AGING_CALL)
    assert response.status_code == 200 and "ar-aging-by-payer" in response.get_data(as_text=True)


def test_unknown_callbacks_are_refused(dash_app: Any) -> None:
    client = login_client(dash_app, "manny")
    forged = callback_body([("not-a-component", "children")], [("overview-filters", "data", ALL)])
    assert client.post("/_dash-update-component", json=forged).status_code == 403
    assert client.post("/_dash-update-component", data="not json").status_code == 403


def test_sign_in_throttle_counts_in_a_sliding_window() -> None:
    from dashboards.auth import SignInThrottle

    now = [1000.0]
    throttle = SignInThrottle(
        window=900, per_name_and_address=3, per_name=5, per_address=4, clock=lambda: now[0]
    )
    for _ in range(3):
        assert throttle.retry_after("ann", "10.0.0.1") == 0
        throttle.failed("ann", "10.0.0.1")
        now[0] += 10
    # locked until the oldest of the three leaves the window: 1000 + 900 - 1030
    assert throttle.retry_after("ann", "10.0.0.1") == pytest.approx(870)
    assert throttle.retry_after("ann", "10.0.0.2") == 0  # the same name elsewhere is not locked
    throttle.failed("ann", "10.0.0.2")
    throttle.failed("ann", "10.0.0.3")
    assert throttle.retry_after("ann", "10.0.0.4") > 0  # five failures for the name, from anywhere
    assert throttle.retry_after("bob", "10.0.0.1") == 0
    throttle.failed("bob", "10.0.0.1")
    assert throttle.retry_after("carol", "10.0.0.1") > 0  # four failures from 10.0.0.1, any name
    now[0] += 900
    assert throttle.retry_after("ann", "10.0.0.1") == 0  # every failure has aged out
    # a success forgets that name's failures from that address: two before it and one after are not
    # three in a row (the pair limit); the name and the address still count all three
    throttle.failed("dan", "10.0.0.9")
    throttle.failed("dan", "10.0.0.9")
    throttle.succeeded("dan", "10.0.0.9")
    throttle.failed("dan", "10.0.0.9")
    assert throttle.retry_after("dan", "10.0.0.9") == 0
    throttle.failed("eve", "10.0.0.9")  # the fourth failure from 10.0.0.9, any name
    assert throttle.retry_after("dan", "10.0.0.9") > 0
    throttle.reset()
    assert throttle.retry_after("dan", "10.0.0.9") == 0


def test_repeated_wrong_passwords_lock_the_sign_in(dash_app: Any) -> None:
    import re

    throttle = dash_app.server.extensions["rcm_sign_in_throttle"]
    client = dash_app.server.test_client()

    def attempt(password: str) -> Any:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        return client.post("/login", data={"csrf": token.group(1), "username": "manny", "password": password})

    try:
        for _ in range(throttle.limits["pair"]):
            assert attempt("not-the-password").status_code == 401
        locked = attempt(PASSWORD)  # the right password, too late
        body = locked.get_data(as_text=True)
        assert locked.status_code == 429 and "Too many failed sign-ins" in body
        assert client.get("/overview").status_code == 302  # still signed out
        login_client(dash_app, "bill")  # another account from the same address still signs in
    finally:
        throttle.reset()
    assert attempt(PASSWORD).status_code == 302
