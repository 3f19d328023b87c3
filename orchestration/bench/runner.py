"""Run a command as a child process and measure it: wall time, CPU time and the peak resident memory
of the whole process tree (the sum over the child and all its descendants, sampled from /proc).

`resource.getrusage(RUSAGE_CHILDREN)` only gives the largest single process's peak and only once the
children are reaped; a DuckDB build or a process pool spreads memory across processes, so we sample.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measured:
    """What one stage cost; `stdout` is kept for stages that report rows as JSON."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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

    def sample() -> None:
        nonlocal peak_kb
        while not done.is_set():
            peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The sampler can miss a short-lived peak; the kernel's own figure for the largest child is a floor.
    peak_kb = max(peak_kb, after.ru_maxrss)
    return Measured(process.returncode, wall, cpu, peak_kb / 1024, stdout, stderr)
