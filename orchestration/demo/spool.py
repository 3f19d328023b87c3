"""Per-day shard files: the simulation writes events by date, the writers read one day at a time.

Encounters are simulated in date-of-service order but their events land weeks or months later, so
events are buffered per day and appended to ``<day>.spool`` files. Each event is a small header
(a tuple of str/int, ``marshal``-encoded) plus an optional text body (the rendered X12 loops).
Reading a day loads the headers only and remembers where each body lies, so the writer holds a
day's *headers* in memory and fetches bodies as it writes: memory stays flat as claims grow.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import BinaryIO

_LENGTHS = 8  # 4 bytes header length + 4 bytes body length


class DaySpool:
    def __init__(self, directory: Path, flush_bytes: int = 32 * 1024 * 1024) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.flush_bytes = flush_bytes
        self._buffers: dict[int, list[tuple[bytes, bytes]]] = {}
        self._buffered = 0

    def add(self, day: int, header: tuple, body: str = "") -> None:
        encoded = (marshal.dumps(header), body.encode("utf-8"))
        buffer = self._buffers.get(day)
        if buffer is None:
            buffer = self._buffers[day] = []
        buffer.append(encoded)
        self._buffered += len(encoded[0]) + len(encoded[1]) + 64
        if self._buffered >= self.flush_bytes:
            self.flush()

    def flush(self) -> None:
        for day in sorted(self._buffers):
            with (self.directory / f"{day}.spool").open("ab") as handle:
                for header, body in self._buffers[day]:
                    handle.write(len(header).to_bytes(4, "little") + len(body).to_bytes(4, "little"))
                    handle.write(header)
                    handle.write(body)
        self._buffers.clear()
        self._buffered = 0

    def open_day(self, day: int) -> DayShard:
        """The day's events (call ``flush`` first); close the shard to delete its file."""
        return DayShard(self.directory / f"{day}.spool")


class DayShard:
    """One day's spooled events: ``events`` holds (header, body offset, body length) in file order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[tuple[tuple, int, int]] = []
        self._handle: BinaryIO | None = None
        if not path.exists():
            return
        handle = path.open("rb")
        self._handle = handle
        offset = 0
        while True:
            lengths = handle.read(_LENGTHS)
            if not lengths:
                break
            header_length = int.from_bytes(lengths[:4], "little")
            body_length = int.from_bytes(lengths[4:], "little")
            header = marshal.loads(handle.read(header_length))
            offset += _LENGTHS + header_length
            self.events.append((header, offset, body_length))
            offset += body_length
            handle.seek(offset)

    def body(self, offset: int, length: int) -> str:
        if self._handle is None or length == 0:
            return ""
        self._handle.seek(offset)
        return self._handle.read(length).decode("utf-8")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.path.unlink(missing_ok=True)
