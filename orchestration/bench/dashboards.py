"""How fast the dashboards answer: p50/p95/p99 wall time of every data callback on a given snapshot,
and of the page data functions the pages' layouts call to arrive drawn (overview, denials, payer lag,
A/R: `update_*`).

The callbacks are called in-process as a signed-in manager (the role that can read every page), each
opening its own DuckDB connection as it does under the server, over `snapshot_dir` pinned for this
thread (CURRENT is not touched). Audit lines of these synthetic views go to a temporary file. The
target is p95 < 300 ms per callback at 1,000,000 claims.

    from orchestration.bench.dashboards import measure_callbacks
    measure_callbacks(Path("var/snapshots/20250101T000000"))
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation): the sample of rank ceil(share × n), the smallest one
    with at least ``share`` of the samples at or below it. (Until 2026-11-30 the rank was
    ``round(share × n + 0.5)``, which rounds 19.5 to 20: of 20 calls, "p95" was the slowest one.)"""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(round(share * len(ordered), 9))))
    return ordered[rank - 1]


def _cases(snapshot_dir: Path) -> dict[str, Callable[[], Any]]:
    """One zero-argument call per callback, with inputs a user would send (no filters, then typical)."""
    from dashboards import queries
    from dashboards.filters import GlobalFilters
    from dashboards.pages import ar_aging, claim_detail, denials, overview, payer_lag, work_list

    with queries.open_snapshot(snapshot_dir) as snap:
        _, as_of = queries.aging_date_bounds(snap)
        top, _ = queries.work_list(snap, GlobalFilters(), queries.WorkListFilters(), limit=1)
        by_root = queries.denials_by(snap, GlobalFilters(), "root_cause")
    unfiltered = GlobalFilters().to_dict()
    claim_id = str(top.iloc[0]["claim_id"]) if not top.empty else ""
    root_click = {"points": [{"customdata": [str(by_root.iloc[0]["key"])]}]} if not by_root.empty else None
    return {
        "overview.update_overview": lambda: overview.update_overview(unfiltered),
        "denials.update_denials": lambda: denials.update_denials(unfiltered),
        "denials.drill_rows": lambda: denials.drill_rows(denials.PARETO_ROOT, root_click, GlobalFilters()),
        "payer_lag.update_payer_lag": lambda: payer_lag.update_payer_lag(unfiltered),
        "ar_aging.update_aging": lambda: ar_aging.update_aging(
            as_of.isoformat() if as_of else None, unfiltered
        ),
        "ar_aging.update_largest": lambda: ar_aging.update_largest(unfiltered),
        "work_list.update_work_list": lambda: work_list.update_work_list(unfiltered, None, None, None, None),
        "work_list.update_work_list(filtered)": lambda: work_list.update_work_list(
            unfiltered, None, None, 90, "100.00"
        ),
        "work_list.export_work_list": lambda: work_list.export_work_list(
            1, unfiltered, None, None, None, None
        ),
        "claim_detail.show_claim": lambda: claim_detail.show_claim(claim_id, unfiltered),
    }


def measure_callbacks(
    snapshot_dir: Path,
    repeats: int = 100,
    warmup: int = 2,
    budget_seconds: float = 15.0,
    min_repeats: int = 20,
) -> dict[str, dict[str, float]]:
    """{callback: {p50_ms, p95_ms, p99_ms, mean_ms, calls}} over `repeats` timed calls after `warmup`.

    A callback that has spent ``budget_seconds`` stops after ``min_repeats`` calls (at 10M some take
    0.3-0.8 s each). ``calls`` says how many were timed: of fewer than 100, p99 is the slowest call;
    of fewer than 20, p95 is. (Until 2026-11-30 every callback was timed 20 times.)"""
    from dashboards import audit, queries
    from dashboards.app import create_app
    from dashboards.auth import SignedInUser, UserRecord

    app = create_app()
    results: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="rcm-bench-audit-") as scratch,
        audit.redirected(Path(scratch) / "audit.log"),
        queries.pinned_snapshot(Path(snapshot_dir)),
        app.server.test_request_context("/"),
    ):
        from flask_login import login_user

        login_user(SignedInUser(UserRecord("bench", "manager", "", "")))
        for name, call in _cases(Path(snapshot_dir)).items():
            for _ in range(warmup):
                call()
            samples: list[float] = []
            spent = 0.0
            while len(samples) < repeats and (len(samples) < min_repeats or spent < budget_seconds):
                started = time.perf_counter()
                call()
                elapsed = time.perf_counter() - started
                samples.append(elapsed * 1000)
                spent += elapsed
            results[name] = {
                "p50_ms": round(_percentile(samples, 0.50), 2),
                "p95_ms": round(_percentile(samples, 0.95), 2),
                "p99_ms": round(_percentile(samples, 0.99), 2),
                "mean_ms": round(statistics.fmean(samples), 2),
                "calls": float(len(samples)),
            }
    return results


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure_callbacks(Path(sys.argv[1])), indent=2))
