"""``rcm generate``: write a synthetic revenue cycle (837, 835, CSV extracts, ground truth)."""

from __future__ import annotations

import argparse
import json
import logging
import time
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from error


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (its generated parts are replaced)"
    )
    parser.add_argument(
        "--claims",
        type=_positive,
        default=20000,
        help="insured encounters (default 20000); one whose claim would go out after the as-of date stays unbilled",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--start", type=_date, default=date(2025, 5, 1), help="first day (default 2025-05-01)"
    )
    parser.add_argument("--months", type=_positive, default=18, help="simulated months (default 18)")


def run(args: argparse.Namespace) -> int:
    """Generate, then print the headline ground-truth figures (timing goes to the log, not the files)."""
    from orchestration.demo import generate

    started = time.perf_counter()
    truth = generate(args.out, claims=args.claims, seed=args.seed, start=args.start, months=args.months)
    log.info(
        "generated %s claims (%s encounters not billed by the as-of date) in %.1f s into %s",
        truth["claim_count"],
        truth["unbilled_encounter_count"],
        time.perf_counter() - started,
        args.out,
    )
    headline = {
        key: truth[key]
        for key in (
            "as_of_date",
            "claim_count",
            "unbilled_encounter_count",
            "total_billed_amount",
            "total_insurance_paid_amount",
            "total_patient_paid_amount",
            "initial_denial_count",
            "claims_without_remittance",
            "open_ar_insurance_amount",
            "open_ar_patient_amount",
        )
    }
    print(json.dumps(headline, indent=2))
    return 0
