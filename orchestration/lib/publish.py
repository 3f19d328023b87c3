"""Publishing the marts as an immutable Parquet snapshot, and opening it for the dashboards.

Why a snapshot: DuckDB allows one writer per file and a reader in another process blocks that
writer, so the dashboards never open the warehouse. After every successful build the marts of
docs/mart_contracts.md are copied to ``Settings.snapshots_dir/<id>/<table>.parquet`` (written under a
hidden temporary name, then renamed into place), and ``snapshots/CURRENT`` is switched to the new id
with a temp file and ``os.replace``: a reader sees the old snapshot or the new one, never half of one.
The last ``KEEP_SNAPSHOTS`` snapshots stay on disk, so a reader that opened the previous one keeps
working while the next build publishes. A build that fails never reaches this step, so the last good
snapshot stays current (docs/adr/0004-snapshot-publishing.md).

Readers: ``current_snapshot_dir()`` and ``open_snapshot()``, an in-memory DuckDB connection with one
view per mart over the Parquet files (one connection per thread).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import Settings, get_settings

if TYPE_CHECKING:
    import duckdb

MART_SCHEMA = "marts"

# The tables the dashboards read (docs/mart_contracts.md), plus the two unmatched-record lists.
MART_TABLES: tuple[str, ...] = (
    "fct_claims",
    "fct_denials",
    "mart_denial_reasons",
    "mart_payer_lag",
    "fct_claim_payment_lags",
    "mart_ar_aging_daily",
    "mart_collections_monthly",
    "mart_kpis_monthly",
    "mart_work_list",
    "fct_claim_events",
    "dim_payers",
    "dim_providers",
    "dim_locations",
    "fct_unmatched_remits",
    "fct_unmatched_claims",
)

CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
KEEP_SNAPSHOTS = 3
# How some tables are laid out in the snapshot, for the dashboards' reads (column names are code, not
# input). Measured at 1,000,000 claims:
# - fct_claim_events by claim_id: one claim's events sit in one row group (320 -> 22 ms a claim; the sort
#   costs ~6 s of publishing).
# - fct_claims by open balance, largest first: "largest aged balances" is a top-N whose late
#   materialisation then reads the first row groups instead of 8 of 10 (160-185 -> 80-115 ms; +1.6 s).
#   Balance alone: most claims have none (85 % at 1,000,000 claims), and ordering those by claim_id
#   too cost 0.68 s of every publish (2.38 against 1.70 s; unsorted 1.34 s) for a layout no query
#   uses (the query breaks ties by claim_id itself).
# - mart_work_list by priority rank in 16,384-row groups: DuckDB scans one row group per thread, and the
#   default 122,880 rows made the work list (77,626 rows) one group read by one thread (page query
#   27 -> 12 ms, full export query 100 -> 85 ms, max 190 -> 100 ms).
PUBLISH_LAYOUT: dict[str, tuple[str, int | None]] = {
    "fct_claim_events": ("claim_id", None),
    "fct_claims": ("insurance_balance_amount + patient_balance_amount desc", None),
    "mart_work_list": ("priority_rank, claim_id", 16_384),
}

# Tables published as a base file plus what changed since (ADR 0008): their rows are replaced a PCN
# match key at a time by the incremental build, so a snapshot may reuse the previous one's file (a
# hard link) and add `<table>.delta/keys.parquet`, the match keys replaced since that file was
# written, and `<table>.delta/rows.parquet`, those keys' rows now. The value is the column the match
# key is taken from: the model's rcm_replace_column is the first MATCH_KEY_LENGTH characters of it
# (a test checks the two agree). Readers use table_relation(), which puts the parts together.
DELTA_TABLES: dict[str, str] = {"fct_claim_events": "patient_control_number"}
MATCH_KEY_LENGTH = 20
DELTA_SUFFIX = ".delta"
# Above this share of the table's rows in the delta, the base is written anew (and the delta dropped):
# readers then scan one file again, and the publish costs what it did before deltas, once. A day at
# 1,000,000 claims changes ~0.06% of fct_claim_events' rows, so about a month of deltas; every claim
# lookup joins against the key list, which must stay small.
MAX_DELTA_SHARE = 0.02
# zstd at level 1 rather than DuckDB's default (3): at 1,000,000 claims the 14 tables written whole
# took 2.87-3.34 s against 3.53-4.15 s (three rounds each, alternating), in 80.8 MB against 83.0 MB,
# and a scan of fct_claims reads as fast (9.5 ms both).
PARQUET_OPTIONS = "format parquet, compression zstd, compression_level 1"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_SNAPSHOT_ID = re.compile(r"^\d{8}T\d{12}Z$")


@dataclass(frozen=True)
class ChangedSince:
    """What changed in the warehouse since the snapshot ``snapshot_id`` was published: the rows of
    DELTA_TABLES changed only in the match keys that ``keys_query`` selects (one column,
    ``match_key``). Kept by orchestration.lib.build_state."""

    snapshot_id: str
    keys_query: str


@dataclass(frozen=True)
class DeltaWritten:
    """How a DELTA_TABLES table went into the snapshot: ``base`` is the snapshot that wrote the base file
    (this one when it was written anew), then ``keys`` match keys replaced by ``rows`` rows."""

    base: str
    keys: int
    rows: int

    def describe(self, snapshot_id: str) -> str:
        """How the table went into snapshot ``snapshot_id``, in words."""
        if self.base == snapshot_id:
            return "written whole"
        return f"base file of {self.base} + {self.rows:,} rows of {self.keys:,} match keys changed since"


@dataclass(frozen=True)
class PublishResult:
    """What one publish wrote: the snapshot's id and folder, rows per table, as-of date, seconds."""

    snapshot_id: str
    path: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    as_of_date: str | None = None
    seconds: float = 0.0
    removed: tuple[str, ...] = ()
    deltas: dict[str, DeltaWritten] = field(default_factory=dict)
    table_seconds: dict[str, float] = field(default_factory=dict)  # each table's count and write


def new_snapshot_id(now: datetime | None = None) -> str:
    """A sortable, unique-per-microsecond id in UTC, e.g. ``20240325T101112123456Z``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def _checked_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain table name: {name!r}")
    return name


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal (COPY ... TO takes no bound parameter for its target)."""
    return "'" + str(path).replace("'", "''") + "'"


def _as_of_date(con: duckdb.DuckDBPyConnection) -> str | None:
    with contextlib.suppress(Exception):
        row = con.execute(f"select max(as_of_date) from {MART_SCHEMA}.fct_claims").fetchone()  # noqa: S608
        if row and row[0] is not None:
            return row[0].isoformat()
    return None


def write_current(snapshots_dir: Path, snapshot_id: str) -> None:
    """Point CURRENT at ``snapshot_id`` atomically (temp file in the same folder, then os.replace)."""
    tmp = snapshots_dir / f".{CURRENT_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(snapshot_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, snapshots_dir / CURRENT_FILE)


def read_current(snapshots_dir: Path) -> str | None:
    """The id CURRENT names, or None when there is no (valid) CURRENT."""
    try:
        text = (snapshots_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if _SNAPSHOT_ID.match(text) else None


def list_snapshots(snapshots_dir: Path) -> list[str]:
    """Published snapshot ids, oldest first (hidden temporary folders excluded)."""
    if not snapshots_dir.is_dir():
        return []
    return sorted(p.name for p in snapshots_dir.iterdir() if p.is_dir() and _SNAPSHOT_ID.match(p.name))


def prune_snapshots(snapshots_dir: Path, keep: int = KEEP_SNAPSHOTS) -> tuple[str, ...]:
    """Delete all but the newest ``keep`` snapshots (never the current one) and leftover temp folders."""
    current = read_current(snapshots_dir)
    ids = list_snapshots(snapshots_dir)
    doomed = [sid for sid in ids[: max(0, len(ids) - keep)] if sid != current]
    for sid in doomed:
        shutil.rmtree(snapshots_dir / sid, ignore_errors=True)
    for leftover in snapshots_dir.glob(".*.tmp"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    return tuple(doomed)


def _match_key(column: str, alias: str | None = None) -> str:
    qualified = f"{alias}.{column}" if alias else column
    return f"coalesce(substring({qualified}, 1, {MATCH_KEY_LENGTH}), '')"


def _copy(con: duckdb.DuckDBPyConnection, query: str, name: str, target: Path) -> None:
    order_by, row_group_size = PUBLISH_LAYOUT.get(name, (None, None))
    order = f" order by {order_by}" if order_by else ""
    groups = f", row_group_size {row_group_size}" if row_group_size else ""
    con.execute(f"copy ({query}{order}) to {_sql_path(target)} ({PARQUET_OPTIONS}{groups})")


def _write_delta(
    con: duckdb.DuckDBPyConnection,
    name: str,
    staging: Path,
    previous: Path,
    changed: ChangedSince,
    total_rows: int,
) -> DeltaWritten | None:
    """Link the previous snapshot's base of ``name`` into ``staging`` and write the keys replaced since
    it and their rows now; None when there is no base to build on or the delta would be too big."""
    base = previous / f"{name}.parquet"
    if not base.is_file():
        return None
    column = _checked_identifier(DELTA_TABLES[name])
    folder = staging / f"{name}{DELTA_SUFFIX}"
    folder.mkdir()
    keys, rows = folder / "keys.parquet", folder / "rows.parquet"
    earlier = previous / f"{name}{DELTA_SUFFIX}" / "keys.parquet"
    earlier_keys = (
        f" union select match_key from read_parquet({_sql_path(earlier)})"  # noqa: S608 (our paths)
        if earlier.is_file()
        else ""
    )
    con.execute(
        f"copy (select match_key from ({changed.keys_query}){earlier_keys}) "  # noqa: S608 (ours)
        f"to {_sql_path(keys)} ({PARQUET_OPTIONS})"
    )
    key_count = con.execute(f"select count(*) from read_parquet({_sql_path(keys)})").fetchone()[0]  # noqa: S608
    selected = (
        f"select * from {MART_SCHEMA}.{name} where {_match_key(column)} in "  # noqa: S608
        f"(select match_key from read_parquet({_sql_path(keys)}))"
    )
    _copy(con, selected, name, rows)
    # counted from the written file's metadata, not by running the selection a second time
    row_count = con.execute(f"select count(*) from read_parquet({_sql_path(rows)})").fetchone()[0]  # noqa: S608
    if row_count > MAX_DELTA_SHARE * total_rows:
        shutil.rmtree(folder)
        return None
    try:
        os.link(base, staging / f"{name}.parquet")
    except OSError:  # a file system without hard links: a copy of the bytes, still no rewrite
        shutil.copyfile(base, staging / f"{name}.parquet")
    manifest = previous / MANIFEST_FILE
    base_id = previous.name
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        base_id = json.loads(manifest.read_text(encoding="utf-8"))["deltas"][name]["base"]
    return DeltaWritten(base=base_id, keys=int(key_count), rows=int(row_count))


def table_relation(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> duckdb.DuckDBPyRelation:
    """``table`` of the snapshot ``folder`` as one relation on ``con``: its Parquet file, or for a
    table published with a delta, the base without the replaced keys' rows plus their rows now."""
    name = _checked_identifier(table)
    base = con.read_parquet(str(folder / f"{name}.parquet"))
    delta = folder / f"{name}{DELTA_SUFFIX}"
    if name not in DELTA_TABLES or not delta.is_dir():
        return base
    keys = con.read_parquet(str(delta / "keys.parquet")).set_alias("replaced")
    rows = con.read_parquet(str(delta / "rows.parquet"))
    condition = f"{_match_key(_checked_identifier(DELTA_TABLES[name]), 'base')} = replaced.match_key"
    return base.set_alias("base").join(keys, condition, how="anti").union(rows)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    snapshots_dir: Path,
    *,
    tables: tuple[str, ...] = MART_TABLES,
    keep: int = KEEP_SNAPSHOTS,
    snapshot_id: str | None = None,
    changed: ChangedSince | None = None,
) -> PublishResult:
    """Export ``tables`` of schema marts from the warehouse connection ``con`` into a new snapshot.

    ``changed``: what changed since a published snapshot; when that snapshot is still CURRENT, the
    DELTA_TABLES are published as its base plus a delta (ADR 0008). Without it every table is
    written whole. The snapshot becomes CURRENT only once every file is written; on any error the
    partial folder is removed and CURRENT is untouched. Returns what was written.
    """
    started = time.perf_counter()
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    sid = snapshot_id or new_snapshot_id()
    if not _SNAPSHOT_ID.match(sid):
        raise ValueError(f"bad snapshot id {sid!r}")
    staging = snapshots_dir / f".{sid}.tmp"
    final = snapshots_dir / sid
    if final.exists():
        raise FileExistsError(f"snapshot {final} already exists")
    staging.mkdir()
    row_counts: dict[str, int] = {}
    deltas: dict[str, DeltaWritten] = {}
    table_seconds: dict[str, float] = {}
    current = read_current(snapshots_dir)
    previous = snapshots_dir / current if changed is not None and current == changed.snapshot_id else None
    try:
        for table in tables:
            name = _checked_identifier(table)
            table_started = time.perf_counter()
            # Identifiers are checked above and the path is ours: nothing here comes from a user.
            row = con.execute(f"select count(*) from {MART_SCHEMA}.{name}").fetchone()  # noqa: S608
            row_counts[name] = int(row[0]) if row else 0
            written = None
            if name in DELTA_TABLES and previous is not None and changed is not None:
                written = _write_delta(con, name, staging, previous, changed, row_counts[name])
            if written is not None:
                deltas[name] = written
            else:
                _copy(con, f"select * from {MART_SCHEMA}.{name}", name, staging / f"{name}.parquet")  # noqa: S608
                if name in DELTA_TABLES:
                    deltas[name] = DeltaWritten(base=sid, keys=0, rows=0)
            table_seconds[name] = round(time.perf_counter() - table_started, 3)
        as_of = _as_of_date(con)
        manifest = {
            "snapshot_id": sid,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "as_of_date": as_of,
            "tables": row_counts,
            "deltas": {name: asdict(delta) for name, delta in deltas.items()},
            # what each table's export took (`rcm bench` reports the slowest; not read back)
            "seconds": table_seconds,
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_current(snapshots_dir, sid)
    removed = prune_snapshots(snapshots_dir, keep)
    return PublishResult(
        snapshot_id=sid,
        path=final,
        row_counts=row_counts,
        as_of_date=as_of,
        seconds=time.perf_counter() - started,
        removed=removed,
        deltas=deltas,
        table_seconds=table_seconds,
    )


def current_snapshot_dir(settings: Settings | None = None) -> Path | None:
    """The folder of the live snapshot, or None when nothing was published yet."""
    snapshots_dir = (settings or get_settings()).snapshots_dir
    sid = read_current(snapshots_dir)
    if sid is None:
        return None
    path = snapshots_dir / sid
    return path if path.is_dir() else None


def current_snapshot_id(settings: Settings | None = None) -> str | None:
    """The live snapshot's id (cheap: one small file read), to tell when to reopen."""
    path = current_snapshot_dir(settings)
    return path.name if path else None


def read_manifest(snapshot_dir: Path) -> dict[str, object]:
    """The snapshot's manifest.json: id, created_at, as_of_date, rows per table."""
    return json.loads((snapshot_dir / MANIFEST_FILE).read_text(encoding="utf-8"))


def open_snapshot(
    snapshot_dir: Path | None = None, settings: Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per mart of the snapshot (never the warehouse).

    snapshot_dir: a snapshot folder; default the current one. Raises FileNotFoundError when nothing
    was published yet (run ``rcm build``). Use one connection per thread; reopen when
    ``current_snapshot_id()`` changes to see a newer build.
    """
    import duckdb

    folder = snapshot_dir or current_snapshot_dir(settings)
    if folder is None or not folder.is_dir():
        raise FileNotFoundError("no published snapshot yet: run `rcm build` (or `rcm demo`) first")
    con = duckdb.connect(":memory:")
    try:
        for parquet in sorted(folder.glob("*.parquet")):
            table_relation(con, folder, parquet.stem).create_view(parquet.stem)
    except BaseException:
        con.close()
        raise
    return con
