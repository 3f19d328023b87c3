"""Dagster's SQLite event log, with one database engine per shard for the life of the process.

Dagster's ``SqliteEventLogStorage`` creates a SQLAlchemy engine, opens a SQLite connection, and
disposes of both for every statement it runs (``NullPool``), and it stores every event on its own.
A `rcm build` stores ~780 events (asset planned, materialized, check evaluated, step events, logs),
and each takes several such connections. Measured on the 5,000-claim demo with py-spy: 16 s of a
52 s build in event storage, more than any model; dbt's own run was 18 s of it.

``PooledSqliteEventLogStorage`` keeps the on-disk layout, schema and behaviour of the original (it
only overrides ``_connect``): a pooled engine per shard, created once per process, its connections
reused; SQLite in WAL mode (as Dagster already sets) with ``synchronous=NORMAL``, so a commit does
not wait for the disk: after a power cut the last few events of a run may be missing, never
corrupted. The warehouse itself (DuckDB) is untouched by this. `dagster dev` reads the same files
through the same class (`dagster.yaml` names it), and another process may write them concurrently:
SQLite's own locking still applies, with Dagster's busy timeout.

docs/adr/0003-one-writer.md, update 2026-11-29, has the measurements.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.pool import QueuePool


def _tune(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose engines are created once per shard and process and pooled."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        # set before Dagster's __init__, which already connects when it creates a new index shard
        self._engines: dict[str, Any] = {}
        self._engines_pid = os.getpid()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:  # type: ignore[override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Any:
        if self._engines_pid != os.getpid():  # a forked child must not share its parent's connections
            self._engines = {}
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=4,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _tune)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Dagster asks before storing every asset check event (a new engine each time); a table
        that exists keeps existing, so the answer is remembered once it is yes."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables.add(table_name)
        return found

    def _dispose_engines(self) -> None:
        engines, self._engines = self._engines, {}
        for engine in engines.values():
            engine.dispose()

    def wipe(self) -> None:
        with self._db_lock:
            self._dispose_engines()  # the run shards' files are deleted: no connection may outlive them
        self._tables = set()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()
