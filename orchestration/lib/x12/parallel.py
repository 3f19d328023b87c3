"""Parse many files on several cores: one worker process per core, one file per task.

The reader is pure Python, so threads would share one interpreter lock; processes each parse whole
files. Results come back in the order of ``paths``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from orchestration.lib.x12.model import ParseResult
from orchestration.lib.x12.reader import parse_x12


def file_id_of(data: bytes) -> str:
    """The raw layer's file id: the first 16 hex characters of the content's sha256."""
    return hashlib.sha256(data).hexdigest()[:16]


def parse_file(path: str | Path) -> ParseResult:
    """Read and parse one file; ``file_id`` is computed from its bytes."""
    path = Path(path)
    data = path.read_bytes()
    return parse_x12(data, file_id_of(data), path.name)


def parse_files_parallel(paths: Sequence[str | Path], processes: int = 2) -> list[ParseResult]:
    """Parse ``paths`` with ``processes`` worker processes (1 = in this process), in input order."""
    if processes <= 1 or len(paths) <= 1:
        return [parse_file(path) for path in paths]
    with ProcessPoolExecutor(max_workers=min(processes, len(paths))) as pool:
        return list(pool.map(parse_file, paths, chunksize=1))
