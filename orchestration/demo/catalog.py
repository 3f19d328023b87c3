"""What the fictitious practice does: visit types, procedure codes, charges, diagnoses, names.

Procedure codes are HCPCS Level II or CPT *codes only* (CPT descriptors are the AMA's and never appear
here); revenue codes are bare four-digit codes. Diagnoses are real ICD-10-CM codes (public domain,
CDC/NCHS), written without the dot as X12 sends them. The charge master is invented: these are not
any real practice's prices. Patients are obviously synthetic people.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

# Our own charge master, in cents per unit.
CHARGES: dict[str, int] = {
    # evaluation and management, preventive, immunization, lab, ECG
    "99202": 15000,
    "99203": 21000,
    "99204": 32000,
    "99205": 41000,
    "99211": 6000,
    "99212": 11000,
    "99213": 16500,
    "99214": 24000,
    "99215": 33000,
    "99392": 20000,
    "99393": 21000,
    "99394": 23000,
    "99395": 26000,
    "99396": 28000,
    "99397": 30000,
    "G0439": 22000,
    "90471": 3500,
    "90686": 4500,
    "G0008": 3500,
    "36415": 1500,
    "80053": 5500,
    "85025": 3500,
    "83036": 4500,
    "93000": 9000,
    # cardiology
    "93306": 120000,
    "93015": 65000,
    "93224": 45000,
    "93880": 55000,
    # orthopedics
    "20610": 32000,
    "J3301": 1200,
    "73560": 18000,
    "73030": 16000,
    "29881": 320000,
    "29125": 15000,
    "L1820": 28000,
    # radiology
    "71046": 16000,
    "72148": 190000,
    "70450": 140000,
    "76700": 48000,
    "77067": 30000,
    # behavioral health
    "90791": 30000,
    "90832": 12000,
    "90834": 18000,
    "90837": 24000,
    "90833": 11000,
    "96127": 2500,
    # physical therapy
    "97161": 19000,
    "97110": 6500,
    "97140": 6000,
    "97530": 7000,
    "97112": 6500,
    "G0283": 3000,
}

# Hospital outpatient (837I) charges by (revenue code, HCPCS or '') in cents per unit.
FACILITY_CHARGES: dict[tuple[str, str], int] = {
    ("0450", "99283"): 110000,
    ("0450", "99284"): 180000,
    ("0450", "99285"): 280000,
    ("0300", "80053"): 22000,
    ("0305", "85025"): 9000,
    ("0320", "71046"): 42000,
    ("0350", "70450"): 310000,
    ("0610", "72148"): 380000,
    ("0360", "29881"): 1250000,
    ("0710", ""): 180000,
    ("0250", ""): 15000,
    ("0636", "J1885"): 4500,
    ("0636", "J2405"): 3800,
    ("0420", "97110"): 18000,
    ("0480", "93306"): 260000,
    ("0730", "93005"): 25000,
}

# Professional component share of a global imaging or echo charge (modifier 26).
PROFESSIONAL_COMPONENT_BP = 3500

# Codes whose claims need a prior authorization with managed-care payers.
AUTH_CODES = frozenset({"72148", "70450", "29881", "93306", "93015"})

# Evaluation and management codes (a copay applies to these lines).
EM_CODES = frozenset(
    {
        "99202",
        "99203",
        "99204",
        "99205",
        "99211",
        "99212",
        "99213",
        "99214",
        "99215",
        "99392",
        "99393",
        "99394",
        "99395",
        "99396",
        "99397",
    }
)

# Procedures that make a same-day E/M need modifier 25 (a significant, separately identifiable visit).
PROCEDURES_NEEDING_25 = frozenset({"20610", "29125", "93000", "93015", "90471", "G0008"})

DIAGNOSES: dict[str, tuple[str, ...]] = {
    "family_medicine": (
        "I10",
        "E119",
        "E785",
        "J069",
        "Z0000",
        "Z0001",
        "M5450",
        "R059",
        "E669",
        "F411",
        "K219",
        "N390",
        "J029",
        "E039",
    ),
    "cardiology": ("I2510", "I4891", "I509", "R079", "I10", "R002", "I340", "E785", "R0602"),
    "orthopedics": ("M1711", "M1712", "M25561", "M25562", "M75101", "S83241A", "M5416", "S62101A", "M25511"),
    "radiology": ("R109", "R519", "M5450", "Z1231", "R0602", "R918", "N200", "M5416"),
    "behavioral_health": ("F321", "F331", "F411", "F4310", "F900", "F319", "F4323"),
    "physical_therapy": ("M5450", "M25511", "M1711", "Z96651", "M6281", "R2689", "M25561"),
    "hospital": ("R079", "S0181XA", "J189", "N390", "R1084", "S93401A", "M1711", "R519", "I4891", "M5450"),
}

LAST_NAMES = (
    "Testperson",
    "Sampleton",
    "Fakerson",
    "Mockley",
    "Placeholder",
    "Dummyworth",
    "Synthetica",
    "Exampler",
    "Notreal",
    "Fictivo",
    "Demoson",
    "Trialby",
    "Specimen",
    "Madeup",
    "Pretendo",
    "Stubworth",
    "Fixturely",
    "Surrogate",
    "Nominal",
    "Lorem",
    "Ipsumson",
    "Quuxley",
    "Foobarson",
    "Bazworth",
)
FIRST_NAMES = (
    "Alex",
    "Jamie",
    "Robin",
    "Casey",
    "Jordan",
    "Taylor",
    "Morgan",
    "Riley",
    "Avery",
    "Quinn",
    "Harper",
    "Rowan",
    "Sage",
    "Emery",
    "Dakota",
    "Reese",
    "Skyler",
    "Parker",
    "Kendall",
    "Blake",
    "Drew",
    "Ellis",
    "Frankie",
    "Gray",
    "Hollis",
    "Indigo",
    "Jules",
    "Kai",
    "Lane",
    "Marlow",
)
STREETS = (
    "Example Way",
    "Sample Street",
    "Fixture Avenue",
    "Placeholder Road",
    "Synthetic Lane",
    "Demo Court",
)


@dataclass(frozen=True)
class LineSpec:
    """One service line before pricing: procedure (or revenue-code-only line) and its modifiers."""

    code: str  # HCPCS/CPT code, or '' for a revenue-code-only facility line
    modifiers: tuple[str, ...]
    units: int
    revenue_code: str = ""  # 837I only


@dataclass(frozen=True)
class Visit:
    """A visit template's result: the lines, the place of service and whether it is a telehealth visit."""

    lines: tuple[LineSpec, ...]
    pos: str
    specialty: str
    institutional: bool = False


def line_charge(spec: LineSpec) -> int:
    """Charge of one line in cents: facility charge for 837I lines, else the professional charge."""
    if spec.revenue_code:
        return FACILITY_CHARGES[(spec.revenue_code, spec.code)] * spec.units
    unit = CHARGES[spec.code]
    if "26" in spec.modifiers:
        unit = (unit * PROFESSIONAL_COMPONENT_BP + 5000) // 10000
    return unit * spec.units


def _pick(rng: random.Random, weighted: tuple[tuple[object, float], ...]) -> object:
    total = sum(weight for _, weight in weighted)
    mark = rng.random() * total
    for value, weight in weighted:
        mark -= weight
        if mark < 0:
            return value
    return weighted[-1][0]


def _em(rng: random.Random, new: bool = False) -> str:
    if new:
        return str(_pick(rng, (("99202", 10), ("99203", 45), ("99204", 35), ("99205", 10))))
    return str(_pick(rng, (("99212", 12), ("99213", 45), ("99214", 33), ("99215", 10))))


def _preventive_code(age: int) -> str:
    """Preventive-visit code by the patient's age band."""
    for limit, code in ((5, "99392"), (12, "99393"), (18, "99394"), (40, "99395"), (65, "99396")):
        if age < limit:
            return code
    return "99397"


def _with_25(lines: list[LineSpec]) -> list[LineSpec]:
    """Modifier 25 on the E/M line when a procedure is billed the same day."""
    needs = any(line.code in PROCEDURES_NEEDING_25 for line in lines[1:])
    if needs and lines[0].code in EM_CODES and "25" not in lines[0].modifiers:
        lines[0] = LineSpec(lines[0].code, (*lines[0].modifiers, "25"), lines[0].units)
    return lines


def family_medicine(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    kind = _pick(rng, (("visit", 58), ("new", 10), ("preventive", 15), ("telehealth", 11), ("nurse", 6)))
    flu_season = month in (10, 11, 12, 1, 2)
    lines: list[LineSpec] = []
    pos = "11"
    if kind == "nurse":
        lines = [LineSpec("99211", (), 1)]
        if flu_season or rng.random() < 0.3:
            lines.append(LineSpec("G0008" if medicare else "90471", (), 1))
            lines.append(LineSpec("90686", (), 1))
        return Visit(tuple(lines), pos, "family_medicine")
    if kind == "telehealth":
        pos = "10" if rng.random() < 0.6 else "02"
        return Visit((LineSpec(_em(rng), ("95",), 1),), pos, "family_medicine")
    if kind == "preventive":
        lines = [LineSpec("G0439" if medicare else _preventive_code(age), (), 1)]
        if rng.random() < 0.12:
            lines.append(LineSpec("99213", ("25",), 1))
    else:
        lines = [LineSpec(_em(rng, new=kind == "new"), (), 1)]
    if rng.random() < 0.22:
        lines.append(LineSpec("36415", (), 1))
        lines.append(LineSpec(str(_pick(rng, (("80053", 4), ("85025", 3), ("83036", 3)))), (), 1))
    if rng.random() < 0.08:
        lines.append(LineSpec("93000", (), 1))
    if flu_season and rng.random() < 0.25 and len(lines) <= 3:
        lines.append(LineSpec("G0008" if medicare else "90471", (), 1))
        lines.append(LineSpec("90686", (), 1))
    return Visit(tuple(_with_25(lines[:5])), pos, "family_medicine")


def cardiology(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    kind = _pick(rng, (("visit", 55), ("echo", 18), ("stress", 10), ("holter", 9), ("hospital_echo", 8)))
    if kind == "visit":
        lines = [LineSpec(_em(rng, new=rng.random() < 0.15), (), 1)]
        if rng.random() < 0.5:
            lines.append(LineSpec("93000", (), 1))
        if rng.random() < 0.1:
            lines.append(LineSpec("93880", (), 1))
        return Visit(tuple(_with_25(lines)), "11", "cardiology")
    if kind == "echo":
        return Visit((LineSpec("93306", (), 1),), "11", "cardiology")
    if kind == "stress":
        return Visit((LineSpec("93015", (), 1), LineSpec("93000", (), 1)), "11", "cardiology")
    if kind == "holter":
        return Visit((LineSpec("93224", (), 1),), "11", "cardiology")
    return Visit((LineSpec("93306", ("26",), 1),), "22", "cardiology")


def orthopedics(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    side = "RT" if rng.random() < 0.55 else "LT"
    kind = _pick(rng, (("visit", 50), ("injection", 22), ("fracture", 8), ("brace", 8), ("surgery", 12)))
    if kind == "surgery":
        return Visit((LineSpec("29881", (side,), 1),), "22", "orthopedics")
    lines = [LineSpec(_em(rng, new=rng.random() < 0.3), (), 1)]
    if kind in ("visit", "fracture") and rng.random() < 0.6:
        lines.append(LineSpec("73560" if rng.random() < 0.6 else "73030", (side,), 1))
    if kind == "injection":
        lines.append(LineSpec("20610", (side,), 1))
        lines.append(LineSpec("J3301", (), 4))
    if kind == "fracture":
        lines.append(LineSpec("29125", (side,), 1))
    if kind == "brace":
        lines.append(LineSpec("L1820", (side,), 1))
    return Visit(tuple(_with_25(lines)), "11", "orthopedics")


def radiology(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    kind = _pick(rng, (("xray", 35), ("ultrasound", 15), ("mammo", 15), ("mri_read", 20), ("ct_read", 15)))
    if kind == "xray":
        return Visit((LineSpec("71046", (), 1),), "11", "radiology")
    if kind == "ultrasound":
        return Visit((LineSpec("76700", (), 1),), "11", "radiology")
    if kind == "mammo":
        return Visit((LineSpec("77067", (), 1),), "11", "radiology")
    pos = "22" if rng.random() < 0.7 else "19"
    code = "72148" if kind == "mri_read" else "70450"
    return Visit((LineSpec(code, ("26",), 1),), pos, "radiology")


def behavioral_health(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    kind = _pick(rng, (("intake", 12), ("therapy", 58), ("med_mgmt", 20), ("screen", 10)))
    telehealth = rng.random() < 0.35
    mods: tuple[str, ...] = ("95",) if telehealth else ()
    pos = ("10" if rng.random() < 0.7 else "02") if telehealth else "11"
    if kind == "intake":
        lines = [LineSpec("90791", mods, 1)]
    elif kind == "therapy":
        lines = [LineSpec(str(_pick(rng, (("90834", 55), ("90837", 30), ("90832", 15)))), mods, 1)]
    elif kind == "med_mgmt":
        lines = [LineSpec("99214", mods, 1), LineSpec("90833", mods, 1)]
    else:
        lines = [LineSpec("99213", mods, 1), LineSpec("96127", mods, 2)]
    return Visit(tuple(lines), pos, "behavioral_health")


def physical_therapy(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    if rng.random() < 0.15:
        lines = [LineSpec("97161", ("GP",), 1), LineSpec("97110", ("GP",), 2)]
    else:
        lines = [LineSpec("97110", ("GP",), rng.randint(1, 4))]
        with_530 = rng.random() < 0.4
        if with_530:
            lines.append(LineSpec("97530", ("GP",), rng.randint(1, 2)))
        if rng.random() < 0.5:
            # Manual therapy with therapeutic activities needs modifier 59 (a distinct procedure).
            lines.append(LineSpec("97140", ("GP", "59") if with_530 else ("GP",), rng.randint(1, 2)))
        if rng.random() < 0.2:
            lines.append(LineSpec("97112", ("GP",), 1))
        if medicare and rng.random() < 0.2:
            lines.append(LineSpec("G0283", ("GP",), 1))
    return Visit(tuple(lines[:5]), "11", "physical_therapy")


def hospital_outpatient(rng: random.Random, medicare: bool, month: int, age: int) -> Visit:
    kind = _pick(rng, (("ed", 45), ("imaging", 22), ("surgery", 10), ("cardiac", 10), ("therapy", 13)))
    lines: list[LineSpec]
    if kind == "ed":
        level = str(_pick(rng, (("99283", 40), ("99284", 40), ("99285", 20))))
        lines = [LineSpec(level, (), 1, "0450")]
        if rng.random() < 0.5:
            lines.append(LineSpec("80053", (), 1, "0300"))
        if rng.random() < 0.35:
            lines.append(LineSpec("71046", (), 1, "0320"))
        if rng.random() < 0.3:
            lines.append(LineSpec("J2405" if rng.random() < 0.5 else "J1885", (), 1, "0636"))
        if rng.random() < 0.3:
            lines.append(LineSpec("93005", (), 1, "0730"))
    elif kind == "imaging":
        lines = [LineSpec("72148", (), 1, "0610") if rng.random() < 0.5 else LineSpec("70450", (), 1, "0350")]
    elif kind == "surgery":
        side = "RT" if rng.random() < 0.5 else "LT"
        lines = [
            LineSpec("29881", (side,), 1, "0360"),
            LineSpec("", (), 1, "0710"),
            LineSpec("", (), 1, "0250"),
            LineSpec("J2405", (), 1, "0636"),
        ]
    elif kind == "cardiac":
        lines = [LineSpec("93306", (), 1, "0480"), LineSpec("93005", (), 1, "0730")]
    else:
        lines = [LineSpec("97110", ("GP",), rng.randint(2, 4), "0420")]
    return Visit(tuple(lines[:5]), "13", "hospital", institutional=True)


# A visit template: (rng, is Medicare or Medicare Advantage, month, age) -> the visit.
VisitMaker = Callable[[random.Random, bool, int, int], Visit]

# specialty -> (visit function, share of insured encounters)
SPECIALTIES: dict[str, tuple[VisitMaker, float]] = {
    "family_medicine": (family_medicine, 34.0),
    "cardiology": (cardiology, 11.0),
    "orthopedics": (orthopedics, 12.0),
    "radiology": (radiology, 12.0),
    "behavioral_health": (behavioral_health, 10.0),
    "physical_therapy": (physical_therapy, 11.0),
    "hospital": (hospital_outpatient, 10.0),
}
