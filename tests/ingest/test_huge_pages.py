"""The loader turns transparent huge pages off while it loads, and gives the setting back after."""

from __future__ import annotations

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
    monkeypatch.delenv(huge_pages.KEEP_ENV, raising=False)
    assert huge_pages_disabled() is False  # what every test below starts from, and must leave


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
