"""Our own X12 835/837 reader: bytes in, raw-table rows and issues out (no Dagster inside).

Why our own and not a library: docs/adr/0002-own-x12-reader.md. Public interface:

- ``parse_x12(data, file_id, file_name) -> ParseResult``: one file's bytes to rows of the raw tables
  (``orchestration.lib.raw_schema``) plus issues (docs/data_contracts.md "Issue codes").
- ``to_arrow(result) -> dict[str, pyarrow.Table]``: the same rows as typed Arrow tables.
- ``parse_files_parallel(paths, processes=2)``: parse many files on several cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestration.lib.x12.model import Issue, ParseResult
from orchestration.lib.x12.parallel import parse_file, parse_files_parallel
from orchestration.lib.x12.reader import parse_x12

if TYPE_CHECKING:
    import pyarrow as pa


def to_arrow(result: ParseResult) -> dict[str, pa.Table]:
    """The rows of ``result`` as Arrow tables with the raw schema's names and DuckDB types.

    pyarrow is imported on first use only, so importing the reader stays cheap.
    """
    from orchestration.lib.x12.tables import to_arrow as convert

    return convert(result)


__all__ = ["Issue", "ParseResult", "parse_file", "parse_files_parallel", "parse_x12", "to_arrow"]
