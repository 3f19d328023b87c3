"""The ingest job end to end in Dagster: inbox -> raw assets -> asset checks; and `rcm ingest`."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli import main
from orchestration.defs.ingest_location import ingest_definitions
from orchestration.lib.dagster_home import IN_PROCESS_OWNER_TAG, dagster_instance
from orchestration.lib.warehouse import WAREHOUSE_POOL
from orchestration.settings import Settings, get_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from x12_fixtures import Remit, balanced_claim, remit_835

PAYMENTS = (
    "payment_id,payment_date,account_id,patient_control_number,amount,method,channel,payment_plan_id,deposit_id\n"
    "PP1,2024-03-02,ACC1,PCN1,20.00,card,portal,,DEP1\n"
    "PP2,2024-03-02,ACC2,PCN2,5.00,bitcoin,portal,,DEP1\n"
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RCM_LOCK_TIMEOUT", "10")
    monkeypatch.setenv("RCM_LOG_LEVEL", "WARNING")
    settings = get_settings()
    settings.ensure_dirs()
    return settings


def _fill(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    balanced = Remit("0001", D("100.00"), [balanced_claim("PCN1", "150.00", "100.00", "20.00")])
    unbalanced = Remit("0002", D("59.00"), [balanced_claim("PCN2", "90.00", "60.00")])
    (folder / "remit_1.835").write_text(remit_835([balanced, unbalanced]))
    (folder / "patient_payments_1.csv").write_text(PAYMENTS)
    (folder / "scan.pdf").write_text("%PDF-1.4 not a remittance\n")


def test_ingest_job_materializes_raw_assets_and_runs_the_checks(home: Settings) -> None:
    _fill(home.inbox_dir)
    result = (
        ingest_definitions()
        .resolve_job_def("ingest_job")
        .execute_in_process(instance=dg.DagsterInstance.ephemeral())
    )
    assert result.success

    materialized = {
        m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("raw_files")
    }
    assert materialized["era_claims"]["rows_added"].value == 2
    assert materialized["csv_patient_payments"]["rows_added"].value == 1
    assert materialized["load_ledger"]["files_quarantined"].value == 1
    summary_file = Path(materialized["load_ledger"]["summary_file"].value)
    assert summary_file.parent == home.logs_dir
    summaries = [json.loads(line) for line in summary_file.read_text().splitlines()]
    assert [(f["file_name"], f["status"]) for f in summaries] == [
        ("patient_payments_1.csv", "loaded_with_warnings"),
        ("remit_1.835", "loaded_with_warnings"),
        ("scan.pdf", "quarantined"),
    ]

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    balance = checks["balanced_835_transactions"]
    assert (balance.passed, balance.metadata["unbalanced_transactions"].value) == (False, 1)
    assert balance.metadata["examples"].value[0]["difference"] == "-1.00"
    quarantine = checks["no_files_quarantined_in_run"]
    assert quarantine.passed is False
    assert quarantine.metadata["quarantined_files"].value[0].endswith(" scan.pdf")
    payments = checks["gx_patient_payments_suite"]
    # the loaded rows keep the contract; the quarantined row makes the check warn
    assert payments.passed is False and payments.severity == dg.AssetCheckSeverity.WARN
    assert payments.metadata["failed_expectations"].value == {}
    assert payments.metadata["rows_quarantined_at_load"].value == 1
    assert payments.metadata["quarantined_by_expectation"].value == {
        "GX:expect_column_values_to_be_in_set:method": 1
    }
    # tables this run added no rows to are not materialized, so their checks do not run: no claims
    # CSV came in, and the claims suite's queries over every current row are skipped
    assert "csv_claims" not in materialized and "x837_claims" not in materialized
    assert sorted(checks) == [
        "balanced_835_transactions",
        "gx_patient_payments_suite",
        "no_files_quarantined_in_run",
    ]

    # a second run finds only duplicates and changes nothing
    again = (
        ingest_definitions()
        .resolve_job_def("ingest_job")
        .execute_in_process(instance=dg.DagsterInstance.ephemeral())
    )
    ledger = {m.asset_key.path[-1]: m.metadata for m in again.asset_materializations_for_node("raw_files")}
    again_file = Path(ledger["load_ledger"]["summary_file"].value)
    assert [json.loads(line)["status"] for line in again_file.read_text().splitlines()] == ["duplicate"] * 3
    # nothing added: only the ledger is materialized, and only its own check runs
    assert list(ledger) == ["load_ledger"]
    assert [e.check_name for e in again.get_asset_check_evaluations()] == ["no_files_quarantined_in_run"]


def test_rcm_ingest_runs_through_dagster_and_prints_json_lines(
    home: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "drop"
    _fill(folder)
    assert main(["ingest", "--json", str(folder)]) == 0  # a quarantined file is not a failure
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_name = {line["file_name"]: line for line in lines}
    remit = by_name["remit_1.835"]
    assert (
        remit["kind"],
        remit["status"],
        remit["transactions"],
        remit["claims"],
        remit["service_lines"],
    ) == (
        "835",
        "loaded_with_warnings",
        2,
        2,
        2,
    )
    assert (
        remit["bpr02_total"],
        remit["clp04_total"],
        remit["plb_total"],
        remit["balancing_violations"],
    ) == (
        "159.00",
        "160.00",
        "0.00",
        1,
    )
    assert by_name["scan.pdf"]["status"] == "quarantined"
    assert by_name["patient_payments_1.csv"]["csv_amount_total"] == "20.00"

    # the run is in the persistent instance, owned by this process, and gave its pool slot back
    with dagster_instance(home) as instance:
        [run] = instance.get_runs()
        assert run.job_name == "ingest_job" and IN_PROCESS_OWNER_TAG in run.tags
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        assert (info.limit, info.claimed_slots) == (1, [])

    # again: the same bytes are duplicates and the tables do not change
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    before = con.execute("select count(*) from raw.era_claims").fetchone()
    con.close()
    assert main(["ingest", "--json", "--direct", str(folder)]) == 0
    statuses = [json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()]
    assert statuses == ["duplicate"] * 3
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    assert con.execute("select count(*) from raw.era_claims").fetchone() == before
    assert con.execute("select count(*) from raw.load_ledger").fetchone() == (3,)
    con.close()


def test_rcm_ingest_usage_errors(home: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "/no/such/folder"]) == 2
    assert "no such file or folder: /no/such/folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--help"])
    assert exit_info.value.code == 0
    assert "a quarantined file" in capsys.readouterr().out


def test_in_process_runs_store_events_without_a_checkpoint_per_event(
    home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster's per-event SQLite connections: NORMAL sync and no WAL checkpoint on each close, while
    a job runs in this process; everything as before once it finished, and every event still stored."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    from orchestration.lib import dagster_home

    probe = tmp_path / "probe.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{probe}", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("PRAGMA journal_mode=WAL"))
        connection.execute(sqlalchemy.text("create table t (x int)"))
        connection.commit()

    def write_and_read_sync() -> int:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("insert into t values (1)"))
            connection.commit()
            return int(connection.execute(sqlalchemy.text("PRAGMA synchronous")).scalar_one())

    stock_sync = write_and_read_sync()
    wal = Path(f"{probe}-wal")
    monkeypatch.setattr(dagster_home, "CHECKPOINT_SECONDS", 0.2)
    with dagster_home._sqlite_storage_without_fsyncs():
        assert write_and_read_sync() == 1  # NORMAL
        # the connection closed, but the held one keeps the WAL from being checkpointed away
        assert wal.exists() and wal.stat().st_size > 0
        # ... until the checkpoint thread copies it into the database file, which is what the
        # Dagster UI watches to show a running run's new events
        before = probe.stat().st_mtime_ns
        assert write_and_read_sync() == 1
        deadline = time.monotonic() + 10
        while probe.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probe.stat().st_mtime_ns != before
        assert wal.exists()  # checkpointed, not deleted: the held connection is still open
    assert not wal.exists()  # the held connection closed last and checkpointed
    assert write_and_read_sync() == stock_sync  # stock again once no job runs
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("select count(*) from t")).scalar_one() == 4

    runs_dir = home.dagster_home / "history" / "runs"
    seen_during_run: list[bool] = []

    @dg.asset
    def one() -> int:
        return 1

    @dg.asset(deps=[one])
    def two(context) -> int:  # unannotated: Dagster rejects the string annotation of a local function
        # during the run its event file keeps its WAL (stock Dagster checkpoints and removes it
        # after every event)
        seen_during_run.append((runs_dir / f"{context.run.run_id}.db-wal").exists())
        return 2

    definitions = dg.Definitions(assets=[one, two], jobs=[dg.define_asset_job("probe_job")])
    result = dagster_home.execute_job_in_process("probe_job", definitions=definitions, settings=home)
    assert result.success
    assert seen_during_run == [True]
    assert not (runs_dir / f"{result.run_id}.db-wal").exists()  # checkpointed when the run ended
    with dagster_instance(home) as instance:
        stored = instance.all_logs(result.run_id)
        materialized = {
            event.dagster_event.asset_key.path[-1]
            for event in stored
            if event.dagster_event and event.dagster_event.is_step_materialization
        }
        assert materialized == {"one", "two"}
        assert any(event.dagster_event and event.dagster_event.is_successful_output for event in stored)
        assert instance.get_run_by_id(result.run_id).is_success


def test_in_process_runs_reuse_dagster_sqlite_engines(tmp_path: Path) -> None:
    """While a job runs here, Dagster's SQLite storages get one SQLAlchemy engine per file (its cache
    of compiled statements kept) instead of a new engine per event; stock behaviour after."""
    from dagster._core.storage.event_log.sqlite import sqlite_event_log
    from dagster._core.storage.runs.sqlite import sqlite_run_storage
    from sqlalchemy.pool import NullPool

    from orchestration.lib import dagster_home

    stock = (sqlite_event_log.create_engine, sqlite_run_storage.create_engine)
    url = f"sqlite:///{tmp_path / 'events.db'}"
    assert sqlite_event_log.create_engine(url, poolclass=NullPool) is not sqlite_event_log.create_engine(
        url, poolclass=NullPool
    )
    with dagster_home._sqlite_storage_without_fsyncs():
        first = sqlite_event_log.create_engine(url, poolclass=NullPool, connect_args={"timeout": 15})
        again = sqlite_event_log.create_engine(url, poolclass=NullPool, connect_args={"timeout": 15})
        other = sqlite_event_log.create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        runs = sqlite_run_storage.create_engine(f"sqlite:///{tmp_path / 'runs.db'}", poolclass=NullPool)
        assert first is again and other is not first and runs is not first
        for _ in range(3):  # used as Dagster uses it: connect, write, dispose
            with first.connect() as connection, connection.begin():
                connection.exec_driver_sql("create table if not exists t (x integer)")
                connection.exec_driver_sql("insert into t values (1)")
            first.dispose()
        with first.connect() as connection:
            assert connection.exec_driver_sql("select count(*) from t").scalar() == 3
    assert (sqlite_event_log.create_engine, sqlite_run_storage.create_engine) == stock
