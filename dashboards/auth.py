"""Sign-in, users and the request guard of the dashboards.

Users live in a TOML file (`Settings.users_file`, RCM_USERS_FILE overrides) with werkzeug password
hashes (scrypt) and one role each. Flask-Login keeps the session. `guard_request` runs before every
Flask request and is the first of the two locks (the second is inside each callback, see
dashboards/access.py):

- nothing but the sign-in page and static bundles is served to someone not signed in;
- a page URL is served only to the roles that page allows (403 otherwise);
- a `_dash-update-component` POST runs only when the callback it names belongs to a page the role
  may open; Dash's page-router callback is checked against the pathname it is asked to render.

Decisions and their reasons: docs/adr/0005-dashboard-auth.md.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from dashboards.access import HOME_BY_ROLE, ROLES, SHELL, allowed, owner_of, page_for_path
from orchestration.settings import get_settings

log = logging.getLogger(__name__)

USER_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
MIN_PASSWORD_LENGTH = 10
DEMO_USERS = {"executive": "executive", "manager": "manager", "biller": "biller"}  # name -> role
PUBLIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
PUBLIC_PATHS = {"/login", "/logout", "/_favicon.ico", "/favicon.ico"}
ROUTER_OUTPUT = "_pages_content.children"


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    password_hash: str
    created_at: str


class UserError(ValueError):
    """A user name, role or password that the users file must not take."""


# ------------------------------------------------------------------------------------------ the users file

_cache_lock = threading.Lock()
_cache: dict[Path, tuple[float, int, dict[str, UserRecord]]] = {}


def _toml_string(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def load_users(path: Path | None = None) -> dict[str, UserRecord]:
    """Users by name; an absent file is an empty mapping. Cached until the file changes."""
    target = path or get_settings().users_file
    try:
        stat = target.stat()
    except FileNotFoundError:
        return {}
    with _cache_lock:
        cached = _cache.get(target)
        if cached and cached[0] == stat.st_mtime and cached[1] == stat.st_size:
            return dict(cached[2])
    with target.open("rb") as handle:
        data = tomllib.load(handle)
    users: dict[str, UserRecord] = {}
    for name, fields in (data.get("users") or {}).items():
        if not USER_NAME.match(name) or fields.get("role") not in ROLES or not fields.get("password_hash"):
            log.warning("users file %s: entry %r ignored (bad name, role or hash)", target, name)
            continue
        users[name] = UserRecord(
            name, fields["role"], fields["password_hash"], str(fields.get("created_at", ""))
        )
    with _cache_lock:
        _cache[target] = (stat.st_mtime, stat.st_size, users)
    return dict(users)


def save_users(users: dict[str, UserRecord], path: Path | None = None) -> Path:
    """Write the whole file atomically (temp file + rename), readable by its owner only."""
    target = path or get_settings().users_file
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Dashboard users: add with `rcm users add NAME --role ROLE`; passwords are werkzeug hashes.",
        f"# Roles: {', '.join(ROLES)}.",
        "",
    ]
    for user in sorted(users.values(), key=lambda u: u.name):
        lines += [
            f"[users.{user.name}]",
            f"role = {_toml_string(user.role)}",
            f"password_hash = {_toml_string(user.password_hash)}",
            f"created_at = {_toml_string(user.created_at)}",
            "",
        ]
    fd, temp_name = tempfile.mkstemp(prefix=".users-", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        os.chmod(temp_name, 0o600)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def add_user(
    name: str, role: str, password: str, path: Path | None = None, replace: bool = False
) -> UserRecord:
    """Add (or with `replace`, reset) a user; the password is stored only as a hash."""
    if not USER_NAME.match(name):
        raise UserError("user names are 1-32 characters: a lowercase letter, then a-z, 0-9, '_', '.', '-'")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    users = load_users(path)
    if name in users and not replace:
        raise UserError(f"user {name!r} exists (use --replace to reset the password or role)")
    record = UserRecord(
        name=name,
        role=role,
        password_hash=generate_password_hash(password),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    users[name] = record
    save_users(users, path)
    return record


def remove_user(name: str, path: Path | None = None) -> bool:
    users = load_users(path)
    if name not in users:
        return False
    del users[name]
    save_users(users, path)
    return True


def verify_password(name: str, password: str, path: Path | None = None) -> UserRecord | None:
    """The user when name and password match; None otherwise (same work done either way)."""
    user = load_users(path).get(name)
    if user is None:
        # Hash anyway so a wrong name costs as long as a wrong password.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def ensure_demo_users(path: Path | None = None) -> dict[str, str] | None:
    """Create one demo user per role with random passwords when the users file is absent.

    Returns {name: password} for the caller to print once (only hashes are stored), or None when the
    file already exists (nothing is changed then).
    """
    target = path or get_settings().users_file
    if target.exists():
        return None
    passwords = {name: secrets.token_urlsafe(12) for name in DEMO_USERS}
    users = {
        name: UserRecord(
            name,
            role,
            generate_password_hash(passwords[name]),
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        for name, role in DEMO_USERS.items()
    }
    save_users(users, target)
    return passwords


# ------------------------------------------------------------------------------------------ sign-in throttle


class SignInThrottle:
    """Failed sign-ins counted in a sliding window; past a limit, sign-in is refused for a while.

    Three counters, each over the last `window` seconds (defaults: 15 minutes):
    - the same user name from the same address: 5 failures lock that pair (someone guessing);
    - one user name from any address: 50 failures lock the name (a guess spread over many
      addresses), high enough that one address alone cannot lock a colleague out;
    - one address for any names: 30 failures lock the address (trying many accounts).
    A lock lasts until its oldest counted failure leaves the window. While locked, even the right
    password is refused, and no password is checked (no hashing work spent on the attacker).
    A successful sign-in clears the failures of that name from that address. Kept in this server
    process's memory: a restart forgets it (docs/dashboards.md says so).
    """

    def __init__(
        self,
        *,
        window: float = 15 * 60,
        per_name_and_address: int = 5,
        per_name: int = 50,
        per_address: int = 30,
        clock: Any = None,
    ) -> None:
        import time

        self.window = window
        self.limits = {"pair": per_name_and_address, "name": per_name, "address": per_address}
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], list[float]] = {}

    def _keys(self, name: str, address: str) -> dict[str, tuple[str, str]]:
        return {
            "pair": ("pair", f"{name}\x00{address}"),
            "name": ("name", name),
            "address": ("address", address),
        }

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        kept = [moment for moment in self._failures.get(key, []) if now - moment < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def retry_after(self, name: str, address: str) -> float:
        """Seconds until sign-in may be tried again for this name from this address (0: now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for kind, key in self._keys(name, address).items():
                recent = self._recent(key, now)
                limit = self.limits[kind]
                if len(recent) >= limit:
                    # the lock lifts when enough failures have aged out to leave room for one more
                    wait = max(wait, recent[len(recent) - limit] + self.window - now)
        return wait

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(name, address).values():
                self._recent(key, now)
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, address)["pair"], None)

    def reset(self) -> None:
        """Forget every failure: every lock lifts at once (a restart of the server does the same)."""
        with self._lock:
            self._failures.clear()


# ------------------------------------------------------------------------------------------ Flask wiring


class SignedInUser(UserMixin):
    """The Flask-Login user: a name and a role, nothing else kept in the session."""

    def __init__(self, record: UserRecord) -> None:
        self.id = record.name
        self.role = record.role


def secret_key() -> str:
    """RCM_SECRET_KEY, else a random key kept in $RCM_HOME (0600) so sessions survive a restart."""
    from_env = os.environ.get("RCM_SECRET_KEY")
    if from_env:
        return from_env
    home = get_settings().home
    key_file = home / "dashboard_secret.key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def init_auth(server: Any, dash_app: Any, throttle: SignInThrottle | None = None) -> None:
    """Attach Flask-Login, the sign-in routes and the request guard to the Flask `server`."""
    throttle = throttle or SignInThrottle()
    server.extensions["rcm_sign_in_throttle"] = throttle
    from flask import Response, jsonify, redirect, request, session
    from flask_login import LoginManager, current_user, login_user, logout_user

    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_NAME="rcm_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
    )
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.init_app(server)

    @manager.user_loader
    def load_user(user_id: str) -> SignedInUser | None:
        record = load_users().get(user_id)
        return SignedInUser(record) if record else None

    def home_for(role: str | None) -> str:
        return HOME_BY_ROLE.get(role or "", "/login")

    def safe_next(target: str | None) -> str | None:
        if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
            return None
        return target

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if current_user.is_authenticated:
            return redirect(home_for(current_user.role))
        error = ""
        status = 200
        if request.method == "POST":
            token = session.get("login_csrf", "")
            sent = request.form.get("csrf", "")
            name = request.form.get("username", "").strip().lower()
            address = request.remote_addr or "-"
            shown_name = name if USER_NAME.match(name) else "(invalid name)"
            record = None
            wait = throttle.retry_after(name, address)
            if wait > 0:
                log.warning("sign-in refused, too many failures: user=%s", shown_name)
                error = f"Too many failed sign-ins. Try again in {max(1, round(wait / 60))} minute(s)."
                status = 429
            elif token and hmac.compare_digest(token, sent):
                record = verify_password(name, request.form.get("password", ""))
            if record is not None:
                throttle.succeeded(name, address)
                session.pop("login_csrf", None)
                login_user(SignedInUser(record))
                session.permanent = True
                log.info("sign-in: user=%s role=%s", record.name, record.role)
                wanted = safe_next(request.form.get("next"))
                page = page_for_path(wanted)
                if wanted and (page is None or allowed(record.role, page.key)):
                    return redirect(wanted)
                return redirect(home_for(record.role))
            if not error:
                throttle.failed(name, address)
                log.warning("sign-in refused for user=%s", shown_name)
                error = "Wrong user name or password."
                status = 401
        session["login_csrf"] = secrets.token_urlsafe(24)
        body = _login_page(
            session["login_csrf"], safe_next(request.args.get("next") or request.form.get("next")), error
        )
        return Response(body, status=status, mimetype="text/html")

    @server.route("/logout")
    def logout() -> Any:
        logout_user()
        session.clear()
        return redirect("/login")

    def refuse(message: str) -> Response:
        page = _message_page(
            "Not available for your role", message, home_for(getattr(current_user, "role", None))
        )
        return Response(page, status=403, mimetype="text/html")

    def guard_request() -> Any:
        path = request.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None
        if not current_user.is_authenticated:
            if path.startswith("/_"):
                return jsonify({"error": "sign in required"}), 401
            return redirect("/login" + ("?next=" + path if page_for_path(path) else ""))
        role = current_user.role
        if path == "/_dash-update-component":
            reason = _callback_refusal(dash_app, request.get_json(silent=True) or {}, role)
            if reason:
                log.warning("callback refused: user=%s role=%s: %s", current_user.get_id(), role, reason)
                return jsonify({"error": "not allowed for your role"}), 403
            return None
        if path == "/":
            return redirect(home_for(role))
        page = page_for_path(path)
        if page is not None and not allowed(role, page.key):
            log.warning("page refused: user=%s role=%s page=%s", current_user.get_id(), role, page.key)
            return refuse(f"The {page.title} page is not part of the {role} role.")
        return None

    server.before_request(guard_request)


def _callback_refusal(dash_app: Any, body: dict[str, Any], role: str) -> str | None:
    """Why this `_dash-update-component` body must not run for `role`, or None when it may."""
    output = body.get("output")
    if not isinstance(output, str):
        return "no output named"
    if ROUTER_OUTPUT in output:
        pathname = next(
            (
                item.get("value")
                for item in body.get("inputs") or []
                if isinstance(item, dict) and item.get("property") == "pathname"
            ),
            None,
        )
        page = page_for_path(pathname if isinstance(pathname, str) else None)
        if page is not None and not allowed(role, page.key):
            return f"page {page.key} is not open to {role}"
        return None
    owner = owner_of(dash_app.callback_map.get(output))
    if owner is None:
        return f"callback {output[:80]!r} has no owning page"
    if owner != SHELL and not allowed(role, owner):
        return f"callback of page {owner} is not open to {role}"
    return None


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f4f6f8;color:#1f2933;
margin:0;display:flex;align-items:center;justify-content:center;min-height:100vh}
.card{background:#fff;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px 36px;width:340px}
h1{font-size:20px;margin:0 0 4px}p{color:#52606d;font-size:14px;margin:0 0 20px}
label{display:block;font-size:13px;font-weight:600;margin:12px 0 4px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:9px 10px;border:1px solid #cbd2d9;
border-radius:6px;font-size:15px}button{margin-top:20px;width:100%;padding:10px;border:0;border-radius:6px;
background:#1f6feb;color:#fff;font-size:15px;font-weight:600;cursor:pointer}
.error{color:#b42318;font-size:14px;margin-top:12px}a{color:#1f6feb}
"""


def _login_page(csrf: str, next_path: str | None, error: str) -> str:
    hidden_next = f'<input type="hidden" name="next" value="{html.escape(next_path)}">' if next_path else ""
    error_html = f'<div class="error" role="alert">{html.escape(error)}</div>' if error else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · RCM dashboards</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body><form class="card" method="post" action="/login" id="login-form">
<h1>RCM dashboards</h1><p>Sign in to see the revenue cycle.</p>
<input type="hidden" name="csrf" value="{html.escape(csrf)}">{hidden_next}
<label for="username">User name</label><input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">Sign in</button>{error_html}</form></body></html>"""


def _message_page(title: str, message: str, home: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style></head><body><div class="card" id="refused"><h1>{html.escape(title)}</h1>
<p>{html.escape(message)}</p><p><a href="{html.escape(home)}">Go to your start page</a> · <a href="/logout">Sign out</a></p>
</div></body></html>"""
