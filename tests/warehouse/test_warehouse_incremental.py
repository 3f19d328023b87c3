"""The incremental daily build (ADR 0007): when it runs, and that it equals a full refresh.

The acceptance test builds a small demo with its last X12 days held back, loads them one day at a
time with an incremental build after each (plus replaced versions of CSV extracts, whose dropped
rows must vanish), then rebuilds everything from scratch: every intermediate and mart table must
hold the same rows, to the cent, as after the incremental builds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.commands.bench import hold_back_last_day
from orchestration.lib import build_state
from orchestration.settings import Settings, get_settings

HELD_DAYS = 2


STAMP = "rcm_built_at"  # when the dbt run that wrote a row of an incremental model started


def _fingerprints(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Per intermediate and mart table: row count and an order-free sum of row hashes, without the
    build stamp (which differs between any two builds)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name, bool_or(column_name = ?) from information_schema.columns "
            "where table_schema in ('intermediate', 'marts') and table_name not like 'int_changed_%' "
            "and (table_schema, table_name) in (select table_schema, table_name from "
            "information_schema.tables where table_type = 'BASE TABLE') group by all order by 1, 2",
            [STAMP],
        ).fetchall()
        return {
            f"{schema}.{table}": con.execute(
                "select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from "
                f'(select * {f"exclude ({STAMP})" if stamped else ""} from "{schema}"."{table}") t'
            ).fetchone()
            for schema, table, stamped in tables
        }
    finally:
        con.close()


def _check_the_stamps(settings: Settings) -> None:
    """After an incremental build, the rows of each incremental model stamped by that build are
    exactly its rows of the changed files or match keys: what its data tests read
    (dbt_project/macros/test_scope.sql)."""
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text(encoding="utf-8"))
    models = [
        node for node in manifest["nodes"].values()
        if node["config"].get("incremental_strategy") == "rcm_replace"
    ]  # fmt: skip
    assert len(models) >= 18, len(models)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute(
            "select count(*) from information_schema.columns "
            "where starts_with(column_name, ?) and column_name <> ?",
            [STAMP, STAMP],
        ).fetchone() == (0,), "a model carries an upstream's stamp as well as its own"
        tables = [f'"{node["schema"]}"."{node["name"]}"' for node in models]
        latest = " union all ".join(f"select max({STAMP}) as stamp from {table}" for table in tables)
        (stamp,) = con.execute(f"select max(stamp) from ({latest})").fetchone()
        stamped_somewhere = 0
        for node, table in zip(models, tables, strict=True):
            column = node["config"]["rcm_replace_column"]
            if node["config"]["rcm_replace_by"] == "file":
                changed = f"{column} in (select file_id from intermediate.int_changed_files_listed)"
            else:
                changed = f"coalesce({column}, '') in (select match_key from intermediate.int_changed_match_keys_listed)"
            by_key = f"select * exclude ({STAMP}) from {table} where {changed}"
            by_stamp = f"select * exclude ({STAMP}) from {table} where {STAMP} = ?"
            counts = con.execute(
                f"select (select count(*) from ({by_key})), (select count(*) from ({by_stamp})), "
                f"(select count(*) from ({by_key} except all {by_stamp})), "
                f"(select count(*) from ({by_stamp} except all {by_key}))",
                [stamp, stamp, stamp],
            ).fetchone()
            if node["config"].get("rcm_replace_new_keys"):
                # fct_claims also rewrites the keys whose dimension names went stale: at least the
                # changed keys' rows carry the stamp (the dimension test is in the fixture)
                assert counts[0] <= counts[1] and counts[2] == 0, (node["name"], counts)
            else:
                assert counts[0] == counts[1] and counts[2:] == (0, 0), (node["name"], counts)
            stamped_somewhere += counts[1]
        assert stamped_somewhere > 0


@dataclass
class IncrementalRun:
    settings: Settings
    modes: list[str]
    incremental: dict[str, tuple[int, str]]
    full: dict[str, tuple[int, str]]
    changed_keys: list[int]
    renamed_payer: tuple[str, str, bool]  # DIMTEST1's payer name, the other claim's, whether its key changed
    as_of_dates: list[dt.date]  # after each build


def _load(paths: list[Path], settings: Settings) -> None:
    from orchestration.lib.loader import load_files
    from orchestration.lib.warehouse import writer_lock

    with writer_lock(settings, purpose="tests incremental load"):
        load_files(paths, settings)


def _build(settings: Settings, **options: object) -> str:
    from orchestration.commands.build import run_build

    summary = run_build(settings, **options)
    assert summary.success, "\n".join(summary.lines())
    assert summary.mode, "the build did not say whether it was incremental"
    # dbt unit tests run and seeds load on a full refresh only: an incremental build runs the
    # recorded build's code on its seeds
    unit_tests, seeds = summary.counts.get("unit_test", {}), summary.counts.get("seed", {})
    if summary.mode.startswith("incremental"):
        assert not unit_tests and not seeds, (unit_tests, seeds)
        lines = "\n".join(summary.lines())
        assert "unit tests: not run" in lines and "seeds: already loaded" in lines
        assert "views: unchanged" in lines
        _check_what_ran_incrementally(settings)
        _check_the_stamps(settings)
    else:
        assert unit_tests.get("pass", 0) > 0 and set(unit_tests) == {"pass"}, unit_tests
        assert seeds.get("success", 0) > 0 and set(seeds) == {"success"}, seeds
    _check_the_snapshot(settings, summary.mode)
    return summary.mode


def _check_what_ran_incrementally(settings: Settings) -> None:
    """An incremental build, through dagster-dbt's command line, ran every table and incremental
    model and every data test (those of the incremental models on the changed rows only, those of
    the views too): only seed loads, unit tests and the views' re-creation are left out."""
    target = settings.dbt_target_dir
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"] for r in results if not r["unique_id"].startswith("operation.")}  # hooks aside
    nodes = manifest["nodes"]
    views = {
        k for k, v in nodes.items() if v["resource_type"] == "model" and v["config"]["materialized"] == "view"
    }
    expected = {k for k, v in nodes.items() if v["resource_type"] in ("model", "test")} - views
    assert ran == expected, sorted(ran ^ expected)[:10]
    # the views' own data tests ran, on the views as the last recorded build created them
    on_views = {
        k for k, v in nodes.items() if v["resource_type"] == "test" and views & set(v["depends_on"]["nodes"])
    }
    assert views and on_views and on_views <= ran


def _check_the_snapshot(settings: Settings, mode: str) -> None:
    """The published fct_claim_events, a base plus a delta after an incremental build (ADR 0008),
    holds exactly the warehouse's rows."""
    from orchestration.lib import publish

    folder = publish.current_snapshot_dir(settings)
    assert folder is not None
    base = publish.read_manifest(folder)["deltas"]["fct_claim_events"]["base"]
    if mode.startswith("incremental"):
        assert base != folder.name and (folder / "fct_claim_events.delta" / "rows.parquet").is_file()
    else:
        assert base == folder.name and not (folder / "fct_claim_events.delta").exists()
    fingerprint = "select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {} t"
    reader = publish.open_snapshot(folder)
    try:
        published = reader.execute(fingerprint.format("fct_claim_events")).fetchone()
    finally:
        reader.close()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert con.execute(fingerprint.format("marts.fct_claim_events")).fetchone() == published
    finally:
        con.close()


CSV_CLAIMS_HEADER = (
    "patient_control_number,line_number,claim_type,payer_id,payer_name,patient_id,billing_provider_npi,"
    "rendering_provider_npi,location_id,service_date,submission_date,procedure_code,modifiers,revenue_code,"
    "units,charge_amount,diagnosis_codes,place_of_service_code,claim_frequency_code"
)


def _write_payer_claim(folder: Path, name: str, pcn: str, payer_name: str, day: str) -> None:
    """A claims CSV of one claim for ZZ901, a payer the seed lacks: dim_payers names it by the
    smallest name seen in the data."""
    folder.mkdir(parents=True, exist_ok=True)
    row = (
        f"{pcn},1,professional,ZZ901,{payer_name},PATDIM1,1999999984,1999999984,LOCDIM1,{day},{day},"
        "99213,,,1,125.00,J069,11,1"
    )
    (folder / name).write_text(f"{CSV_CLAIMS_HEADER}\n{row}\n", encoding="utf-8")


def _renamed_payer(settings: Settings) -> tuple[str, str, bool]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        names = dict(
            con.execute(
                "select patient_control_number, payer_name from marts.fct_claims "
                "where patient_control_number in ('DIMTEST1', 'DIMTEST2')"
            ).fetchall()
        )
        changed = con.execute(
            "select count(*) > 0 from intermediate.int_changed_match_keys_listed where match_key = 'DIMTEST1'"
        ).fetchone()[0]
    return names["DIMTEST1"], names["DIMTEST2"], changed


def _as_of_date(settings: Settings) -> dt.date:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("select as_of_date from intermediate.int_as_of_date_selected").fetchone()[0]


def _changed_keys(settings: Settings) -> int:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select count(*) from intermediate.int_changed_match_keys_listed").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def incremental_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncrementalRun]:
    from orchestration.demo import generate

    root = tmp_path_factory.mktemp("incremental")
    demo = root / "demo"
    generate(demo, claims=1500, seed=11, months=3)
    shutil.rmtree(demo / "bad", ignore_errors=True)  # the loader's own tests
    # The last HELD_DAYS days of X12 files, one folder each, loaded later oldest first.
    held: list[Path] = []
    for number in range(HELD_DAYS):
        folder = root / "held" / str(number)
        assert hold_back_last_day(demo, folder), "no dated X12 file left to hold back"
        held.insert(0, folder)
    assert any("835" in p.name for folder in held for p in folder.rglob("*")), "no 835 in the held days"

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCM_HOME", str(root / "home"))
        patch.setenv("RCM_LOG_LEVEL", "WARNING")
        patch.setenv("RCM_LOCK_TIMEOUT", "600")
        # every increment of this small demo changes a large share of its few encounters: publish
        # deltas anyway, to check them (the default writes the table whole above 2% of its rows)
        from orchestration.lib import publish

        patch.setattr(publish, "MAX_DELTA_SHARE", 0.9)
        settings = get_settings()
        settings.ensure_dirs()
        # A payer's name in the dimension changes with a later day's file, on a claim that file does
        # not name (fct_claims must rewrite it: stale_keys): DIMTEST1 names ZZ901 "Zeta ..." in the
        # first load, DIMTEST2 names it "Alpha ..." with the first held day.
        day = f"{sorted((demo / 'csv').glob('adjustments_*.csv'))[0].stem[-6:]}15"
        day = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        _write_payer_claim(
            root / "dimension" / "0", "claims_dimtest_1.csv", "DIMTEST1", "Zeta Health Plan", day
        )
        _write_payer_claim(held[0], "claims_dimtest_2.csv", "DIMTEST2", "Alpha Health Plan", day)
        _load([demo / "x12", demo / "csv", root / "dimension" / "0"], settings)
        modes = [_build(settings)]
        as_of_dates = [_as_of_date(settings)]
        # The CSV extracts run to the demo's last day, so the held X12 days leave the as-of date
        # where it is: a claim submitted after it, with the last held day, moves it (fct_claims'
        # post-hook must move every claim's as-of columns).
        later = (as_of_dates[0] + dt.timedelta(days=5)).isoformat()
        _write_payer_claim(held[-1], "claims_dimtest_3.csv", "DIMTEST3", "Zeta Health Plan", later)
        changed = []
        renamed = None
        for folder in held:
            _load([folder], settings)
            modes.append(_build(settings))
            as_of_dates.append(_as_of_date(settings))
            changed.append(_changed_keys(settings))
            renamed = renamed or _renamed_payer(settings)
        # Replaced versions of three extracts (same names, every other row dropped): their dropped
        # rows' match keys must lose those rows.
        replaced = root / "replaced"
        replaced.mkdir()
        for prefix in ("patient_payments_", "adjustments_", "claim_activities_"):
            source = sorted((demo / "csv").glob(f"{prefix}*.csv"))[-1]
            lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
            (replaced / source.name).write_text(lines[0] + "".join(lines[1::2]), encoding="utf-8")
        _load([replaced], settings)
        modes.append(_build(settings))
        changed.append(_changed_keys(settings))
        # A version loaded and built by a run that recorded nothing (dbt by hand here; a failed or
        # subset build alike), then replaced before the next recorded build: its rows must go too.
        from warehouse_support import run_dbt

        source = sorted((demo / "csv").glob("patient_payments_*.csv"))[-2]
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        extra = root / "extra_v1"
        extra.mkdir()
        (extra / "patient_payments_resent.csv").write_text("".join(lines[:-1]), encoding="utf-8")
        _load([extra], settings)
        built = run_dbt(["build"], settings.warehouse_path, root / "target")
        assert built.returncode == 0, built.stdout[-3000:]
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            # on-run-start: the published snapshot may now differ anywhere (ADR 0008)
            assert con.execute("select dirty from build_state.publish_state").fetchall() == [(True,)]
        extra = root / "extra_v2"
        extra.mkdir()
        (extra / "patient_payments_resent.csv").write_text(lines[0] + "".join(lines[1::3]), encoding="utf-8")
        _load([extra], settings)
        modes.append(_build(settings))
        changed.append(_changed_keys(settings))
        incremental = _fingerprints(settings.warehouse_path)
        modes.append(_build(settings, full_refresh=True))
        full = _fingerprints(settings.warehouse_path)
        yield IncrementalRun(settings, modes, incremental, full, changed, renamed, as_of_dates)


def test_incremental_builds_equal_a_full_refresh(incremental_run: IncrementalRun, tmp_path: Path) -> None:
    """One test, not several: the fixture's builds take minutes, and pytest-xdist would build it
    once per worker that runs a test of this module."""
    modes = incremental_run.modes
    assert modes[0].startswith("full refresh: no recorded build"), modes
    assert all(mode.startswith("incremental") for mode in modes[1:-1]), modes
    assert modes[-1].startswith("full refresh: full refresh asked for"), modes
    # each increment recomputed some encounter groups, and far from all of them
    claims = incremental_run.full["marts.fct_claims"][0]
    assert all(0 < keys < claims / 2 for keys in incremental_run.changed_keys), incremental_run.changed_keys

    # the day that renamed payer ZZ901 rewrote DIMTEST1, whose key it did not change
    assert incremental_run.renamed_payer == ("Alpha Health Plan", "Alpha Health Plan", False)
    # the last held day moved the as-of date, by five days
    dates = incremental_run.as_of_dates
    assert dates[0] == dates[HELD_DAYS - 1] and dates[HELD_DAYS] == dates[0] + dt.timedelta(days=5), dates

    full, incremental = incremental_run.full, incremental_run.incremental
    assert "marts.fct_claim_events" in full and "intermediate.int_remits_matched" in full
    differing = {
        name: (incremental.get(name), full[name]) for name in full if incremental.get(name) != full[name]
    }
    assert not differing, f"incremental (count, hash) != full refresh: {differing}"
    assert set(incremental) == set(full)

    warehouse = incremental_run.settings.warehouse_path
    # dbt run by hand with a pinned as-of date forgets the record (on-run-start), so the next
    # `rcm build` is a full refresh
    from warehouse_support import run_dbt

    completed = run_dbt(
        ["run", "--select", "int_as_of_date_selected", "--vars", "{as_of_date: '2025-06-30'}"],
        warehouse,
        tmp_path / "target",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from build_state.builds").fetchone()[0] == 0
    finally:
        con.close()

    _check_that_incremental_runs_test_only_the_changed_rows(warehouse, tmp_path)


def _check_that_incremental_runs_test_only_the_changed_rows(warehouse: Path, tmp_path: Path) -> None:
    """With RCM_TEST_SCOPE=changed (what `rcm build` sets on an incremental run) a data test of an
    incremental model reads the rows that run wrote (those stamped with its start; a `dbt test` on
    its own stands one in with the var rcm_built_at), and one of a raw staging view the changed
    files only; without it (dbt by hand) every row. Spoils the warehouse: the last check on it."""
    key = "coalesce(substring(patient_control_number, 1, 20), '')"
    stamp = "2001-02-03 04:05:06.789"
    select = [
        "test",
        "--select",
        "row_rules_fct_claim_events",
        "--vars",
        f"{{{STAMP}: '{stamp}'}}",
    ]
    test_name = "row_rules_fct_claim_events"
    # one event of the key: the test counts failing rows
    one_event = f"event_id = (select min(event_id) from marts.fct_claim_events where {key} = ?)"
    with duckdb.connect(str(warehouse)) as con:
        changed, other = (
            row[0]
            for row in con.execute(
                f"select distinct {key} as k from marts.fct_claim_events where k <> '' order by k limit 2"
            ).fetchall()
        )
        con.execute(f"update marts.fct_claim_events set {STAMP} = ? where {key} = ?", [stamp, changed])
        con.execute(f"update marts.fct_claim_events set event_type = 'bogus' where {one_event}", [other])
    _expect_the_bad_row(select, test_name, warehouse, tmp_path, seen_when_scoped=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update marts.fct_claim_events set event_type = 'bogus' where {one_event}", [changed])
    _expect_the_bad_row(select, test_name, warehouse, tmp_path, seen_when_scoped=True)

    # The raw staging views are tested on the changed files, computed live from the ledger and the
    # record: a duplicate row in a recorded file is not seen, in a changed one it is.
    select = ["test", "--select", "stg_raw__era_claims,test_name:unique_combination_of_columns"]
    test_name = "unique_combination_of_columns_stg_raw__era_claims_file_id__claim_position"
    with duckdb.connect(str(warehouse)) as con:
        build_state.record_build(con, "any")  # every loaded file recorded: none changed
        (file_id,) = con.execute(
            "select file_id from staging.stg_raw__era_claims group by file_id order by file_id limit 1"
        ).fetchone()
        con.execute(
            "insert into raw.era_claims select * from raw.era_claims where file_id = ? limit 1", [file_id]
        )
    _expect_the_bad_row(select, test_name, warehouse, tmp_path, seen_when_scoped=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from build_state.built_files where file_id = ?", [file_id])
    _expect_the_bad_row(select, test_name, warehouse, tmp_path, seen_when_scoped=True)


def _expect_the_bad_row(
    select: list[str], test_name: str, warehouse: Path, tmp_path: Path, *, seen_when_scoped: bool
) -> None:
    """Run the test scoped (as an incremental `rcm build` would) and, when the scoped run must pass,
    also unscoped, which must fail on the one bad row."""
    from warehouse_support import run_dbt

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCM_TEST_SCOPE", "changed")
        scoped = run_dbt(select, warehouse, tmp_path / "target")
    if seen_when_scoped:
        assert scoped.returncode != 0 and f"FAIL 1 {test_name}" in scoped.stdout, scoped.stdout[-3000:]
        return
    assert scoped.returncode == 0 and test_name in scoped.stdout, scoped.stdout[-3000:]
    whole = run_dbt(select, warehouse, tmp_path / "target")
    assert whole.returncode != 0 and f"FAIL 1 {test_name}" in whole.stdout, whole.stdout[-3000:]


# --- when a build may be incremental (build_state.plan_build), on an in-memory warehouse ---------


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("create schema staging")
    connection.execute(
        "create view staging.stg_raw__load_ledger as "
        "select * from (values ('a', true, true), ('b', true, true), ('c', false, true), ('d', false, false)) "
        "as t(file_id, is_current_version, is_loaded)"
    )
    connection.execute("create schema intermediate")
    connection.execute(
        "create table intermediate.int_as_of_date_selected as select date '2026-01-31' as as_of_date"
    )
    yield connection
    connection.close()


def _plan(con: duckdb.DuckDBPyConnection, **options: object) -> build_state.BuildPlan:
    defaults: dict[str, object] = {"as_of_date": None, "subset": False, "checksum": "v1"}
    return build_state.plan_build(con, **{**defaults, **options})


def test_plan_is_full_until_a_build_is_recorded(con: duckdb.DuckDBPyConnection) -> None:
    plan = _plan(con)
    assert plan.full_refresh and plan.record and "no recorded build" in plan.reason
    assert build_state.record_build(con, plan.checksum) == 2  # the current versions only
    # every loaded file, with whether it was current: a replaced one ('c') is not changed next time
    assert con.execute("select file_id, is_current from build_state.built_files order by 1").fetchall() == [
        ("a", True),
        ("b", True),
        ("c", False),
    ]
    plan = _plan(con)
    assert not plan.full_refresh and plan.mode == "incremental"


def test_plan_is_full_when_the_project_changed(con: duckdb.DuckDBPyConnection) -> None:
    build_state.record_build(con, "v1")
    plan = _plan(con, checksum="v2")
    assert plan.full_refresh and plan.record and "changed" in plan.reason
    # forgotten until that full refresh succeeds: should it fail and the code be reverted, the next
    # build must not build incrementally on tables the other code half rebuilt
    assert _plan(con, checksum="v1").full_refresh


def test_a_pinned_run_is_full_and_forgets_the_record(con: duckdb.DuckDBPyConnection) -> None:
    build_state.record_build(con, "v1")
    plan = _plan(con, as_of_date="2026-01-31")
    assert plan.full_refresh and not plan.record and "pinned" in plan.reason
    # the build after it starts from scratch: the pinned run's tables were cut at another date
    after = _plan(con)
    assert after.full_refresh and "no recorded build" in after.reason


def test_a_subset_run_is_incremental_but_never_recorded(con: duckdb.DuckDBPyConnection) -> None:
    build_state.record_build(con, "v1")
    plan = _plan(con, subset=True)
    assert not plan.full_refresh and not plan.record and "subset" in plan.reason
    # the record stays: the next whole build recomputes what changed since, in every model
    assert con.execute("select count(*) from build_state.built_files where is_current").fetchone()[0] == 2
    assert _plan(con).mode == "incremental"
    assert _plan(con, subset=True, checksum="v2").full_refresh


def test_the_plan_is_noted_for_the_summary(con: duckdb.DuckDBPyConnection) -> None:
    _plan(con)
    assert con.execute("select mode, reason from build_state.last_plan").fetchall() == [
        ("full refresh", "no recorded build to start from")
    ]


def test_project_checksum_follows_the_project_files(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    model = project / "models" / "m.sql"
    model.write_text("select 1\n")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "s.csv").write_text("a\n1\n")
    first = build_state.project_checksum(project, seeds)
    assert build_state.project_checksum(project, seeds) == first
    model.write_text("select 2\n")
    assert build_state.project_checksum(project, seeds) != first
    model.write_text("select 1\n")
    (seeds / "s.csv").write_text("a\n2\n")
    assert build_state.project_checksum(project, seeds) != first
    (seeds / "s.csv").write_text("a\n1\n")
    # the same files elsewhere (a clone moved or renamed) are the same project
    moved = tmp_path / "elsewhere"
    shutil.copytree(project, moved / "project")
    shutil.copytree(seeds, moved / "seeds")
    assert build_state.project_checksum(moved / "project", moved / "seeds") == first
    # a file renamed is not
    model.rename(project / "models" / "n.sql")
    assert build_state.project_checksum(project, seeds) != first


def test_what_the_next_publish_may_reuse(con: duckdb.DuckDBPyConnection) -> None:
    """publish_state: nothing reusable until a snapshot is published; then the keys each successful
    incremental run rebuilt add up; a started run, a full refresh or a pinned run void it."""
    con.execute("create table intermediate.int_changed_match_keys_listed as select 'K1' as match_key")
    _plan(con)
    assert build_state.changed_since_publish(con) is None  # nothing published yet
    build_state.mark_published(con, "20260101T000000000000Z")
    since = build_state.changed_since_publish(con)
    assert since is not None and since.snapshot_id == "20260101T000000000000Z"
    assert con.execute(since.keys_query).fetchall() == []

    build_state.record_build(con, "v1")
    assert _plan(con).mode == "incremental"
    assert build_state.changed_since_publish(con) is None  # a run started: until it succeeds, anything
    build_state.note_changes(con, full_refresh=False)
    con.execute("update intermediate.int_changed_match_keys_listed set match_key = 'K2'")
    _plan(con, subset=True)
    build_state.note_changes(con, full_refresh=False)
    since = build_state.changed_since_publish(con)
    assert since is not None and sorted(con.execute(since.keys_query).fetchall()) == [("K1",), ("K2",)]

    # dbt by hand marks it dirty (on-run-start), like a run that started and did not finish
    con.execute("update build_state.publish_state set dirty = true")
    assert build_state.changed_since_publish(con) is None
    build_state.mark_published(con, "20260102T000000000000Z")
    assert build_state.changed_since_publish(con) is not None
    build_state.note_changes(con, full_refresh=True)  # after a full refresh, everything changed
    assert build_state.changed_since_publish(con) is None
    build_state.mark_published(con, "20260102T100000000000Z")
    _plan(con, checksum="v2")  # a full refresh planned: forgets the state before it runs
    assert build_state.changed_since_publish(con) is None
    build_state.mark_published(con, "20260103T000000000000Z")
    _plan(con, as_of_date="2026-01-31")
    assert build_state.changed_since_publish(con) is None
