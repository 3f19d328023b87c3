"""Transparent huge pages off for the span of a load (Linux ``prctl(PR_SET_THP_DISABLE)``).

Where the kernel backs memory with huge pages whenever it can (``/sys/kernel/mm/transparent_hugepage/
enabled`` set to ``always``, the default of Red Hat-family systems and of our CI machines), the 835
reader's short-lived arrays made the loader spend more time in the kernel than it saved: each fresh
2 MB region is zeroed whole on its first touch, and the allocators hand memory back and take it
again batch after batch. Loading the 100k demo's 1,219 small 835s took 4.11-4.45 s (1.88-2.60 s of
it system time) with huge pages and 3.22-3.39 s (0.99-1.45 s) without; the 1M demo's 835s
19.5-21.0 s against 16.4-17.0 s, with a lower peak (docs/benchmarks.md, "Runs of 2026-12-02
06:32"). Where huge pages are only used on request (``madvise``, or ``never``) this changes nothing.

The setting is the process's, inherited by processes it starts (837 parser workers started during a
load inherit it; the dbt process ``rcm build`` starts ahead does not, it is started before the load).
It is restored when the last load running in the process ends. ``RCM_LOADER_HUGE_PAGES=keep`` leaves
the kernel's choice alone (to measure both ways).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterator

PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42
KEEP_ENV = "RCM_LOADER_HUGE_PAGES"

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


@contextlib.contextmanager
def without_huge_pages() -> Iterator[bool]:
    """Turn transparent huge pages off for this process while the block runs; yields whether they
    are off inside it. Nested and concurrent holders (threads) share one setting: the first turns it
    on, the last out restores what was there before. A setting made before (by the caller, or
    inherited) is left as it was."""
    global _holders, _restore
    if os.environ.get(KEEP_ENV, "").strip().lower() == "keep":
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
