"""DAGSTER_HOME for this warehouse: the instance config that makes writer runs go one at a time.

``ensure_dagster_home()`` writes ``$RCM_HOME/dagster_home/dagster.yaml`` (unless someone replaced it
with a file of their own) with:

- ``concurrency.pools``: every op/asset/check in pool ``warehouse`` needs one of ``default_limit: 1``
  slots, enforced per step (``granularity: op``) so it also holds for in-process runs (``rcm ingest``);
- ``concurrency.runs.tag_concurrency_limits``: launched runs tagged ``rcm/writer`` wait in the run
  queue until the previous one finished, so an ingest run and a build run never interleave steps;
- telemetry off (no network here).

The OS file lock in ``orchestration.lib.warehouse`` is the guarantee; these make Dagster queue runs
visibly instead of having them block inside the lock (docs/adr/0003-one-writer.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.lib.warehouse import WAREHOUSE_POOL, WRITER_RUN_TAGS
from orchestration.settings import Settings, get_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

# Tag on runs executed in-process by `rcm` commands: "<host>:<pid>" of the process that ran them, so a
# later command can tell a run whose process died (kill -9) from one still working.
IN_PROCESS_OWNER_TAG = "rcm/in_process_owner"

MANAGED_MARKER = "# managed by rcm (orchestration/lib/dagster_home.py): edits are overwritten"


def dagster_yaml_text() -> str:
    """The instance config we want, as YAML text (deterministic, so rewriting it is a no-op)."""
    (tag_key, tag_value), *_ = WRITER_RUN_TAGS.items()
    return f"""{MANAGED_MARKER}
# Remove the first line to keep your own edits.
concurrency:
  pools:
    # Pool `{WAREHOUSE_POOL}` (the only pool here) admits one step at a time.
    default_limit: 1
    granularity: op
  runs:
    tag_concurrency_limits:
      - key: "{tag_key}"
        value: "{tag_value}"
        limit: 1
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
telemetry:
  enabled: false
"""


def ensure_dagster_home(settings: Settings | None = None) -> Path:
    """Create DAGSTER_HOME with our dagster.yaml and return its path (does not touch os.environ)."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    home = settings.dagster_home
    config = home / "dagster.yaml"
    wanted = dagster_yaml_text()
    if config.exists():
        current = config.read_text(encoding="utf-8")
        if current == wanted or not current.startswith(MANAGED_MARKER):
            return home
    # A temporary name of this process and thread: two `rcm` commands starting together on a new
    # home (or two threads) must not rename each other's half-written file away.
    tmp = config.with_name(f"{config.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(wanted, encoding="utf-8")
    os.replace(tmp, config)
    return home


@contextlib.contextmanager
def dagster_instance(settings: Settings | None = None) -> Iterator[DagsterInstance]:
    """The persistent Dagster instance at Settings.dagster_home (runs show up in `rcm dagster`).

    Also sets DAGSTER_HOME while the instance is open (restored afterwards), so that anything
    calling ``DagsterInstance.get()`` (dagster-dbt does) finds the same instance.
    """
    from dagster import DagsterInstance

    home = ensure_dagster_home(settings)
    previous_home = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    alembic_logger = logging.getLogger("alembic")
    if alembic_logger.level == logging.NOTSET:  # storage migrations log every step at INFO
        alembic_logger.setLevel(logging.WARNING)
    instance = DagsterInstance.from_config(str(home))
    try:
        yield instance
    finally:
        instance.dispose()
        if previous_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous_home


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_is_dead(tags: Mapping[str, str]) -> bool:
    owner = tags.get(IN_PROCESS_OWNER_TAG)
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def release_stale_warehouse_slots(instance: DagsterInstance) -> list[str]:
    """Free ``warehouse`` pool slots held by runs that can no longer be running; returns their run ids.

    A slot is stale when its run finished, vanished, or was executed in-process by an `rcm` command
    whose process is gone (killed before it could release the slot). Such a run is marked failed.
    Call it while holding the writer lock: then no live writer can be inside its write.
    """
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(WAREHOUSE_POOL)
    run_ids = {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
    freed = []
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished and not _owner_is_dead(run.tags):
            continue
        if run is not None and not run.is_finished:
            instance.report_run_failed(
                run, "the process running it is gone; its warehouse pool slot was released"
            )
        storage.free_concurrency_slots_for_run(run_id)
        freed.append(run_id)
    return freed


# How often Dagster's SQLite files are checkpointed while a job runs in this process (see below).
CHECKPOINT_SECONDS = 1.0


class _HeldSqliteFiles:
    """The state behind ``_sqlite_storage_without_fsyncs()``, one per process.

    The SQLAlchemy listener is installed once and never removed (adding or removing one while it
    fires in another thread is unsafe); it does nothing while no job is active. Each held
    connection has its own lock, so the checkpoint thread never makes Dagster's next connect wait.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards the fields below, never held during SQLite I/O
        self.active = 0
        self.files: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}  # path -> (held, its lock)
        self.listening = False
        self.stop = threading.Event()
        self.checkpointer: threading.Thread | None = None
        self.engines: dict[tuple[Any, ...], Any] = {}  # create_engine's arguments -> its engine
        self.patched: list[tuple[Any, Any]] = []  # (Dagster storage module, its own create_engine)

    def cached_create_engine(self, original: Any) -> Any:
        """``create_engine`` that hands back one engine per set of arguments while a job runs.

        Dagster's SQLite storages make a new SQLAlchemy engine for every connection (``NullPool``)
        and dispose of it after: ~1,000 engines for a daily ``rcm build``, and SQLAlchemy's cache
        of compiled statements lives in the engine, so every insert was compiled afresh (py-spy,
        1M increment: 1.8 s in ``create_engine``, 3.5 s compiling). The connections are the same
        as before: ``NullPool`` opens and closes one per use, and ``dispose()`` only swaps the
        empty pool; the engines are dropped when the last job of this process ends.
        """

        def create_engine(url: Any, *args: Any, **kwargs: Any) -> Any:
            key = (str(url), repr(args), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
            with self.lock:
                engine = self.engines.get(key)
            if engine is None:
                engine = original(url, *args, **kwargs)
                with self.lock:
                    engine = self.engines.setdefault(key, engine)
            return engine

        return create_engine

    def on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if not self.active or not isinstance(dbapi_connection, sqlite3.Connection):
            return
        cursor = dbapi_connection.cursor()
        try:
            # NORMAL only in WAL mode: a new run's file starts in rollback-journal mode, where
            # NORMAL could corrupt the file on a power cut; in WAL mode it cannot.
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                cursor.execute("PRAGMA synchronous=NORMAL")
            paths = [row[2] for row in cursor.execute("PRAGMA database_list") if row[2]]
        finally:
            cursor.close()
        for path in paths:
            with self.lock:
                if not self.active:
                    return
                entry = self.files.get(path)
                if entry is None:
                    try:
                        # autocommit: no transaction stays open, so it never holds a read snapshot
                        # that would keep the WAL from being checkpointed; timeout=0: it never
                        # waits for a lock, Dagster's own connections come first
                        connection = sqlite3.connect(
                            path, timeout=0, isolation_level=None, check_same_thread=False
                        )
                    except sqlite3.Error:
                        continue  # stock behaviour for this file
                    entry = self.files[path] = (connection, threading.Lock())
            connection, connection_lock = entry
            # A read opens the WAL index, and SQLite counts a connection only from then on. It is
            # repeated on every connect because a new run's file turns to WAL after Dagster created
            # its tables.
            with connection_lock, contextlib.suppress(sqlite3.Error):
                connection.execute("PRAGMA schema_version").fetchall()

    def checkpoint_all(self) -> None:
        with self.lock:
            entries = list(self.files.values())
        for connection, connection_lock in entries:
            with connection_lock, contextlib.suppress(sqlite3.Error):
                # a no-op (the file is not touched) when nothing was written since
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def enter(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        with self.lock:
            self.active += 1
            if self.active > 1:
                return
            if not self.listening:
                event.listen(Engine, "connect", self.on_connect)
                self.listening = True
            from dagster._core.storage.event_log.sqlite import sqlite_event_log
            from dagster._core.storage.runs.sqlite import sqlite_run_storage

            for module in (sqlite_event_log, sqlite_run_storage):
                original = module.create_engine
                self.patched.append((module, original))
                module.create_engine = self.cached_create_engine(original)
            stop = self.stop = threading.Event()

            def checkpoint_now_and_then() -> None:
                while not stop.wait(CHECKPOINT_SECONDS):
                    self.checkpoint_all()

            self.checkpointer = threading.Thread(
                target=checkpoint_now_and_then, name="rcm-sqlite-checkpoint", daemon=True
            )
            self.checkpointer.start()

    def exit(self) -> None:
        with self.lock:
            self.active -= 1
            if self.active:
                return
            stop, checkpointer = self.stop, self.checkpointer
            entries = list(self.files.values())
            self.files.clear()
            for module, original in self.patched:
                module.create_engine = original
            self.patched.clear()
            engines = list(self.engines.values())
            self.engines.clear()
        for engine in engines:
            engine.dispose()
        stop.set()
        if checkpointer is not None:  # started by the matching enter()
            checkpointer.join()
        for connection, connection_lock in entries:
            # the last connection to close checkpoints the WAL into the file and removes it
            with connection_lock, contextlib.suppress(sqlite3.Error):
                connection.close()


_HELD_SQLITE_FILES = _HeldSqliteFiles()


@contextlib.contextmanager
def _sqlite_storage_without_fsyncs() -> Iterator[None]:
    """Dagster's SQLite storages at the cost of a run, not of a commit, while a job runs here.

    Dagster stores each event in its own short connection (SQLAlchemy ``NullPool``) to SQLite
    files in WAL mode. Two costs per event, ~460 events in a daily ``rcm build``: the commit
    fsyncs the WAL (``synchronous=FULL``), and closing the file's last connection checkpoints the
    WAL into the database and fsyncs both. py-spy of a 1,000,000-claim increment: 20.6 s of
    the run's main thread in ``store_event``, partly on the critical path (dbt's events queue
    behind it).

    While a job runs here, every SQLite connection SQLAlchemy makes in this process to a file in
    WAL mode gets ``synchronous=NORMAL``, and each file gets one idle connection held open, so
    closing the per-event connection no longer checkpoints. The price of NORMAL: the file stays
    consistent after any crash, but a power cut or OS crash can lose the last commits. That
    applies to every Dagster file touched here: a run's events, ``runs.db`` and ``index.db`` (run
    status, materializations, the warehouse pool's slots). A run could then show as still
    started after a reboot, holding a pool slot; the next ``rcm`` run's
    ``release_stale_warehouse_slots`` marks such a run failed and frees its slot, as for a killed
    ``rcm``, unless a new process happens to have the dead one's pid.

    Checkpoints still happen, about once a second (CHECKPOINT_SECONDS): `rcm dagster` shows a
    running run's logs by watching its ``<run id>.db`` file, which changes only when the WAL is
    checkpointed into it. Without a checkpoint until the run ended, the UI would show an ``rcm
    build`` frozen at its start (why a pooled event log was dropped before: ADR 0003). A thread
    checkpoints every held file (``PASSIVE``: it never waits for Dagster's connections, and may
    copy only part of the WAL while another process reads, so the UI lags a second or a little
    more), and the last one runs when the held connections close at the end.
    """
    _HELD_SQLITE_FILES.enter()
    try:
        yield
    finally:
        _HELD_SQLITE_FILES.exit()


def execute_job_in_process(
    job_name: str,
    run_config: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    tags: Mapping[str, str] | None = None,
    definitions: Definitions | None = None,
) -> ExecuteInProcessResult:
    """Run a job of ``orchestration.definitions`` in this process against the persistent instance.

    Used by `rcm ingest` and `rcm build`: the run, its materializations and check results are
    recorded where `rcm dagster` shows them, and its steps take the ``warehouse`` pool like any run.
    The caller should hold ``writer_lock()`` (re-entrant: the assets take it again).
    definitions: where to find the job (default: the whole code location, which needs the dbt
    manifest; `rcm ingest` passes ``orchestration.defs.ingest_location.ingest_definitions()``).
    """
    if definitions is None:
        from orchestration.definitions import defs as definitions

    job = definitions.resolve_job_def(job_name)
    with dagster_instance(settings) as instance:
        release_stale_warehouse_slots(instance)
        owner = {IN_PROCESS_OWNER_TAG: f"{socket.gethostname()}:{os.getpid()}"}
        config = dict(run_config or {})
        # Dagster's console logger logs every step event at DEBUG; follow RCM_LOG_LEVEL instead.
        level = (settings or get_settings()).log_level
        config.setdefault("loggers", {"console": {"config": {"log_level": level}}})
        with _sqlite_storage_without_fsyncs():
            return job.execute_in_process(
                run_config=config,
                instance=instance,
                tags={**(tags or {}), **owner},
                raise_on_error=False,
            )
