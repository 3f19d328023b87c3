"""The one-writer lock: a second writer waits, then gives up with a message naming the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from orchestration.lib.loader import load_files
from orchestration.lib.warehouse import (
    WRITER_ROW_GROUP_SIZE,
    WarehouseBusyError,
    holds_writer_lock,
    open_warehouse,
    writer_lock,
)
from orchestration.settings import REPO_ROOT

HOLDER = """
import sys
from orchestration.lib.warehouse import writer_lock
with writer_lock(purpose="test holder"):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


@pytest.fixture
def holder(settings):
    """Another process holding the writer lock until we write a line to its stdin."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_second_writer_fails_after_its_timeout_naming_the_holder(settings, holder) -> None:
    started = time.monotonic()
    with (
        pytest.raises(WarehouseBusyError, match=rf"pid {holder.pid} .*\(test holder\)"),
        writer_lock(settings, timeout=0.6),
    ):
        pass
    assert time.monotonic() - started >= 0.6


def test_fail_fast_and_the_loader_refuses_to_write(settings, files, holder) -> None:
    path = files / "a.835"
    path.write_text("TX 1 1.00\n")
    with pytest.raises(WarehouseBusyError, match="only one writer at a time"):
        load_files([path], settings, lock_timeout=0)
    assert not settings.warehouse_path.exists()


def test_second_writer_blocks_until_the_first_releases(settings, holder) -> None:
    acquired_at: list[float] = []

    def second_writer() -> None:
        with writer_lock(settings, timeout=20):
            acquired_at.append(time.monotonic())

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.8)
    assert acquired_at == []  # still waiting
    released_at = time.monotonic()
    assert holder.stdin is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()
    thread.join(timeout=20)
    assert len(acquired_at) == 1 and acquired_at[0] >= released_at


def test_a_killed_holder_never_leaves_the_warehouse_locked(settings, holder) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    with writer_lock(settings, timeout=5):
        assert holds_writer_lock(settings)


def test_lock_is_reentrant_in_one_thread_and_required_for_writing(settings) -> None:
    with pytest.raises(RuntimeError, match="requires writer_lock"), open_warehouse(settings):
        pass
    with writer_lock(settings, timeout=0), writer_lock(settings, timeout=0), open_warehouse(settings) as con:
        assert con.execute("select count(*) from raw.load_ledger").fetchone() == (0,)
    assert not holds_writer_lock(settings)


def test_warehouse_connections_are_capped_like_dbt(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest and publish get DuckDB's memory cap from RCM_DUCKDB_MEMORY_LIMIT (default 2GB), as dbt does."""
    with writer_lock(settings, timeout=0), open_warehouse(settings) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("1.8 GiB",)
    monkeypatch.setenv("RCM_DUCKDB_MEMORY_LIMIT", "512MB")
    with writer_lock(settings, timeout=0), open_warehouse(settings) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("488.2 MiB",)


def test_writers_fill_row_groups_of_their_own_size_and_readers_see_one_warehouse(settings) -> None:
    """A writer's connection attaches the file with WRITER_ROW_GROUP_SIZE (so a large load's rows are
    written while it inserts, not all at its commit), under the catalog name and spill folder that
    ``duckdb.connect(path)`` gives; a read-only connection sees the same table."""
    rows = WRITER_ROW_GROUP_SIZE * 2 + 5
    with writer_lock(settings, timeout=0), open_warehouse(settings) as con:
        assert con.execute("select current_database(), current_schema()").fetchone() == ("warehouse", "main")
        assert con.execute("select current_setting('temp_directory')").fetchone() == (
            f"{settings.warehouse_path}.tmp",
        )
        con.execute(f"create table raw.row_groups as select range as i from range({rows})")
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("select count(*) from raw.row_groups").fetchone() == (rows,)
        groups = con.execute(
            "select count(distinct row_group_id) from pragma_storage_info('raw.row_groups')"
        ).fetchone()
    assert groups == (3,)  # 122,880 rows by default: one group
