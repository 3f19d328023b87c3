"""Fixtures for the warehouse tests: a built synthetic warehouse (through Dagster, as `rcm build` runs
it) and, when the demo generator and the loader are present, a built small demo with its ground truth.

Both are session-scoped and built once: a dbt build costs tens of seconds on the 2-core CI machine.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.settings import get_settings

sys.path.insert(0, str(Path(__file__).parent))

import warehouse_synthetic
from warehouse_support import DEMO_CLAIMS, DEMO_MONTHS, BuiltWarehouse, DemoBuild, run_dbt


@pytest.fixture(scope="session")
def synthetic_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    """RCM_HOME with the synthetic raw layer (tests/warehouse/warehouse_synthetic.py), built by the Dagster
    build job exactly as `rcm build` runs it (dbt seeds, models, tests, then publish)."""
    home = tmp_path_factory.mktemp("synthetic_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCM_HOME", str(home))
        patch.setenv("RCM_LOG_LEVEL", "WARNING")
        patch.setenv("RCM_LOCK_TIMEOUT", "600")
        settings = get_settings()
        settings.ensure_dirs()
        warehouse_synthetic.write_warehouse(str(settings.warehouse_path))
        from orchestration.commands.build import run_build

        summary = run_build(settings)
        assert summary.success, "\n".join(summary.lines())
        yield BuiltWarehouse(settings=settings, summary=summary)


def _demo_available() -> str | None:
    """Why the demo fixture cannot run, or None when the generator and the loader are importable."""
    for module in ("orchestration.demo", "orchestration.lib.loader"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not there yet"
    return None


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBuild]:
    """A small generated demo (2,500 insured claims over 4 months), loaded by the loader and built by dbt."""
    reason = _demo_available()
    if reason:
        pytest.skip(reason)
    from orchestration.demo import generate
    from orchestration.lib.loader import load_files
    from orchestration.lib.warehouse import writer_lock

    root = tmp_path_factory.mktemp("demo")
    out = root / "demo"
    home = root / "home"
    truth = generate(out, claims=DEMO_CLAIMS, seed=7, months=DEMO_MONTHS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCM_HOME", str(home))
        patch.setenv("RCM_LOCK_TIMEOUT", "600")
        settings = get_settings()
        settings.ensure_dirs()
        with writer_lock(settings, purpose="tests/warehouse demo load"):
            # The deliberately broken files in out/bad are the loader's tests, not ours.
            load_files([out / "x12", out / "csv"], settings)
        completed = run_dbt(["build"], settings.warehouse_path, root / "target")
        assert completed.returncode == 0, completed.stdout[-4000:]
        (root / "ground_truth.json").write_text(json.dumps(truth), encoding="utf-8")
        yield DemoBuild(warehouse=settings.warehouse_path, truth=truth)
