"""ground_truth.json agrees with an independent recount of the files (docs/accounting_model.md)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from demo_fixtures import DemoData
from demo_naive_x12 import Claim837, Remit, cents

# The brief's denial table (group, CARC) -> root cause, written out again on purpose.
DENIALS = {
    **{("CO", c): "eligibility_registration" for c in ("27", "31", "26", "109")},
    **{("CO", c): "authorization_referral" for c in ("197", "15", "288")},
    **{("CO", c): "coding_bundling" for c in ("97", "4", "11", "236")},
    ("CO", "50"): "medical_necessity",
    ("CO", "29"): "timely_filing",
    ("OA", "18"): "duplicate",
    ("CO", "22"): "coordination_of_benefits",
    ("CO", "16"): "missing_information",
    ("CO", "252"): "missing_information",
    ("CO", "96"): "non_covered",
    ("CO", "204"): "non_covered",
}
SEQUENCE_BY_STATUS = {"1": 0, "19": 0, "2": 1, "20": 1, "3": 2, "21": 2}
SEQUENCE_BY_SBR = {"P": 0, "S": 1, "T": 2}


def money(value: int) -> str:
    return f"{Decimal(value) / 100:.2f}"


def _days(later: str, earlier: str) -> int:
    def parse(text: str) -> date:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))

    return (parse(later) - parse(earlier)).days


def _median(values: list[int]) -> float:
    values = sorted(values)
    n = len(values)
    return float(values[n // 2]) if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


class Recount:
    """Everything recounted from the files alone."""

    def __init__(self, demo: DemoData) -> None:
        claims = sorted(demo.claims, key=lambda c: (c.submission_date, c.file, c.position))
        self.first: dict[str, Claim837] = {}
        self.voided: set[str] = set()
        self.sequence: dict[tuple[str, str], int] = {}
        for claim in claims:
            self.sequence.setdefault((claim.pcn, claim.payer_id), SEQUENCE_BY_SBR[claim.sbr01])
            if claim.sbr01 == "P" and claim.frequency == "1":
                self.first.setdefault(claim.pcn, claim)
            if claim.sbr01 == "P" and claim.frequency == "8":
                self.voided.add(claim.pcn)
        self.remits: dict[str, list[Remit]] = defaultdict(list)
        for remit in sorted(demo.remits, key=lambda r: (r.payment_date, r.file, r.position)):
            self.remits[remit.pcn].append(remit)
            if remit.status in SEQUENCE_BY_STATUS:
                self.sequence.setdefault((remit.pcn, remit.payer_id), SEQUENCE_BY_STATUS[remit.status])
        self.write_offs: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
        for row in demo.csv_rows["adjustments"]:
            insurance, patient = self.write_offs[row["patient_control_number"]]
            amount = cents(row["amount"])
            self.write_offs[row["patient_control_number"]] = (
                (insurance + amount, patient) if row["payer_id"] else (insurance, patient + amount)
            )
        self.patient_paid: dict[str, int] = defaultdict(int)
        for row in demo.csv_rows["patient_payments"]:
            self.patient_paid[row["patient_control_number"]] += cents(row["amount"])

    def primary_records(self, pcn: str) -> list[Remit]:
        payer = self.first[pcn].payer_id
        return [r for r in self.remits.get(pcn, []) if r.payer_id == payer]


@pytest.fixture(scope="module")
def recount(demo: DemoData) -> Recount:
    return Recount(demo)


def test_counts_and_billed_amount(demo: DemoData, recount: Recount) -> None:
    truth = demo.truth
    assert truth["claim_count"] == len(recount.first)
    assert truth["claim_count"] + truth["unbilled_encounter_count"] == truth["parameters"]["claims"] == 4000
    assert 0 < truth["unbilled_encounter_count"] < 0.05 * 4000
    assert truth["voided_claim_count"] == len(recount.voided) > 0
    assert truth["line_count"] == sum(c.lines for c in recount.first.values())
    billed = sum(c.charge for pcn, c in recount.first.items() if pcn not in recount.voided)
    assert truth["total_billed_amount"] == money(billed)


def test_no_claims_pile_up_on_the_as_of_date(demo: DemoData, recount: Recount) -> None:
    """Claims whose submission would fall after the as-of date are not billed yet: the last day gets
    an ordinary day's submissions, not every late claim of the period's last weeks."""
    by_day: dict[str, int] = defaultdict(int)
    for claim in recount.first.values():
        by_day[claim.submission_date] += 1
    as_of = demo.truth["as_of_date"].replace("-", "")
    assert max(by_day) <= as_of
    last_weeks = [by_day[day] for day in sorted(by_day)[-29:-1]]
    assert by_day.get(as_of, 0) <= 2 * max(last_weeks)


def test_money_totals_from_835_and_csv(demo: DemoData) -> None:
    truth = demo.truth
    assert truth["total_insurance_paid_amount"] == money(sum(r.paid for r in demo.remits))
    assert truth["total_provider_adjustment_amount"] == money(sum(t.plb for t in demo.transactions))
    assert truth["total_bpr02_amount"] == money(sum(t.bpr02 for t in demo.transactions))
    contractual = sum(
        amount
        for r in demo.remits
        for group, carc, amount in r.adjustments
        if (group, carc) in (("CO", "45"), ("CO", "253"))
    )
    assert truth["total_contractual_adjustment_amount"] == money(contractual)
    assert truth["total_patient_paid_amount"] == money(
        sum(cents(row["amount"]) for row in demo.csv_rows["patient_payments"])
    )
    assert truth["total_write_off_amount"] == money(
        sum(cents(row["amount"]) for row in demo.csv_rows["adjustments"])
    )


def test_claims_without_remittance(demo: DemoData, recount: Recount) -> None:
    unanswered = [p for p in recount.first if p not in recount.voided and not recount.primary_records(p)]
    assert demo.truth["claims_without_remittance"] == len(unanswered) > 0


def test_initial_denials_and_root_causes(demo: DemoData, recount: Recount) -> None:
    count = billed = 0
    by_root: dict[str, int] = defaultdict(int)
    for pcn, claim in recount.first.items():
        records = recount.primary_records(pcn)
        if not records:
            continue
        denials = [(g, c, a) for g, c, a in records[0].adjustments if (g, c) in DENIALS]
        if not denials:
            continue
        largest = sorted(denials, key=lambda t: (-t[2], t[1]))[0]
        count += 1
        billed += claim.charge
        by_root[DENIALS[(largest[0], largest[1])]] += 1
    truth = demo.truth
    assert truth["initial_denial_count"] == count
    assert truth["initial_denied_billed_amount"] == money(billed)
    assert truth["initial_denials_by_root_cause"] == dict(sorted(by_root.items()))
    # Realistic shares: 10-15 % of adjudicated claims; eligibility/registration the largest cause.
    adjudicated = sum(1 for pcn in recount.first if recount.primary_records(pcn))
    assert 0.10 <= count / adjudicated <= 0.16
    assert max(by_root, key=by_root.get) == "eligibility_registration"
    assert len(by_root) == 9


def test_median_days_submission_to_first_payment(demo: DemoData, recount: Recount) -> None:
    lags: dict[str, list[int]] = defaultdict(list)
    for pcn, claim in recount.first.items():
        paid = next((r for r in recount.primary_records(pcn) if r.paid > 0), None)
        if paid is not None:
            lags[claim.payer_id].append(_days(paid.payment_date, claim.submission_date))
    expected = {payer: _median(values) for payer, values in sorted(lags.items())}
    assert demo.truth["median_days_submission_to_first_payment_by_payer"] == expected
    assert 14 <= expected["MCR01"] <= 18, "Medicare pays clean claims from day 14"
    assert min(min(v) for k, v in lags.items() if k == "MCR01") >= 14


def test_open_ar_follows_the_accounting_model(demo: DemoData, recount: Recount) -> None:
    insurance_ar = patient_ar = 0
    for pcn, claim in recount.first.items():
        records = recount.remits.get(pcn, [])
        paid = sum(r.paid for r in records)
        contractual = sum(
            a for r in records for g, c, a in r.adjustments if (g, c) in (("CO", "45"), ("CO", "253"))
        )
        insurance_off, patient_off = recount.write_offs[pcn]
        patient_paid = recount.patient_paid[pcn]
        charge = 0 if pcn in recount.voided else claim.charge
        balance = charge - paid - contractual - insurance_off - patient_off - patient_paid
        final = max((recount.sequence[(pcn, r.payer_id)] for r in records), default=0)
        final_payers = {r.payer_id for r in records if recount.sequence[(pcn, r.payer_id)] == final}
        share = sum(
            a for r in records if r.payer_id in final_payers for g, _, a in r.adjustments if g == "PR"
        )
        patient_balance = share - patient_paid - patient_off
        insurance_balance = balance - patient_balance
        insurance_ar += max(insurance_balance, 0)
        patient_ar += max(patient_balance, 0)
        if not records and pcn not in recount.voided:
            # No 835 at all: the payer still owes the charge, less a timely-filing write-off if any.
            assert insurance_balance == charge - insurance_off
    assert demo.truth["open_ar_insurance_amount"] == money(insurance_ar)
    assert demo.truth["open_ar_patient_amount"] == money(patient_ar)


def test_truth_has_every_documented_key(demo: DemoData) -> None:
    keys = {
        "as_of_date", "claim_count", "voided_claim_count", "line_count", "total_billed_amount",
        "total_insurance_paid_amount", "total_provider_adjustment_amount", "total_bpr02_amount",
        "total_patient_paid_amount", "total_contractual_adjustment_amount", "total_write_off_amount",
        "initial_denial_count", "initial_denied_billed_amount", "initial_denials_by_root_cause",
        "claims_without_remittance", "open_ar_insurance_amount", "open_ar_patient_amount",
        "median_days_submission_to_first_payment_by_payer", "parameters",
    }  # fmt: skip
    assert keys <= set(demo.truth)
    assert demo.truth["as_of_date"] == "2025-12-31"
    assert demo.truth["parameters"]["seed"] == 42
