"""Render one 837 claim (2000B-2400 loops) or one 835 claim payment (2100-2110 loops) as X12 text.

These pieces do not depend on their position in a file, so the simulation renders them once and
spools plain strings; only the HL numbers of an 837 are filled in when the day's file is written.
"""

from __future__ import annotations

from datetime import date

from orchestration.demo.model import SBR01, Encounter, Person, Record, Submission
from orchestration.demo.money import x12_amount
from orchestration.demo.x12 import cas_segments, composite, seg

_DATES: dict[int, str] = {}


def d8(ordinal: int) -> str:
    """CCYYMMDD of a date ordinal (cached: the same few hundred days recur millions of times)."""
    text = _DATES.get(ordinal)
    if text is None:
        text = date.fromordinal(ordinal).strftime("%Y%m%d")
        _DATES[ordinal] = text
    return text


def _person_segments(person: Person, with_demographics: bool) -> list[str]:
    out = [seg("N3", person.address), seg("N4", person.city, person.state, person.postal_code)]
    if with_demographics:
        out.append(seg("DMG", "D8", d8(person.birth_ordinal), person.sex))
    return out


def _filing_code(encounter: Encounter, payer_category: str, filing_code: str) -> str:
    # Hospital outpatient claims go to the Medicare Part A/B contractor as Part A (MA).
    if encounter.institutional and payer_category == "medicare":
        return "MA"
    return filing_code


def render_837_claim(submission: Submission) -> tuple[str, int, str, int, str, int]:
    """(2000B text, count, 2000C text or '', count, 2300+ text, count) without the HL segments."""
    claim = submission.claim
    encounter = claim.encounter
    patient = encounter.patient
    coverage = claim.coverage
    payer = coverage.payer
    is_wc = payer.category == "workers_comp"
    relationship = "18" if is_wc else patient.relationship
    subscriber = patient.person if relationship == "18" else patient.subscriber
    filing = _filing_code(encounter, payer.category, payer.filing_code)
    sbr = [
        seg(
            "SBR",
            SBR01[claim.sequence],
            relationship if relationship == "18" else "",
            coverage.group_number,
            "",
            "",
            "",
            "",
            "",
            filing,
        ),
        seg(
            "NM1",
            "IL",
            "1",
            subscriber.last_name,
            subscriber.first_name,
            "",
            "",
            "",
            "MI",
            coverage.member_id,
        ),
        *_person_segments(subscriber, relationship == "18"),
        seg("NM1", "PR", "2", payer.payer_name.upper(), "", "", "", "", "PI", payer.payer_id),
    ]
    pat: list[str] = []
    if relationship != "18":
        person = patient.person
        pat = [
            seg("PAT", relationship),
            seg("NM1", "QC", "1", person.last_name, person.first_name),
            *_person_segments(person, True),
        ]
    lines = submission.lines
    charge = sum(line.charge for line in lines)
    clm: list[str] = []
    if encounter.institutional:
        clm.append(
            seg(
                "CLM",
                encounter.pcn,
                x12_amount(charge),
                "",
                "",
                composite("13", "A", submission.frequency),
                "",
                "A",
                "Y",
                "Y",
            )
        )
        clm.append(seg("DTP", "434", "RD8", f"{d8(encounter.dos)}-{d8(encounter.dos)}"))
        clm.append(seg("CL1", "3", "1", "01"))
    else:
        clm.append(
            seg(
                "CLM",
                encounter.pcn,
                x12_amount(charge),
                "",
                "",
                composite(encounter.visit.pos, "B", submission.frequency),
                "Y",
                "A",
                "Y",
                "Y",
            )
        )
    if encounter.authorization and claim.sequence == 0:
        clm.append(seg("REF", "G1", encounter.authorization))
    if submission.reference_control_number:
        clm.append(seg("REF", "F8", submission.reference_control_number))
    codes = [("ABK" if i == 0 else "ABF") + ":" + dx for i, dx in enumerate(encounter.diagnoses)]
    clm.append(seg("HI", *codes))
    rendering = encounter.rendering
    if encounter.institutional:
        clm.append(
            seg("NM1", "71", "1", rendering.last_name, rendering.first_name, "", "", "", "XX", rendering.npi)
        )
        clm.append(seg("PRV", "AT", "PXC", rendering.taxonomy_code))
    else:
        clm.append(
            seg("NM1", "82", "1", rendering.last_name, rendering.first_name, "", "", "", "XX", rendering.npi)
        )
        clm.append(seg("PRV", "PE", "PXC", rendering.taxonomy_code))
    location = encounter.location
    clm.append(seg("NM1", "77", "2", location.name.upper(), "", "", "", "", "XX", location.location_id))
    clm.append(seg("N3", location.address))
    clm.append(seg("N4", location.city, location.state, location.postal_code))
    for prior_coverage, prior_record in submission.prior:
        clm.extend(_other_payer_segments(prior_coverage, prior_record, encounter, relationship, subscriber))
    for line in lines:
        clm.append(seg("LX", str(line.number)))
        if encounter.institutional:
            procedure = composite("HC", line.code, *line.modifiers) if line.code else ""
            clm.append(
                seg("SV2", line.revenue_code, procedure, x12_amount(line.charge), "UN", str(line.units))
            )
        else:
            pointers = ":".join(str(p) for p in line.pointers)
            clm.append(
                seg(
                    "SV1",
                    composite("HC", line.code, *line.modifiers),
                    x12_amount(line.charge),
                    "UN",
                    str(line.units),
                    "",
                    "",
                    pointers,
                )
            )
        clm.append(seg("DTP", "472", "D8", d8(encounter.dos)))
        clm.append(seg("REF", "6R", line.control_number))
    return "".join(sbr), len(sbr), "".join(pat), len(pat), "".join(clm), len(clm)


def _other_payer_segments(
    coverage, record: Record, encounter: Encounter, relationship: str, subscriber: Person
) -> list[str]:
    """2320/2330A/2330B: what a prior payer did with the claim (COB for secondary/tertiary claims)."""
    payer = coverage.payer
    totals: dict[tuple[str, str], int] = {}
    for group, carc, amount in record.adjustments():
        totals[(group, carc)] = totals.get((group, carc), 0) + amount
    out = [
        seg(
            "SBR",
            SBR01[record.sequence],
            relationship,
            coverage.group_number,
            "",
            "",
            "",
            "",
            "",
            _filing_code(encounter, payer.category, payer.filing_code),
        )
    ]
    out.extend(cas_segments([(g, c, a) for (g, c), a in totals.items() if a]))
    out.append(seg("AMT", "D", x12_amount(record.paid)))
    out.append(seg("OI", "", "", "Y", "", "", "Y"))
    out.append(
        seg(
            "NM1",
            "IL",
            "1",
            subscriber.last_name,
            subscriber.first_name,
            "",
            "",
            "",
            "MI",
            coverage.member_id,
        )
    )
    out.append(seg("NM1", "PR", "2", payer.payer_name.upper(), "", "", "", "", "PI", payer.payer_id))
    return out


def render_835_record(
    record: Record, encounter: Encounter, payer_category: str, filing_code: str, payer_names: dict[str, str]
) -> tuple[str, int]:
    """The 2100 claim payment loop with its 2110 service lines."""
    patient = encounter.patient
    facility = "13" if encounter.institutional else encounter.visit.pos
    out = [
        seg(
            "CLP",
            encounter.pcn,
            record.status,
            x12_amount(record.charge),
            x12_amount(record.paid),
            x12_amount(record.patient_responsibility),
            _filing_code(encounter, payer_category, filing_code),
            record.control_number,
            facility,
            record.frequency,
        )
    ]
    out.extend(cas_segments(record.claim_adjustments))
    coverage = encounter.coverages[record.sequence] if record.sequence < len(encounter.coverages) else None
    member_id = coverage.member_id if coverage else ""
    person = patient.person
    dependent = (
        patient.relationship != "18" and coverage is not None and coverage.payer.category != "workers_comp"
    )
    if dependent:
        out.append(seg("NM1", "QC", "1", person.last_name, person.first_name))
        subscriber = patient.subscriber
        out.append(
            seg("NM1", "IL", "1", subscriber.last_name, subscriber.first_name, "", "", "", "MI", member_id)
        )
    else:
        out.append(seg("NM1", "QC", "1", person.last_name, person.first_name, "", "", "", "MI", member_id))
    rendering = encounter.rendering
    out.append(
        seg("NM1", "82", "1", rendering.last_name, rendering.first_name, "", "", "", "XX", rendering.npi)
    )
    if record.crossover_payer_id:
        out.append(
            seg(
                "NM1",
                "TT",
                "2",
                payer_names[record.crossover_payer_id].upper(),
                "",
                "",
                "",
                "",
                "PI",
                record.crossover_payer_id,
            )
        )
    if record.remarks:
        out.append(seg("MOA", "", "", *record.remarks))
    if encounter.institutional:
        out.append(seg("DTM", "232", d8(encounter.dos)))
        out.append(seg("DTM", "233", d8(encounter.dos)))
    out.append(seg("DTM", "050", d8(record.received)))
    for remit_line in record.lines:
        line = remit_line.line
        if encounter.institutional:
            procedure = (
                composite("HC", line.code, *line.modifiers)
                if line.code
                else composite("NU", line.revenue_code)
            )
            revenue = line.revenue_code if line.code else ""
        else:
            procedure = composite("HC", line.code, *line.modifiers)
            revenue = ""
        out.append(
            seg(
                "SVC",
                procedure,
                x12_amount(remit_line.charge),
                x12_amount(remit_line.paid),
                revenue,
                str(line.units),
            )
        )
        out.append(seg("DTM", "472", d8(encounter.dos)))
        out.extend(cas_segments(remit_line.adjustments))
        out.append(seg("REF", "6R", line.control_number))
        if remit_line.allowed:
            out.append(seg("AMT", "B6", x12_amount(remit_line.allowed)))
        for remark in remit_line.remarks:
            out.append(seg("LQ", "HE", remark))
    return "".join(out), len(out)
