"""The 837P/837I transaction-set reader: one ST..SE to x837_* rows.

The HL hierarchy (20 billing provider → 22 subscriber/payer → 23 patient) sets the context every
following CLM inherits. Inside a claim, an ``SBR`` opens the 2320 other-payer (COB) loops: from
there on ``NM1``/``REF``/``DTP`` describe the other payer, not this claim, and only ``AMT*D`` (prior
payer paid) is read until ``LX`` opens the service lines. ``NM1*82`` in a line is the 2420A rendering
provider. A set is loaded whole or not at all, like the 835 reader.
"""

from __future__ import annotations

from orchestration.lib.x12.model import Issue
from orchestration.lib.x12.state import (
    ENVELOPE_TAGS,
    Envelope,
    FileState,
    reject_bad_element,
    set_trailer_issues,
    split_composite,
    truncate_rows,
)
from orchestration.lib.x12.values import ZERO, BadElement, to_date, to_int, to_money, to_quantity

_PAD = [""] * 32
_TABLES = ("x837_claims", "x837_service_lines", "x837_diagnoses")
_PROFESSIONAL_GUIDES = ("X222", "X098")
_INSTITUTIONAL_GUIDES = ("X223", "X096")


def claim_type_of(version: str | None, segments: list[str], start: int, element: str) -> str | None:
    """``professional`` / ``institutional`` from the guide id (ST03/GS08), else from the segments.

    Returns ``None`` for other 837s (dental X224/X097), which the driver reports as unsupported.
    """
    if version:
        if any(guide in version for guide in _PROFESSIONAL_GUIDES):
            return "professional"
        if any(guide in version for guide in _INSTITUTIONAL_GUIDES):
            return "institutional"
        if "X224" in version or "X097" in version:
            return None
    for index in range(start + 1, len(segments)):
        tag = segments[index].split(element, 1)[0]
        if tag in ("SV2", "CL1"):
            return "institutional"
        if tag in ("SV1", "SE"):
            return "professional"
        if tag == "SV3":
            return None
    return "professional"


def _date_value(values: list[str], cache: dict) -> tuple:
    """DTP/DMG date element by its format qualifier: (start, end); times (TM) give (None, None)."""
    form = values[2]
    text = values[3]
    if form == "RD8":
        first, _, last = text.partition("-")
        return to_date(first, cache), to_date(last, cache)
    if form == "DT":
        value = to_date(text[:8], cache)
        return value, value
    if form == "D8" or (not form and text):
        value = to_date(text, cache)
        return value, value
    return None, None


def read_837(
    state: FileState,
    segments: list[str],
    start: int,
    element: str,
    component: str,
    base: int,
    envelope: Envelope,
    claim_type: str,
) -> int:
    """Read the 837 set whose ST is ``segments[start]``; return the index the driver resumes at."""
    tables = state.tables
    claims = tables["x837_claims"]
    lines = tables["x837_service_lines"]
    diagnoses = tables["x837_diagnoses"]
    marks = (len(claims), len(lines), len(diagnoses))
    money_cache = state.money_cache
    quantity_cache = state.quantity_cache
    date_cache = state.date_cache
    file_id = state.file_id
    pending: list[Issue] = []
    st = segments[start].split(element)
    tcn = st[2] if len(st) > 2 else ""
    version = (st[3] if len(st) > 3 and st[3] else None) or envelope.version_code
    transaction_position = base + start
    batch_reference = creation_date = submitter_id = receiver_id = None
    billing = [None, None, None]  # npi, name, tax id
    subscriber = [None] * 9  # SBR01, SBR09, id, last, first, birth, payer name, payer id, (unused)
    patient: list | None = None  # id, last, first, birth when a 2000C loop is open
    person = ""  # which NM1 the next DMG belongs to: IL or QC
    level = ""
    claim: list | None = None
    line: list | None = None
    in_other_payer = False
    line_number = None
    claim_position = 0
    diagnosis_sequence = 0
    line_count = 0
    line_total = ZERO
    prior_paid = None
    count = len(segments)
    index = start + 1

    def finish_claim() -> None:
        claim[38] = prior_paid
        claim[39] = line_count
        claim[40] = line_total
        claims.append(tuple(claim))

    try:
        while index < count:
            segment = segments[index]
            values = segment.split(element)
            tag = values[0]
            size = len(values)
            if size < 16:
                values += _PAD[: 16 - size]
            if tag == "SE":
                break
            if tag in ENVELOPE_TAGS:
                truncate_rows(state, _TABLES, marks)
                state.add(
                    state.issue(
                        "error",
                        "TRUNCATED",
                        f"{tag} before the SE of this 837 transaction set: set not loaded",
                        base + index,
                        tag,
                        tcn or None,
                        segment,
                    )
                )
                state.rejected += 1
                return index
            if tag == "HL":
                if line is not None:
                    lines.append(tuple(line))
                    line = None
                if claim is not None:
                    finish_claim()
                    claim = None
                level = values[3]
                in_other_payer = False
                if level == "20":
                    billing = [None, None, None]
                    subscriber = [None] * 9
                    patient = None
                elif level == "22":
                    subscriber = [None] * 9
                    patient = None
                elif level == "23":
                    patient = [None, None, None, None]
                person = ""
            elif tag == "NM1":
                entity = values[1]
                if claim is None:
                    if entity == "85":
                        billing[0] = values[9] or None
                        billing[1] = values[3] or None
                    elif entity == "IL":
                        subscriber[2] = values[9] or None
                        subscriber[3] = values[3] or None
                        subscriber[4] = values[4] or None
                        person = "IL"
                    elif entity == "PR":
                        subscriber[6] = values[3] or None
                        subscriber[7] = values[9] or None
                        person = ""
                    elif entity == "QC":
                        if patient is None:
                            patient = [None, None, None, None]
                        patient[0] = values[9] or None
                        patient[1] = values[3] or None
                        patient[2] = values[4] or None
                        person = "QC"
                    elif entity == "41":
                        submitter_id = values[9] or None
                    elif entity == "40":
                        receiver_id = values[9] or None
                    else:
                        person = ""
                elif line is not None:
                    if entity == "82":
                        line[21] = values[9] or None
                elif not in_other_payer:
                    if entity == "82":
                        claim[31] = values[9] or None
                    elif entity == "71":
                        claim[32] = values[9] or None
                    elif entity == "77":
                        claim[33] = values[9] or None
            elif tag == "DMG":
                if claim is None and values[1] == "D8" and values[2]:
                    born = to_date(values[2], date_cache)
                    if person == "IL":
                        subscriber[5] = born
                    elif person == "QC" and patient is not None:
                        patient[3] = born
            elif tag == "SBR":
                if claim is None:
                    subscriber[0] = values[1] or None
                    subscriber[1] = values[9] or None
                else:
                    if line is not None:
                        lines.append(tuple(line))
                        line = None
                    in_other_payer = True
            elif tag == "CLM":
                if line is not None:
                    lines.append(tuple(line))
                    line = None
                if claim is not None:
                    finish_claim()
                if not values[1]:
                    raise BadElement("", "is empty: CLM01 patient control number is required")
                facility = split_composite(values[5], component) if values[5] else [""]
                facility += _PAD[: 3 - len(facility)] if len(facility) < 3 else []
                who = (
                    patient
                    if patient is not None
                    else [subscriber[2], subscriber[3], subscriber[4], subscriber[5]]
                )
                claim_position = base + index
                claim = [
                    file_id,
                    transaction_position,
                    claim_position,
                    claim_type,
                    version,
                    envelope.control_number,
                    tcn or None,
                    batch_reference,
                    creation_date,
                    submitter_id,
                    receiver_id,
                    billing[0],
                    billing[1],
                    billing[2],
                    subscriber[0],
                    subscriber[1],
                    subscriber[2],
                    subscriber[6],
                    subscriber[7],
                    who[0],
                    who[1],
                    who[2],
                    who[3],
                    values[1],
                    to_money(values[2], money_cache),
                    facility[0] or None,
                    facility[1] or None,
                    facility[2] or None,
                    *([None] * 13),
                ]
                in_other_payer = False
                diagnosis_sequence = 0
                line_count = 0
                line_total = ZERO
                prior_paid = None
                line_number = None
            elif tag == "REF":
                qualifier = values[1]
                text = values[2] or None
                if claim is None:
                    if qualifier == "EI" and level == "20":
                        billing[2] = text
                elif line is not None or line_number is not None:
                    if qualifier == "6R" and line is not None:
                        line[18] = text
                elif not in_other_payer:
                    if qualifier == "F8":
                        claim[28] = text
                    elif qualifier == "G1":
                        claim[29] = text
                    elif qualifier == "EA":
                        claim[30] = text
            elif tag == "DTP":
                qualifier = values[1]
                if claim is None or in_other_payer:
                    pass
                elif line is not None or line_number is not None:
                    if qualifier == "472" and line is not None:
                        line[19], line[20] = _date_value(values, date_cache)
                elif qualifier == "434":
                    claim[34], claim[35] = _date_value(values, date_cache)
                elif qualifier == "435":
                    claim[36] = _date_value(values, date_cache)[0]
                elif qualifier == "096":
                    claim[37] = _date_value(values, date_cache)[0]
            elif tag == "HI":
                if claim is None or in_other_payer or line is not None:
                    issue = state.unexpected_segment(
                        base + index, tag, "HI outside a claim's 2300 loop: ignored", tcn or None, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                else:
                    position = base + index
                    for composite in values[1:]:
                        if not composite:
                            continue
                        parts = split_composite(composite, component)
                        if len(parts) < 9:
                            parts += _PAD[: 9 - len(parts)]
                        diagnosis_sequence += 1
                        diagnoses.append(
                            (
                                file_id,
                                transaction_position,
                                claim_position,
                                position,
                                diagnosis_sequence,
                                parts[0] or None,
                                parts[1] or None,
                                parts[8] or None,
                            )
                        )
            elif tag == "AMT":
                if in_other_payer and line_number is None and values[1] == "D":
                    amount = to_money(values[2], money_cache)
                    if amount is not None:
                        prior_paid = amount if prior_paid is None else prior_paid + amount
            elif tag == "LX":
                if line is not None:
                    lines.append(tuple(line))
                    line = None
                if claim is None:
                    issue = state.unexpected_segment(
                        base + index, tag, "LX before any CLM: ignored", tcn or None, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                else:
                    line_number = to_int(values[1])
                    in_other_payer = False
            elif tag == "SV1" or tag == "SV2":
                if claim is None:
                    issue = state.unexpected_segment(
                        base + index, tag, f"{tag} before any CLM: ignored", tcn or None, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                    index += 1
                    continue
                if line is not None:
                    lines.append(tuple(line))
                in_other_payer = False
                if tag == "SV1":
                    procedure = values[1]
                    revenue = None
                    charge = to_money(values[2], money_cache)
                    basis = values[3] or None
                    units = to_quantity(values[4], quantity_cache)
                    place = values[5] or None
                    pointers = ",".join(p for p in split_composite(values[7], component) if p) or None
                    non_covered = None
                else:
                    procedure = values[2]
                    revenue = values[1] or None
                    charge = to_money(values[3], money_cache)
                    basis = values[4] or None
                    units = to_quantity(values[5], quantity_cache)
                    place = None
                    pointers = None
                    non_covered = to_money(values[7], money_cache)
                parts = split_composite(procedure, component) if procedure else [""]
                if len(parts) < 6:
                    parts += _PAD[: 6 - len(parts)]
                line = [
                    file_id,
                    transaction_position,
                    claim_position,
                    base + index,
                    line_number,
                    parts[0] or None,
                    parts[1] or None,
                    parts[2] or None,
                    parts[3] or None,
                    parts[4] or None,
                    parts[5] or None,
                    revenue,
                    charge,
                    basis,
                    units,
                    place,
                    pointers,
                    non_covered,
                    None,
                    None,
                    None,
                    None,
                ]
                line_count += 1
                if charge is not None:
                    line_total += charge
            elif tag == "BHT":
                batch_reference = values[3] or None
                creation_date = to_date(values[4], date_cache)
            elif len(tag) > 3 or not tag.isalnum():
                issue = state.unexpected_segment(
                    base + index, tag, f"{tag[:20]!r} is not a segment id: ignored", tcn or None, segment
                )
                if issue is not None:
                    pending.append(issue)
            index += 1
        else:
            truncate_rows(state, _TABLES, marks)
            state.add(
                state.issue(
                    "error",
                    "TRUNCATED",
                    "the interchange or file ends inside this 837 transaction set (no SE): set not loaded",
                    base + count - 1,
                    segments[count - 1].split(element, 1)[0][:20],
                    tcn or None,
                )
            )
            state.rejected += 1
            return count
        if line is not None:
            lines.append(tuple(line))
        if claim is not None:
            finish_claim()
    except (BadElement, IndexError, TypeError, ValueError, ArithmeticError) as problem:
        return reject_bad_element(state, _TABLES, marks, segments, start, index, element, base, tcn, problem)
    pending.extend(set_trailer_issues(state, segments, start, index, element, base, tcn)[2])
    state.issues.extend(pending)
    state.loaded += 1
    return index + 1
