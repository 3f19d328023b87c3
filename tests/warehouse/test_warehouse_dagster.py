"""The dbt project as Dagster assets: keys, lineage to the raw assets, checks, and the publish step.

A mistyped key would silently detach lineage or drop a check, so the keys are asserted here.
"""

from __future__ import annotations

from types import ModuleType

import dagster as dg
import pytest

from orchestration.commands.build import prepare_dbt_project
from orchestration.lib.publish import MART_TABLES
from orchestration.lib.raw_schema import TABLES


@pytest.fixture(scope="module")
def dbt_defs() -> tuple[ModuleType, ModuleType]:
    prepare_dbt_project()
    from orchestration.defs import dbt_assets, publish

    return dbt_assets, publish


def test_models_and_seeds_have_layered_keys(dbt_defs: tuple[ModuleType, ModuleType]) -> None:
    dbt_assets, _ = dbt_defs
    keys = {key.to_user_string() for key in dbt_assets.rcm_dbt_assets.keys}
    assert "marts/fct_claims" in keys
    assert "staging/stg_raw__era_claims" in keys
    assert "intermediate/int_ar_intervals_split" in keys
    assert "seeds/carc_categories" in keys
    assert {f"marts/{table}" for table in MART_TABLES} <= keys


def test_sources_depend_on_the_raw_asset_keys(dbt_defs: tuple[ModuleType, ModuleType]) -> None:
    from orchestration.defs.raw_assets import RAW_ASSET_KEYS

    dbt_assets, _ = dbt_defs
    upstream = set()
    for deps in dbt_assets.rcm_dbt_assets.asset_deps.values():
        upstream |= set(deps)
    raw_deps = {key for key in upstream if key.path[0] == "raw"}
    assert raw_deps == set(RAW_ASSET_KEYS.values())
    assert len(raw_deps) == len(TABLES)


def test_dbt_tests_become_checks_on_the_marts(dbt_defs: tuple[ModuleType, ModuleType]) -> None:
    dbt_assets, _ = dbt_defs
    checks = {(key.asset_key.to_user_string(), key.name) for key in dbt_assets.rcm_dbt_assets.check_keys}
    assert ("marts/fct_claims", "row_rules_fct_claims") in checks
    assert ("marts/dim_providers", "primary_key_dim_providers_npi") in checks
    assert any(asset == "marts/mart_ar_aging_daily" for asset, _ in checks)
    assert len(checks) > 75


def test_publish_runs_after_every_mart(dbt_defs: tuple[ModuleType, ModuleType]) -> None:
    dbt_assets, publish = dbt_defs
    (deps,) = publish.publish_snapshot.asset_deps.values()
    assert deps == {dg.AssetKey(["marts", table]) for table in MART_TABLES}
    assert deps <= set(dbt_assets.rcm_dbt_assets.keys)


def test_definitions_assemble_the_build_job(dbt_defs: tuple[ModuleType, ModuleType]) -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def("build_job")
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert "publish_snapshot" in selected
    assert "marts/fct_claims" in selected
