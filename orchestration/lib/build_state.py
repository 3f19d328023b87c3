"""What the last recorded dbt build read, so the next one can be incremental (ADR 0007).

Tables in the warehouse's ``build_state`` schema, written here under the writer lock (and by dbt's
``on-run-start`` hook, which marks the publish state dirty and forgets the record on a pinned run):

- ``built_files``: every loaded file when the last build was recorded, with whether it was then
  the current version of its name (``stg_raw__load_ledger.is_current_version``). dbt's
  ``int_changed_files_listed`` compares the ledger with it;
- ``builds``: one row for that build: when, and the checksum of the dbt project it ran;
- ``last_plan``: what the latest run decided and why (for `rcm build`'s summary);
- ``publish_state`` and ``unpublished_keys``: the match keys whose rows changed since the last
  published snapshot, so that the next publish can add them to that snapshot's files instead of
  writing every row again (ADR 0008). ``publish_state`` holds the snapshot they are relative to and
  whether a dbt run has started since without finishing (``dirty``); no row, or a dirty one, means
  "anything may have changed": the next publish writes every table whole.

A build is incremental only when a recorded build exists, its project checksum equals today's
(models, macros, tests, seeds and ``dbt_project.yml``: changed code or seed mappings change every
row), and the as-of date is not pinned. Every full refresh clears the record before it runs
(until it succeeds its tables are nobody's), and a pinned run is a full refresh recorded by no one
(its tables are cut at another date), so the build after it is a full refresh too; dbt run
directly with a pinned date clears it as well (``on-run-start`` in dbt_project.yml). Only a successful,
unpinned, whole build records what it read: a failed build or a subset of the dbt assets leaves
the record as it was, so the next whole build recomputes every file and key changed since, in
every model, including those a subset skipped (replacing a key's rows is idempotent).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    import duckdb

    from orchestration.lib.publish import ChangedSince
    from orchestration.settings import Settings

SCHEMA = "build_state"
_PROJECT_FOLDERS = ("models", "macros", "tests")
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}
_VERSIONED = ("dbt-core", "dbt-duckdb", "duckdb")


@dataclass(frozen=True)
class BuildPlan:
    full_refresh: bool
    reason: str
    record: bool  # record what this build read when it succeeds
    checksum: str

    @property
    def mode(self) -> str:
        return "full refresh" if self.full_refresh else "incremental"


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def ensure_build_state(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bookkeeping schema and tables if missing (idempotent)."""
    con.execute(f"create schema if not exists {SCHEMA}")
    # is_current false: a loaded file already replaced by a newer version when the build was
    # recorded (its rows were gone then).
    con.execute(
        f"create table if not exists {SCHEMA}.built_files (file_id varchar primary key, is_current boolean not null)"
    )
    con.execute(
        f"create table if not exists {SCHEMA}.builds "
        "(project_checksum varchar not null, recorded_at timestamptz not null, file_count bigint not null)"
    )
    con.execute(
        f"create table if not exists {SCHEMA}.last_plan "
        "(planned_at timestamptz not null, mode varchar not null, reason varchar not null)"
    )
    con.execute(
        f"create table if not exists {SCHEMA}.publish_state (snapshot_id varchar not null, dirty boolean not null)"
    )
    con.execute(f"create table if not exists {SCHEMA}.unpublished_keys (match_key varchar primary key)")


def project_checksum(project_dir: Path = DBT_PROJECT_DIR, seeds_dir: Path | None = None) -> str:
    """sha256 over the dbt project's own files, the seeds, the profile and the versions of dbt and
    DuckDB: any edit or upgrade means a full refresh (which also runs the dbt unit tests again)."""
    from importlib.metadata import version

    from orchestration.settings import SEEDS_DIR

    digest = hashlib.sha256()
    for package in _VERSIONED:
        digest.update(f"{package}=={version(package)}\0".encode())
    # Each file by its path inside the project or the seeds folder, not its absolute path: a clone
    # moved or renamed holds the same project (an absolute path made its next build a full refresh).
    seeds_dir = seeds_dir or SEEDS_DIR
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _PROJECT_FOLDERS:
        files += (project_dir / folder).rglob("*")
    named = [(f"project/{path.relative_to(project_dir).as_posix()}", path) for path in files]
    named += [(f"seeds/{path.relative_to(seeds_dir).as_posix()}", path) for path in seeds_dir.rglob("*")]
    for name, path in sorted(
        item for item in named if item[1].is_file() and item[1].suffix in _PROJECT_SUFFIXES
    ):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def plan_build(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of_date: str | None,
    subset: bool,
    full_refresh: bool = False,
    checksum: str | None = None,
) -> BuildPlan:
    """Decide full refresh or incremental (see the module docstring) and note it in
    ``build_state.last_plan``; clears the record when the run will leave the tables in a state the
    next incremental build cannot start from."""
    plan = _plan(con, as_of_date, subset, full_refresh, checksum or project_checksum())
    con.execute("delete from build_state.last_plan")
    con.execute("insert into build_state.last_plan values (now(), ?, ?)", [plan.mode, plan.reason])
    # Until this run succeeds and notes what it changed (note_changes), the tables may differ from
    # the last snapshot anywhere: a killed run leaves them so.
    con.execute("update build_state.publish_state set dirty = true")
    return plan


def _plan(
    con: duckdb.DuckDBPyConnection,
    as_of_date: str | None,
    subset: bool,
    full_refresh: bool,
    checksum: str,
) -> BuildPlan:
    ensure_build_state(con)
    recorded = con.execute("select project_checksum from build_state.builds").fetchall()
    record = not subset and not as_of_date
    scope = " (a subset of the dbt assets: not recorded)" if subset else ""
    if as_of_date:  # its tables are cut at another date: recorded by no one
        reason, full = f"as-of date pinned to {as_of_date}", True
    elif full_refresh:
        reason, full = "full refresh asked for", True
    elif not recorded:
        reason, full = "no recorded build to start from", True
    elif recorded[0][0] != checksum:
        reason, full = "the dbt project or seeds changed", True
    else:
        reason, full = "only changed files and match keys", False
    if full:
        # Until it succeeds, its tables are neither the record's nor its own: a failed or partial full
        # refresh (or one of other code, reverted afterwards), or a pinned one, must not be built on
        # incrementally.
        forget(con)
    return BuildPlan(full, reason + scope, record=record, checksum=checksum)


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the record: the next build is a full refresh (and the next publish writes everything)."""
    ensure_build_state(con)
    with _transaction(con):
        con.execute("delete from build_state.builds")
        con.execute("delete from build_state.built_files")
        con.execute("delete from build_state.publish_state")
        con.execute("delete from build_state.unpublished_keys")


def note_changes(con: duckdb.DuckDBPyConnection, *, full_refresh: bool) -> None:
    """After a successful dbt run: add the match keys it rebuilt (int_changed_match_keys_listed) to
    those not yet published; after a full refresh, everything is unpublished."""
    ensure_build_state(con)
    with _transaction(con):
        if full_refresh:
            con.execute("delete from build_state.publish_state")
            con.execute("delete from build_state.unpublished_keys")
        else:
            con.execute(
                "insert or ignore into build_state.unpublished_keys "
                "select distinct match_key from intermediate.int_changed_match_keys_listed"
            )
            con.execute("update build_state.publish_state set dirty = false")


def changed_since_publish(con: duckdb.DuckDBPyConnection) -> ChangedSince | None:
    """What changed since the last published snapshot, or None when anything may have."""
    from orchestration.lib.publish import ChangedSince

    ensure_build_state(con)
    row = con.execute("select snapshot_id from build_state.publish_state where not dirty").fetchone()
    if row is None:
        return None
    return ChangedSince(snapshot_id=row[0], keys_query="select match_key from build_state.unpublished_keys")


def mark_published(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> None:
    """After a publish: the warehouse equals snapshot ``snapshot_id``, nothing is unpublished."""
    ensure_build_state(con)
    with _transaction(con):
        con.execute("delete from build_state.unpublished_keys")
        con.execute("delete from build_state.publish_state")
        con.execute("insert into build_state.publish_state values (?, false)", [snapshot_id])


def record_build(con: duckdb.DuckDBPyConnection, checksum: str) -> int:
    """Record every loaded file and whether it is current (call after the build succeeded); returns
    the number of current ones."""
    ensure_build_state(con)
    with _transaction(con):
        con.execute("delete from build_state.built_files")
        con.execute(
            "insert into build_state.built_files (file_id, is_current) "
            "select file_id, is_current_version from staging.stg_raw__load_ledger where is_loaded"
        )
        count = con.execute("select count(*) from build_state.built_files where is_current").fetchone()[0]
        con.execute("delete from build_state.builds")
        con.execute("insert into build_state.builds values (?, now(), ?)", [checksum, count])
    return int(count)


def last_plan(settings: Settings, *, since: dt.datetime) -> str | None:
    """ "incremental: why" or "full refresh: why" of the build planned after ``since``, if any."""
    import duckdb

    from orchestration.lib.warehouse import open_warehouse

    with open_warehouse(settings, read_only=True) as con:
        try:
            row = con.execute(
                "select mode, reason from build_state.last_plan where planned_at >= ?", [since]
            ).fetchone()
        except duckdb.CatalogException:  # no such table: no build ever planned in this warehouse
            return None
    return f"{row[0]}: {row[1]}" if row else None
