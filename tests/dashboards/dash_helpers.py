"""Helpers of the dashboard tests, imported by name (``from dash_helpers import callback_body``).

Kept out of ``conftest.py``: a test importing ``conftest`` gets whichever folder's conftest Python
found first, so running this folder beside another failed to import these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PASSWORD = "correct-horse-battery"
USERS = {"ella": "executive", "manny": "manager", "bill": "biller"}
ROLE_USER = {role: name for name, role in USERS.items()}


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
