"""``generate()``: simulate the revenue cycle and write the demo data set (docs/demo_data.md).

Two phases keep memory flat at any size: (1) encounters are simulated in date-of-service order, each
one folded into the ground truth and its events spooled to per-day shards; (2) the days are written
in order, one day's shard at a time. Nothing reads the wall clock: the same arguments write the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from datetime import date
from pathlib import Path
from typing import cast

from orchestration.demo.bad import write_bad_files
from orchestration.demo.master import MasterData, load_master_data
from orchestration.demo.model import (
    K_835,
    K_837,
    K_ACTIVITY,
    K_ADJUSTMENT,
    K_PAYMENT,
    Encounter,
    RemitEvent,
    Submission,
)
from orchestration.demo.money import csv_amount
from orchestration.demo.render import render_835_record, render_837_claim
from orchestration.demo.simulate import Simulator
from orchestration.demo.spool import DaySpool
from orchestration.demo.truth import Truth
from orchestration.demo.writer import SEP, DayWriter

SELF_PAY_SHARE = 0.05
GENERATOR_VERSION = "1"
OUTPUT_PARTS = ("x12", "csv", "bad", "ground_truth.json", "manifest.json", ".spool")


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    return date(day.year + month_index // 12, month_index % 12 + 1, 1)


def period_end(start: date, months: int) -> date:
    """The as-of date: the last day of the ``months``-th calendar month from ``start``'s month."""
    return date.fromordinal(add_months(date(start.year, start.month, 1), months).toordinal() - 1)


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` over days by weight, largest remainder first (exact, deterministic)."""
    weight_sum = sum(weights)
    raw = [total * w / weight_sum for w in weights]
    counts = [math.floor(r) for r in raw]
    short = total - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:short]:
        counts[i] += 1
    return counts


def day_weights(start: int, end: int) -> list[float]:
    """Visit volume by day: weekdays busy, weekends quiet, a winter bump and slow growth."""
    weekday_factor = (1.1, 1.0, 1.0, 1.0, 0.95, 0.3, 0.1)
    span = max(1, end - start)
    weights = []
    for ordinal in range(start, end + 1):
        day = date.fromordinal(ordinal)
        season = 1 + 0.08 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25)
        growth = 1 + 0.1 * (ordinal - start) / span
        weights.append(weekday_factor[day.weekday()] * season * growth)
    return weights


class _Emitter:
    """Cuts an encounter's timeline at the as-of date, counts it, renders it and spools it."""

    def __init__(self, spool: DaySpool, truth: Truth, master: MasterData, as_of: int) -> None:
        self.spool = spool
        self.truth = truth
        self.as_of = as_of
        self.payer_names = {pid: p.payer_name for pid, p in master.payers.items()}

    def emit(self, encounter: Encounter, events: list[tuple[int, int, int, object]], insured: bool) -> None:
        kept = sorted((e for e in events if e[0] <= self.as_of), key=lambda e: (e[0], e[2]))
        if insured:
            self.truth.add_insured(encounter, kept)
        else:
            self.truth.add_self_pay(kept)
        add = self.spool.add
        for day, kind, order, payload in kept:
            if kind == K_837:
                sub = cast(Submission, payload)
                claim_type = "I" if encounter.institutional else "P"
                sbr, sbr_n, pat, pat_n, clm, clm_n = render_837_claim(sub)
                add(
                    day,
                    (K_837, order, claim_type, sub.interchange, sbr_n, pat_n, clm_n),
                    f"{sbr}{SEP}{pat}{SEP}{clm}",
                )
            elif kind == K_835:
                remit = cast(RemitEvent, payload)
                payer = remit.claim.payer
                texts = [
                    render_835_record(record, encounter, payer.category, payer.filing_code, self.payer_names)
                    for record in remit.records
                ]
                header = (
                    K_835,
                    order,
                    payer.payer_id,
                    encounter.billing.npi,
                    remit.group,
                    sum(n for _, n in texts),
                    len(remit.records),
                    sum(record.paid for record in remit.records),
                    tuple(remit.provider_adjustments),
                )
                add(day, header, "".join(t for t, _ in texts))
            elif kind in (K_PAYMENT, K_ADJUSTMENT, K_ACTIVITY):
                add(day, (kind, order, *cast(tuple, payload)))


def _clear(out_dir: Path) -> None:
    """Remove what an earlier run of the generator wrote (only its own parts of ``out_dir``)."""
    for part in OUTPUT_PARTS:
        path = out_dir / part
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _manifest(out_dir: Path, parameters: dict[str, object]) -> dict[str, object]:
    kinds: dict[str, dict[str, int]] = {}
    files = []
    paths = [out_dir / "ground_truth.json"]
    for folder in ("x12", "csv", "bad"):
        paths.extend(p for p in (out_dir / folder).rglob("*") if p.is_file())
    for path in sorted(paths):
        rel = path.relative_to(out_dir).as_posix()
        if rel.startswith("x12/837/"):
            kind = path.name[:4]
        elif rel.startswith("x12/835/"):
            kind = "835"
        elif rel.startswith("csv/"):
            kind = "csv_" + path.name.rsplit("_", 1)[0]
        elif rel.startswith("bad/"):
            kind = "bad"
        else:
            kind = "meta"
        size = path.stat().st_size
        entry = kinds.setdefault(kind, {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += size
        files.append(rel)
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode())
        digest.update(hashlib.sha256((out_dir / rel).read_bytes()).digest())
    return {
        "generator": "orchestration.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": parameters["seed"],
        "parameters": parameters,
        "kinds": dict(sorted(kinds.items())),
        "file_count": len(files),
        "total_bytes": sum(k["bytes"] for k in kinds.values()),
        "content_sha256": digest.hexdigest(),
    }


def generate(
    out_dir: Path,
    claims: int = 20000,
    seed: int = 42,
    start: date = date(2025, 5, 1),
    months: int = 18,
) -> dict:
    """Write the demo data set into ``out_dir`` and return its ground truth (also ground_truth.json).

    claims: insured encounters, each one primary claim (a further 5 % self-pay visits are billed to
    the patient only); seed: the only source of randomness; start/months: the simulated period, whose
    last day is the as-of date (no file is dated after it).
    """
    if claims < 1:
        raise ValueError("claims must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    master = load_master_data()
    first = start.toordinal()
    as_of = period_end(start, months).toordinal()
    parameters: dict[str, object] = {
        "claims": claims,
        "seed": seed,
        "start": start.isoformat(),
        "months": months,
        "as_of_date": date.fromordinal(as_of).isoformat(),
        "self_pay_share": SELF_PAY_SHARE,
    }
    spool = DaySpool(out_dir / ".spool")
    truth = Truth(as_of)
    simulator = Simulator(master, seed, as_of, claims // 3)
    emitter = _Emitter(spool, truth, master, as_of)
    weights = day_weights(first, as_of)
    insured_per_day = allocate(claims, weights)
    self_pay_per_day = allocate(round(claims * SELF_PAY_SHARE), weights)
    index = 0
    for offset, (insured, self_pay) in enumerate(zip(insured_per_day, self_pay_per_day, strict=True)):
        day = first + offset
        for _ in range(insured):
            encounter, timeline = simulator.simulate_insured(index, day)
            emitter.emit(encounter, timeline.events, insured=True)
            index += 1
        for _ in range(self_pay):
            encounter, timeline = simulator.simulate_self_pay(index, day)
            emitter.emit(encounter, timeline.events, insured=False)
            index += 1
    spool.flush()
    writer = DayWriter(out_dir, master, seed, first, as_of)
    for day in range(first, as_of + 1):
        shard = spool.open_day(day)
        writer.write_day(day, shard)
        shard.close()
    writer.close()
    shutil.rmtree(out_dir / ".spool", ignore_errors=True)
    bad_summary = write_bad_files(out_dir / "bad", master, seed)
    totals = writer.totals
    extras: dict[str, object] = {
        "total_claim_paid_amount_in_835": csv_amount(totals.clp04_total),
        "provider_adjustment_amount_by_reason": {
            k: csv_amount(v) for k, v in sorted(totals.plb_by_reason.items())
        },
        "era_transaction_count": totals.transactions_835,
        "zero_pay_transaction_count": totals.zero_pay_transactions,
        "forwarding_balance_outstanding_amount": csv_amount(totals.forwarding_balance_outstanding),
        "bank_deposit_count": totals.deposit_rows,
        "bank_deposit_amount": csv_amount(totals.deposit_amount),
        "bank_deposit_amount_by_type": {
            k: csv_amount(v) for k, v in sorted(totals.deposit_amount_by_type.items())
        },
        "missing_deposit_count": totals.missing_deposits,
        "deposits_after_as_of_count": totals.deposits_after_as_of,
        "deposits_after_as_of_amount": csv_amount(totals.deposit_amount_after_as_of),
        "bad_files": bad_summary,
    }
    result = truth.result(totals.plb_total, totals.bpr02_total, extras)
    result["parameters"] = parameters
    (out_dir / "ground_truth.json").write_text(
        json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    manifest = _manifest(out_dir, parameters)
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return result
