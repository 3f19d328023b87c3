"""The dbt project as Dagster assets: seeds and models become assets, dbt tests become asset checks.

``rcm_dbt_assets`` runs ``dbt build`` (seeds, models, tests in dependency order) on the warehouse
file while holding the writer lock, so an ingest never interleaves with it. The translator carries
the key policy: dbt sources of schema ``raw`` map to the raw assets' keys ``["raw", <table>]`` (the
ingestion assets), models to ``[<schema>, <model>]`` (``["marts", "fct_claims"]``), seeds to
``["seeds", <seed>]``.

The manifest must exist before this module is imported (``@dbt_assets`` reads it): ``rcm build`` and
the tests run ``dbt parse`` first (``orchestration.commands.build.prepare_dbt_project``), and so
does this module under ``dagster dev`` (``_prepare_if_dev``).
"""

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.lib.dagster_dbt_import import (  # dagster-dbt without dbt-core (ADR 0012)
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from orchestration.lib.warehouse import WAREHOUSE_POOL
from orchestration.settings import DBT_PROJECT_DIR, Settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _prepare_if_dev() -> None:
    """Under ``dagster dev`` (`rcm dagster`), parse the dbt project when a project file is newer than
    its manifest, so that a reloaded code location sees an edited model.

    In place of dagster-dbt's ``DBT_PROJECT.prepare_if_dev()``, which ran `dbt parse` on every load
    with the ``dbt`` it finds on PATH: a load failed when the virtualenv was not activated (no
    ``dbt`` on PATH), and took ~18 s when it was (`dbt --version`, then the parse).
    """
    if os.environ.get("DAGSTER_IS_DEV_CLI"):  # what dagster-dbt's using_dagster_dev() reads
        from orchestration.commands.build import prepare_dbt_project

        prepare_dbt_project()


_prepare_if_dev()

# dbt's partial parse of `dbt parse` (prepare_dbt_project), which a home's first build starts from
PARSE_STATE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"

LAYER_GROUPS = ("staging", "intermediate", "marts")


def build_target_dir(settings: Settings) -> Path:
    """The fixed dbt target folder of a home's builds (``Settings.dbt_target_dir``).

    Fixed, not a fresh one per run: dbt's partial parsing then reuses the previous parse, and
    `rcm build` reads run_results.json from a known place. A home's first build starts from the
    project's last `dbt parse`; dbt parses again in full if that parse does not fit (another
    profile, other vars).
    """
    target = settings.dbt_target_dir
    target.mkdir(parents=True, exist_ok=True)
    state = target / PARSE_STATE.name
    if not state.exists() and PARSE_STATE.exists():
        with contextlib.suppress(OSError):  # only a head start: dbt parses in full without it
            shutil.copyfile(PARSE_STATE, state)
    return target


class RcmDbtTranslator(DagsterDbtTranslator):
    """Asset keys and groups for the dbt project (see the module docstring)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        if resource_type == "seed":
            return dg.AssetKey(["seeds", dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYER_GROUPS:
            if layer in fqn:
                return f"dbt_{layer}"
        return "dbt"


TRANSLATOR = RcmDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(dg.Config):
    """Run options: ``as_of_date`` (YYYY-MM-DD) pins the marts' as-of date (dbt var as_of_date);
    ``full_refresh`` rebuilds the incremental models from scratch (ADR 0007)."""

    as_of_date: str | None = None
    full_refresh: bool = False


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the dbt subprocess (dagster-dbt copies os.environ), then restore."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# dbt's selector for the views a whole incremental build leaves as they are (dbt_build_args)
UNCHANGED_VIEWS_EXCLUDED = ("--exclude", "config.materialized:view")


def dbt_build_args(
    config: DbtBuildConfig, *, full_refresh: bool | None = None, skip_unchanged: bool = False
) -> list[str]:
    """The dbt command line (without the selection dagster-dbt adds for a subset).

    ``skip_unchanged`` (a whole incremental build) leaves out what that build would only redo as it
    was: the unit tests, whose inputs are fixed in the project; the seeds, loaded already; and the
    views (the staging views over the raw tables), whose SQL depends on neither vars nor the
    environment. All three are byte for byte those of the last recorded build: any edit changes the
    checksum, and the build is then a full refresh, which runs, loads and creates them. Every data
    test still runs, those on the seeds and the views too: ``--indirect-selection empty`` keeps
    dbt from dropping a test along with the view it tests (the tests are selected by themselves,
    by dagster-dbt's ``fqn:*``). A subset chosen in the Dagster UI runs what it selects.
    """
    args = ["build"]
    if config.as_of_date:
        args += ["--vars", json.dumps({"as_of_date": config.as_of_date})]
    if config.full_refresh if full_refresh is None else full_refresh:
        args.append("--full-refresh")
    elif skip_unchanged:
        args += ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "seed"]
        args += [*UNCHANGED_VIEWS_EXCLUDED, "--indirect-selection", "empty"]
    return args


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def rcm_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    """dbt build on the warehouse file under the writer lock; a failing error-severity test fails the step.

    Incremental when the last recorded build allows it, else a full refresh (build_state.plan_build);
    a successful run notes the match keys it rebuilt for the next publish, and a successful whole
    build records the file versions it read.
    """
    from orchestration.lib.build_state import note_changes, plan_build, record_build
    from orchestration.lib.warehouse import open_warehouse, writer_lock
    from orchestration.settings import get_settings

    settings = get_settings()
    subset = context.selected_asset_keys != context.assets_def.keys or (
        context.selected_asset_check_keys != context.assets_def.check_keys
    )
    with writer_lock(settings, purpose=f"dagster run {context.run.run_id[:8]} dbt build"):
        # Creates the raw layer when missing, so the dbt sources exist before the first ingest.
        with open_warehouse(settings) as con:
            plan = plan_build(
                con, as_of_date=config.as_of_date, subset=subset, full_refresh=config.full_refresh
            )
        context.log.info(f"dbt build: {plan.mode} ({plan.reason})")
        # On a whole incremental run the data tests of incremental models and raw staging views
        # check the changed files and keys only (dbt_project/macros/test_scope.sql). A subset (say,
        # checks re-run from the UI) may not rebuild the change lists: it tests every row.
        whole_incremental = not plan.full_refresh and not subset
        scope = "changed" if whole_incremental else "all"
        with _environment(RCM_WAREHOUSE_PATH=str(settings.warehouse_path), RCM_TEST_SCOPE=scope):
            invocation = dbt.cli(
                dbt_build_args(config, full_refresh=plan.full_refresh, skip_unchanged=whole_incremental),
                context=context,
                target_path=build_target_dir(settings),
            )
            yield from invocation.stream()
        # reached only when dbt succeeded (stream() raises on a failed build)
        with open_warehouse(settings) as con:
            note_changes(con, full_refresh=plan.full_refresh)
            if plan.record:
                files = record_build(con, plan.checksum)
                context.log.info(f"recorded the {files:,} file versions this build read")


class RcmDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two start-up costs of every ``cli()`` call that this project never
    uses, ~5 s of a build on this machine (py-spy, 5,000-claim demo):

    - the dbt version, which dagster-dbt learns by running ``dbt --version`` in a new process: our
      dbt is this virtualenv's, so its version is the installed dbt-core's;
    - a dbt adapter built in this process (project, profile and every macro parsed), which
      dagster-dbt needs only for column metadata and row counts, which we do not fetch.

    Both are private methods of dagster-dbt 0.29 (pinned); a test checks they still exist. Whoever
    starts calling ``fetch_row_counts()`` or ``fetch_column_metadata()`` on an invocation must drop
    the adapter override: without an adapter they return nothing, silently.
    """

    @cached_property
    def _cli_version(self) -> Any:
        from importlib.metadata import version as installed_version

        from packaging import version

        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None  # no adapter: dagster-dbt then skips what only it needs it for


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource (key ``dbt``) running this virtualenv's dbt on DBT_PROJECT, through
    ``rcm-dbt`` (orchestration.lib.dbt_warm): in `rcm build`, a dbt process started ahead takes the
    command; elsewhere the launcher becomes dbt itself."""
    from orchestration.lib.dbt_warm import launcher_path

    return RcmDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=launcher_path())


__all__ = [
    "DBT_PROJECT",
    "TRANSLATOR",
    "RcmDbtCliResource",
    "RcmDbtTranslator",
    "dbt_resource",
    "rcm_dbt_assets",
]
