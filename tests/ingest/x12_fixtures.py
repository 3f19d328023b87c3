"""Synthetic X12 835/837P text for the ingestion tests (made-up names and ids, no real data).

The builders take the money figures as input, so a test knows the file's own totals (Σ BPR02,
Σ CLP04, Σ PLB, Σ CLM02) independently of the reader and the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ISA_DATE = "240315"


def _isa(control: str) -> str:
    return (
        "ISA*00*          *00*          *ZZ*SENDERID       *ZZ*RECEIVERID     *"
        f"{ISA_DATE}*1200*^*00501*{control}*0*T*:"
    )


@dataclass
class Line:
    code: str
    charge: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (group, carc, amount)


@dataclass
class Claim:
    pcn: str
    status: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    lines: list[Line] = field(default_factory=list)
    bad_paid_text: str | None = None  # write this instead of CLP04 (an unreadable amount)


@dataclass
class Remit:
    control: str
    paid: Decimal  # BPR02
    claims: list[Claim]
    plb: list[tuple[str, Decimal]] = field(default_factory=list)  # (reason code, amount)


def remit_835(remits: list[Remit], interchange: str = "000000101") -> str:
    """One interchange, one group, one ST/SE per remit; counts (SE01, GE01, IEA01) are right."""
    out = [_isa(interchange), "GS*HP*SENDERID*RECEIVERID*20240315*1200*101*X*005010X221A1"]
    for remit in remits:
        body = [
            f"ST*835*{remit.control}",
            f"BPR*I*{remit.paid}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20240315",
            f"TRN*1*TRACE{remit.control}*1512345678",
            "DTM*405*20240314",
            "N1*PR*SYNTHETIC HEALTH PLAN",
            "N3*1 MAIN ST",
            "N4*SOMEWHERE*NY*10001",
            "REF*2U*PAYER01",
            "PER*BL*PROVIDER SERVICES*TE*5555550100",
            "N1*PE*SYNTHETIC CLINIC*XX*1999999984",
            "REF*TJ*123456789",
            "LX*1",
        ]
        for claim in remit.claims:
            paid = claim.bad_paid_text or str(claim.paid)
            body += [
                f"CLP*{claim.pcn}*{claim.status}*{claim.charge}*{paid}*{claim.patient_responsibility}*12*ICN{claim.pcn}*11*1",
                f"NM1*QC*1*DOE*JANE****MI*MEMBER{claim.pcn}",
                "DTM*232*20240301",
            ]
            for number, line in enumerate(claim.lines, start=1):
                body += [f"SVC*HC:{line.code}*{line.charge}*{line.paid}**1", "DTM*472*20240301"]
                for group, carc, amount in line.adjustments:
                    body.append(f"CAS*{group}*{carc}*{amount}")
                body.append(f"REF*6R*{claim.pcn}L{number}")
        for reason, amount in remit.plb:
            body.append(f"PLB*1999999984*20241231*{reason}:REF{remit.control}*{amount}")
        body.append(f"SE*{len(body) + 1}*{remit.control}")
        out += body
    out += [f"GE*{len(remits)}*101", f"IEA*1*{interchange}"]
    return "~".join(out) + "~\n"


@dataclass
class Claim837:
    pcn: str
    lines: list[tuple[str, Decimal]]  # (procedure code, charge)

    @property
    def charge(self) -> Decimal:
        return sum((charge for _code, charge in self.lines), Decimal("0"))


def claims_837p(claims: list[Claim837], control: str = "0001", interchange: str = "000000201") -> str:
    """One 837P transaction set with one billing provider and one subscriber per claim."""
    body = [
        f"ST*837*{control}*005010X222A1",
        f"BHT*0019*00*BATCH{control}*20240310*1200*CH",
        "NM1*41*2*SYNTHETIC CLINIC*****46*SUBMITTER1",
        "PER*IC*BILLING*TE*5555550100",
        "NM1*40*2*SYNTHETIC HEALTH PLAN*****46*PAYER01",
        "HL*1**20*1",
        "NM1*85*2*SYNTHETIC CLINIC*****XX*1999999984",
        "N3*1 MAIN ST",
        "N4*SOMEWHERE*NY*10001",
        "REF*EI*123456789",
    ]
    hl = 1
    for claim in claims:
        hl += 1
        body += [
            f"HL*{hl}*1*22*0",
            "SBR*P*18*******CI",
            f"NM1*IL*1*DOE*JANE****MI*MEMBER{claim.pcn}",
            "DMG*D8*19800101*F",
            "NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*PAYER01",
            f"CLM*{claim.pcn}*{claim.charge}***11:B:1*Y*A*Y*Y",
            "HI*ABK:J069",
        ]
        for number, (code, charge) in enumerate(claim.lines, start=1):
            body += [
                f"LX*{number}",
                f"SV1*HC:{code}*{charge}*UN*1***1",
                "DTP*472*D8*20240301",
                f"REF*6R*{claim.pcn}L{number}",
            ]
    body.append(f"SE*{len(body) + 1}*{control}")
    out = [_isa(interchange), "GS*HC*SENDERID*RECEIVERID*20240310*1200*201*X*005010X222A1", *body]
    out += ["GE*1*201", f"IEA*1*{interchange}"]
    return "~".join(out) + "~\n"


def balanced_claim(pcn: str, charge: str, paid: str, patient: str = "0.00") -> Claim:
    """A claim with one line whose CO-45 and PR-1 adjustments make line and claim balance."""
    charge_d, paid_d, patient_d = Decimal(charge), Decimal(paid), Decimal(patient)
    contractual = charge_d - paid_d - patient_d
    adjustments = [("CO", "45", contractual)]
    if patient_d:
        adjustments.append(("PR", "1", patient_d))
    line = Line("99213", charge_d, paid_d, adjustments)
    return Claim(pcn, "1", charge_d, paid_d, patient_d, [line])
