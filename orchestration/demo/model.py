"""The simulation's nouns: encounters, lines, submissions, 835 claim records and dated events.

Dates inside the simulation are proleptic ordinals (``date.toordinal()``): integers are cheap to add
and compare, and the writers turn them into text once per day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.demo.catalog import Visit
from orchestration.demo.master import Location, Payer, Provider

# Event kinds, in the order a day's events are written.
K_837 = 0
K_835 = 1
K_PAYMENT = 2
K_ADJUSTMENT = 3
K_ACTIVITY = 4

# Payer sequence in the encounter's chain.
PRIMARY, SECONDARY, TERTIARY = 0, 1, 2
SBR01 = ("P", "S", "T")

# (group, CARC) -> root cause: exactly the denial codes the generator uses (docs/demo_data.md);
# the dbt seed carc_categories classifies them the same way.
DENIAL_ROOT_CAUSES: dict[tuple[str, str], str] = {
    ("CO", "27"): "eligibility_registration",
    ("CO", "31"): "eligibility_registration",
    ("CO", "26"): "eligibility_registration",
    ("CO", "109"): "eligibility_registration",
    ("CO", "197"): "authorization_referral",
    ("CO", "15"): "authorization_referral",
    ("CO", "288"): "authorization_referral",
    ("CO", "97"): "coding_bundling",
    ("CO", "4"): "coding_bundling",
    ("CO", "11"): "coding_bundling",
    ("CO", "236"): "coding_bundling",
    ("CO", "50"): "medical_necessity",
    ("CO", "29"): "timely_filing",
    ("OA", "18"): "duplicate",
    ("CO", "22"): "coordination_of_benefits",
    ("CO", "16"): "missing_information",
    ("CO", "252"): "missing_information",
    ("CO", "96"): "non_covered",
    ("CO", "204"): "non_covered",
}
CONTRACTUAL_CODES = frozenset({("CO", "45"), ("CO", "253")})

Triplet = tuple[str, str, int]  # (group code, CARC, cents)


@dataclass(slots=True)
class Person:
    last_name: str
    first_name: str
    sex: str
    birth_ordinal: int
    address: str
    city: str
    state: str
    postal_code: str


@dataclass(slots=True)
class Coverage:
    """One payer in the patient's chain; ``crossover`` = it receives the claim from the payer before it."""

    payer: Payer
    member_id: str
    group_number: str
    crossover: bool = False


@dataclass(slots=True)
class Patient:
    patient_no: int
    account_id: str
    person: Person
    subscriber: Person
    relationship: str  # SBR02 / PAT01: 18 self, 01 spouse, 19 child
    coverages: list[Coverage]
    age: int


@dataclass(slots=True)
class Line:
    """One service line of one submission (the line item control number differs per submission)."""

    number: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    revenue_code: str
    charge: int
    pointers: tuple[int, ...]
    control_number: str = ""


@dataclass(slots=True)
class Encounter:
    index: int
    pcn: str
    dos: int
    patient: Patient
    visit: Visit
    billing: Provider
    rendering: Provider
    location: Location
    diagnoses: tuple[str, ...]
    lines: list[Line]
    charge: int
    coverages: list[Coverage]
    authorization: str = ""
    submission_count: int = 0
    record_count: int = 0

    @property
    def institutional(self) -> bool:
        return self.visit.institutional


@dataclass(slots=True)
class RemitLine:
    line: Line
    charge: int  # SVC02 (negated in a reversal)
    paid: int  # SVC03
    adjustments: list[Triplet]
    remarks: tuple[str, ...]
    allowed: int  # AMT*B6; 0 = not sent


@dataclass(slots=True)
class Record:
    """One 835 claim payment loop (CLP and everything under it)."""

    payer_id: str
    sequence: int
    status: str  # CLP02
    charge: int  # CLP03
    paid: int  # CLP04
    control_number: str  # CLP07
    frequency: str  # CLP09
    received: int  # DTM*050
    claim_adjustments: list[Triplet]
    lines: list[RemitLine]
    remarks: tuple[str, ...] = ()  # MOA
    crossover_payer_id: str = ""

    def adjustments(self) -> list[Triplet]:
        out = list(self.claim_adjustments)
        for line in self.lines:
            out.extend(line.adjustments)
        return out

    @property
    def patient_responsibility(self) -> int:
        return sum(amount for group, _, amount in self.adjustments() if group == "PR")

    @property
    def contractual(self) -> int:
        return sum(amount for group, carc, amount in self.adjustments() if (group, carc) in CONTRACTUAL_CODES)

    def denials(self) -> list[Triplet]:
        return [t for t in self.adjustments() if (t[0], t[1]) in DENIAL_ROOT_CAUSES]


def reversal_of(record: Record) -> Record:
    """CLP02=22: the original with every amount negated, at the same level of detail (TR3 1.10.2.8)."""
    return Record(
        payer_id=record.payer_id,
        sequence=record.sequence,
        status="22",
        charge=-record.charge,
        paid=-record.paid,
        control_number=record.control_number,
        frequency=record.frequency,
        received=record.received,
        claim_adjustments=[(g, c, -a) for g, c, a in record.claim_adjustments],
        lines=[
            RemitLine(
                rl.line,
                -rl.charge,
                -rl.paid,
                [(g, c, -a) for g, c, a in rl.adjustments],
                rl.remarks,
                -rl.allowed,
            )
            for rl in record.lines
        ],
        remarks=record.remarks,
        crossover_payer_id="",
    )


@dataclass(slots=True)
class ClaimState:
    """The encounter billed to one payer: its submissions and 835 records so far."""

    encounter: Encounter
    sequence: int
    coverage: Coverage
    records: list[tuple[int, Record]] = field(default_factory=list)
    used_days: set[int] = field(default_factory=set)
    current: Record | None = None  # the adjudication in force (not a reversal, not a duplicate's denial)
    current_lines: list[Line] = field(default_factory=list)
    pricing: dict[int, tuple[int, list[Triplet]]] = field(default_factory=dict)
    deductible_left: int = 0
    copay_used: bool = False

    @property
    def payer(self) -> Payer:
        return self.coverage.payer


@dataclass(slots=True)
class Submission:
    claim: ClaimState
    frequency: str
    lines: list[Line]
    reference_control_number: str  # REF*F8
    interchange: int  # 0 = the day's original batch, 1 = follow-up batch (7, 8, re-sent 1)
    prior: list[tuple[Coverage, Record]]


@dataclass(slots=True)
class RemitEvent:
    claim: ClaimState
    records: list[Record]
    provider_adjustments: list[tuple[str, str, int]]  # (PLB reason, reference, cents)
    group: int  # 0 = with the payer's payments, 1 = zero-pay remittance, 2 = recoupment notice


@dataclass(slots=True)
class DenialInfo:
    root_cause: str
    group: str
    carc: str
    level: str  # claim | line
    line_number: int
    amount: int


@dataclass(slots=True)
class Timeline:
    """An encounter's dated events; ``order`` keeps same-day events in the order they happened."""

    index: int
    events: list[tuple[int, int, int, object]] = field(default_factory=list)

    def add(self, day: int, kind: int, payload: object) -> None:
        self.events.append((day, kind, self.index * 1024 + len(self.events), payload))
