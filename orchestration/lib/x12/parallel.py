"""Parse many files on several cores: one worker process per core, a few files per task.

The reader is pure Python, so threads would share one interpreter lock; processes each parse whole
files. Moving rows back to the parent is the hidden cost: pickling a 10 MB 835's tuples (Decimals,
dates) takes about as long as parsing it, while its Arrow tables pickle in a few milliseconds. So
with ``arrow=True`` the workers convert to Arrow and send only that, which is what a loader inserting
into DuckDB wants anyway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from orchestration.lib.x12.model import ParseResult
from orchestration.lib.x12.reader import parse_x12


def file_id_of(data: bytes) -> str:
    """The raw layer's file id: the first 16 hex characters of the content's sha256."""
    return hashlib.sha256(data).hexdigest()[:16]


def parse_file(path: str | Path, arrow: bool = False) -> ParseResult:
    """Read and parse one file; ``file_id`` is computed from its bytes.

    With ``arrow=True`` the rows are returned as ``result.arrow`` (typed Arrow tables) and
    ``result.tables`` is left empty.
    """
    path = Path(path)
    data = path.read_bytes()
    result = parse_x12(data, file_id_of(data), path.name)
    if arrow:
        from orchestration.lib.x12.tables import to_arrow

        result.arrow = to_arrow(result)
        result.tables = {}
    return result


def parse_files_parallel(
    paths: Sequence[str | Path], processes: int = 2, arrow: bool = False
) -> list[ParseResult]:
    """Parse ``paths`` with ``processes`` worker processes (1 = in this process), in input order.

    ``arrow=True`` (recommended for loading) returns each file's rows as ``result.arrow`` only.
    """
    work = partial(parse_file, arrow=arrow)
    if processes <= 1 or len(paths) <= 1:
        return [work(path) for path in paths]
    # several small files per task: each task is a round trip to a worker (pickling, wake-ups)
    chunksize = max(1, min(16, len(paths) // (processes * 4)))
    with ProcessPoolExecutor(max_workers=min(processes, len(paths))) as pool:
        return list(pool.map(work, paths, chunksize=chunksize))
