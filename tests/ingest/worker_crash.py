"""Worker processes that die on a file whose name holds ``KILL``, as a worker killed by the system would.

``DyingWorkers`` replaces the loader's ``ProcessPoolExecutor``: its workers run ``install`` first, which
wraps the loader's per-chunk parse functions in the worker so that a task holding such a file kills
its own process with SIGKILL (what the kernel's out-of-memory killer sends). The loading process is
not touched.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, ClassVar


def _kills(path_text: str) -> bool:
    return "KILL" in Path(path_text).name


def install() -> None:
    from orchestration.lib import loader

    parse_chunk, parse_csv = loader._parse_x12_chunk, loader._parse_csv_entry

    def dying_chunk(entries: Any, compact: bool = True) -> Any:
        if any(_kills(path_text) for path_text, _file_id in entries):
            os.kill(os.getpid(), signal.SIGKILL)
        return parse_chunk(entries, compact)

    def dying_csv(path_text: str, file_id: str, kind: str) -> Any:
        if _kills(path_text):
            os.kill(os.getpid(), signal.SIGKILL)
        return parse_csv(path_text, file_id, kind)

    loader._parse_x12_chunk = dying_chunk
    loader._parse_csv_entry = dying_csv


def install_failing() -> None:
    """Workers whose reader answers "could not read it" (None) for KILL files, without dying."""
    from orchestration.lib import loader

    parse_chunk = loader._parse_x12_chunk

    def failing_chunk(entries: Any, compact: bool = True) -> Any:
        if any(_kills(path_text) for path_text, _file_id in entries):
            return {}, [None] * len(entries)
        return parse_chunk(entries, compact)

    loader._parse_x12_chunk = failing_chunk


class FailingWorkers(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose workers' reader fails (answers None) on ``KILL`` files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, initializer=install_failing, **kwargs)


def _exit() -> None:
    os._exit(3)


class BrokenWorkers(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose workers die as they start: nothing runs, whatever the file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, initializer=_exit, **kwargs)


class DyingWorkers(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose workers die on ``KILL`` files; ``made`` counts the executors."""

    made: ClassVar[list[DyingWorkers]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, initializer=install, **kwargs)
        DyingWorkers.made.append(self)
