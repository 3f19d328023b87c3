"""Run a CSV extract's Great Expectations suite on a pandas frame and say which rows failed what.

GX 1.x cannot validate DuckDB over SQL here, so every validation runs on a pandas frame through one
ephemeral context per process (created on first use: importing GX costs ~5 s). The frame's index must
be the CSV row numbers: GX reports failing rows by index (``unexpected_index_list`` with
``result_format=COMPLETE``), and those numbers go straight into ``raw.load_issues``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from expectations.suites import build_suite

if TYPE_CHECKING:
    import pandas as pd

ROW_INDEX_NAME = "row_number"

_lock = threading.Lock()
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class RowFailure:
    """One row failing one expectation."""

    row_number: int
    expectation_type: str
    column: str  # the column, or columns joined with '+' for multi-column expectations
    value: str | None

    @property
    def issue_code(self) -> str:
        return f"GX:{self.expectation_type}:{self.column}"


@dataclass
class SuiteOutcome:
    """What a suite said about a frame."""

    kind: str
    success: bool
    rows_validated: int
    failures: list[RowFailure] = field(default_factory=list)
    failed_expectations: list[str] = field(default_factory=list)  # "type:column", each once
    errors: list[str] = field(default_factory=list)  # expectations that raised instead of judging

    @property
    def failed_rows(self) -> set[int]:
        return {failure.row_number for failure in self.failures}


def _context() -> Any:
    """The process's ephemeral GX context with one pandas datasource (built once, thread-safe)."""
    with _lock:
        if "context" not in _state:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            gx_logger = logging.getLogger("great_expectations")
            if gx_logger.level == logging.NOTSET:  # its INFO is hundreds of lines of registry chatter
                gx_logger.setLevel(logging.WARNING)
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.execution_engine import pandas_execution_engine

            # GX fingerprints every pandas batch under 1 GB with a full row hash (batch markers only;
            # nothing here reads them): ~7 s of a 1,000,000-row CSV ingest. A threshold of 0 skips it.
            pandas_execution_engine.HASH_THRESHOLD = 0

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            _state["context"] = context
            _state["datasource"] = context.data_sources.add_pandas("rcm_csv_extracts")
            _state["batches"] = {}
            _state["suites"] = {}
        return _state


def warm_up() -> None:
    """Build the process's GX context in a background thread (importing GX takes ~5 s).

    The loader calls it when worker processes validate the CSV extracts: this process will validate
    again in the asset checks that follow, and it would otherwise sit idle while the workers run.
    A later ``validate_frame`` waits on the lock until the context is ready.
    """
    if "context" not in _state:
        threading.Thread(target=_context, name="gx-warm-up", daemon=True).start()


def _batch_definition(kind: str) -> Any:
    state = _context()
    with _lock:
        if kind not in state["batches"]:
            asset = state["datasource"].add_dataframe_asset(name=kind)
            state["batches"][kind] = asset.add_batch_definition_whole_dataframe(f"{kind}_whole_file")
            state["suites"][kind] = build_suite(kind)
        return state["batches"][kind], state["suites"][kind]


def validate_frame(kind: str, frame: pd.DataFrame) -> SuiteOutcome:
    """Validate ``frame`` (text columns, index = row numbers) against the ``kind`` suite."""
    frame = frame.rename_axis(ROW_INDEX_NAME)
    if frame.empty:
        return SuiteOutcome(kind=kind, success=True, rows_validated=0)
    batch_definition, suite = _batch_definition(kind)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    outcome = SuiteOutcome(kind=kind, success=bool(result.success), rows_validated=len(frame))
    for item in result.results:
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or "+".join(kwargs.get("column_list") or [])
        exception = item.exception_info or {}
        raised = exception.get("raised_exception") if isinstance(exception, dict) else False
        if raised:
            outcome.errors.append(f"{config.type}:{column}: {exception.get('exception_message')}")
            continue
        if item.success:
            continue
        outcome.failed_expectations.append(f"{config.type}:{column}")
        indexes = item.result.get("unexpected_index_list") or []
        for index in indexes:
            # GX reports a named index as {<index name>: value, <column>: value}, else the bare value.
            row_number = int(index[ROW_INDEX_NAME] if isinstance(index, dict) else index)
            value = frame.at[row_number, column] if column in frame.columns else None
            outcome.failures.append(RowFailure(row_number, config.type, column, value))
    if outcome.errors:
        outcome.success = False
    return outcome
