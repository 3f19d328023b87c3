"""Who may see which page, and which page owns which callback.

One table decides everything: `PAGES` maps a page key to its path and the roles allowed to open it.
The Flask request layer (auth.guard_request) uses it for page URLs and for every
`_dash-update-component` call; each callback is registered through `page_callback`, which records its
owning page and re-checks the role inside the callback, so neither a typed URL nor a hand-made POST
reaches another role's data.

Roles (see docs/adr/0005-dashboard-auth.md):
- executive: aggregates only, no patient identifiers: the overview and payer lag.
- manager: everything a team lead needs: overview, denials, payer lag, A/R, work list, claim detail.
- biller: the work list and claim detail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import dash

ROLES = ("executive", "manager", "biller")
SHELL = "shell"  # the app's frame (filters, navigation): every signed-in role


@dataclass(frozen=True)
class Page:
    key: str
    path: str
    title: str
    roles: frozenset[str]
    has_patient_identifiers: bool


PAGES: dict[str, Page] = {
    page.key: page
    for page in (
        Page("overview", "/overview", "Executive overview", frozenset({"executive", "manager"}), False),
        Page("denials", "/denials", "Denials", frozenset({"manager"}), True),
        Page("payer-lag", "/payer-lag", "Payer lag", frozenset({"executive", "manager"}), False),
        Page("ar-aging", "/ar-aging", "A/R aging", frozenset({"manager"}), True),
        Page("work-list", "/work-list", "Work list", frozenset({"manager", "biller"}), True),
        Page("claim-detail", "/claim-detail", "Claim detail", frozenset({"manager", "biller"}), True),
    )
}
PAGE_BY_PATH: dict[str, Page] = {page.path: page for page in PAGES.values()}
HOME_BY_ROLE = {"executive": "/overview", "manager": "/overview", "biller": "/work-list"}


class AccessDenied(PermissionError):
    """Raised inside a callback when the signed-in role may not read that page's data."""


def allowed(role: str | None, page_key: str) -> bool:
    """True when `role` may open `page_key`; the shell is open to every known role."""
    if role not in ROLES:
        return False
    if page_key == SHELL:
        return True
    page = PAGES.get(page_key)
    return page is not None and role in page.roles


def pages_for(role: str | None) -> list[Page]:
    return [page for page in PAGES.values() if role in page.roles]


def page_for_path(path: str | None) -> Page | None:
    """The page a path opens, read as Dash's router reads it (leading and trailing slashes stripped:
    "//denials/" renders the denials page, so it must be checked as the denials page)."""
    if not path:
        return None
    return PAGE_BY_PATH.get("/" + path.strip("/"))


def current_role() -> str | None:
    """The signed-in user's role, or None outside a request or when nobody is signed in."""
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not current_user.is_authenticated:
        return None
    return getattr(current_user, "role", None)


def current_user_name() -> str | None:
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not current_user.is_authenticated:
        return None
    return str(current_user.get_id())


F = TypeVar("F", bound=Callable[..., Any])
OWNER_ATTRIBUTE = "_rcm_page"


def require(page_key: str) -> Callable[[F], F]:
    """Wrap a callback body so it refuses to run unless the signed-in role may see `page_key`."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not allowed(current_role(), page_key):
                raise AccessDenied(f"role may not read page {page_key!r}")
            return func(*args, **kwargs)

        setattr(guarded, OWNER_ATTRIBUTE, page_key)
        return guarded  # type: ignore[return-value]

    return decorate


def page_callback(page_key: str, *args: Any, **kwargs: Any) -> Callable[[F], F]:
    """`dash.callback` for a callback owned by `page_key`: role-checked inside, owner recorded.

    Returns the guarded function (not Dash's wrapper) so tests and the bench call it directly.
    """
    if page_key != SHELL and page_key not in PAGES:
        raise ValueError(f"unknown page {page_key!r}")

    def decorate(func: F) -> F:
        guarded = require(page_key)(func)
        dash.callback(*args, **kwargs)(guarded)
        return guarded

    return decorate


def owner_of(callback_entry: dict[str, Any] | None) -> str | None:
    """The page that owns a Dash callback_map entry, or None when it was not registered through us."""
    if not callback_entry:
        return None
    func = callback_entry.get("callback")
    while func is not None:
        owner = getattr(func, OWNER_ATTRIBUTE, None)
        if owner:
            return str(owner)
        func = getattr(func, "__wrapped__", None)
    return None
