"""The Dagster code location loads, and its pieces are wired the way the one-writer rule needs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.raw_assets import RAW_ASSET_KEYS, raw_files
from orchestration.defs.sensors import inbox_sensor
from orchestration.lib.csv_extracts import CSV_KINDS
from orchestration.lib.dagster_home import (
    dagster_instance,
    dagster_yaml_text,
    ensure_dagster_home,
    release_stale_warehouse_slots,
)
from orchestration.lib.raw_schema import TABLES
from orchestration.lib.warehouse import WAREHOUSE_POOL
from orchestration.settings import REPO_ROOT, get_settings


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    """The whole code location; the dbt assets need dbt's manifest, parsed first when stale."""
    from orchestration.commands.build import prepare_dbt_project

    prepare_dbt_project()
    from orchestration.definitions import defs as code_location

    return code_location


def test_definitions_load(defs) -> None:
    dg.Definitions.validate_loadable(defs)
    ingest = defs.resolve_job_def("ingest_job")
    build = defs.resolve_job_def("build_job")
    assert ingest.tags["rcm/writer"] == "warehouse" and build.tags["rcm/writer"] == "warehouse"
    daily = defs.resolve_schedule_def("daily_build_schedule")
    weekly = defs.resolve_schedule_def("weekly_full_build_schedule")
    assert daily.job_name == weekly.job_name == "build_job"
    # every day once: incremental Monday to Saturday, a full refresh (every test on every row) Sunday
    assert (daily.cron_schedule, weekly.cron_schedule) == ("0 6 * * 1-6", "0 6 * * 0")
    config = weekly.evaluate_tick(dg.build_schedule_context()).run_requests[0].run_config
    assert config == {"ops": {"rcm_dbt_assets": {"config": {"full_refresh": True}}}}
    dg.validate_run_config(build, config)  # raises when the job does not take it
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "ingest_job"


def test_raw_assets_cover_every_raw_table_in_the_warehouse_pool(defs) -> None:
    assert set(raw_files.keys) == {dg.AssetKey(["raw", table]) for table in TABLES}
    assert raw_files.op.pool == WAREHOUSE_POOL
    check_keys = {(key.asset_key, key.name) for key in defs.resolve_asset_graph().asset_check_keys}
    expected = {(RAW_ASSET_KEYS[spec.table], f"gx_{kind}_suite") for kind, spec in CSV_KINDS.items()}
    expected |= {
        (RAW_ASSET_KEYS["era_transactions"], "balanced_835_transactions"),
        (RAW_ASSET_KEYS["load_ledger"], "no_files_quarantined_in_run"),
    }
    assert expected <= check_keys


def test_build_job_is_dbt_and_publish_whichever_exist(defs) -> None:
    import importlib
    from importlib.util import find_spec

    expected: set[dg.AssetKey] = set()
    if find_spec("orchestration.defs.dbt_assets") is not None:
        expected |= set(importlib.import_module("orchestration.defs.dbt_assets").rcm_dbt_assets.keys)
    if find_spec("orchestration.defs.publish") is not None:
        expected |= set(importlib.import_module("orchestration.defs.publish").publish_snapshot.keys)
    assert set(defs.resolve_job_def("build_job").asset_layer.selected_asset_keys) == expected
    assert not expected & set(RAW_ASSET_KEYS.values())


def test_instance_config_limits_the_warehouse_pool_to_one(tmp_path: Path) -> None:
    settings = replace(get_settings(), home=tmp_path)
    home = ensure_dagster_home(settings)
    assert (home / "dagster.yaml").read_text() == dagster_yaml_text()
    with dagster_instance(settings) as instance:
        pool_config = instance.get_concurrency_config().pool_config
        assert pool_config.default_pool_limit == 1
        assert pool_config.pool_granularity.value == "op"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert limits == [{"key": "rcm/writer", "value": "warehouse", "limit": 1}]
        # a slot claimed by a run that no longer exists is stale and gets released
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, "gone-run-id", "raw_files")
        assert claim.is_claimed
        assert release_stale_warehouse_slots(instance) == ["gone-run-id"]
        assert storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots == []
    # a config the user took over (first line removed) is left alone
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(settings)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_inbox_sensor_requests_a_run_when_the_inbox_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCM_HOME", str(tmp_path))
    inbox = get_settings().inbox_dir
    inbox.mkdir(parents=True)
    assert isinstance(inbox_sensor(dg.build_sensor_context()), dg.SkipReason)

    (inbox / "remit.835").write_text("ISA*")
    (inbox / ".in-progress.835").write_text("ISA*")
    result = inbox_sensor(dg.build_sensor_context())
    assert len(result.run_requests) == 1 and result.run_requests[0].tags["rcm/inbox_files"] == "1"
    again = inbox_sensor(dg.build_sensor_context(cursor=result.cursor))
    assert isinstance(again, dg.SkipReason)

    (inbox / "claims.837").write_text("ISA*")
    changed = inbox_sensor(dg.build_sensor_context(cursor=result.cursor))
    assert changed.run_requests[0].tags["rcm/inbox_files"] == "2" and changed.cursor != result.cursor


def test_dbt_resource_skips_only_what_the_project_does_not_use() -> None:
    from dagster_dbt import DbtCliResource

    from orchestration.defs.dbt_assets import DBT_PROJECT, dbt_resource
    from orchestration.lib.dbt_warm import dbt_path

    # the private methods overridden still exist in the pinned dagster-dbt
    assert "_cli_version" in vars(DbtCliResource) and "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    ours = dbt_resource()
    theirs = DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_path())
    assert ours._cli_version == theirs._cli_version  # theirs runs `dbt --version`
    assert ours._initialize_dbt_core_adapter([]) is None


def test_only_a_whole_incremental_build_skips_unit_tests_seed_loads_and_views(defs) -> None:
    from orchestration.defs.dbt_assets import DbtBuildConfig, dbt_build_args

    skip = ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "seed"]
    skip += ["--exclude", "config.materialized:view", "--indirect-selection", "empty"]
    config = DbtBuildConfig()
    assert dbt_build_args(config, full_refresh=False, skip_unchanged=True) == ["build", *skip]
    # a subset picked in the Dagster UI runs what it selects, seeds, views and unit tests included
    assert dbt_build_args(config, full_refresh=False, skip_unchanged=False) == ["build"]
    assert dbt_build_args(config, full_refresh=True, skip_unchanged=True) == ["build", "--full-refresh"]
    pinned = dbt_build_args(DbtBuildConfig(as_of_date="2026-01-31"), full_refresh=True)
    assert pinned == ["build", "--vars", '{"as_of_date": "2026-01-31"}', "--full-refresh"]


def test_ensure_dagster_home_when_two_threads_start_together(tmp_path: Path) -> None:
    """Both write the config at once on a new home: neither fails, and the file is ours, whole."""
    import threading

    settings = replace(get_settings(), home=tmp_path / "home")
    config = settings.dagster_home / "dagster.yaml"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            ensure_dagster_home(settings)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    for _ in range(25):
        config.unlink(missing_ok=True)
        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert config.read_text(encoding="utf-8") == dagster_yaml_text()
    assert sorted(path.name for path in settings.dagster_home.glob("*.tmp")) == []


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter of this virtualenv from the repository root."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_code_location_loads_without_dbt_core_in_memory(defs) -> None:
    # ADR 0012: dbt runs in its own process; this one imports dagster-dbt in its mode without dbt-core
    completed = _python(
        """
        import sys
        import orchestration.definitions
        from dagster_dbt.compat import DBT_PYTHON_VERSION
        loaded = sorted(name for name in sys.modules if name == "dbt" or name.startswith("dbt."))
        print(DBT_PYTHON_VERSION, loaded)
        """
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "None []"
    # the same asset graph as dagster-dbt with dbt-core would define: every model, seed and test
    import json

    from dagster_dbt import get_asset_key_for_model

    from orchestration.defs.dbt_assets import DBT_PROJECT, rcm_dbt_assets

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    nodes = manifest["nodes"].values()
    models = [n["name"] for n in nodes if n["resource_type"] == "model"]
    tests = [n for n in nodes if n["resource_type"] == "test"]
    assert {get_asset_key_for_model([rcm_dbt_assets], name) for name in models} <= rcm_dbt_assets.keys
    assert len(rcm_dbt_assets.check_keys) == len(tests)


def test_the_ingest_location_imports_neither_dagster_dbt_nor_dbt() -> None:
    # `rcm ingest` loads files without the dbt project: it pays for neither import
    completed = _python(
        """
        import sys
        import orchestration.defs.ingest_location
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("dbt", "dagster_dbt")))
        """
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_dbt_core_imported_before_stays_imported_as_it_was() -> None:
    completed = _python(
        """
        import sys
        import dbt.version
        before = sys.modules["dbt.version"]
        from orchestration.lib.dagster_dbt_import import dagster_dbt_has_dbt_core, import_dagster_dbt
        import_dagster_dbt()
        import dbt.contracts.results
        print(dagster_dbt_has_dbt_core(), sys.modules["dbt.version"] is before)
        """
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False True"


def test_dagster_dev_loads_the_code_location_without_dbt_on_path(defs) -> None:
    # dagster-dbt's own prepare_if_dev() looked for `dbt` on PATH: with the virtualenv not activated
    # the code location failed to load under `rcm dagster`
    env = {**os.environ, "DAGSTER_IS_DEV_CLI": "1", "PATH": "/usr/bin:/bin"}
    completed = _python("import orchestration.definitions; print('loaded')", env=env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("loaded")


def test_two_processes_parse_the_dbt_project_one_after_the_other(defs, tmp_path: Path) -> None:
    # dbt writes the manifest in place: two parses at once (two pytest-xdist workers after an edit,
    # `rcm dagster` next to `rcm build`) let one process read the other's half-written file
    code = textwrap.dedent(
        """
        import json, time
        from orchestration.commands import build
        parse = build._parse
        def timed(settings, manifest):
            started = time.monotonic()
            parse(settings, manifest)
            print("parsed", started, time.monotonic(), flush=True)
        build._parse = timed
        json.loads(build.prepare_dbt_project(force=True).read_text(encoding="utf-8"))
        """
    )
    env = {**os.environ, "RCM_HOME": str(tmp_path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    spans = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        [line] = [line for line in stdout.splitlines() if line.startswith("parsed ")]
        spans.append(tuple(float(value) for value in line.split()[1:]))
    first, second = sorted(spans)
    assert first[1] <= second[0], spans
