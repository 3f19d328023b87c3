"""One encounter's revenue cycle, from the visit to the last dollar, as dated events.

The simulator draws from one ``random.Random`` stream in encounter order, so the same arguments give
the same events. It knows nothing about files: it returns a ``Timeline`` that the generator filters
to the simulated period, counts into the ground truth and spools to per-day shards.
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import date

from orchestration.demo import catalog
from orchestration.demo.catalog import AUTH_CODES, EM_CODES, Visit
from orchestration.demo.master import MasterData, Payer, PayerBehaviour, Provider
from orchestration.demo.model import (
    K_835,
    K_837,
    K_ACTIVITY,
    K_ADJUSTMENT,
    K_PAYMENT,
    ClaimState,
    Coverage,
    DenialInfo,
    Encounter,
    Line,
    Patient,
    Person,
    Record,
    RemitEvent,
    RemitLine,
    Submission,
    Timeline,
    Triplet,
    reversal_of,
)
from orchestration.demo.money import percent_of

SELF_PAY_PRICE_BP = 6000  # self-pay price as a share of the charge master
PATIENT_BILLER_FALLBACK = "p.moreau"

# Which line-level and claim-level codes each root cause produces, with their remark codes.
CORRECTABLE = frozenset(
    {
        "eligibility_registration",
        "missing_information",
        "coding_bundling",
        "duplicate",
        "coordination_of_benefits",
    }
)
APPEALABLE = frozenset({"authorization_referral", "medical_necessity", "timely_filing"})
OVERTURN_ON_APPEAL = {
    "authorization_referral": 0.55,
    "medical_necessity": 0.45,
    "timely_filing": 0.7,
    "non_covered": 0.15,
}
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
MEDIGAP_PAYER_ID = "COM04"


class _Hash:
    """A tiny splitmix64 stream: patient attributes are a pure function of (seed, patient number)."""

    __slots__ = ("state",)

    def __init__(self, seed: int, key: int) -> None:
        self.state = (seed * 0x9E3779B97F4A7C15 + key * 0xBF58476D1CE4E5B9 + 1) & 0xFFFFFFFFFFFFFFFF

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return self.next() / 18446744073709551616.0

    def below(self, n: int) -> int:
        return self.next() % n


def _code_factor_bp(code: str) -> int:
    """A fixed per-code tilt of the fee schedule (9,000-11,000 bp) so ratios are not all identical."""
    return 9000 + zlib.crc32(code.encode()) % 2001


class Simulator:
    """Simulates encounters one at a time; ``simulate_insured`` / ``simulate_self_pay`` return timelines."""

    def __init__(self, master: MasterData, seed: int, as_of: int, patient_pool: int) -> None:
        self.master = master
        self.seed = seed
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.patient_pool = max(50, patient_pool)
        self.payers = master.payers
        opd = next(loc for loc in master.locations.values() if loc.location_type == "hospital_outpatient")
        self.opd = opd
        # Professional visits are rendered by clinicians of the group's own offices.
        self._clinicians = {
            specialty: [p for p in master.clinicians(specialty) if p.location_id != opd.location_id]
            for specialty in (
                "family_medicine",
                "cardiology",
                "orthopedics",
                "radiology",
                "behavioral_health",
                "physical_therapy",
            )
        }
        self._hospital_staff = [
            p
            for p in master.providers.values()
            if p.entity_type == "person" and p.location_id == opd.location_id
        ]
        self._lag_log_median = {pid: math.log(p.behaviour.lag_median) for pid, p in self.payers.items()}
        self._run_day_cache: dict[tuple[str, int], int] = {}
        self._specialty_weights = tuple((name, share) for name, (_, share) in catalog.SPECIALTIES.items())

    # ------------------------------------------------------------------ patients
    def patient(self, patient_no: int) -> Patient:
        """The patient's identity and coverage chain, a pure function of (seed, patient number)."""
        h = _Hash(self.seed, patient_no)
        u = h.uniform()
        payers = self.payers
        if u < 0.30:
            chain = ["MCR01"]
            age = 65 + h.below(28)
        elif u < 0.44:
            chain = ["MCD01"]
            age = h.below(64)
        elif u < 0.54:
            chain = ["MAV01"]
            age = 65 + h.below(25)
        else:
            commercial = ("COM01", "COM01", "COM01", "COM02", "COM02", "COM03", "COM03", "COM04")
            chain = [commercial[h.below(len(commercial))]]
            age = h.below(64)
        crossover = [False]
        v = h.uniform()
        if chain[0] == "MCR01":
            if v < 0.02:
                # Retiree group plan second, Medicaid third.
                chain += ["COM01", "MCD01"]
                crossover += [True, h.uniform() < 0.5]
            elif v < 0.12:
                chain.append("MCD01")
                crossover.append(True)
            elif v < 0.30:
                chain.append("COM04")
                crossover.append(h.uniform() < 0.7)
        elif chain[0] == "MAV01" and v < 0.08:
            chain.append("MCD01")
            crossover.append(False)
        elif chain[0].startswith("COM") and v < 0.05:
            other = "COM04" if chain[0] != "COM04" else "COM01"
            chain.append(other)
            crossover.append(False)
        sex = "F" if h.below(2) else "M"
        last = catalog.LAST_NAMES[h.below(len(catalog.LAST_NAMES))]
        first = catalog.FIRST_NAMES[h.below(len(catalog.FIRST_NAMES))]
        birth = date(2025 - age, 1 + h.below(12), 1 + h.below(28)).toordinal()
        street = f"{100 + h.below(900)} {catalog.STREETS[h.below(len(catalog.STREETS))]}"
        postal = f"430{h.below(100):02d}"
        person = Person(last, first, sex, birth, street, "Demo City", "OH", postal)
        relationship = "18"
        subscriber = person
        if chain[0].startswith("COM"):
            if age < 26:
                relationship = "19"
            elif h.uniform() < 0.2:
                relationship = "01"
        if relationship != "18":
            sub_age = age + 25 + h.below(10) if relationship == "19" else age + h.below(5)
            subscriber = Person(
                last,
                catalog.FIRST_NAMES[h.below(len(catalog.FIRST_NAMES))],
                "M" if sex == "F" else "F",
                date(2025 - sub_age, 1 + h.below(12), 1 + h.below(28)).toordinal(),
                street,
                "Demo City",
                "OH",
                postal,
            )
        coverages = []
        for payer_id, is_crossover in zip(chain, crossover, strict=True):
            payer = payers[payer_id]
            coverages.append(
                Coverage(payer, self._member_id(h, payer), self._group_number(h, payer), is_crossover)
            )
        return Patient(
            patient_no=patient_no,
            account_id=f"A{patient_no:08d}",
            person=person,
            subscriber=subscriber,
            relationship=relationship,
            coverages=coverages,
            age=age,
        )

    @staticmethod
    def _member_id(h: _Hash, payer: Payer) -> str:
        if payer.category == "medicare":
            # Medicare Beneficiary Identifier shape (digit, letter, alphanumeric, ...): synthetic values.
            letters = MBI_LETTERS
            return (
                f"{1 + h.below(9)}{letters[h.below(20)]}{letters[h.below(20)]}{h.below(10)}"
                f"{letters[h.below(20)]}{letters[h.below(20)]}{h.below(10)}{letters[h.below(20)]}"
                f"{letters[h.below(20)]}{h.below(10)}{h.below(10)}"
            )
        if payer.category == "medicaid":
            return f"{h.below(10**10):010d}"
        return f"{payer.payer_id[:3]}{h.below(10**9):09d}"

    @staticmethod
    def _group_number(h: _Hash, payer: Payer) -> str:
        if payer.category in ("commercial", "medicare_advantage"):
            return f"GRP{h.below(10**5):05d}"
        return ""

    # ------------------------------------------------------------------ calendar helpers
    def run_day(self, payer: Payer, day: int) -> int:
        """The payer's next payment run on or after ``day``."""
        key = (payer.payer_id, day)
        cached = self._run_day_cache.get(key)
        if cached is not None:
            return cached
        run_days = payer.behaviour.run_days
        result = day
        while (result - 1) % 7 not in run_days:  # ordinal 1 (0001-01-01) is a Monday
            result += 1
        if len(self._run_day_cache) > 200_000:
            self._run_day_cache.clear()
        self._run_day_cache[key] = result
        return result

    def remit_day(self, claim: ClaimState, not_before: int) -> int:
        """A payment run of the claim's payer on which this claim has no other 835 record yet."""
        day = self.run_day(claim.payer, not_before)
        while day in claim.used_days:
            day = self.run_day(claim.payer, day + 1)
        claim.used_days.add(day)
        return day

    def lag(self, behaviour: PayerBehaviour, payer_id: str) -> int:
        rng = self.rng
        if behaviour.late_share and rng.random() < behaviour.late_share:
            return 31 + rng.randint(0, 14)
        return behaviour.lag_floor + int(
            rng.lognormvariate(self._lag_log_median[payer_id], behaviour.lag_sigma)
        )

    @staticmethod
    def _pick(rng: random.Random, weights: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
        items = tuple(weights.items()) if isinstance(weights, dict) else weights
        total = sum(w for _, w in items)
        mark = rng.random() * total
        for key, weight in items:
            mark -= weight
            if mark < 0:
                return key
        return items[-1][0]

    # ------------------------------------------------------------------ encounters
    def _visit(self, dos: int, patient: Patient) -> Visit:
        rng = self.rng
        weekday = (dos - 1) % 7
        if weekday == 6:
            specialty = "hospital"
        elif weekday == 5:
            specialty = "family_medicine" if rng.random() < 0.6 else "hospital"
        else:
            specialty = self._pick(rng, self._specialty_weights)
        make = catalog.SPECIALTIES[specialty][0]
        medicare = patient.coverages[0].payer.category in ("medicare", "medicare_advantage")
        month = date.fromordinal(dos).month
        return make(rng, medicare, month, patient.age)

    def _rendering(self, visit: Visit) -> Provider:
        rng = self.rng
        if visit.institutional:
            return self._hospital_staff[rng.randrange(len(self._hospital_staff))]
        pool = self._clinicians[visit.specialty]
        return pool[rng.randrange(len(pool))]

    def build_encounter(self, index: int, dos: int) -> Encounter:
        rng = self.rng
        patient = self.patient(rng.randrange(self.patient_pool))
        visit = self._visit(dos, patient)
        coverages = patient.coverages
        if visit.specialty in ("orthopedics", "physical_therapy") and rng.random() < 0.08:
            wc = self.payers["WCP01"]
            coverages = [Coverage(wc, f"WC{index:010d}", "")]
        rendering = self._rendering(visit)
        if visit.institutional:
            billing, location = self.master.hospital, self.opd
        else:
            billing = self.master.group
            location = self.opd if visit.pos in ("22", "19") else self.master.locations[rendering.location_id]
        dx_pool = catalog.DIAGNOSES[visit.specialty]
        n_dx = 1 + (rng.random() > 0.4) + (rng.random() > 0.7) + (rng.random() > 0.9)
        diagnoses = tuple(rng.sample(dx_pool, min(n_dx, len(dx_pool))))
        lines = []
        for number, spec in enumerate(visit.lines, start=1):
            pointers = (1,) if len(diagnoses) == 1 else (1 + (number - 1) % len(diagnoses),)
            if len(diagnoses) > 1 and pointers[0] != 1 and rng.random() < 0.5:
                pointers = (pointers[0], 1)
            lines.append(
                Line(
                    number,
                    spec.code,
                    spec.modifiers,
                    spec.units,
                    spec.revenue_code,
                    catalog.line_charge(spec),
                    pointers,
                )
            )
        prefix = "RB" if visit.institutional else "MG"
        return Encounter(
            index=index,
            pcn=f"{prefix}{index:09d}",
            dos=dos,
            patient=patient,
            visit=visit,
            billing=billing,
            rendering=rendering,
            location=location,
            diagnoses=diagnoses,
            lines=lines,
            charge=sum(line.charge for line in lines),
            coverages=coverages,
        )

    # ------------------------------------------------------------------ events
    def _submit(
        self,
        timeline: Timeline,
        claim: ClaimState,
        day: int,
        frequency: str,
        lines: list[Line],
        reference: str = "",
        interchange: int = 0,
        prior: list[tuple[Coverage, Record]] | None = None,
    ) -> list[Line]:
        encounter = claim.encounter
        encounter.submission_count += 1
        n = encounter.submission_count
        sent = [
            Line(
                ln.number,
                ln.code,
                ln.modifiers,
                ln.units,
                ln.revenue_code,
                ln.charge,
                ln.pointers,
                f"{encounter.pcn}S{n}L{ln.number}",
            )
            for ln in lines
        ]
        timeline.add(day, K_837, Submission(claim, frequency, sent, reference, interchange, prior or []))
        return sent

    def _remit(
        self,
        timeline: Timeline,
        claim: ClaimState,
        day: int,
        records: list[Record],
        plb: list[tuple[str, str, int]] | None = None,
        group: int = 0,
        is_current: bool = True,
        lines: list[Line] | None = None,
    ) -> None:
        for record in records:
            claim.records.append((day, record))
        if is_current:
            for record in records:
                if record.status != "22":
                    claim.current = record
                    if lines is not None:
                        claim.current_lines = lines
        zero_pay = all(r.paid == 0 and r.status != "22" for r in records) and not plb
        if group == 0 and claim.payer.behaviour.zero_pay_separate and zero_pay:
            group = 1
        timeline.add(day, K_835, RemitEvent(claim, records, plb or [], group))

    def _payment(
        self,
        timeline: Timeline,
        encounter: Encounter,
        day: int,
        cents: int,
        method: str,
        channel: str,
        plan: str = "",
    ) -> None:
        k = len(timeline.events)
        payment_id = f"PMT{encounter.index:09d}{k:03d}"
        timeline.add(
            day,
            K_PAYMENT,
            (payment_id, encounter.patient.account_id, encounter.pcn, cents, method, channel, plan),
        )

    def _adjust(
        self,
        timeline: Timeline,
        encounter: Encounter,
        day: int,
        payer_id: str,
        kind: str,
        reason: str,
        cents: int,
    ) -> None:
        k = len(timeline.events)
        user = self.master.billers.get(payer_id or "SELF", PATIENT_BILLER_FALLBACK)
        timeline.add(
            day,
            K_ADJUSTMENT,
            (f"ADJ{encounter.index:09d}{k:03d}", encounter.pcn, payer_id, kind, reason, cents, user),
        )

    def _activity(self, timeline: Timeline, claim: ClaimState, day: int, kind: str, note: str) -> None:
        k = len(timeline.events)
        payer_id = claim.payer.payer_id
        timeline.add(
            day,
            K_ACTIVITY,
            (
                f"ACT{claim.encounter.index:09d}{k:03d}",
                claim.encounter.pcn,
                payer_id,
                kind,
                self.master.billers.get(payer_id, PATIENT_BILLER_FALLBACK),
                note,
            ),
        )

    def _control_number(self, claim: ClaimState, day: int) -> str:
        encounter = claim.encounter
        encounter.record_count += 1
        d = date.fromordinal(day)
        code = claim.payer.behaviour.payer_code
        return f"{code}{d.year % 100:02d}{d.timetuple().tm_yday:03d}{encounter.index:09d}{encounter.record_count:02d}"

    # ------------------------------------------------------------------ pricing and 835 records
    def _price(self, claim: ClaimState, line: Line) -> tuple[int, list[Triplet]]:
        """Allowed amount and patient share of one line with this payer, fixed once per claim."""
        cached = claim.pricing.get(line.number)
        if cached is not None:
            return cached
        behaviour = claim.payer.behaviour
        ratio = behaviour.allowed_bp * _code_factor_bp(line.code or line.revenue_code) // 10000
        allowed = max(1, min(line.charge, percent_of(line.charge, ratio)))
        share: list[Triplet] = []
        remaining = allowed
        if behaviour.copay_cents and line.code in EM_CODES:
            if not claim.copay_used:
                copay = min(behaviour.copay_cents, remaining)
                share.append(("PR", "3", copay))
                remaining -= copay
                claim.copay_used = True
        else:
            if claim.deductible_left > 0:
                deductible = min(claim.deductible_left, remaining)
                share.append(("PR", "1", deductible))
                remaining -= deductible
                claim.deductible_left -= deductible
            if behaviour.coinsurance_bp and remaining > 0:
                coinsurance = percent_of(remaining, behaviour.coinsurance_bp)
                if coinsurance:
                    share.append(("PR", "2", coinsurance))
        claim.pricing[line.number] = (allowed, share)
        return allowed, share

    def _paid_record(
        self,
        claim: ClaimState,
        lines: list[Line],
        day: int,
        frequency: str,
        received: int,
        overrides: dict[int, tuple[str, str, tuple[str, ...]]] | None = None,
        uplift_bp: int = 0,
        status: str = "",
    ) -> Record:
        """An adjudication that prices every line, except those in ``overrides`` (group, CARC, remarks)."""
        behaviour = claim.payer.behaviour
        remit_lines: list[RemitLine] = []
        overrides = overrides or {}
        for line in lines:
            override = overrides.get(line.number)
            if override is not None:
                group, carc, remarks = override
                remit_lines.append(RemitLine(line, line.charge, 0, [(group, carc, line.charge)], remarks, 0))
                continue
            allowed, share = self._price(claim, line)
            if uplift_bp:
                allowed = max(1, min(line.charge, allowed + percent_of(allowed, uplift_bp)))
            patient_share = sum(a for _, _, a in share)
            if patient_share > allowed:
                share = [("PR", "1", allowed)]
                patient_share = allowed
            payable = allowed - patient_share
            sequestration = (
                percent_of(payable, behaviour.sequestration_bp) if behaviour.sequestration_bp else 0
            )
            adjustments: list[Triplet] = []
            if line.charge > allowed:
                adjustments.append(("CO", "45", line.charge - allowed))
            if sequestration:
                adjustments.append(("CO", "253", sequestration))
            adjustments.extend(share)
            remit_lines.append(
                RemitLine(line, line.charge, payable - sequestration, adjustments, (), allowed)
            )
        if not status:
            all_denied = all(rl.line.number in overrides for rl in remit_lines) and any(
                o[0] != "PR" for o in overrides.values()
            )
            status = "4" if all_denied else self._paid_status(claim)
        return Record(
            payer_id=claim.payer.payer_id,
            sequence=claim.sequence,
            status=status,
            charge=sum(rl.charge for rl in remit_lines),
            paid=sum(rl.paid for rl in remit_lines),
            control_number=self._control_number(claim, day),
            frequency=frequency,
            received=received,
            claim_adjustments=[],
            lines=remit_lines,
            crossover_payer_id=self._crossover_target(claim) if status in ("19", "20") else "",
        )

    def _paid_status(self, claim: ClaimState) -> str:
        chain = claim.encounter.coverages
        forwarded = claim.sequence + 1 < len(chain) and chain[claim.sequence + 1].crossover
        return ("19", "20", "21")[claim.sequence] if forwarded else ("1", "2", "3")[claim.sequence]

    def _crossover_target(self, claim: ClaimState) -> str:
        return claim.encounter.coverages[claim.sequence + 1].payer.payer_id

    def _claim_denial_record(
        self,
        claim: ClaimState,
        lines: list[Line],
        day: int,
        group: str,
        carc: str,
        remarks: tuple[str, ...],
        frequency: str,
        received: int,
        status: str = "4",
    ) -> Record:
        charge = sum(line.charge for line in lines)
        return Record(
            payer_id=claim.payer.payer_id,
            sequence=claim.sequence,
            status=status,
            charge=charge,
            paid=0,
            control_number=self._control_number(claim, day),
            frequency=frequency,
            received=received,
            claim_adjustments=[(group, carc, charge)],
            lines=[],
            remarks=remarks,
        )

    def _denial(
        self, claim: ClaimState, lines: list[Line], root: str, day: int, frequency: str, received: int
    ) -> tuple[Record, DenialInfo]:
        """The first adjudication of a claim the payer denies for ``root`` (claim or line level)."""
        rng = self.rng
        medicare = claim.payer.category == "medicare"
        charge = sum(line.charge for line in lines)

        def claim_level(group: str, carc: str, remarks: tuple[str, ...] = ()) -> tuple[Record, DenialInfo]:
            record = self._claim_denial_record(claim, lines, day, group, carc, remarks, frequency, received)
            return record, DenialInfo(root, group, carc, "claim", 0, charge)

        def line_level(line: Line, carc: str, remarks: tuple[str, ...]) -> tuple[Record, DenialInfo]:
            record = self._paid_record(
                claim, lines, day, frequency, received, {line.number: ("CO", carc, remarks)}
            )
            return record, DenialInfo(root, "CO", carc, "line", line.number, line.charge)

        if root == "eligibility_registration":
            carc = self._pick(rng, (("27", 40), ("31", 30), ("26", 15), ("109", 15)))
            return claim_level("CO", carc, ("N30",) if carc in ("27", "26") else ())
        if root == "missing_information":
            if rng.random() < 0.8:
                return claim_level("CO", "16", (self._pick(rng, (("M51", 4), ("N286", 3), ("MA130", 3))),))
            return claim_level("CO", "252", ("N706",))
        if root == "authorization_referral":
            auth_lines = [line for line in lines if line.code in AUTH_CODES]
            if auth_lines:
                return line_level(auth_lines[0], "197" if rng.random() < 0.7 else "15", ("N54",))
            return claim_level("CO", "288" if claim.payer.category != "medicare" else "197")
        if root == "coding_bundling":
            if len(lines) > 1:
                line = lines[1 + rng.randrange(len(lines) - 1)]
                if rng.random() < 0.6:
                    return line_level(line, "97", ("M15",))
                return line_level(line, "236", ("N20",))
            if rng.random() < 0.5:
                return line_level(lines[0], "4", ("N56",))
            return line_level(lines[0], "11", ("M76",))
        if root == "medical_necessity":
            line = max(lines, key=lambda ln: (ln.charge, -ln.number))
            return line_level(line, "50", ("N115",) if medicare else ("N386",))
        if root == "non_covered":
            line = lines[rng.randrange(len(lines))]
            return line_level(line, "96" if rng.random() < 0.6 else "204", ("N130",))
        if root == "coordination_of_benefits":
            return claim_level("CO", "22", ("MA04",) if medicare else ())
        if root == "duplicate":
            return claim_level("OA", "18")
        return claim_level("CO", "29")

    # ------------------------------------------------------------------ the encounter's story
    def simulate_insured(self, index: int, dos: int) -> tuple[Encounter, Timeline]:
        rng = self.rng
        encounter = self.build_encounter(index, dos)
        timeline = Timeline(index)
        chain = encounter.coverages
        primary_payer = chain[0].payer
        behaviour = primary_payer.behaviour
        # Decide the first adjudication's denial now: an authorization denial means no REF*G1 was sent.
        root = self._pick(rng, behaviour.root_cause_weights) if rng.random() < behaviour.denial_rate else ""
        needs_auth = (
            any(line.code in AUTH_CODES for line in encounter.lines) and primary_payer.category != "medicare"
        )
        if needs_auth and root != "authorization_referral":
            encounter.authorization = f"AU{index:010d}"
        claims = [ClaimState(encounter, seq, coverage) for seq, coverage in enumerate(chain)]
        first = claims[0]
        month = date.fromordinal(dos).month
        if behaviour.deductible_cents and rng.random() < 0.65 * (13 - month) / 12:
            first.deductible_left = int(behaviour.deductible_cents * (0.2 + 0.8 * rng.random()))
        lag = 1 + int(rng.lognormvariate(0.9, 0.7)) if not encounter.institutional else 3 + rng.randint(0, 6)
        if rng.random() < 0.02:
            lag = 15 + rng.randint(0, 45)  # a charge held for coding or credentialing
        submitted = dos + lag
        if submitted > self.as_of:
            # Not billed yet at the as-of date (it would sit in the practice's unbilled queue): nothing
            # of it reaches the files. Clamping the date instead piled the last days' claims onto the
            # as-of day (11,196 claims on one day at 1M) and skewed the last month's charges and rates.
            return encounter, timeline
        # Point-of-service copay, when the plan has one and no secondary payer covers it.
        pos_paid = 0
        has_em = any(line.code in EM_CODES for line in encounter.lines)
        if behaviour.copay_cents and has_em and len(chain) == 1 and rng.random() < 0.8:
            pos_paid = behaviour.copay_cents
            method = "card" if rng.random() < 0.7 else "cash"
            self._payment(timeline, encounter, dos, pos_paid, method, "point_of_service")
        settled, clean = self._primary(timeline, encounter, first, submitted, root)
        if not first.records:
            return encounter, timeline  # never answered: the patient is not billed yet
        last_payer = 0
        if clean and settled is not None:
            for seq in range(1, len(chain)):
                next_day, next_clean = self._next_payer(timeline, encounter, claims, seq, settled)
                if next_day is None:
                    break
                last_payer = seq
                settled = next_day
                if not next_clean:
                    break
        final = claims[last_payer]
        final_pr = sum(record.patient_responsibility for _, record in final.records)
        start = max(day for claim in claims for day, _ in claim.records)
        self._patient_phase(timeline, encounter, start, final_pr - pos_paid)
        return encounter, timeline

    def _primary(
        self, timeline: Timeline, encounter: Encounter, claim: ClaimState, submitted: int, root: str
    ) -> tuple[int | None, bool]:
        """The primary payer's story. Returns (day the claim settled, whether it settled clean)."""
        rng = self.rng
        payer = claim.payer
        behaviour = payer.behaviour
        lines = self._submit(timeline, claim, submitted, "1", encounter.lines)
        claim.current_lines = lines
        if rng.random() < behaviour.lost_rate:
            call = submitted + payer.expected_payment_days + rng.randint(10, 30)
            self._activity(timeline, claim, call, "status_call", "Payer has no record of this claim")
            if rng.random() < 0.65:
                submitted = call + rng.randint(1, 5)
                lines = self._submit(timeline, claim, submitted, "1", encounter.lines, interchange=1)
                claim.current_lines = lines
            else:
                if rng.random() < 0.6:
                    day = max(encounter.dos + payer.timely_filing_days, call) + rng.randint(5, 30)
                    self._activity(
                        timeline, claim, day - 2, "write_off_requested", "Never answered; past filing limit"
                    )
                    self._adjust(
                        timeline,
                        encounter,
                        day,
                        payer.payer_id,
                        "timely_filing_write_off",
                        "29",
                        encounter.charge,
                    )
                return None, False
        if submitted - encounter.dos > payer.timely_filing_days:
            root = "timely_filing"
        day = self.remit_day(claim, submitted + self.lag(behaviour, payer.payer_id))
        if day - submitted > payer.expected_payment_days + 10 and rng.random() < 0.5:
            call = submitted + payer.expected_payment_days + rng.randint(3, 9)
            self._activity(timeline, claim, call, "status_call", "Claim in process per payer")
        if (
            not root
            and payer.category == "commercial"
            and any(line.code in AUTH_CODES for line in lines)
            and rng.random() < 0.05
        ):
            # Priced as a predetermination only (CLP02=25); the payer adjudicates it for real later.
            estimate = self._paid_record(
                claim,
                lines,
                day,
                "1",
                submitted,
                {line.number: ("OA", "101", ()) for line in lines},
                status="25",
            )
            for remit_line in estimate.lines:
                remit_line.allowed = self._price(claim, remit_line.line)[0]
            self._remit(timeline, claim, day, [estimate], is_current=False)
            day = self.remit_day(claim, day + rng.randint(14, 35))
        if root:
            record, info = self._denial(claim, lines, root, day, "1", submitted)
            self._remit(timeline, claim, day, [record], lines=lines)
            return self._work_denial(timeline, encounter, claim, record, info, day, lines, submitted)
        record = self._paid_record(claim, lines, day, "1", submitted)
        self._remit(
            timeline, claim, day, [record], self._interest(claim, record, submitted, day), lines=lines
        )
        if rng.random() < 0.01:
            # The billing system re-sends the claim as a new original; the payer denies it as a duplicate.
            resent_day = submitted + rng.randint(18, 35)
            resent = self._submit(timeline, claim, resent_day, "1", encounter.lines, interchange=1)
            dup_day = self.remit_day(claim, max(resent_day + 5, day + 1))
            duplicate = self._claim_denial_record(claim, resent, dup_day, "OA", "18", (), "1", resent_day)
            self._remit(timeline, claim, dup_day, [duplicate], is_current=False)
        if len(encounter.coverages) > 1:
            return day, True
        return self._after_payment(timeline, encounter, claim, record, day, lines, submitted)

    def _interest(
        self, claim: ClaimState, record: Record, submitted: int, paid_day: int
    ) -> list[tuple[str, str, int]]:
        """Medicare prompt-payment interest from day 31 on clean claims: a PLB L6 (negative = paid)."""
        rate = claim.payer.behaviour.interest_bp_per_year
        days_late = paid_day - submitted - 30
        if not rate or record.paid <= 0 or days_late <= 0:
            return []
        interest = (record.paid * rate * days_late + 5000 * 365) // (10000 * 365)
        return [("L6", claim.encounter.pcn, -interest)] if interest else []

    def _after_payment(
        self,
        timeline: Timeline,
        encounter: Encounter,
        claim: ClaimState,
        record: Record,
        day: int,
        lines: list[Line],
        submitted: int,
    ) -> tuple[int | None, bool]:
        """Rare later events on a paid single-payer claim: void, reprocessing, recoupment."""
        rng = self.rng
        u = rng.random()
        if u < 0.005:
            void_day = day + rng.randint(5, 30)
            self._activity(timeline, claim, void_day, "note", "Billed in error; void sent")
            self._submit(timeline, claim, void_day, "8", lines, record.control_number, interchange=1)
            reversal_day = self.remit_day(claim, void_day + rng.randint(7, 20))
            self._remit(timeline, claim, reversal_day, [reversal_of(record)])
            claim.current = None
            return reversal_day, False
        if u < 0.015:
            # The payer reprocesses the claim after a fee-schedule update: reversal + correction.
            later = self.remit_day(claim, day + rng.randint(30, 120))
            correction = self._paid_record(claim, lines, later, "1", submitted, uplift_bp=300)
            self._remit(timeline, claim, later, [reversal_of(record), correction], lines=lines)
            return later, True
        if u < 0.018:
            # Recoupment: another payer is primary. The notice comes on its own (it may net negative).
            later = self.remit_day(claim, day + rng.randint(40, 150))
            correction = self._claim_denial_record(
                claim, lines, later, "CO", "22", (), "1", submitted, status="4"
            )
            self._remit(timeline, claim, later, [reversal_of(record), correction], group=2, lines=lines)
            self._activity(
                timeline, claim, later + rng.randint(2, 10), "note", "Payer recouped: other coverage primary"
            )
            if rng.random() < 0.55:
                off = later + rng.randint(20, 60)
                self._activity(timeline, claim, off - 3, "write_off_requested", "No other coverage found")
                self._adjust(
                    timeline,
                    encounter,
                    off,
                    claim.payer.payer_id,
                    "denial_write_off",
                    "22",
                    correction.charge,
                )
            return later, False
        if u < 0.020:
            # Deferred recoupment: reversal now offset by PLB WO, the correction and WO recovery later.
            first = self.remit_day(claim, day + rng.randint(40, 120))
            self._remit(timeline, claim, first, [reversal_of(record)], [("WO", encounter.pcn, -record.paid)])
            second = self.remit_day(claim, first + rng.randint(14, 40))
            correction = self._paid_record(claim, lines, second, "1", submitted, uplift_bp=-500)
            self._remit(
                timeline, claim, second, [correction], [("WO", encounter.pcn, record.paid)], lines=lines
            )
            return second, True
        return day, True

    def _work_denial(
        self,
        timeline: Timeline,
        encounter: Encounter,
        claim: ClaimState,
        record: Record,
        info: DenialInfo,
        day: int,
        lines: list[Line],
        submitted: int,
    ) -> tuple[int | None, bool]:
        """What the billers do with a denial: correct and resubmit, appeal, write off, or nothing."""
        rng = self.rng
        payer = claim.payer
        u = rng.random()
        if u < 0.10:
            if rng.random() < 0.5:
                self._write_off(timeline, encounter, claim, info, day + rng.randint(120, 200), "Aged denial")
            return day, False
        if info.root_cause in CORRECTABLE:
            if u < 0.82:
                fix_day = day + rng.randint(4, 25)
                fixed = self._corrected_lines(lines, info)
                note = {
                    "eligibility_registration": "Updated member id and coverage dates",
                    "missing_information": "Added missing claim data",
                    "coding_bundling": "Corrected modifier",
                    "duplicate": "Added modifier for the distinct same-day service",
                    "coordination_of_benefits": "Patient confirmed no other coverage",
                }[info.root_cause]
                self._activity(timeline, claim, fix_day, "corrected_claim_sent", note)
                sent = self._submit(
                    timeline, claim, fix_day, "7", fixed, record.control_number, interchange=1
                )
                paid_day = self.remit_day(claim, fix_day + self.lag(payer.behaviour, payer.payer_id))
                correction = self._paid_record(claim, sent, paid_day, "7", fix_day)
                self._remit(timeline, claim, paid_day, [reversal_of(record), correction], lines=sent)
                return paid_day, True
            self._write_off(timeline, encounter, claim, info, day + rng.randint(20, 60), "Not correctable")
            return day, False
        if info.root_cause == "non_covered" and u < 0.55:
            # Advance notice on file: resubmit with GA (Medicare) / GX so the payer makes it the patient's.
            fix_day = day + rng.randint(5, 20)
            modifier = "GA" if payer.category in ("medicare", "medicare_advantage") else "GX"
            fixed = [_with_modifier(ln, modifier) if ln.number == info.line_number else ln for ln in lines]
            self._activity(
                timeline, claim, fix_day, "corrected_claim_sent", "Advance notice on file; bill patient"
            )
            sent = self._submit(timeline, claim, fix_day, "7", fixed, record.control_number, interchange=1)
            paid_day = self.remit_day(claim, fix_day + self.lag(payer.behaviour, payer.payer_id))
            correction = self._paid_record(
                claim, sent, paid_day, "7", fix_day, {info.line_number: ("PR", info.carc, ("N130",))}
            )
            self._remit(timeline, claim, paid_day, [reversal_of(record), correction], lines=sent)
            return paid_day, False
        if info.root_cause in APPEALABLE or (info.root_cause == "non_covered" and u < 0.75):
            appeal_day = day + rng.randint(10, 50)
            if appeal_day - day > payer.appeal_window_days:
                self._write_off(timeline, encounter, claim, info, appeal_day + 5, "Appeal window missed")
                return day, False
            self._activity(timeline, claim, appeal_day, "appeal_sent", "Appeal with records sent")
            decision = appeal_day + rng.randint(25, 70)
            if rng.random() < OVERTURN_ON_APPEAL[info.root_cause]:
                paid_day = self.remit_day(claim, decision)
                if info.level == "claim":
                    paid = self._paid_record(claim, lines, paid_day, "1", submitted)
                    self._remit(timeline, claim, paid_day, [paid], lines=lines)
                else:
                    corrected = self._paid_record(claim, lines, paid_day, "1", submitted)
                    self._remit(timeline, claim, paid_day, [reversal_of(record), corrected], lines=lines)
                return paid_day, True
            self._activity(timeline, claim, decision, "note", "Appeal upheld by payer")
            if rng.random() < 0.85:
                self._write_off(
                    timeline, encounter, claim, info, decision + rng.randint(5, 25), "Appeal upheld"
                )
            return day, False
        self._write_off(timeline, encounter, claim, info, day + rng.randint(15, 60), "Denial accepted")
        return day, False

    def _write_off(
        self,
        timeline: Timeline,
        encounter: Encounter,
        claim: ClaimState,
        info: DenialInfo,
        day: int,
        note: str,
    ) -> None:
        kind = "timely_filing_write_off" if info.root_cause == "timely_filing" else "denial_write_off"
        self._activity(timeline, claim, day - 2, "write_off_requested", note)
        self._adjust(timeline, encounter, day, claim.payer.payer_id, kind, info.carc, info.amount)

    def _corrected_lines(self, lines: list[Line], info: DenialInfo) -> list[Line]:
        if info.root_cause != "coding_bundling" and info.root_cause != "duplicate":
            return lines
        fixed = []
        for line in lines:
            if info.level == "line" and line.number == info.line_number:
                fixed.append(_with_modifier(line, "59" if info.carc in ("97", "236") else "25"))
            elif info.level == "claim" and line.number == 1:
                fixed.append(_with_modifier(line, "76" if line.code not in EM_CODES else "25"))
            else:
                fixed.append(line)
        return fixed

    def _next_payer(
        self, timeline: Timeline, encounter: Encounter, claims: list[ClaimState], seq: int, settled: int
    ) -> tuple[int | None, bool]:
        """Secondary or tertiary adjudication of what the prior payer left to the patient."""
        rng = self.rng
        prior, claim = claims[seq - 1], claims[seq]
        if prior.current is None:
            return None, False
        prior_record = prior.current
        prior_share = {rl.line.number: rl for rl in prior_record.lines}
        if prior_record.patient_responsibility <= 0 and not claim.coverage.crossover:
            return None, False
        payer = claim.payer
        if claim.coverage.crossover:
            lines = prior.current_lines
            received = settled
            day = self.remit_day(claim, settled + rng.randint(7, 21))
        else:
            received = settled + rng.randint(2, 10)
            chain_prior = [(c.coverage, c.current) for c in claims[:seq]]
            lines = self._submit(
                timeline,
                claim,
                received,
                "1",
                prior.current_lines or encounter.lines,
                prior=[(cov, rec) for cov, rec in chain_prior if rec is not None],
            )
            day = self.remit_day(claim, received + self.lag(payer.behaviour, payer.payer_id))
            if rng.random() < 0.03:
                # Not this payer's claim (CLP02=23): the biller corrects it or writes it off.
                record = self._claim_denial_record(
                    claim, lines, day, "CO", "109", (), "1", received, status="23"
                )
                self._remit(timeline, claim, day, [record], lines=lines)
                if rng.random() < 0.5:
                    fix_day = day + rng.randint(5, 20)
                    self._activity(
                        timeline, claim, fix_day, "corrected_claim_sent", "Corrected secondary payer data"
                    )
                    sent = self._submit(
                        timeline,
                        claim,
                        fix_day,
                        "7",
                        prior.current_lines or encounter.lines,
                        record.control_number,
                        interchange=1,
                        prior=[(cov, rec) for cov, rec in chain_prior if rec is not None],
                    )
                    paid_day = self.remit_day(claim, fix_day + self.lag(payer.behaviour, payer.payer_id))
                    paid = self._secondary_record(claim, sent, prior_share, paid_day, "7", fix_day)
                    self._remit(timeline, claim, paid_day, [reversal_of(record), paid], lines=sent)
                    return paid_day, True
                info = DenialInfo(
                    "eligibility_registration", "CO", "109", "claim", 0, prior_record.patient_responsibility
                )
                self._write_off(
                    timeline, encounter, claim, info, day + rng.randint(20, 50), "Secondary not on file"
                )
                return day, False
        record = self._secondary_record(claim, lines, prior_share, day, "1", received)
        self._remit(timeline, claim, day, [record], lines=lines)
        return day, True

    def _secondary_record(
        self,
        claim: ClaimState,
        lines: list[Line],
        prior_share: dict[int, RemitLine],
        day: int,
        frequency: str,
        received: int,
    ) -> Record:
        payer = claim.payer
        remit_lines = []
        for line in lines:
            prior_line = prior_share.get(line.number)
            prior_pr = [(g, c, a) for g, c, a in prior_line.adjustments if g == "PR"] if prior_line else []
            owed = sum(a for _, _, a in prior_pr)
            adjustments: list[Triplet] = []
            if line.charge - owed:
                adjustments.append(("OA", "23", line.charge - owed))
            if payer.category == "medicaid":
                pay = percent_of(owed, 8500)
                if owed - pay:
                    adjustments.append(("CO", "45", owed - pay))
            elif claim.sequence == 1 and payer.payer_id == MEDIGAP_PAYER_ID:
                # Medicare supplement: pays the coinsurance, leaves the Part B deductible to the patient.
                deductible = sum(a for _, c, a in prior_pr if c == "1")
                pay = owed - deductible
                if deductible:
                    adjustments.append(("PR", "1", deductible))
            else:
                pay = percent_of(owed, 7000)
                if owed - pay:
                    adjustments.append(("PR", "2", owed - pay))
            allowed = owed - sum(a for g, c, a in adjustments if (g, c) == ("CO", "45"))
            remit_lines.append(RemitLine(line, line.charge, pay, adjustments, (), allowed))
        status = self._paid_status(claim)
        return Record(
            payer_id=payer.payer_id,
            sequence=claim.sequence,
            status=status,
            charge=sum(rl.charge for rl in remit_lines),
            paid=sum(rl.paid for rl in remit_lines),
            control_number=self._control_number(claim, day),
            frequency=frequency,
            received=received,
            claim_adjustments=[],
            lines=remit_lines,
            crossover_payer_id=self._crossover_target(claim) if status in ("19", "20", "21") else "",
        )

    # ------------------------------------------------------------------ the patient's share
    def _patient_phase(self, timeline: Timeline, encounter: Encounter, start: int, balance: int) -> None:
        """Statements, payments, payment plans, refunds and patient write-offs for ``balance`` cents."""
        rng = self.rng
        if balance < 0:
            self._payment(timeline, encounter, start + rng.randint(15, 45), balance, "check", "statement")
            return
        if balance == 0:
            return
        if rng.random() < 0.01:
            self._adjust(timeline, encounter, start + rng.randint(30, 60), "", "charity", "", balance)
            return
        if balance <= 500 and rng.random() < 0.7:
            self._adjust(timeline, encounter, start + rng.randint(35, 50), "", "small_balance", "", balance)
            return
        statement = start + rng.randint(3, 10)

        def pay(day: int, cents: int) -> None:
            r = rng.random()
            if r < 0.4:
                self._payment(
                    timeline, encounter, day, cents, "card" if rng.random() < 0.7 else "ach", "portal"
                )
            elif r < 0.75:
                self._payment(timeline, encounter, day, cents, "check", "statement")
            else:
                self._payment(timeline, encounter, day, cents, "card", "statement")

        r = rng.random()
        if r < 0.47:
            day = statement + rng.randint(7, 30)
            pay(day, balance)
            if rng.random() < 0.004:
                # Paid twice by card; the duplicate is refunded.
                self._payment(timeline, encounter, day + 1, balance, "card", "portal")
                self._payment(timeline, encounter, day + rng.randint(10, 30), -balance, "card", "portal")
        elif r < 0.60:
            half = balance // 2
            pay(statement + rng.randint(10, 30), half)
            rest = balance - half
            if rng.random() < 0.8:
                pay(statement + rng.randint(40, 70), rest)
            elif rest <= 1000:
                self._adjust(
                    timeline, encounter, statement + rng.randint(60, 90), "", "small_balance", "", rest
                )
            else:
                self._adjust(timeline, encounter, statement + rng.randint(150, 180), "", "bad_debt", "", rest)
        elif r < 0.70 and balance > 20000:
            installments = rng.randint(3, 6)
            plan = f"PLN{encounter.index:09d}"
            each = balance // installments
            for k in range(installments):
                cents = each if k < installments - 1 else balance - each * (installments - 1)
                method = "ach" if rng.random() < 0.5 else "card"
                self._payment(
                    timeline, encounter, statement + 15 + 30 * k, cents, method, "payment_plan", plan
                )
        elif r < 0.78:
            pay(statement + rng.randint(35, 60), balance)
        elif rng.random() < 0.75:
            self._adjust(timeline, encounter, statement + rng.randint(120, 160), "", "bad_debt", "", balance)

    def simulate_self_pay(self, index: int, dos: int) -> tuple[Encounter, Timeline]:
        """A visit billed to the patient only: no 837, payments against a self-pay price."""
        rng = self.rng
        patient = self.patient(rng.randrange(self.patient_pool))
        specialty = self._pick(
            rng, (("family_medicine", 60), ("behavioral_health", 25), ("physical_therapy", 15))
        )
        make = catalog.SPECIALTIES[specialty][0]
        visit = make(rng, False, date.fromordinal(dos).month, patient.age)
        charge = sum(catalog.line_charge(spec) for spec in visit.lines)
        rendering = self._rendering(visit)
        encounter = Encounter(
            index=index,
            pcn=f"SP{index:09d}",
            dos=dos,
            patient=patient,
            visit=visit,
            billing=self.master.group,
            rendering=rendering,
            location=self.master.locations[rendering.location_id],
            diagnoses=(),
            lines=[],
            charge=charge,
            coverages=[],
        )
        timeline = Timeline(index)
        price = percent_of(charge, SELF_PAY_PRICE_BP)
        r = rng.random()
        if r < 0.45:
            self._payment(
                timeline, encounter, dos, price, "card" if rng.random() < 0.75 else "cash", "point_of_service"
            )
        elif r < 0.75:
            self._payment(timeline, encounter, dos + rng.randint(15, 45), price, "card", "portal")
        elif r < 0.85:
            half = price // 2
            self._payment(timeline, encounter, dos + rng.randint(15, 45), half, "check", "statement")
        return encounter, timeline


def _with_modifier(line: Line, modifier: str) -> Line:
    if modifier in line.modifiers:
        return line
    modifiers = (*line.modifiers, modifier)[:4]
    return Line(line.number, line.code, modifiers, line.units, line.revenue_code, line.charge, line.pointers)
