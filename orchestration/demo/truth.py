"""Ground truth, counted from the simulation's own events (docs/accounting_model.md defines each key).

Each encounter is folded in once, right after it is simulated and cut to the simulated period, so the
totals need no second pass over the files. Medians come from exact day-count histograms, which keeps
memory flat however many claims there are.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import cast

from orchestration.demo.model import (
    DENIAL_ROOT_CAUSES,
    K_835,
    K_837,
    K_ADJUSTMENT,
    K_PAYMENT,
    Encounter,
    Record,
    RemitEvent,
    Submission,
)
from orchestration.demo.money import csv_amount

DENIAL_WRITE_OFF_TYPES = frozenset({"denial_write_off", "timely_filing_write_off"})


def median_from_histogram(histogram: dict[int, int]) -> float | None:
    """``quantile_cont(0.5)`` of the values a histogram counts (mean of the two middle values)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = (total - 1) // 2, total // 2
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for position in wanted:
            if seen <= position < seen + count and len(found) < 2:
                found.append(value)
        seen += count
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


class Truth:
    """Accumulates every ground-truth key; ``result()`` returns the JSON-ready dict."""

    def __init__(self, as_of: int) -> None:
        self.as_of = as_of
        self.claim_count = 0
        self.voided_claim_count = 0
        self.line_count = 0
        self.total_billed = 0
        self.insurance_paid = 0
        self.contractual = 0
        self.write_offs = 0
        self.patient_paid = 0
        self.initial_denial_count = 0
        self.initial_denied_billed = 0
        self.denials_by_root: Counter[str] = Counter()
        self.denial_outcomes: Counter[str] = Counter()
        self.claims_without_remittance = 0
        self.unbilled_encounter_count = 0
        self.open_ar_insurance = 0
        self.open_ar_patient = 0
        self.credit_insurance = 0
        self.credit_patient = 0
        self.lag_histograms: dict[str, Counter[int]] = {}
        self.claims_by_payer: Counter[str] = Counter()
        self.initial_denials_by_payer: Counter[str] = Counter()
        self.status_counts: Counter[str] = Counter()
        self.frequency_counts: Counter[str] = Counter()
        self.secondary_claims = 0
        self.write_offs_by_type: Counter[str] = Counter()
        self.patient_refunds = 0
        self.self_pay_encounters = 0
        self.self_pay_paid = 0
        self.claim_records = 0

    def add_self_pay(self, events: list[tuple[int, int, int, object]]) -> None:
        self.self_pay_encounters += 1
        for _day, kind, _order, payload in events:
            if kind == K_PAYMENT:
                cents = cast(tuple, payload)[3]
                self.patient_paid += cents
                self.self_pay_paid += cents
                if cents < 0:
                    self.patient_refunds += cents

    def add_insured(self, encounter: Encounter, events: list[tuple[int, int, int, object]]) -> None:
        """Fold in one insured encounter's events (already cut at the as-of date, in time order)."""
        charge: int | None = None
        first_submission = 0
        voided = False
        paid = contractual = 0
        patient_share: dict[int, int] = {}
        last_sequence = 0
        primary: list[tuple[int, Record]] = []
        primary_payer = encounter.coverages[0].payer.payer_id
        insurance_write_offs = patient_write_offs = patient_paid = 0
        denial_write_off_primary = False
        later_payers: set[str] = set()
        for day, kind, _order, payload in events:
            if kind == K_837:
                submission = cast(Submission, payload)
                self.frequency_counts[submission.frequency] += 1
                if submission.claim.sequence == 0:
                    if submission.frequency == "1" and charge is None:
                        charge = sum(line.charge for line in submission.lines)
                        first_submission = day
                        self.line_count += len(submission.lines)
                    elif submission.frequency == "8":
                        voided = True
                else:
                    later_payers.add(submission.claim.payer.payer_id)
            elif kind == K_835:
                remit = cast(RemitEvent, payload)
                sequence = remit.claim.sequence
                if sequence:
                    later_payers.add(remit.claim.payer.payer_id)
                for record in remit.records:
                    self.claim_records += 1
                    self.status_counts[record.status] += 1
                    paid += record.paid
                    contractual += record.contractual
                    patient_share[sequence] = patient_share.get(sequence, 0) + record.patient_responsibility
                    last_sequence = max(last_sequence, sequence)
                    if sequence == 0:
                        primary.append((day, record))
            elif kind == K_ADJUSTMENT:
                _aid, _pcn, payer_id, adjustment_type, _reason, cents, _user = cast(tuple, payload)
                self.write_offs_by_type[adjustment_type] += cents
                if payer_id:
                    insurance_write_offs += cents
                    if payer_id == primary_payer and adjustment_type in DENIAL_WRITE_OFF_TYPES:
                        denial_write_off_primary = True
                else:
                    patient_write_offs += cents
            elif kind == K_PAYMENT:
                cents = cast(tuple, payload)[3]
                patient_paid += cents
                if cents < 0:
                    self.patient_refunds += cents
        self.secondary_claims += len(later_payers)
        self.patient_paid += patient_paid
        self.insurance_paid += paid
        self.contractual += contractual
        self.write_offs += insurance_write_offs + patient_write_offs
        if charge is None:
            # Not billed by the as-of date: the encounter is in no file, so it is no claim.
            self.unbilled_encounter_count += 1
            return
        self.claim_count += 1
        self.claims_by_payer[primary_payer] += 1
        if voided:
            self.voided_claim_count += 1
        else:
            self.total_billed += charge
        if not primary and not voided:
            self.claims_without_remittance += 1
        if primary:
            first_record = primary[0][1]
            denials = first_record.denials()
            if denials:
                largest = min(denials, key=lambda t: (-t[2], t[1]))
                root = DENIAL_ROOT_CAUSES[(largest[0], largest[1])]
                self.initial_denial_count += 1
                self.initial_denied_billed += charge
                self.denials_by_root[root] += 1
                self.initial_denials_by_payer[primary_payer] += 1
                later = [record for _, record in primary[1:]]
                if sum(record.paid for record in later) > 0:
                    outcome = "overturned"
                elif denial_write_off_primary:
                    outcome = "written_off"
                elif sum(record.patient_responsibility for record in later) > 0:
                    outcome = "patient"
                else:
                    outcome = "open"
                self.denial_outcomes[outcome] += 1
            first_payment = next((day for day, record in primary if record.paid > 0), None)
            if first_payment is not None:
                histogram = self.lag_histograms.setdefault(primary_payer, Counter())
                histogram[first_payment - first_submission] += 1
        balance = (
            (0 if voided else charge)
            - paid
            - contractual
            - insurance_write_offs
            - patient_write_offs
            - patient_paid
        )
        patient_balance = patient_share.get(last_sequence, 0) - patient_paid - patient_write_offs
        insurance_balance = balance - patient_balance
        if insurance_balance > 0:
            self.open_ar_insurance += insurance_balance
        else:
            self.credit_insurance += insurance_balance
        if patient_balance > 0:
            self.open_ar_patient += patient_balance
        else:
            self.credit_patient += patient_balance

    def result(self, plb_total: int, bpr02_total: int, extras: dict[str, object]) -> dict[str, object]:
        """The ground_truth.json body: money as strings with two decimals, counts as integers."""
        medians = {
            payer_id: median_from_histogram(histogram)
            for payer_id, histogram in sorted(self.lag_histograms.items())
        }
        truth: dict[str, object] = {
            "as_of_date": date.fromordinal(self.as_of).isoformat(),
            "claim_count": self.claim_count,
            "voided_claim_count": self.voided_claim_count,
            "line_count": self.line_count,
            "total_billed_amount": csv_amount(self.total_billed),
            "total_insurance_paid_amount": csv_amount(self.insurance_paid),
            "total_provider_adjustment_amount": csv_amount(plb_total),
            "total_bpr02_amount": csv_amount(bpr02_total),
            "total_patient_paid_amount": csv_amount(self.patient_paid),
            "total_contractual_adjustment_amount": csv_amount(self.contractual),
            "total_write_off_amount": csv_amount(self.write_offs),
            "initial_denial_count": self.initial_denial_count,
            "initial_denied_billed_amount": csv_amount(self.initial_denied_billed),
            "initial_denials_by_root_cause": dict(sorted(self.denials_by_root.items())),
            "claims_without_remittance": self.claims_without_remittance,
            "unbilled_encounter_count": self.unbilled_encounter_count,
            "open_ar_insurance_amount": csv_amount(self.open_ar_insurance),
            "open_ar_patient_amount": csv_amount(self.open_ar_patient),
            "median_days_submission_to_first_payment_by_payer": medians,
        }
        truth["extras"] = {
            "initial_denial_rate": round(self.initial_denial_count / self.claim_count, 4)
            if self.claim_count
            else 0.0,
            "initial_denial_outcomes": dict(sorted(self.denial_outcomes.items())),
            "initial_denials_by_payer": dict(sorted(self.initial_denials_by_payer.items())),
            "claims_by_primary_payer": dict(sorted(self.claims_by_payer.items())),
            "secondary_and_tertiary_claim_count": self.secondary_claims,
            "claim_record_count": self.claim_records,
            "claim_status_counts": dict(sorted(self.status_counts.items(), key=lambda kv: int(kv[0]))),
            "submission_frequency_counts": dict(sorted(self.frequency_counts.items())),
            "write_off_amount_by_type": {
                k: csv_amount(v) for k, v in sorted(self.write_offs_by_type.items())
            },
            "patient_refund_amount": csv_amount(self.patient_refunds),
            "credit_balance_insurance_amount": csv_amount(self.credit_insurance),
            "credit_balance_patient_amount": csv_amount(self.credit_patient),
            "self_pay_encounter_count": self.self_pay_encounters,
            "self_pay_paid_amount": csv_amount(self.self_pay_paid),
            **extras,
        }
        return truth
