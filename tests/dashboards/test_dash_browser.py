"""Real-browser checks of `rcm serve` (headless Debian Chromium through Playwright): every page loads
after sign-in with data in its charts and grids, no console errors and no chart drawn twice to widen
its margins; the work list filters and
exports; signed-out requests get the sign-in page; roles cannot open each other's pages or data.

Screenshots of every page go to tests/artifacts/screenshots/<page>.png (gitignored).
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from dash_helpers import PASSWORD, callback_body

from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO_ROOT / "tests" / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# page path -> how many plotly graphs must hold data once it has loaded (sparklines included)
MANAGER_PAGES = {"/overview": 7, "/denials": 6, "/payer-lag": 5, "/ar-aging": 2, "/work-list": 0}
ALL_GRAPHS_HAVE_DATA = """(expected) => {
    const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
    return graphs.length >= expected && graphs.every(g => Array.isArray(g.data) && g.data.length > 0);
}"""
HEATMAP_ROWS = """(() => {
    const graph = document.querySelector('#denials-heatmap .js-plotly-plot');
    return graph && graph.data && graph.data[0] && graph.data[0].y ? graph.data[0].y.length : -1;
})()"""
# Charts whose laid-out margins differ from the margins their figure asked for: plotly.js widened
# them (automargin) and drew the chart a second time. fit_margins exists so that this stays empty.
MARGINS_WIDENED = """(() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(g => {
    const m = g.layout.margin || {}, s = g._fullLayout._size;
    return ['l', 'r', 't', 'b'].some(side => m[side] !== s[side]);
}).map(g => [g.parentNode.id, JSON.stringify(g.layout.margin), JSON.stringify(g._fullLayout._size)]))()"""
# Y tick labels closer than 4 px to their plot (left axes: the label's right edge; right axes: its left
# edge): plotly.js's own gap is ~1 px, and a horizontal bar's longest label touched its bar.
LABELS_TOUCHING = """(() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(g => {
    const plot = g.querySelector('.nsewdrag');
    if (!plot) return [];
    const box = plot.getBoundingClientRect();
    return Array.from(g.querySelectorAll('.ytick text, .y2tick text')).filter(t => t.textContent).map(t => {
        const r = t.getBoundingClientRect();
        const gap = r.right <= box.left + 1 ? box.left - r.right : r.left - box.right;
        return [g.parentNode.id, t.textContent, Math.round(gap)];
    }).filter(([, , gap]) => gap < 4);
}))()"""
# Rows the grid holds (through its API: the DOM only has the rows scrolled into view).
GRID_ROWS = """(id) => {
    try { return window.dash_ag_grid.getApi(id).getDisplayedRowCount(); } catch (e) { return -1; }
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(dash_home: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed at /usr/bin/chromium")
    port = free_port()
    env = {
        **os.environ,
        "RCM_HOME": str(dash_home),
        "RCM_USERS_FILE": str(dash_home / "users.toml"),
        "RCM_SECRET_KEY": "browser-tests-only",
        "RCM_LOG_LEVEL": "WARNING",
    }
    log = (dash_home / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((dash_home / "serve.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        yield base
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed at /usr/bin/chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Session:
    """One signed-in browser context, with the console errors it has seen."""

    def __init__(self, browser: Any, base: str, user: str | None) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if user:
            self.page.goto(base + "/login")
            self.page.fill("#username", user)
            self.page.fill("#password", PASSWORD)
            self.page.click("#login-submit")
            self.page.wait_for_load_state("networkidle")

    def open(self, path: str, graphs: int = 0) -> Any:
        self.page.goto(self.base + path)
        self.page.wait_for_selector(".page", timeout=30_000)
        if graphs:
            self.page.wait_for_function(ALL_GRAPHS_HAVE_DATA, arg=graphs, timeout=30_000)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.mouse.move(0, 0)  # no hover label or mode bar in the picture
        self.page.wait_for_timeout(300)  # let charts finish their resize transition
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser: Any, server: str) -> Iterator[Any]:
    opened: list[Session] = []

    def make(user: str | None) -> Session:
        created = Session(browser, server, user)
        opened.append(created)
        return created

    yield make
    for created in opened:
        created.close()


def test_signed_out_visit_gets_the_sign_in_page(session: Any) -> None:
    visitor = session(None)
    visitor.page.goto(visitor.base + "/denials")
    assert "/login" in visitor.page.url
    assert visitor.page.is_visible("#login-form")
    visitor.shot("login")
    assert visitor.errors == []


def test_manager_pages_load_with_data_and_no_console_errors(session: Any, snapshot_dir: Path) -> None:
    manager = session("manny")
    for path, graphs in MANAGER_PAGES.items():
        page = manager.open(path, graphs)
        traces = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => g.data.length)"
        )
        assert len(traces) >= graphs and all(count > 0 for count in traces), (path, traces)
        assert page.evaluate(MARGINS_WIDENED) == [], path
        assert page.evaluate(LABELS_TOUCHING) == [], path
        if path == "/work-list":
            page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="work-list-grid")
        if path == "/denials":  # clicking a Pareto bar lists the claims behind it
            bar = page.locator("#denials-pareto-root g.point path").first.bounding_box()
            assert bar is not None
            page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
            page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="denials-drill-grid")
            assert page.inner_text("#denials-drill-title").startswith("Root cause: ")
        if path == "/ar-aging":
            page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="ar-aging-largest")
        manager.shot(path.strip("/"))
        assert manager.errors == [], (path, manager.errors)
    # Opening a claim from the work list: the claim id never reaches the URL.
    page = manager.open("/work-list")
    page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="work-list-grid")
    page.click("#work-list-grid .ag-row[row-index='0'] [col-id='patient_control_number']")
    page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="claim-detail-events", timeout=30_000)
    page.wait_for_function(ALL_GRAPHS_HAVE_DATA, arg=1)
    claim_id = page.input_value("#claim-detail-id")
    address = page.evaluate("window.location.href")
    assert len(claim_id) == 32 and claim_id not in address and address.endswith("/claim-detail")
    assert page.is_visible("#claim-detail-tile-balance")
    # Pasting a claim id works too: show one with a fuller story (denied, appealed, paid).
    claims = pq.read_table(snapshot_dir / "fct_claims.parquet").to_pylist()
    overturned = next(r for r in claims if r["current_status"] == "overturned")
    events = pq.read_table(snapshot_dir / "fct_claim_events.parquet").to_pylist()
    expected_events = sum(e["claim_id"] == overturned["claim_id"] for e in events)
    page.fill("#claim-detail-id", overturned["claim_id"])
    page.press("#claim-detail-id", "Enter")
    page.wait_for_function(
        "(id) => (" + GRID_ROWS + f")(id) === {expected_events}", arg="claim-detail-events"
    )
    assert overturned["patient_control_number"] in page.inner_text("#claim-detail-facts")
    assert page.evaluate(MARGINS_WIDENED) == []
    manager.shot("claim-detail")
    assert manager.errors == []


def test_global_filters_live_in_the_url(session: Any) -> None:
    manager = session("manny")
    page = manager.open("/denials?payer=MCR01", graphs=6)
    heat_rows = page.evaluate(
        "document.getElementById('denials-heatmap').querySelector('.js-plotly-plot').data[0].y"
    )
    assert heat_rows == ["Medicare Part B"]
    assert "Medicare Part B" in page.inner_text("#shell-payer")
    href = page.get_attribute("#shell-nav-payer-lag", "href")
    assert href == "/payer-lag?payer=MCR01"
    page.click("#shell-clear")
    page.wait_for_function("() => !window.location.search")
    page.wait_for_function(HEATMAP_ROWS + " > 1")
    assert manager.errors == []


def test_work_list_filters_and_exports(session: Any, snapshot_dir: Path) -> None:
    work = pq.read_table(snapshot_dir / "mart_work_list.parquet").to_pylist()
    expected = {r["claim_id"] for r in work if r["insurance_balance_amount"] >= Decimal("1000.00")}
    biller = session("bill")
    page = biller.open("/work-list")
    page.wait_for_function("(id) => (" + GRID_ROWS + ")(id) > 0", arg="work-list-grid")
    page.fill("#work-list-min-balance", "1000")
    page.press("#work-list-min-balance", "Enter")
    page.wait_for_function(
        "(n) => document.getElementById('work-list-count').innerText.startsWith(n + ' open claims match')",
        arg=len(expected),
    )
    assert page.evaluate(GRID_ROWS, "work-list-grid") == len(expected)
    with page.expect_download() as download_info:
        page.click("#work-list-export")
    download = download_info.value
    assert download.suggested_filename.startswith("work-list-") and download.suggested_filename.endswith(
        ".csv"
    )
    content = Path(download.path()).read_text()
    exported = list(csv.DictReader(io.StringIO(content)))
    assert {r["claim_id"] for r in exported} == expected
    assert all(Decimal(r["insurance_balance_amount"]) >= Decimal("1000.00") for r in exported)
    biller.shot("work-list-filtered")
    assert biller.errors == []


def test_biller_cannot_open_the_executive_page_or_its_data(session: Any) -> None:
    biller = session("bill")
    response = biller.page.goto(biller.base + "/overview")
    assert response is not None and response.status == 403
    assert biller.page.is_visible("#refused")
    biller.shot("refused-biller-overview")
    # The overview's data travels in the page router's answer: asked for directly, even by a path
    # Dash's router reads as /overview, it is refused.
    for pathname in ("/overview", "//overview/"):
        body = callback_body(
            [("_pages_content", "children"), ("_pages_store", "data")],
            [("_pages_location", "pathname", pathname), ("_pages_location", "search", "")],
        )
        direct = biller.page.request.post(biller.base + "/_dash-update-component", data=body)
        assert direct.status == 403, pathname
        assert "overview-waterfall" not in direct.text()
    nav = biller.open("/work-list").inner_text("#shell-nav")
    assert "Executive overview" not in nav and "Work list" in nav


def test_executive_cannot_open_biller_pages_or_their_data(session: Any) -> None:
    executive = session("ella")
    page = executive.open("/overview", graphs=7)
    assert "Work list" not in page.inner_text("#shell-nav")
    for path in ("/work-list", "/claim-detail", "/denials"):
        response = page.goto(executive.base + path)
        assert response is not None and response.status == 403, path
    body = callback_body(
        [("work-list-grid", "rowData"), ("work-list-count", "children")],
        [
            ("work-list-filters", "data", {}),
            ("work-list-root-cause", "value", None),
            ("work-list-biller", "value", None),
            ("work-list-min-age", "value", None),
            ("work-list-min-balance", "value", None),
        ],
    )
    assert executive.page.request.post(executive.base + "/_dash-update-component", data=body).status == 403


def test_aging_date_redraws_the_page_it_arrived_with(session: Any) -> None:
    """The A/R page comes drawn for its latest date; picking another date re-runs its callback."""
    manager = session("manny")
    page = manager.open("/ar-aging", MANAGER_PAGES["/ar-aging"])
    before = page.inner_text("#ar-aging-summary")
    assert "2024-12-31" in before
    page.fill("#ar-aging-as-of", "2024-06-30")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(b) => { const t = document.getElementById('ar-aging-summary').innerText; return t !== b; }",
        arg=before,
        timeout=30_000,
    )
    assert "2024-06-30" in page.inner_text("#ar-aging-summary")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(MARGINS_WIDENED) == []
    assert manager.errors == []
