"""The warehouse file and its one-writer rule.

DuckDB allows one writing process per database file, and a read-only reader in another process blocks
that writer. Every process that opens the warehouse (ingest, dbt build, publish) therefore holds
``writer_lock()`` for the whole time it has the file open: an exclusive ``fcntl.flock`` on
``Settings.lock_path``. The kernel drops the lock when the holder exits, however it exits, so a crash
never leaves the warehouse locked (docs/adr/0003-one-writer.md says why this sits beside Dagster's
``warehouse`` pool rather than replacing it).

Usage::

    with writer_lock(purpose="dbt build"):
        ...  # open the DuckDB file, write, close it before leaving the block

    with writer_lock(), open_warehouse() as con:
        con.execute("select 1")
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib.raw_schema import create_statements
from orchestration.settings import Settings, get_settings

if TYPE_CHECKING:
    import duckdb

# The Dagster pool every warehouse-writing asset and check runs in (limit 1 in dagster.yaml), and the
# run tag whose concurrency the run queue limits to 1, so that launched writer runs queue one by one.
WAREHOUSE_POOL = "warehouse"
WRITER_RUN_TAGS: dict[str, str] = {"rcm/writer": "warehouse"}

# How long a writer waits for the lock before giving up, unless the caller says otherwise.
DEFAULT_LOCK_TIMEOUT_SECONDS = 1800.0
_POLL_SECONDS = 0.2

# Re-entrancy: a thread that already holds the lock on a path (e.g. `rcm ingest` running the Dagster
# ingest job in-process, whose asset takes the lock again) must not deadlock on itself. flock locks
# belong to an open file description, so a second open() in the same process would block.
_held = threading.local()


class WarehouseBusyError(RuntimeError):
    """Another writer holds the warehouse lock and did not release it within the timeout."""


def lock_timeout_from_env() -> float:
    """RCM_LOCK_TIMEOUT (seconds) or the default; 0 means fail fast."""
    raw = os.environ.get("RCM_LOCK_TIMEOUT")
    return float(raw) if raw not in (None, "") else DEFAULT_LOCK_TIMEOUT_SECONDS


def read_lock_holder(lock_path: Path) -> dict[str, object] | None:
    """Who holds (or last held) the lock, as written by the holder; None when unknown.

    Used only for error messages: the truth is the kernel's flock, not the file's text.
    """
    try:
        text = lock_path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _describe_holder(holder: dict[str, object] | None) -> str:
    if not holder:
        return "another process (holder unknown)"
    return (
        f"pid {holder.get('pid')} on {holder.get('host')} ({holder.get('purpose')}), "
        f"since {holder.get('since')}"
    )


@contextlib.contextmanager
def writer_lock(
    settings: Settings | None = None,
    *,
    timeout: float | None = None,
    purpose: str | None = None,
) -> Iterator[Path]:
    """Hold the exclusive warehouse writer lock for the duration of the block.

    settings: where the lock lives (default: ``get_settings()``, read now).
    timeout: seconds to wait for a busy lock; 0 fails at once; None uses RCM_LOCK_TIMEOUT or 30 min.
    purpose: a few words stored in the lock file so a blocked writer can say who it waits for.

    Blocks (polling) while another process holds the lock, then raises ``WarehouseBusyError`` naming
    the holder. Re-entrant within one thread. Yields the lock file's path.
    """
    settings = settings or get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    lock_path = settings.lock_path
    key = str(lock_path)
    counts: dict[str, int] = getattr(_held, "counts", None) or {}
    _held.counts = counts
    if counts.get(key, 0) > 0:
        counts[key] += 1
        try:
            yield lock_path
        finally:
            counts[key] -= 1
        return

    wait = lock_timeout_from_env() if timeout is None else max(0.0, float(timeout))
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = _describe_holder(read_lock_holder(lock_path))
                    raise WarehouseBusyError(
                        f"the warehouse {settings.warehouse_path} is being written by {holder}; "
                        f"gave up after {wait:g} s waiting for {lock_path} "
                        "(only one writer at a time: wait for it to finish, or raise RCM_LOCK_TIMEOUT)"
                    ) from None
                time.sleep(_POLL_SECONDS)
        holder_info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "purpose": purpose or " ".join(sys.argv[:3]) or "python",
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder_info).encode("utf-8"), 0)
        counts[key] = 1
        try:
            yield lock_path
        finally:
            counts[key] = 0
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def holds_writer_lock(settings: Settings | None = None) -> bool:
    """True when this thread currently holds the writer lock (used to assert before writing)."""
    settings = settings or get_settings()
    counts: dict[str, int] = getattr(_held, "counts", None) or {}
    return counts.get(str(settings.lock_path), 0) > 0


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every raw table if missing (idempotent, cheap)."""
    for statement in create_statements():
        con.execute(statement)


def memory_limit() -> str:
    """DuckDB's memory cap for the warehouse, as for dbt: RCM_DUCKDB_MEMORY_LIMIT, default 2GB."""
    return os.environ.get("RCM_DUCKDB_MEMORY_LIMIT", "2GB")


# Rows per row group in the tables a writer of this module creates or appends to (DuckDB's default
# is 122,880). DuckDB writes a row group to the file while the insert still runs (in parallel, one
# per thread) once it is full; rows of a group left partly filled wait for the commit, which
# compresses and writes them on one core. One load's raw tables rarely fill 122,880 rows (one 10 MB
# 835: 110,915 adjustments, 59,361 lines), so before, its commit did all of that work: 0.11 s of a
# 0.4 s load. With groups of 16,384 rows, `load_files` of that one file took 0.322 s against 0.416 s
# (medians of 12 loads each, alternating processes), the 1M demo's 1,223 835s 11.06 s against
# 12.13 s, its whole X12 folder 34.1 s against 37.4 s; 8,192 rows gained no more (0.316 s). Right
# after a load the file holds more free blocks (the X12 folder: 314.6 MB against 287.3 MB), which
# the build's tables then reuse: after a full build at 1M, 4,206 MB against 4,191 MB; the builds
# took as long (docs/adr/0009-writer-row-groups.md). It is an option of the attachment, not of the
# file: dbt's own connection builds its models in groups of the default size.
WRITER_ROW_GROUP_SIZE = 16_384


def _connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A writable connection to the warehouse file with ``WRITER_ROW_GROUP_SIZE`` (an ``ATTACH``
    option), as ``duckdb.connect(path)`` otherwise: the file's catalog named after it, the default
    one, and spilling next to it."""
    import duckdb

    con = duckdb.connect()
    try:
        quoted = str(path).replace("'", "''")
        con.execute("set temp_directory = ?", [f"{path}.tmp"])
        con.execute(f"attach '{quoted}' as {path.stem} (row_group_size {WRITER_ROW_GROUP_SIZE})")
        con.execute(f"use {path.stem}")
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def open_warehouse(
    settings: Settings | None = None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse DuckDB file (creating dirs and the raw layer when writable), close on exit.

    A writable connection requires the caller to hold ``writer_lock()`` in this thread: that is how
    the one-writer rule is enforced rather than hoped for.
    """
    import duckdb

    settings = settings or get_settings()
    if not read_only:
        if not holds_writer_lock(settings):
            raise RuntimeError("open_warehouse(read_only=False) requires writer_lock() to be held")
        settings.ensure_dirs()
    con = (
        duckdb.connect(str(settings.warehouse_path), read_only=True)
        if read_only
        else _connect_writer(settings.warehouse_path)
    )
    try:
        con.execute("set enable_progress_bar = false")  # it would draw on the CLI's stdout
        # The same cap as dbt's (profiles.yml): without it, publishing the 1,000,000-claim snapshot
        # (sorting 7M events by claim) peaked at 3.9 GB; with it 2.1 GB, in the same 18 s.
        con.execute("set memory_limit = ?", [memory_limit()])
        if not read_only:
            from orchestration.lib.build_state import ensure_build_state

            ensure_raw_schema(con)
            ensure_build_state(con)  # a dbt source too: the incremental build's record (ADR 0007)
        yield con
    finally:
        con.close()
