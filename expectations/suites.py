"""The Great Expectations suites, one per CSV extract kind, built in Python from the contract.

``suite_definition(kind)`` is plain data (no GX import: cheap, testable, and what the JSON files in
``expectations/suites/`` are written from for reviewers); ``build_suite(kind)`` turns it into a GX
``ExpectationSuite``. Everything comes from ``orchestration.lib.csv_extracts``, so the suite and the
typed conversion can never disagree about what a valid date or amount is.

What each suite expects (docs/data_contracts.md):
- required columns not null;
- dates match ``YYYY-MM-DD`` and are real calendar dates (strftime, per distinct value: custom.py);
- amounts are numbers with at most 2 decimals (charges never negative), units at most 3 decimals,
  line numbers whole numbers;
- categorical columns within the accepted values;
- ids unique within the file (the pair patient_control_number + line_number for claims).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.lib.csv_extracts import (
    CSV_KINDS,
    DATE_FORMAT,
    DATE_PATTERN,
    INTEGER_PATTERN,
    MONEY_PATTERN,
    NON_NEGATIVE_MONEY_PATTERN,
    QUANTITY_PATTERN,
)

if TYPE_CHECKING:
    import great_expectations as gx

SUITES_DIR = Path(__file__).resolve().parent / "suites"


def suite_definition(kind: str) -> list[dict[str, Any]]:
    """The expectations of ``kind`` as ``{"type": ..., "kwargs": {...}}`` dicts, in a stable order."""
    spec = CSV_KINDS[kind]
    out: list[dict[str, Any]] = []
    for column in spec.required:
        out.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}})
    for column in spec.date_columns:
        out.append(
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": column, "regex": DATE_PATTERN},
            }
        )
        out.append(
            {
                # our own (expectations/custom.py): GX's strftime check, asked once per distinct value
                "type": "expect_column_values_to_be_real_dates",
                "kwargs": {"column": column, "strftime_format": DATE_FORMAT},
            }
        )
    for column in spec.money_columns:
        pattern = NON_NEGATIVE_MONEY_PATTERN if column in spec.non_negative_money else MONEY_PATTERN
        out.append(
            {"type": "expect_column_values_to_match_regex", "kwargs": {"column": column, "regex": pattern}}
        )
    for column in spec.quantity_columns:
        out.append(
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": column, "regex": QUANTITY_PATTERN},
            }
        )
    for column in spec.integer_columns:
        out.append(
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": column, "regex": INTEGER_PATTERN},
            }
        )
    for column, values in spec.accepted_values.items():
        out.append(
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": column, "value_set": list(values)},
            }
        )
    if len(spec.unique_columns) == 1:
        out.append(
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": spec.unique_columns[0]}}
        )
    else:
        out.append(
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": list(spec.unique_columns)},
            }
        )
    return out


def suite_json(kind: str) -> str:
    """The suite as the JSON document kept in ``expectations/suites/<kind>.json``."""
    return json.dumps({"name": kind, "expectations": suite_definition(kind)}, indent=2) + "\n"


def _class_name(expectation_type: str) -> str:
    return "".join(part.capitalize() for part in expectation_type.split("_"))


def build_suite(kind: str) -> gx.ExpectationSuite:
    """The GX suite for ``kind`` (imports Great Expectations: call lazily)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from expectations import custom

    suite = gx.ExpectationSuite(name=kind)
    for item in suite_definition(kind):
        name = _class_name(item["type"])
        expectation_class = getattr(custom, name, None) or getattr(gxe, name)
        suite.add_expectation(expectation_class(**item["kwargs"]))
    return suite


def write_suite_files(directory: Path = SUITES_DIR) -> list[Path]:
    """Write every suite's JSON (run by hand after changing the contract; a test keeps them in sync)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in CSV_KINDS:
        path = directory / f"{kind}.json"
        path.write_text(suite_json(kind), encoding="utf-8")
        paths.append(path)
    return paths
