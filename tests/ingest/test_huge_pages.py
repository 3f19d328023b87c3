"""`rcm` runs with transparent huge pages off; the loader turns them off while it loads, and gives
the setting back after."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from x12_fixtures import Remit, balanced_claim, remit_835

from orchestration.lib import huge_pages
from orchestration.lib.huge_pages import huge_pages_disabled, without_huge_pages
from orchestration.lib.loader import load_files

REMIT = Remit("0001", D("100.00"), [balanced_claim("PCN1", "200.00", "100.00")])


@pytest.fixture(autouse=True)
def linux_prctl(monkeypatch: pytest.MonkeyPatch) -> None:
    # decided by the platform, not by the code under test (a broken prctl lookup must fail, not skip)
    if not sys.platform.startswith("linux"):
        pytest.skip("transparent huge pages are a Linux setting")
    monkeypatch.delenv(huge_pages.KEEP_ENV, raising=False)
    state = huge_pages_disabled()
    assert state is not None, "prctl(PR_GET_THP_DISABLE) did not answer (Linux 3.15 has it)"
    if state:
        pytest.skip("this test process was started with huge pages off (under rcm?): nothing to turn off")


def _state() -> int:
    return huge_pages._prctl()(huge_pages.PR_GET_THP_DISABLE, 0, 0, 0, 0)


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


def test_an_error_inside_still_restores() -> None:
    with pytest.raises(RuntimeError), without_huge_pages():
        raise RuntimeError("a load that failed")
    assert huge_pages_disabled() is False
    with without_huge_pages():  # and the count is back at zero: the next holder turns them off again
        assert huge_pages_disabled() is True
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


def test_off_except_where_advised_becomes_off_and_comes_back() -> None:
    """Linux 6.18's partial setting still lets madvised regions (Arrow's allocator's) have huge
    pages: inside, they are refused everywhere; after, the partial setting is back."""
    prctl = huge_pages._prctl()
    if prctl(huge_pages.PR_SET_THP_DISABLE, 1, huge_pages.PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0) != 0:
        pytest.skip("this kernel has no PR_THP_DISABLE_EXCEPT_ADVISED (older than 6.18)")
    try:
        assert _state() == 3 and huge_pages_disabled() is False
        with without_huge_pages() as off:
            assert off is True and _state() == 1
        assert _state() == 3
    finally:
        prctl(huge_pages.PR_SET_THP_DISABLE, 0, 0, 0, 0)


def test_keep_leaves_the_kernel_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(huge_pages.KEEP_ENV, "keep")
    with without_huge_pages() as off:
        assert off is False
        assert huge_pages_disabled() is False
    assert huge_pages.turn_off_for_this_process() is False
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


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _env(**extra: str) -> dict[str, str]:
    return {**{key: value for key, value in os.environ.items() if key != huge_pages.KEEP_ENV}, **extra}


def test_turned_off_for_good_while_a_load_holds_it_stays_off() -> None:
    code = (
        "from orchestration.lib.huge_pages import *\n"
        "with without_huge_pages():\n"
        "    print(turn_off_for_this_process())\n"
        "print(huge_pages_disabled())\n"
    )
    assert _python(code, _env()).split() == ["True", "True"]  # the load's exit did not undo it


def test_the_rcm_command_runs_without_huge_pages() -> None:
    if not Path("/sys/kernel/mm/transparent_hugepage").is_dir():
        pytest.skip("this kernel has no transparent huge pages: THP_enabled reads 0 either way")
    if "THP_enabled:" not in Path("/proc/self/status").read_text():
        pytest.skip("this kernel's /proc/<pid>/status has no THP_enabled line (older than 5.0)")
    # what the `rcm` console script's process says of its huge pages while its command runs
    code = (
        "import orchestration.cli as cli\n"
        "status = lambda: open('/proc/self/status').read().split('THP_enabled:')[1].split()[0]\n"
        "cli.main = lambda: print(status(), flush=True) or 0\n"
        "cli.console_main()\n"
    )
    assert _python(code, _env()) == "0"  # THP_enabled 0: off for the command and what it starts
    assert _python(code, _env(**{huge_pages.KEEP_ENV: "keep"})) == "1"
