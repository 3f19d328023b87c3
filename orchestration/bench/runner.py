"""Run a command as a child process and measure it: wall time, CPU time and the peak resident memory
of the whole process tree (the sum over the child and all its descendants, sampled from /proc).

CPU time comes from `os.wait4` on this child (its tree's, reaped descendants included). The peak is
the largest sum over the tree sampled every 50 ms, from the moment the child runs the command (before
its exec, /proc shows the parent's memory under the child's pid). Until 2026-11-30 the kernel's
`ru_maxrss` was also taken as a floor, from `getrusage(RUSAGE_CHILDREN)`: that is the largest child
the bench had *ever* reaped, so every stage after a big one reported the big one's peak (a 1.6 MB
day's ingest "peaking" at the 10M build's 8.4 GB), and a forked child's figure includes the parent's
memory at the fork.
"""

from __future__ import annotations

import gc
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_OWN_CMDLINE = Path("/proc/self/cmdline").read_bytes()


@dataclass
class Measured:
    """What one stage cost; `stdout` is kept for stages that report rows as JSON."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    # of cpu_seconds, the time spent in the kernel on the tree's behalf (page faults, zeroing fresh
    # pages, I/O): with the huge pages Arrow's allocator asks for, it was 35-53 % of the CPU time of a
    # small-835 load (ADR 0013)
    system_seconds: float = 0.0


def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _tree_rss_kb(root: int) -> int:
    tree = _children_of()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * _PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `command` to completion while sampling its process tree's memory every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_kb = 0
    done = threading.Event()
    output: dict[str, str] = {}

    def sample() -> None:
        # Until the child has exec'd the command, /proc shows this process's memory under its pid
        # (subprocess forks with vfork): a 0.3 s sleep "peaked" at the test runner's 245 MB.
        nonlocal peak_kb
        launched = False
        while not done.is_set():
            if not launched:
                try:
                    launched = Path(f"/proc/{process.pid}/cmdline").read_bytes() != _OWN_CMDLINE
                except OSError:
                    launched = True
            if launched:
                peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
            done.wait(0.05)

    def drain(name: str, stream: Any) -> None:
        output[name] = stream.read()

    threads = [
        threading.Thread(target=sample, daemon=True),
        threading.Thread(target=drain, args=("stdout", process.stdout), daemon=True),
        threading.Thread(target=drain, args=("stderr", process.stderr), daemon=True),
    ]
    for thread in threads:
        thread.start()
    # reaped here, not by Popen: wait4 gives this child's own usage (its reaped descendants included)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    # Not the kernel's ru_maxrss as a floor: a forked child's counts the parent's memory at the fork,
    # kept through the exec (a 0.3 s sleep "peaked" at the test runner's 245 MB). Samples every
    # 50 ms miss only peaks shorter than that.
    return Measured(
        process.returncode,
        wall,
        cpu,
        peak_kb / 1024,
        output.get("stdout", ""),
        output.get("stderr", ""),
        usage.ru_stime,
    )


def best_wall_seconds(function: Callable[[], object], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs of ``function`` in this process, each after a garbage
    collection (the machine is shared: the minimum is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
