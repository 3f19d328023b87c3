"""`rcm` runs with transparent huge pages off; the loader turns them off while it loads, and gives
the setting back after."""

from __future__ import annotations

import subprocess
import sys
import threading
from decimal import Decimal as D

import pytest
from x12_fixtures import Remit, balanced_claim, remit_835

from orchestration.lib import huge_pages
from orchestration.lib.huge_pages import huge_pages_disabled, without_huge_pages
from orchestration.lib.loader import load_files

REMIT = Remit("0001", D("100.00"), [balanced_claim("PCN1", "200.00", "100.00")])


@pytest.fixture(autouse=True)
def linux_prctl(monkeypatch: pytest.MonkeyPatch) -> None:
    if huge_pages_disabled() is None:
        pytest.skip("no prctl(PR_GET_THP_DISABLE) here (not Linux, or a kernel older than 3.15)")
    if huge_pages_disabled():
        pytest.skip("this test process was started with huge pages off (under rcm?): nothing to turn off")
    monkeypatch.delenv(huge_pages.KEEP_ENV, raising=False)


def test_off_inside_restored_after() -> None:
    with without_huge_pages() as off:
        assert off is True
        assert huge_pages_disabled() is True
    assert huge_pages_disabled() is False


def test_nested_and_concurrent_holders_share_one_setting() -> None:
    inner_done = threading.Event()
    release = threading.Event()
    seen: list[bool | None] = []

    def other_thread() -> None:
        with without_huge_pages():
            inner_done.set()
            release.wait(10)
        seen.append(huge_pages_disabled())  # the main thread still holds it: still off

    with without_huge_pages():
        with without_huge_pages():
            pass
        assert huge_pages_disabled() is True  # the inner holder's exit did not turn them back on
        thread = threading.Thread(target=other_thread)
        thread.start()
        assert inner_done.wait(10)
        release.set()
        thread.join(10)
        assert huge_pages_disabled() is True
    assert seen == [True]
    assert huge_pages_disabled() is False


def test_a_setting_made_before_is_left_as_it_was() -> None:
    prctl = huge_pages._prctl()
    assert prctl(huge_pages.PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
    try:
        with without_huge_pages() as off:
            assert off is True
        assert huge_pages_disabled() is True  # not ours to restore
    finally:
        prctl(huge_pages.PR_SET_THP_DISABLE, 0, 0, 0, 0)


def test_keep_leaves_the_kernel_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(huge_pages.KEEP_ENV, "keep")
    with without_huge_pages() as off:
        assert off is False
        assert huge_pages_disabled() is False


def test_a_load_runs_without_huge_pages_and_restores_them(settings, files) -> None:
    (files / "remit_1.835").write_text(remit_835([REMIT]))
    during: list[bool | None] = []

    [result] = load_files(
        [files], settings, before_commit=lambda con, result: during.append(huge_pages_disabled())
    )

    assert result.status == "loaded"
    assert during == [True]
    assert huge_pages_disabled() is False


def _rcm_status(env: dict[str, str]) -> str:
    """What the `rcm` console script's process says of its huge pages while its command runs."""
    command = (
        "import orchestration.cli as cli\n"
        "status = lambda: open('/proc/self/status').read().split('THP_enabled:')[1].split()[0]\n"
        "cli.main = lambda: print(status(), flush=True) or 0\n"
        "cli.console_main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", command], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_rcm_command_runs_without_huge_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    from pathlib import Path

    if "THP_enabled:" not in Path("/proc/self/status").read_text():
        pytest.skip("this kernel's /proc/<pid>/status has no THP_enabled line (older than 5.0)")
    env = {key: value for key, value in os.environ.items() if key != huge_pages.KEEP_ENV}
    assert _rcm_status(env) == "0"  # THP_enabled 0: off for the command and what it starts
    assert _rcm_status({**env, huge_pages.KEEP_ENV: "keep"}) == "1"
