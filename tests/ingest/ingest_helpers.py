"""Helpers of the ingestion tests, imported by name (``from ingest_helpers import query``).

Kept out of ``conftest.py``: a test importing ``conftest`` gets whichever folder's conftest Python
found first, so running this folder beside another (``pytest tests/x12 tests/ingest tests/demo``)
failed to import these.
"""

from __future__ import annotations

from typing import Any

import duckdb

from orchestration.lib.raw_schema import column_names
from orchestration.settings import Settings


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Read the warehouse (the loader has closed it; a reader must not overlap a writer)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def dump_raw(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows, sorted, with the ledger's load time left out (it is when, not what)."""
    from orchestration.lib.raw_schema import TABLES

    out = {}
    for table in TABLES:
        columns = [c for c in column_names(table) if c not in ("loaded_at",)]
        out[table] = sorted(
            query(settings, f"select {', '.join(columns)} from raw.{table}"), key=lambda row: repr(row)
        )
    return out


def assert_same_raw(
    expected: dict[str, list[tuple[Any, ...]]], got: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Two ``dump_raw``s hold the same rows, table by table, in any order; the ledger's stored_path and
    parse_seconds are left out (they name another home and a timing)."""
    for table in expected:
        fix = (lambda row: row[:4] + row[5:-1]) if table == "load_ledger" else (lambda row: row)
        assert sorted(map(fix, got[table]), key=repr) == sorted(map(fix, expected[table]), key=repr), table
