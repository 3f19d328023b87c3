"""`rcm ingest PATH...`: load X12 835/837 and CSV extract files or folders into the raw layer.

It runs Dagster's ``ingest_job`` in this process against the instance in ``$RCM_HOME/dagster_home``
(the run appears in `rcm dagster`, the raw asset checks run after the load), holding the warehouse
writer lock for the whole run (docs/adr/0003-one-writer.md). ``--direct`` calls the same loader under
the same lock without Dagster (faster to start; no run history, no checks).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# The CSV extract kinds (orchestration.lib.csv_extracts.CSV_KINDS), listed here so --help stays fast.
CSV_KIND_NAMES = ("claims", "patient_payments", "adjustments", "bank_deposits", "claim_activities")

EPILOG = """\
exit status: 0 when every file was handled, whatever its status: a quarantined file (kept in
$RCM_HOME/quarantine with a .reason.txt) or a duplicate is a result, not a failure. 2 for usage errors
(e.g. a path that does not exist), 1 when the load itself crashed or the warehouse stayed busy.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (read recursively)")
    parser.add_argument("--json", action="store_true", help="one JSON object per file (JSON lines)")
    parser.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long to wait for another writer to finish (default RCM_LOCK_TIMEOUT or 1800; 0 = fail fast)",
    )
    parser.add_argument(
        "--csv-kind",
        choices=sorted(CSV_KIND_NAMES),
        default=None,
        help="read every non-X12 file as this CSV extract kind (default: from the name prefix, else the header)",
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print totals per file kind and only the files that did not load cleanly (not every file)",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="call the loader directly under the writer lock instead of running the Dagster ingest job",
    )


def _money(value: Any) -> str:
    return "-" if value is None else str(value)


def format_summary(summary: dict[str, Any]) -> str:
    """The human-readable block for one file."""
    lines = [
        f"{summary['file']}",
        f"  status {summary['status']}  kind {summary['kind']}  file_id {summary['file_id']}"
        + (f"  version {summary['version_number']}" if summary.get("version_number") else ""),
        f"  transactions {summary['transactions']} (rejected {summary['transactions_rejected']})  "
        f"claims {summary['claims']}  service lines {summary['service_lines']}  "
        f"balancing violations {summary['balancing_violations']}",
        f"  BPR02 {_money(summary['bpr02_total'])}  CLP04 {_money(summary['clp04_total'])}  "
        f"PLB {_money(summary['plb_total'])}  CLM02 {_money(summary['clm02_total'])}"
        + (
            f"  CSV amount {summary['csv_amount_total']}"
            if summary.get("csv_amount_total") is not None
            else ""
        ),
    ]
    if summary.get("supersedes_file_id"):
        lines.append(f"  supersedes {summary['supersedes_file_id']}")
    if summary.get("retried_from"):
        lines.append(f"  read again: quarantined before for a cause on our side ({summary['retried_from']})")
    for reason in summary.get("reasons") or []:
        lines.append(f"  - {reason}")
    return "\n".join(lines)


def _clean(summary: dict[str, Any]) -> bool:
    """Loaded, or a duplicate of a loaded file, with nothing else to say."""
    others = [r for r in summary.get("reasons") or [] if not str(r).startswith("DUPLICATE_FILE")]
    return summary["status"] in ("loaded", "duplicate") and not others


def format_totals(summaries: list[dict[str, Any]]) -> str:
    """Totals per file kind, for `--summary`: files by status, records, and the money the files carry."""
    from decimal import Decimal

    money_fields = ("bpr02_total", "clp04_total", "plb_total", "clm02_total", "csv_amount_total")
    by_kind: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        row = by_kind.setdefault(
            summary["kind"],
            {"files": 0, "status": {}, "claims": 0, "service_lines": 0, "violations": 0}
            | {field: None for field in money_fields},
        )
        row["files"] += 1
        row["status"][summary["status"]] = row["status"].get(summary["status"], 0) + 1
        row["claims"] += summary.get("claims") or 0
        row["service_lines"] += summary.get("service_lines") or 0
        row["violations"] += summary.get("balancing_violations") or 0
        for field in money_fields:
            if summary.get(field) is not None:
                row[field] = (row[field] or Decimal("0")) + Decimal(str(summary[field]))
    labels = {"bpr02_total": "BPR02", "clp04_total": "CLP04", "plb_total": "PLB", "clm02_total": "CLM02"}
    lines = []
    for kind, row in sorted(by_kind.items()):
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(row["status"].items()))
        money = "  ".join(
            f"{labels.get(field, 'CSV amount')} {row[field]:,.2f}"
            for field in money_fields
            if row[field] is not None
        )
        lines.append(
            f"  {kind:<21} {row['files']:>6} files ({statuses})  claims {row['claims']:,}  "
            f"lines {row['service_lines']:,}  balancing violations {row['violations']}"
            + (f"\n  {'':<28} {money}" if money else "")
        )
    return "\n".join(lines)


def _summaries_from_run(result: Any) -> list[dict[str, Any]]:
    from orchestration.defs.raw_assets import RAW_ASSET_KEYS

    for materialization in result.asset_materializations_for_node("raw_files"):
        if materialization.asset_key == RAW_ASSET_KEYS["load_ledger"]:
            summary_file = Path(materialization.metadata["summary_file"].value)
            lines = summary_file.read_text(encoding="utf-8").splitlines()
            return [json.loads(line) for line in lines if line.strip()]
    return []


def _failed_checks(result: Any) -> list[str]:
    out = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            out.append(
                f"{evaluation.asset_key.to_user_string()} {evaluation.check_name} ({evaluation.severity.value})"
            )
    return out


def run(args: argparse.Namespace) -> int:
    from orchestration.lib.loader import WorkersKeepDying
    from orchestration.lib.warehouse import WarehouseBusyError, writer_lock
    from orchestration.settings import get_settings

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        print(f"rcm ingest: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    paths = [str(Path(path).resolve()) for path in args.paths]
    settings = get_settings()
    settings.ensure_dirs()
    failed_checks: list[str] = []
    try:
        with writer_lock(settings, timeout=args.wait, purpose="rcm ingest"):
            if args.direct:
                from orchestration.lib.loader import load_files

                results = load_files(paths, settings, csv_kind=args.csv_kind)
                summaries = [result.summary() for result in results]
            else:
                from orchestration.defs.ingest_location import ingest_definitions
                from orchestration.lib.dagster_home import execute_job_in_process

                result = execute_job_in_process(
                    "ingest_job",
                    {"ops": {"raw_files": {"config": {"paths": paths, "csv_kind": args.csv_kind}}}},
                    settings,
                    definitions=ingest_definitions(),
                )
                if not result.success:
                    failure = next(
                        (e for e in result.all_events if e.event_type_value == "STEP_FAILURE"),
                        None,
                    )
                    message = failure.message if failure is not None else "see the run in `rcm dagster`"
                    print(f"rcm ingest: the ingest run {result.run_id} failed: {message}", file=sys.stderr)
                    return 1
                summaries = _summaries_from_run(result)
                failed_checks = _failed_checks(result)
    except (WarehouseBusyError, WorkersKeepDying) as exc:
        print(f"rcm ingest: {exc}", file=sys.stderr)
        return 1
    for summary in summaries:
        if args.json:
            print(json.dumps(summary, sort_keys=True))
        elif not args.summary or not _clean(summary):
            print(format_summary(summary))
    if args.summary and not args.json:
        print(format_totals(summaries))
    if not args.json:
        counts: dict[str, int] = {}
        for summary in summaries:
            counts[summary["status"]] = counts.get(summary["status"], 0) + 1
        print(
            f"{len(summaries)} files: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
        for check in failed_checks:
            print(f"check not passed: {check}")
    return 0
