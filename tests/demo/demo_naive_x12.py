"""A deliberately naive X12 reader for the generator's tests (split on delimiters, nothing more).

It is independent of the project's reader (orchestration/lib/x12) on purpose: the generator's output
is checked by a second, simple implementation of the balancing and envelope rules. Amounts are parsed
to integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def cents(text: str) -> int:
    """'123.4' -> 12340, '-0.05' -> -5, '' -> 0 (exact: no float)."""
    if not text:
        return 0
    negative = text.startswith("-")
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    value = int(whole or "0") * 100 + int((frac + "00")[:2])
    if len(frac) > 2:
        raise ValueError(f"more than 2 decimals: {text}")
    return -value if negative else value


def segments(text: str) -> list[list[str]]:
    """Split a whole file into segments of elements, using the delimiters of its first ISA."""
    element, terminator = text[3], text[105]
    out = []
    for raw in text.split(terminator):
        raw = raw.strip()
        if raw:
            out.append(raw.split(element))
    return out


@dataclass
class EnvelopeProblem:
    file: str
    what: str


@dataclass
class Remit:
    """One 835 CLP with what the tests recount."""

    file: str
    position: int
    payer_id: str
    payment_date: str
    pcn: str
    status: str
    charge: int
    paid: int
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)  # claim and line level


@dataclass
class Claim837:
    file: str
    position: int
    submission_date: str
    pcn: str
    sbr01: str
    payer_id: str
    charge: int
    frequency: str
    ref_f8: str
    lines: int = 0
    line_charge: int = 0
    line_control_numbers: list[str] = field(default_factory=list)


@dataclass
class Transaction835:
    file: str
    control: str
    bpr02: int
    handling: str
    method: str
    payment_date: str
    trace: str
    payer_id: str
    clp04: int = 0
    plb: int = 0
    plb_reasons: list[tuple[str, int]] = field(default_factory=list)


def check_envelopes(path: Path, segs: list[list[str]]) -> list[EnvelopeProblem]:
    """SE01 = segments ST..SE, SE02 = ST02, GE01 = ST count, GE02 = GS06, IEA01 = GS count, IEA02 = ISA13."""
    problems = []
    isa13 = gs06 = st02 = ""
    st_start = -1
    st_count = gs_count = 0
    for index, seg in enumerate(segs):
        tag = seg[0]
        if tag == "ISA":
            isa13, gs_count = seg[13], 0
            if len(seg) != 17:
                problems.append(EnvelopeProblem(path.name, f"ISA has {len(seg)} elements"))
        elif tag == "GS":
            gs06, st_count = seg[6], 0
            gs_count += 1
        elif tag == "ST":
            st02, st_start = seg[2], index
            st_count += 1
        elif tag == "SE":
            if int(seg[1]) != index - st_start + 1:
                problems.append(EnvelopeProblem(path.name, f"SE01 {seg[1]} != {index - st_start + 1}"))
            if seg[2] != st02:
                problems.append(EnvelopeProblem(path.name, f"SE02 {seg[2]} != ST02 {st02}"))
        elif tag == "GE":
            if int(seg[1]) != st_count:
                problems.append(EnvelopeProblem(path.name, f"GE01 {seg[1]} != {st_count}"))
            if seg[2] != gs06:
                problems.append(EnvelopeProblem(path.name, f"GE02 {seg[2]} != GS06 {gs06}"))
        elif tag == "IEA":
            if int(seg[1]) != gs_count:
                problems.append(EnvelopeProblem(path.name, f"IEA01 {seg[1]} != {gs_count}"))
            if seg[2] != isa13:
                problems.append(EnvelopeProblem(path.name, f"IEA02 {seg[2]} != ISA13 {isa13}"))
    return problems


def _cas(seg: list[str]) -> list[tuple[str, str, int]]:
    out = []
    for k in range(2, len(seg), 3):
        if seg[k]:
            out.append((seg[1], seg[k], cents(seg[k + 1])))
    return out


def read_835(path: Path) -> tuple[list[Transaction835], list[Remit], list[str]]:
    """Transactions, claims and balancing problems (line, claim and transaction level)."""
    segs = segments(path.read_text(encoding="utf-8"))
    transactions: list[Transaction835] = []
    remits: list[Remit] = []
    problems: list[str] = []
    txn: Transaction835 | None = None
    claim: Remit | None = None
    claim_cas = line_cas_total = 0
    line: tuple[int, int] | None = None
    line_cas = 0

    def close_line() -> None:
        nonlocal line, line_cas
        if line is not None and line[0] - line_cas != line[1]:
            problems.append(f"{path.name}: line unbalanced in {claim.pcn if claim else '?'}")
        line, line_cas = None, 0

    def close_claim() -> None:
        nonlocal claim, claim_cas, line_cas_total
        close_line()
        if claim is not None:
            if claim.charge - claim_cas - line_cas_total != claim.paid:
                problems.append(f"{path.name}: claim {claim.pcn} unbalanced")
            remits.append(claim)
        claim, claim_cas, line_cas_total = None, 0, 0

    for index, seg in enumerate(segs):
        tag = seg[0]
        if tag == "ST":
            txn = Transaction835(path.name, seg[2], 0, "", "", "", "", "")
        elif tag == "BPR" and txn is not None:
            txn.handling, txn.bpr02, txn.method, txn.payment_date = seg[1], cents(seg[2]), seg[4], seg[16]
        elif tag == "TRN" and txn is not None:
            txn.trace = seg[2]
        elif tag == "REF" and seg[1] == "2U" and txn is not None:
            txn.payer_id = seg[2]
        elif tag == "CLP" and txn is not None:
            close_claim()
            claim = Remit(
                path.name, index, txn.payer_id, txn.payment_date, seg[1], seg[2], cents(seg[3]), cents(seg[4])
            )
            txn.clp04 += claim.paid
        elif tag == "SVC" and claim is not None:
            close_line()
            line = (cents(seg[2]), cents(seg[3]))
        elif tag == "CAS" and claim is not None:
            triplets = _cas(seg)
            amount = sum(a for _, _, a in triplets)
            claim.adjustments.extend(triplets)
            if line is None:
                claim_cas += amount
            else:
                line_cas += amount
                line_cas_total += amount
        elif tag == "PLB" and txn is not None:
            close_claim()
            for k in range(3, len(seg), 2):
                reason = seg[k].split(":")[0]
                amount = cents(seg[k + 1])
                txn.plb += amount
                txn.plb_reasons.append((reason, amount))
        elif tag == "SE" and txn is not None:
            close_claim()
            if txn.bpr02 != txn.clp04 - txn.plb:
                problems.append(f"{path.name}: transaction {txn.control} unbalanced")
            transactions.append(txn)
            txn = None
    return transactions, remits, problems


def read_837(path: Path) -> list[Claim837]:
    """Every CLM with its submission date, SBR01 of its subscriber loop, payer and lines."""
    segs = segments(path.read_text(encoding="utf-8"))
    claims: list[Claim837] = []
    submission_date = sbr01 = payer_id = ""
    hl_level = ""
    current: Claim837 | None = None
    in_other_payer = False
    for index, seg in enumerate(segs):
        tag = seg[0]
        if tag == "BHT":
            submission_date = seg[4]
        elif tag == "HL":
            hl_level = seg[3]
            current = None
        elif tag == "SBR":
            if current is None and hl_level == "22":
                sbr01 = seg[1]
            else:
                in_other_payer = True
        elif tag == "NM1" and seg[1] == "PR" and current is None and hl_level == "22":
            payer_id = seg[9]
        elif tag == "CLM":
            frequency = seg[5].split(":")[2]
            current = Claim837(
                path.name, index, submission_date, seg[1], sbr01, payer_id, cents(seg[2]), frequency, ""
            )
            claims.append(current)
            in_other_payer = False
        elif tag == "REF" and seg[1] == "F8" and current is not None and not in_other_payer:
            current.ref_f8 = seg[2]
        elif tag in ("SV1", "SV2") and current is not None:
            current.lines += 1
            current.line_charge += cents(seg[2] if tag == "SV1" else seg[3])
        elif tag == "REF" and seg[1] == "6R" and current is not None:
            current.line_control_numbers.append(seg[2])
    return claims
