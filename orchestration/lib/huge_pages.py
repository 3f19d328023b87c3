"""Transparent huge pages off for `rcm` and its processes (Linux ``prctl(PR_SET_THP_DISABLE)``).

Where the kernel backs memory with huge pages whenever it can (``/sys/kernel/mm/transparent_hugepage/
enabled`` set to ``always``, the default of Red Hat-family systems and of our CI machines), short-lived
large allocations cost more in the kernel than huge pages save: each fresh 2 MB region is zeroed whole
on its first touch, and the allocators hand memory back and take it again. Measured on such a machine
(docs/benchmarks.md, "Runs of 2026-12-02 06:32"):
- loading the 100k demo's 1,219 small 835s: 4.11-5.16 s (system time 1.9-4.1 s) with huge pages,
  3.22-3.62 s (1.0-1.9 s) without; the 1M demo's 835s 18.9-21.0 s against 15.0-18.5 s;
- the 1M demo's full `rcm build` (dbt and DuckDB): 157.6 and 189.7 s against 136.1 and 145.3 s;
- the daily increment's build: no difference (23.2-25.8 s either way).
Where huge pages are only used on request (``madvise``, or ``never``) none of this changes anything.

The `rcm` console script turns them off for its process at start (``turn_off_for_this_process``);
the setting is inherited by every process it starts (dbt, parser workers). ``load_files`` also turns
them off for its span (``without_huge_pages``), for callers that are not `rcm` (Dagster's own
processes, tests). ``RCM_HUGE_PAGES=keep`` leaves the kernel's choice alone (to measure both ways).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterator

PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42
KEEP_ENV = "RCM_HUGE_PAGES"

_lock = threading.Lock()
_holders = 0
_restore = False  # whether the outermost holder turned the setting on (and so turns it off again)


def _prctl():
    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None
    function.restype = ctypes.c_int
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return function


def huge_pages_disabled() -> bool | None:
    """Whether this process has transparent huge pages turned off (None: cannot tell, not Linux)."""
    prctl = _prctl()
    if prctl is None:
        return None
    answer = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)
    return None if answer < 0 else bool(answer)


def _keep() -> bool:
    return os.environ.get(KEEP_ENV, "").strip().lower() == "keep"


def turn_off_for_this_process() -> bool:
    """Huge pages off for this process and the processes it starts from now on, for good (the `rcm`
    console script, at its start); returns whether they are off."""
    if _keep():
        return bool(huge_pages_disabled())
    prctl = _prctl()
    if prctl is None:
        return False
    with _lock:
        return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 or bool(huge_pages_disabled())


@contextlib.contextmanager
def without_huge_pages() -> Iterator[bool]:
    """Turn transparent huge pages off for this process while the block runs; yields whether they
    are off inside it. Nested and concurrent holders (threads) share one setting: the first turns it
    on, the last out restores what was there before. A setting made before (by the caller, or
    inherited) is left as it was."""
    global _holders, _restore
    if _keep():
        yield bool(huge_pages_disabled())
        return
    prctl = _prctl()
    if prctl is None:
        yield False
        return
    with _lock:
        if _holders == 0:
            before = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0)
            _restore = before == 0 and prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
        _holders += 1
        off = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1
    try:
        yield off
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _restore:
                prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0)
                _restore = False
