"""Import dagster-dbt in its dbt Fusion mode, where it never imports dbt-core (ADR 0012).

dagster-dbt 0.29 decides at import time (``dagster_dbt.compat``) whether dbt-core is importable. If it
is, it imports dbt-core's adapters, contracts and graph modules, ~2.1 s of a process's start on this
machine (2026-12-01, ``python -X importtime``), only for type aliases, node-status enums and
selection by dbt's own selector. Without dbt-core (the dbt Fusion engine has none), it defines the
same enums from string values and reads a select-everything selection straight from the manifest.

This project runs dbt as its own process (``rcm-dbt``, orchestration.lib.dbt_warm), so the process
that runs Dagster never needs dbt-core in memory. ``import_dagster_dbt()`` imports dagster-dbt
with ``dbt`` hidden from the import system for the moment of that import, then puts back what was
there: dbt-core stays importable for any code that needs it later, and dagster-dbt keeps what it
decided. This module is the project's way in to dagster-dbt: it does that import first, then
re-exports the names the project uses, so no module can import dagster-dbt before it by the order
of its imports. Importing it costs ~0.3 s beyond Dagster, so modules that need no dbt (the
ingest's code location) do not import it. dagster-dbt still learns the dbt version from
``RcmDbtCliResource._cli_version`` (the installed dbt-core's), so it reads dbt's events as dbt
Core events.

What the mode costs us: ``@dbt_assets`` accepts only the default selection (``select="fqn:*"``,
no ``exclude``, no ``selector``); anything else raises ``DagsterDbtCoreNotInstalledError`` at
import, so it cannot slip by. Tests check the mode and that importing the definitions leaves
dbt-core unimported.
"""

from __future__ import annotations

import sys
from types import ModuleType

_HIDDEN = "dbt"


def import_dagster_dbt() -> ModuleType:
    """``dagster_dbt``, imported now without dbt-core if it was not imported before."""
    if "dagster_dbt" in sys.modules:
        return sys.modules["dagster_dbt"]
    # A None entry makes `import dbt...` raise ModuleNotFoundError (the import system's own rule);
    # submodules imported earlier are set aside too, since the import system returns them directly.
    saved = {
        name: sys.modules.pop(name)
        for name in list(sys.modules)
        if name == _HIDDEN or name.startswith(_HIDDEN + ".")
    }
    sys.modules[_HIDDEN] = None  # type: ignore[assignment]
    try:
        import dagster_dbt
    finally:
        sys.modules.pop(_HIDDEN, None)
        sys.modules.update(saved)
    return dagster_dbt


def dagster_dbt_has_dbt_core() -> bool:
    """Whether the imported dagster-dbt took dbt-core (False: the mode this module sets up)."""
    from dagster_dbt.compat import DBT_PYTHON_VERSION

    return DBT_PYTHON_VERSION is not None


import_dagster_dbt()

# After the import above, by design; the project imports these names from here (ADR 0012).
from dagster_dbt import (  # noqa: E402
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    get_asset_key_for_model,
)

__all__ = [
    "DagsterDbtTranslator",
    "DagsterDbtTranslatorSettings",
    "DbtCliResource",
    "DbtProject",
    "dagster_dbt_has_dbt_core",
    "dbt_assets",
    "get_asset_key_for_model",
    "import_dagster_dbt",
]
