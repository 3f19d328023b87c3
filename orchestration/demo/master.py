"""Master data (seeds) and each payer's behaviour.

Who the practice is (providers, locations, billers) and whom it bills (payers, their contract terms)
live in ``seeds/*.csv`` so that the warehouse and the generator read the same facts. How each payer
*behaves* (how fast it pays, how often it denies and why, what it allows) is a simulation parameter
and lives here, documented in docs/demo_data.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import SEEDS_DIR

# Weekday numbers (Monday = 0) on which a payer runs its payment cycle (BPR16 dates).
WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Payer:
    """One payer: identity from seeds/payers.csv, terms from seeds/payer_rules.csv, behaviour here."""

    payer_id: str
    payer_name: str
    category: str
    filing_code: str
    timely_filing_days: int
    appeal_window_days: int
    expected_payment_days: int
    corrected_claim_days: int
    behaviour: PayerBehaviour


@dataclass(frozen=True)
class PayerBehaviour:
    """Simulation parameters of one payer (docs/demo_data.md, "Payer behaviour").

    allowed_bp: allowed amount as basis points of the charge (fee schedule ratio).
    lag_floor + lognormal(lag_median, lag_sigma): days from submission to adjudication, then the next
    payment run; lag_floor is the earliest day (Medicare: 14, the payment floor for clean claims).
    late_share: share of clean claims held past day 30 (Medicare then owes interest from day 31).
    denial_rate: share of first adjudications that carry a denial.
    root_cause_weights: initial-denial root-cause mix (Change Healthcare Denials Index order).
    lost_rate: share of claims the payer never answers.
    eft_share: share of payments by EFT (the rest by cheque).
    run_days: weekdays of the payment cycle.
    copay_cents / coinsurance_bp / deductible_cents: patient cost sharing.
    sequestration_bp: CO-253 reduction of the payment (Medicare: 200 = 2 %).
    zero_pay_separate: zero-pay claims come in their own transaction (BPR01=H) on run days.
    """

    allowed_bp: int
    lag_median: float
    lag_sigma: float
    lag_floor: int
    late_share: float
    denial_rate: float
    root_cause_weights: dict[str, float]
    lost_rate: float
    eft_share: float
    run_days: tuple[int, ...]
    copay_cents: int
    coinsurance_bp: int
    deductible_cents: int
    sequestration_bp: int = 0
    zero_pay_separate: bool = False
    interest_bp_per_year: int = 0
    payer_code: str = "P"
    trace_prefix: str = "T"
    ein: str = "990000000"
    routing: str = "999999992"
    extra: dict[str, float] = field(default_factory=dict)


# Root causes with a base share of initial denials, after the Change Healthcare Denials Index
# (registration/eligibility ~27 %, missing/invalid claim data ~15-17 %, authorization ~12 %, then
# non-covered, coding, medical necessity, COB, duplicates, timely filing).
BASE_ROOT_CAUSES: dict[str, float] = {
    "eligibility_registration": 27.0,
    "missing_information": 16.0,
    "authorization_referral": 12.0,
    "non_covered": 10.0,
    "coding_bundling": 10.0,
    "medical_necessity": 9.0,
    "coordination_of_benefits": 7.0,
    "duplicate": 4.0,
    "timely_filing": 5.0,
}


def _mix(**overrides: float) -> dict[str, float]:
    mix = dict(BASE_ROOT_CAUSES)
    mix.update(overrides)
    return mix


BEHAVIOURS: dict[str, PayerBehaviour] = {
    "MCR01": PayerBehaviour(
        allowed_bp=4200,
        lag_median=2.0,
        lag_sigma=0.9,
        lag_floor=14,
        late_share=0.04,
        denial_rate=0.10,
        root_cause_weights=_mix(
            medical_necessity=15.0, authorization_referral=2.0, coordination_of_benefits=10.0
        ),
        lost_rate=0.004,
        eft_share=1.0,
        run_days=WEEKDAYS,
        copay_cents=0,
        coinsurance_bp=2000,
        deductible_cents=25700,
        sequestration_bp=200,
        zero_pay_separate=False,
        interest_bp_per_year=475,
        payer_code="1",
        trace_prefix="MCR",
        ein="990100001",
    ),
    "MCD01": PayerBehaviour(
        allowed_bp=3300,
        lag_median=18.0,
        lag_sigma=0.35,
        lag_floor=10,
        late_share=0.0,
        denial_rate=0.18,
        root_cause_weights=_mix(eligibility_registration=34.0, coordination_of_benefits=11.0),
        lost_rate=0.02,
        eft_share=1.0,
        run_days=(3,),
        copay_cents=0,
        coinsurance_bp=0,
        deductible_cents=0,
        zero_pay_separate=True,
        payer_code="2",
        trace_prefix="MCD",
        ein="990100002",
    ),
    "MAV01": PayerBehaviour(
        allowed_bp=4500,
        lag_median=14.0,
        lag_sigma=0.35,
        lag_floor=7,
        late_share=0.0,
        denial_rate=0.17,
        root_cause_weights=_mix(authorization_referral=20.0, medical_necessity=12.0),
        lost_rate=0.012,
        eft_share=0.95,
        run_days=(1, 3),
        copay_cents=2000,
        coinsurance_bp=2000,
        deductible_cents=0,
        payer_code="3",
        trace_prefix="MAV",
        ein="990100003",
    ),
    "COM01": PayerBehaviour(
        allowed_bp=6200,
        lag_median=11.0,
        lag_sigma=0.35,
        lag_floor=5,
        late_share=0.0,
        denial_rate=0.13,
        root_cause_weights=_mix(),
        lost_rate=0.015,
        eft_share=0.92,
        run_days=(0, 2, 4),
        copay_cents=3000,
        coinsurance_bp=2000,
        deductible_cents=50000,
        payer_code="4",
        trace_prefix="BPK",
        ein="990100004",
    ),
    "COM02": PayerBehaviour(
        allowed_bp=5800,
        lag_median=13.0,
        lag_sigma=0.4,
        lag_floor=5,
        late_share=0.0,
        denial_rate=0.14,
        root_cause_weights=_mix(coding_bundling=14.0, timely_filing=7.0),
        lost_rate=0.02,
        eft_share=0.85,
        run_days=(1,),
        copay_cents=2500,
        coinsurance_bp=2000,
        deductible_cents=100000,
        payer_code="5",
        trace_prefix="NST",
        ein="990100005",
    ),
    "COM03": PayerBehaviour(
        allowed_bp=5200,
        lag_median=14.0,
        lag_sigma=0.4,
        lag_floor=7,
        late_share=0.0,
        denial_rate=0.16,
        root_cause_weights=_mix(authorization_referral=24.0),
        lost_rate=0.02,
        eft_share=0.9,
        run_days=(3,),
        copay_cents=4000,
        coinsurance_bp=1000,
        deductible_cents=0,
        payer_code="6",
        trace_prefix="HBV",
        ein="990100006",
    ),
    "COM04": PayerBehaviour(
        allowed_bp=6600,
        lag_median=10.0,
        lag_sigma=0.35,
        lag_floor=5,
        late_share=0.0,
        denial_rate=0.11,
        root_cause_weights=_mix(),
        lost_rate=0.012,
        eft_share=0.8,
        run_days=(0, 3),
        copay_cents=2000,
        coinsurance_bp=2000,
        deductible_cents=75000,
        payer_code="7",
        trace_prefix="CMI",
        ein="990100007",
    ),
    "WCP01": PayerBehaviour(
        allowed_bp=7800,
        lag_median=26.0,
        lag_sigma=0.35,
        lag_floor=14,
        late_share=0.0,
        denial_rate=0.20,
        root_cause_weights=_mix(
            authorization_referral=18.0, medical_necessity=16.0, coordination_of_benefits=2.0
        ),
        lost_rate=0.025,
        eft_share=0.45,
        run_days=(4,),
        copay_cents=0,
        coinsurance_bp=0,
        deductible_cents=0,
        payer_code="8",
        trace_prefix="KWC",
        ein="990100008",
    ),
}


@dataclass(frozen=True)
class Provider:
    npi: str
    name: str
    entity_type: str
    specialty: str
    taxonomy_code: str
    location_id: str
    tax_id: str

    @property
    def last_name(self) -> str:
        return self.name.split(" ")[1] if self.entity_type == "person" else self.name

    @property
    def first_name(self) -> str:
        return self.name.split(" ")[0] if self.entity_type == "person" else ""


@dataclass(frozen=True)
class Location:
    location_id: str
    name: str
    location_type: str
    pos_code: str
    address: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class MasterData:
    """Everything read from the seeds, keyed for the simulation."""

    payers: dict[str, Payer]
    providers: dict[str, Provider]
    locations: dict[str, Location]
    billers: dict[str, str]  # payer_id -> biller_id who works it
    group: Provider  # billing provider of the 837P claims
    hospital: Provider  # billing provider of the 837I claims

    def clinicians(self, specialty: str) -> list[Provider]:
        return [p for p in self.providers.values() if p.entity_type == "person" and p.specialty == specialty]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_master_data(seeds_dir: Path = SEEDS_DIR) -> MasterData:
    """Read the five master-data seeds; payers without a behaviour entry raise (no silent defaults)."""
    rules = {row["payer_id"]: row for row in _read(seeds_dir / "payer_rules.csv")}
    default_rules = rules["*"]
    payers: dict[str, Payer] = {}
    for row in _read(seeds_dir / "payers.csv"):
        payer_id = row["payer_id"]
        rule = rules.get(payer_id, default_rules)
        # Self-pay encounters are never billed to a payer: any behaviour will do, it is never read.
        behaviour = BEHAVIOURS["COM01"] if row["payer_category"] == "self_pay" else BEHAVIOURS[payer_id]
        payers[payer_id] = Payer(
            payer_id=payer_id,
            payer_name=row["payer_name"],
            category=row["payer_category"],
            filing_code=row["claim_filing_indicator_code"],
            timely_filing_days=int(rule["timely_filing_days"]),
            appeal_window_days=int(rule["appeal_window_days"]),
            expected_payment_days=int(rule["expected_payment_days"]),
            corrected_claim_days=int(rule["corrected_claim_days"]),
            behaviour=behaviour,
        )
    providers = {
        row["npi"]: Provider(
            npi=row["npi"],
            name=row["provider_name"],
            entity_type=row["entity_type"],
            specialty=row["specialty"],
            taxonomy_code=row["taxonomy_code"],
            location_id=row["location_id"],
            tax_id=row["tax_id"],
        )
        for row in _read(seeds_dir / "providers.csv")
    }
    locations = {
        row["location_id"]: Location(
            location_id=row["location_id"],
            name=row["location_name"],
            location_type=row["location_type"],
            pos_code=row["place_of_service_code"],
            address=row["address_line_1"],
            city=row["city"],
            state=row["state"],
            postal_code=row["postal_code"],
        )
        for row in _read(seeds_dir / "locations.csv")
    }
    billers: dict[str, str] = {}
    for row in _read(seeds_dir / "billers.csv"):
        for payer_id in row["payer_ids"].split(";"):
            billers.setdefault(payer_id, row["biller_id"])
    group = next(p for p in providers.values() if p.specialty == "multi_specialty_group")
    hospital = next(p for p in providers.values() if p.specialty == "hospital_outpatient")
    return MasterData(
        payers=payers,
        providers=providers,
        locations=locations,
        billers=billers,
        group=group,
        hospital=hospital,
    )
