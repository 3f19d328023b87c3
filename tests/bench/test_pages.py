"""The page-render benchmark runs end to end in headless Chromium and reports a time for every page.

Uses the dashboard tests' synthetic snapshot home (the `dash_home` fixture of tests/dashboards/conftest.py,
loaded under its own module name so `conftest` imports elsewhere are untouched). Times are only checked
to be positive: no test asserts how fast a page is.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from orchestration.bench.pages import CHROMIUM, PAGE_SPECS, measure_pages

pytestmark = pytest.mark.browser

DASH_TESTS = Path(__file__).resolve().parents[1] / "dashboards"


def _dashboard_fixtures() -> ModuleType:
    if str(DASH_TESTS) not in sys.path:
        sys.path.insert(0, str(DASH_TESTS))  # its conftest imports dash_snapshot_fixture
    spec = importlib.util.spec_from_file_location("rcm_dashboard_test_fixtures", DASH_TESTS / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dash_home = _dashboard_fixtures().dash_home  # the session fixture itself: 320 synthetic claims


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed at /usr/bin/chromium")
def test_every_page_renders_with_a_time_and_no_console_errors(dash_home: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    result = measure_pages(dash_home, repeats=1)

    assert result["login_ms"] > 0
    assert result["login_console_errors"] == 0
    assert set(result["pages"]) == {spec.key for spec in PAGE_SPECS}
    for key, figures in result["pages"].items():
        assert figures["p50_ms"] > 0 and figures["max_ms"] >= figures["p50_ms"], key
        assert figures["console_errors"] == 0, key
    # The home is only read: the server's audit log and users file live in a temporary home.
    assert not (dash_home / "logs" / "audit.log").exists()
