"""How fast the dashboard pages render in a real browser: time to first render per page, and sign-in.

`measure_pages(home)` starts `rcm serve` on a free port of 127.0.0.1 over the snapshot published in
`home` (read only: the server runs with a temporary RCM_HOME whose `snapshots` is a link to
`home/snapshots`, so the audit lines of these synthetic views and the temporary users file never land
in `home`), signs in as a `manager` (the role that may open every page) in headless Debian Chromium
through Playwright, and loads every page `repeats` times.

What is timed, all in the browser's clock (`performance.now()`, which counts from the navigation's
start):

- a page: from navigation start (`page.goto`) until every plotly graph on it has drawn traces (at least
  as many graphs as the page always shows, sparklines included) and every grid it fills has rendered
  rows. The condition is polled on every animation frame; there is no fixed sleep.
- sign-in (`login_ms`): from submitting the sign-in form (the POST navigation's start, through the
  redirect) until the landing page's layout is on screen (its charts are not waited for).

Each repeat is a fresh browser context (cold HTTP cache, new session): sign in, then load each page once
in order. Page loads therefore run with the bundles cached by the sign-in. The claim-detail page shows
the first claim of the work list, opened once per session by clicking its account number (the claim id
then sits in the tab's session storage, as for a biller; it never travels in the URL); the timed loads
navigate to /claim-detail.

Console errors (console messages of type error and uncaught page errors) are counted per page over all
its loads, including those that arrive until the page is network-idle after it rendered. Only counts are
reported: no message text, claim id or account number is printed or logged.

    python -m orchestration.bench.pages --home "$RCM_HOME" [--repeats 3] [--screenshots docs/img]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER = "bench-manager"
ROLE = "manager"
SERVER_START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 120_000
IDLE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    min_graphs: int  # plotly graphs the page always draws once loaded (sparklines included)
    grids: tuple[str, ...]  # AG Grid ids the page fills on load


PAGE_SPECS = (
    PageSpec("overview", "/overview", 7, ()),
    PageSpec("denials", "/denials", 6, ()),  # its drill-down grid fills only on a click
    PageSpec("payer-lag", "/payer-lag", 5, ("payer-lag-payer-grid",)),
    PageSpec("ar-aging", "/ar-aging", 2, ("ar-aging-largest",)),
    PageSpec("work-list", "/work-list", 0, ("work-list-grid",)),
    PageSpec("claim-detail", "/claim-detail", 1, ("claim-detail-events",)),
)

# Truthy (the render time in ms since navigation start) once the page's charts and grids show data.
RENDERED = """(spec) => {
    if (!document.querySelector('.page')) return false;
    const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
    if (graphs.length < spec.min_graphs) return false;
    const drawn = graphs.every(g =>
        Array.isArray(g.data) && g.data.length > 0 && Array.isArray(g._fullData) && g._fullData.length > 0
        && g.querySelector('.main-svg') !== null
        && g.querySelector('.main-svg g.trace, .main-svg g.hm, .main-svg image') !== null);
    if (!drawn) return false;
    for (const id of spec.grids) {
        let rows = 0;
        try { rows = window.dash_ag_grid.getApi(id).getDisplayedRowCount(); } catch (e) { return false; }
        const element = document.getElementById(id);
        if (!rows || !element || !element.querySelector('.ag-center-cols-container .ag-row')) return false;
    }
    return performance.now();
}"""
SHELL_RENDERED = "() => document.querySelector('.page') ? performance.now() : false"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_home(snapshot_home: Path) -> Path:
    snapshots = Path(snapshot_home).resolve() / "snapshots"
    pointer = snapshots / "CURRENT"
    if not pointer.is_file():
        raise FileNotFoundError(
            f"no published snapshot in {snapshot_home} (no snapshots/CURRENT); run `rcm build`"
        )
    sid = pointer.read_text(encoding="utf-8").strip()
    if not (snapshots / sid).is_dir():
        raise FileNotFoundError(f"snapshots/CURRENT in {snapshot_home} names a missing snapshot")
    return snapshots


@contextmanager
def serve(snapshot_home: Path, password: str) -> Iterator[str]:
    """`rcm serve` over `snapshot_home`'s snapshots on a free port; yields its base URL; kills it by pid."""
    from dashboards.auth import add_user

    snapshots = _check_home(snapshot_home)
    with tempfile.TemporaryDirectory(prefix="rcm-bench-pages-") as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        (home / "snapshots").symlink_to(snapshots, target_is_directory=True)
        users_file = home / "users.toml"
        add_user(USER, ROLE, password, path=users_file)
        port = free_port()
        env = {
            **os.environ,
            "RCM_HOME": str(home),
            "RCM_USERS_FILE": str(users_file),
            "RCM_SECRET_KEY": secrets.token_hex(16),
            "RCM_LOG_LEVEL": "WARNING",
        }
        log_path = Path(scratch) / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "orchestration.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + SERVER_START_TIMEOUT_S
                while True:
                    try:
                        with urllib.request.urlopen(base + "/login", timeout=2) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        pass
                    if process.poll() is not None or time.monotonic() > deadline:
                        # Start-up output only (no page has been served): safe to show.
                        tail = log_path.read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"rcm serve did not start on {base}:\n{tail}")
                    time.sleep(0.3)
                yield base
            finally:
                process.kill()
                process.wait(timeout=10)


class _Session:
    """One browser context signed in as the bench manager; counts console errors by page key."""

    def __init__(self, browser: Any, base: str, password: str, errors: dict[str, int]) -> None:
        self.base = base
        self.errors = errors
        self.current = "login"
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page.on("console", lambda message: self._error() if message.type == "error" else None)
        self.page.on("pageerror", lambda _error: self._error())
        self.password = password

    def _error(self) -> None:
        self.errors[self.current] = self.errors.get(self.current, 0) + 1

    def login(self) -> float:
        """Sign in; ms from the form's submission to the landing page's layout."""
        self.current = "login"
        page = self.page
        page.goto(self.base + "/login")
        page.fill("#username", USER)
        page.fill("#password", self.password)
        page.click("#login-submit")
        page.wait_for_url(lambda url: "/login" not in url, wait_until="commit")
        elapsed = float(page.wait_for_function(SHELL_RENDERED, polling="raf").json_value())
        page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
        return elapsed

    def open_first_claim(self) -> None:
        """Open the work list's first claim by its account number (puts it in session storage)."""
        self.current = "claim-detail"
        page = self.page
        work_list = next(spec for spec in PAGE_SPECS if spec.key == "work-list")
        page.goto(self.base + work_list.path, wait_until="commit")
        page.wait_for_function(RENDERED, arg=_js_spec(work_list), polling="raf")
        page.click("#work-list-grid .ag-row[row-index='0'] [col-id='patient_control_number']")
        page.wait_for_url(lambda url: url.split("?")[0].endswith("/claim-detail"), wait_until="commit")
        detail = next(spec for spec in PAGE_SPECS if spec.key == "claim-detail")
        page.wait_for_function(RENDERED, arg=_js_spec(detail), polling="raf")
        page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)

    def load(self, spec: PageSpec) -> float:
        """ms from navigation start until the page's charts and grids show data."""
        self.current = spec.key
        page = self.page
        page.goto(self.base + spec.path, wait_until="commit")
        elapsed = float(page.wait_for_function(RENDERED, arg=_js_spec(spec), polling="raf").json_value())
        # Not timed: let late callbacks finish (their errors count for this page) before moving on.
        page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
        return elapsed

    def close(self) -> None:
        self.context.close()


def _js_spec(spec: PageSpec) -> dict[str, Any]:
    return {"min_graphs": spec.min_graphs, "grids": list(spec.grids)}


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def measure_pages(snapshot_home: Path, repeats: int = 3, screenshots: Path | None = None) -> dict[str, Any]:
    """Time to first render of every dashboard page (p50/max over `repeats` loads, ms) and sign-in time.

    Returns {"login_ms": p50, "login_max_ms": max, "login_console_errors": n, "repeats": repeats,
    "snapshot": id, "pages": {key: {"p50_ms", "max_ms", "console_errors"}}} with keys overview, denials,
    payer-lag, ar-aging, work-list, claim-detail. With `screenshots`, the last load of each page is
    also saved there as `<key>.png` (full page, 1400 px wide): how docs/img/ is made from the demo.
    """
    from playwright.sync_api import sync_playwright

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"headless Chromium is not installed at {CHROMIUM}")
    snapshot_id = (_check_home(Path(snapshot_home)) / "CURRENT").read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(18)
    errors: dict[str, int] = {}
    logins: list[float] = []
    loads: dict[str, list[float]] = {spec.key: [] for spec in PAGE_SPECS}
    with serve(Path(snapshot_home), password) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            for repeat in range(repeats):
                session = _Session(browser, base, password, errors)
                try:
                    logins.append(session.login())
                    session.open_first_claim()
                    for spec in PAGE_SPECS:
                        loads[spec.key].append(session.load(spec))
                        if screenshots is not None and repeat == repeats - 1:
                            screenshots.mkdir(parents=True, exist_ok=True)
                            session.page.screenshot(path=str(screenshots / f"{spec.key}.png"), full_page=True)
                finally:
                    session.close()
        finally:
            browser.close()
    return {
        "login_ms": _summary(logins)["p50_ms"],
        "login_max_ms": _summary(logins)["max_ms"],
        "login_console_errors": errors.get("login", 0),
        "repeats": repeats,
        "snapshot": snapshot_id,
        "pages": {
            key: {**_summary(samples), "console_errors": errors.get(key, 0)} for key, samples in loads.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.bench.pages",
        description="Time to first render of every dashboard page in headless Chromium (JSON on stdout).",
    )
    parser.add_argument("--home", type=Path, required=True, help="RCM_HOME holding a published snapshot")
    parser.add_argument("--repeats", type=int, default=3, help="loads per page (default 3)")
    parser.add_argument(
        "--screenshots", type=Path, help="also save each page's last load as <key>.png in this folder"
    )
    args = parser.parse_args(argv)
    print(json.dumps(measure_pages(args.home, repeats=args.repeats, screenshots=args.screenshots), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
