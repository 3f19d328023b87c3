"""Snapshot publishing: atomic CURRENT, last three kept, failures leave the last good snapshot, and
readers querying in a loop see zero errors while a rebuild and a republish run."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from warehouse_support import BuiltWarehouse, run_dbt

from orchestration.lib import publish


def _tiny_warehouse(path: Path, claims: int = 3) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.fct_claims as select range::varchar as claim_id,"
        " cast(range * 10 + 0.25 as decimal(18,2)) as billed_amount, date '2024-03-25' as as_of_date,"
        " 0.00::decimal(18,2) as insurance_balance_amount, 0.00::decimal(18,2) as patient_balance_amount"
        f" from range({claims})"
    )
    con.execute(
        "create or replace table marts.dim_payers as select 'COM01' as payer_id, 'Bluepeak' as payer_name"
    )
    return con


TABLES = ("fct_claims", "dim_payers")


def test_publish_then_open(tmp_path: Path) -> None:
    con = _tiny_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    result = publish.publish_snapshot(con, snapshots, tables=TABLES)
    assert result.row_counts == {"fct_claims": 3, "dim_payers": 1}
    assert result.as_of_date == "2024-03-25"
    assert publish.read_current(snapshots) == result.snapshot_id
    assert sorted(p.name for p in result.path.iterdir()) == [
        "dim_payers.parquet",
        "fct_claims.parquet",
        "manifest.json",
    ]
    assert publish.read_manifest(result.path)["tables"] == {"fct_claims": 3, "dim_payers": 1}
    # each table's export time, for `rcm bench`: every table, none longer than the whole publish
    seconds = publish.read_manifest(result.path)["seconds"]
    assert seconds == result.table_seconds and set(seconds) == {"fct_claims", "dim_payers"}
    assert all(0 < value <= result.seconds for value in seconds.values())
    reader = publish.open_snapshot(result.path)
    try:
        assert reader.execute("select sum(billed_amount) from fct_claims").fetchone() == (Decimal("30.75"),)
        assert reader.execute("select typeof(billed_amount) from fct_claims limit 1").fetchone() == (
            "DECIMAL(18,2)",
        )
        assert reader.execute("select payer_name from dim_payers").fetchall() == [("Bluepeak",)]
    finally:
        reader.close()
    assert not list(snapshots.glob(".*"))  # no temp files or folders left behind


def test_keeps_the_last_three_and_current_is_newest(tmp_path: Path) -> None:
    con = _tiny_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    ids = [publish.publish_snapshot(con, snapshots, tables=TABLES).snapshot_id for _ in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert publish.list_snapshots(snapshots) == ids[-3:]
    assert publish.read_current(snapshots) == ids[-1]


def test_failed_publish_keeps_the_last_good_snapshot(tmp_path: Path) -> None:
    con = _tiny_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    good = publish.publish_snapshot(con, snapshots, tables=TABLES)
    with pytest.raises(duckdb.CatalogException):
        publish.publish_snapshot(con, snapshots, tables=(*TABLES, "mart_that_does_not_exist"))
    assert publish.read_current(snapshots) == good.snapshot_id
    assert publish.list_snapshots(snapshots) == [good.snapshot_id]
    assert not list(snapshots.glob(".*"))


def test_nothing_published_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RCM_HOME", str(tmp_path))
    assert publish.current_snapshot_dir() is None
    assert publish.current_snapshot_id() is None
    with pytest.raises(FileNotFoundError, match="rcm build"):
        publish.open_snapshot()


def test_rejects_names_that_are_not_plain_tables(tmp_path: Path) -> None:
    con = _tiny_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="plain table name"):
        publish.publish_snapshot(con, tmp_path / "s", tables=("fct_claims; drop table x",))


def test_every_contract_mart_is_published(synthetic_home: BuiltWarehouse) -> None:
    folder = publish.current_snapshot_dir(synthetic_home.settings)
    assert folder is not None and folder.name == synthetic_home.summary.snapshot_id
    assert sorted(p.stem for p in folder.glob("*.parquet")) == sorted(publish.MART_TABLES)
    reader = publish.open_snapshot(settings=synthetic_home.settings)
    try:
        assert reader.execute("select count(*), sum(billed_amount) from fct_claims").fetchone() == (
            9,
            Decimal("2005.00"),
        )
    finally:
        reader.close()


def test_readers_see_no_errors_while_rebuilding_and_republishing(
    synthetic_home: BuiltWarehouse, tmp_path: Path
) -> None:
    settings = synthetic_home.settings
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: set[str] = set()
    queries = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                con = publish.open_snapshot(settings=settings)
                try:
                    count, billed = con.execute(
                        "select count(*), sum(billed_amount) from fct_claims"
                    ).fetchone()
                    balance = con.execute(
                        "select sum(balance_amount) from mart_ar_aging_daily where as_of_date = date '2024-03-25'"
                    ).fetchone()[0]
                    assert (count, billed, balance) == (9, Decimal("2005.00"), Decimal("585.00"))
                    seen.add(publish.current_snapshot_id(settings) or "")
                    queries[0] += 1
                finally:
                    con.close()
            except BaseException as error:  # collected and asserted on below
                errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        rebuilt = run_dbt(["run", "--select", "mart_work_list"], settings.warehouse_path, tmp_path / "target")
        assert rebuilt.returncode == 0, rebuilt.stdout[-2000:]
        for _ in range(2):
            with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
                publish.publish_snapshot(con, settings.snapshots_dir)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert queries[0] > 10
    assert len(seen) >= 2
    assert len(publish.list_snapshots(settings.snapshots_dir)) == 3


def test_layout_orders_and_splits_the_tables_the_dashboards_read(tmp_path: Path) -> None:
    """fct_claims comes out largest open balance first, mart_work_list by rank in row groups of at most
    16,384 rows; both keep every row and every cent."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_claims as select lpad(range::varchar, 6, '0') as claim_id,"
        " cast((range * 7919) % 1000 + 0.01 as decimal(18,2)) as insurance_balance_amount,"
        " cast(range % 3 as decimal(18,2)) as patient_balance_amount, date '2024-03-25' as as_of_date"
        " from range(5000)"
    )
    con.execute(
        "create table marts.mart_work_list as select lpad(range::varchar, 6, '0') as claim_id,"
        " (40000 - range)::integer as priority_rank from range(40000)"
    )
    result = publish.publish_snapshot(con, tmp_path / "s", tables=("fct_claims", "mart_work_list"))
    reader = duckdb.connect()
    claims = str(result.path / "fct_claims.parquet")
    work_list = str(result.path / "mart_work_list.parquet")
    balances = [
        row[0]
        for row in reader.execute(
            f"select insurance_balance_amount + patient_balance_amount from read_parquet('{claims}')"
        ).fetchall()
    ]
    assert len(balances) == 5000 and balances == sorted(balances, reverse=True)
    assert reader.execute(
        f"select sum(insurance_balance_amount) from read_parquet('{claims}')"
    ).fetchone() == (con.execute("select sum(insurance_balance_amount) from marts.fct_claims").fetchone())
    ranks = [
        r[0] for r in reader.execute(f"select priority_rank from read_parquet('{work_list}')").fetchall()
    ]
    assert ranks == list(range(1, 40001))
    groups = reader.execute(
        f"select distinct row_group_id, row_group_num_rows from parquet_metadata('{work_list}')"
    ).fetchall()
    assert len(groups) == 3 and max(rows for _, rows in groups) <= 16_384


# --- tables published as a base plus a delta (ADR 0008) -------------------------------------------


def _events_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """fct_claim_events with 50 encounter groups (match keys P00..P49) of 4 rows each, and two rows
    without a PCN (NULL and ''), whose match key is ''."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_claim_events as select md5(range::varchar) as event_id,"
        " md5((range // 4)::varchar) as claim_id,"
        " 'P' || lpad((range // 4)::varchar, 2, '0') || '-PCN-PADDED-TO-MORE-THAN-20' as patient_control_number,"
        " cast(range + 0.5 as decimal(18,2)) as amount from range(200)"
    )
    con.execute(
        "insert into marts.fct_claim_events values (md5('x1'), md5('x'), null, 7.00), (md5('x2'), md5('x'), '', 8.00)"
    )
    return con


def _rows_via_snapshot(folder: Path) -> list[tuple[object, ...]]:
    reader = publish.open_snapshot(folder)
    try:
        return reader.execute("select * from fct_claim_events order by event_id").fetchall()
    finally:
        reader.close()


def _rows_in_warehouse(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("select * from marts.fct_claim_events order by event_id").fetchall()


def _changed(snapshot_id: str, *keys: str) -> publish.ChangedSince:
    values = ", ".join(f"('{key}')" for key in keys) or "(null)"
    return publish.ChangedSince(
        snapshot_id, f"select * from (values {values}) as t(match_key) where match_key is not null"
    )


def test_a_table_changed_in_a_few_keys_is_published_as_its_base_plus_a_delta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.queries import Snapshot

    monkeypatch.setattr(publish, "MAX_DELTA_SHARE", 0.2)  # a few rows are a large share of this table
    con = _events_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    tables = ("fct_claim_events",)
    first = publish.publish_snapshot(con, snapshots, tables=tables)
    assert first.deltas["fct_claim_events"] == publish.DeltaWritten(first.snapshot_id, 0, 0)
    assert not (first.path / "fct_claim_events.delta").exists()

    # key P03: one row changed, one gone, one new; key P07: all rows gone
    key3, key7 = "P03-PCN-PADDED-TO-MO", "P07-PCN-PADDED-TO-MO"
    assert len(key3) == publish.MATCH_KEY_LENGTH
    con.execute("update marts.fct_claim_events set amount = 999.99 where event_id = md5('12')")
    con.execute("delete from marts.fct_claim_events where event_id = md5('13')")
    con.execute(
        "insert into marts.fct_claim_events values (md5('new'), md5('3'), 'P03-PCN-PADDED-TO-MORE-THAN-20', 1.25)"
    )
    con.execute("delete from marts.fct_claim_events where patient_control_number like 'P07%'")
    # the rows without a PCN are one group, ''
    con.execute("update marts.fct_claim_events set amount = 9.99 where patient_control_number is null")
    second = publish.publish_snapshot(
        con, snapshots, tables=tables, changed=_changed(first.snapshot_id, key3, key7, "")
    )
    assert second.deltas["fct_claim_events"] == publish.DeltaWritten(first.snapshot_id, keys=3, rows=6)
    base = second.path / "fct_claim_events.parquet"
    assert base.stat().st_ino == (first.path / "fct_claim_events.parquet").stat().st_ino  # a hard link
    assert _rows_via_snapshot(second.path) == _rows_in_warehouse(con)
    assert second.row_counts == {"fct_claim_events": 198}

    # the next delta adds to the keys replaced since the base; the dashboards read the same rows
    con.execute("update marts.fct_claim_events set amount = 0.01 where patient_control_number like 'P40%'")
    third = publish.publish_snapshot(
        con, snapshots, tables=tables, changed=_changed(second.snapshot_id, "P40-PCN-PADDED-TO-MO")
    )
    assert third.deltas["fct_claim_events"] == publish.DeltaWritten(first.snapshot_id, keys=4, rows=10)
    assert _rows_via_snapshot(third.path) == _rows_in_warehouse(con)
    dashboard = Snapshot(third.path)
    try:
        frame = dashboard.frame(
            "select * from fct_claim_events order by event_id", tables=["fct_claim_events"]
        )
        assert [tuple(row) for row in frame.itertuples(index=False)] == _rows_in_warehouse(con)
        one_claim = dashboard.rows(
            "select sum(amount) from fct_claim_events where claim_id = md5('40')", tables=["fct_claim_events"]
        )
        assert one_claim == [(Decimal("0.04"),)]
    finally:
        dashboard.close()


def test_the_base_is_written_anew_when_the_delta_cannot_be_trusted_or_grows(tmp_path: Path) -> None:
    con = _events_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    tables = ("fct_claim_events",)
    first = publish.publish_snapshot(con, snapshots, tables=tables)
    # changes relative to another snapshot than CURRENT: everything is written
    stale = publish.publish_snapshot(
        con, snapshots, tables=tables, changed=_changed("20000101T000000000000Z", "P01-PCN-PADDED-TO-MO")
    )
    assert stale.deltas["fct_claim_events"].base == stale.snapshot_id
    assert not (stale.path / "fct_claim_events.delta").exists()
    # more than MAX_DELTA_SHARE of the rows: everything is written
    many = [f"P{n:02d}-PCN-PADDED-TO-MO" for n in range(11)]  # 44 of 202 rows
    assert publish.MAX_DELTA_SHARE * 202 < 44
    big = publish.publish_snapshot(con, snapshots, tables=tables, changed=_changed(stale.snapshot_id, *many))
    assert big.deltas["fct_claim_events"].base == big.snapshot_id
    assert _rows_via_snapshot(big.path) == _rows_in_warehouse(con)
    assert first.snapshot_id in publish.list_snapshots(snapshots)


def test_without_hard_links_the_base_is_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = _events_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    first = publish.publish_snapshot(con, snapshots, tables=("fct_claim_events",))
    con.execute("update marts.fct_claim_events set amount = 0.02 where patient_control_number like 'P05%'")

    def no_links(*args: object) -> None:
        raise OSError("hard links not supported")

    monkeypatch.setattr(publish.os, "link", no_links)
    second = publish.publish_snapshot(
        con,
        snapshots,
        tables=("fct_claim_events",),
        changed=_changed(first.snapshot_id, "P05-PCN-PADDED-TO-MO"),
    )
    assert second.deltas["fct_claim_events"] == publish.DeltaWritten(first.snapshot_id, keys=1, rows=4)
    base = second.path / "fct_claim_events.parquet"
    assert base.stat().st_ino != (first.path / "fct_claim_events.parquet").stat().st_ino
    assert _rows_via_snapshot(second.path) == _rows_in_warehouse(con)


def test_the_delta_key_is_the_models_match_key() -> None:
    """publish.DELTA_TABLES must take the same match key as the model's rcm_replace_column."""
    import json

    from orchestration.commands.build import manifest_path, prepare_dbt_project

    prepare_dbt_project()
    nodes = json.loads(manifest_path().read_text(encoding="utf-8"))["nodes"]
    for table, column in publish.DELTA_TABLES.items():
        (config,) = [
            n["config"] for n in nodes.values() if n["resource_type"] == "model" and n["name"] == table
        ]
        assert config["materialized"] == "incremental" and config["rcm_replace_by"] == "match_key"
        assert config["rcm_replace_column"] == f"substring({column}, 1, {publish.MATCH_KEY_LENGTH})"
