"""Transparent huge pages off for `rcm` and its processes (Linux ``prctl(PR_SET_THP_DISABLE)``).

Arrow's memory allocator (the mimalloc it bundles) reserves 1 GiB arenas and asks the kernel for
huge pages on them (``madvise(MADV_HUGEPAGE)``), which the kernel grants under its ``always`` and
``madvise`` policies alike (``/sys/kernel/mm/transparent_hugepage/enabled``; ``madvise`` on our CI and
bench machines, the default of most distributions). It then hands freed 64 KiB slices back
(``MADV_DONTNEED``) and touches them again batch after batch, and each touch of a huge-page region
has the kernel zero up to 2 MB. The 835 reader's short-lived arrays paid for that in system time.
Measured on such a machine (docs/benchmarks.md, "Runs of 2026-12-02 06:32"):
- loading the 100k demo's 1,219 small 835s: 4.11-5.16 s (system time 1.9-4.1 s) with huge pages,
  3.22-3.62 s (1.0-1.9 s) without; the 1M demo's 835s 18.9-21.0 s against 15.0-18.5 s;
- the 1M demo's full `rcm build` (dbt and DuckDB): 157.6 and 189.7 s against 136.1 and 145.3 s;
- the daily increment's build: no difference (23.2-25.8 s either way).
Under the ``never`` policy none of this changes anything.

The `rcm` console script turns them off for its process at start (``turn_off_for_this_process``);
the setting is inherited by every process it starts (dbt, parser workers). ``load_files`` also turns
them off for its span (``without_huge_pages``), for callers that are not `rcm` (Dagster's own
processes, tests). ``RCM_HUGE_PAGES=keep`` leaves the kernel's choice alone, without a system call
(to measure both ways, or where a seccomp filter would kill the process for the call).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator

PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42
# PR_GET_THP_DISABLE's answer: 0 allowed, 1 refused, 1 | this (Linux 6.18+) refused except where
# a program asked with madvise, which is where Arrow's allocator asks
PR_THP_DISABLE_EXCEPT_ADVISED = 1 << 1
KEEP_ENV = "RCM_HUGE_PAGES"

_lock = threading.Lock()
_holders = 0
_restore: int | None = None  # the answer the outermost holder found, when it changed it (to put back)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).prctl
    except (OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return function


def _state(prctl: Callable[..., int]) -> int:
    """PR_GET_THP_DISABLE's answer (below 0: the kernel cannot tell)."""
    return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)


def _set(prctl: Callable[..., int], state: int) -> bool:
    """Put back an answer of PR_GET_THP_DISABLE (0, 1 or 3), or 1 to refuse huge pages everywhere."""
    if state & 1:
        return prctl(PR_SET_THP_DISABLE, 1, state & ~1, 0, 0) == 0
    return prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0) == 0


def huge_pages_disabled() -> bool | None:
    """Whether this process refuses transparent huge pages everywhere, madvised regions included
    (None: cannot tell, not Linux or a kernel older than 3.15)."""
    prctl = _prctl()
    if prctl is None:
        return None
    answer = _state(prctl)
    return None if answer < 0 else answer == 1


def _keep() -> bool:
    return os.environ.get(KEEP_ENV, "").strip().lower() == "keep"


def turn_off_for_this_process() -> bool:
    """Huge pages off for this process and the processes it starts from now on, for good (the `rcm`
    console script, at its start); returns whether they are off."""
    global _restore
    prctl = None if _keep() else _prctl()
    if prctl is None:
        return False
    with _lock:
        _restore = None  # for good: a load running now must not put the old setting back
        return _set(prctl, 1) and _state(prctl) == 1


@contextlib.contextmanager
def without_huge_pages() -> Iterator[bool]:
    """Turn transparent huge pages off for this process while the block runs; yields whether they
    are off inside it. Nested and concurrent holders (threads) share one setting: the first turns it
    off, the last out restores what was there before. A setting already off (by the caller, or
    inherited) is left as it was."""
    global _holders, _restore
    prctl = None if _keep() else _prctl()
    if prctl is None:
        yield False
        return
    entered = False
    try:
        with _lock:
            if _holders == 0:
                before = _state(prctl)
                _restore = before if before >= 0 and before != 1 and _set(prctl, 1) else None
            _holders += 1
            entered = True
            off = _state(prctl) == 1
        yield off
    finally:
        if entered:
            with _lock:
                _holders -= 1
                if _holders == 0 and _restore is not None:
                    _set(prctl, _restore)
                    _restore = None
