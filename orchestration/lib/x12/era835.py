"""The 835 transaction-set reader: one ST..SE to era_* rows, balanced and checked.

One tight loop over the segment strings: each segment is split once on the element separator and
dispatched on its id by an ``if`` chain ordered by frequency (CAS, DTM, SVC, REF, AMT, CLP, ...).
Amounts and dates go through the per-file caches of ``values``. Claim and line rows are built as
lists while their loops are open and frozen to tuples when the next loop starts, because their
counts, sums and balancing are only known then.

Rows are appended straight to the file's tables; a rejected set truncates them back to where the
set started, so a set is loaded whole or not at all. Balance differences are "stated minus
computed": line ``SVC03 − (SVC02 − ΣCAS)``, claim ``CLP04 − (CLP03 − Σclaim CAS − Σline CAS)``,
transaction ``BPR02 − (ΣCLP04 − ΣPLB)``; empty amounts count as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

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
from orchestration.lib.x12.values import ZERO, BadElement, date_miss, money_miss, quantity_miss

_PAD = [""] * 32
# the tables a rejected set's rows are taken back out of (``truncate_rows``)
_ROW_TABLES = (
    "era_claims",
    "era_service_lines",
    "era_adjustments",
    "era_remarks",
    "era_provider_adjustments",
)
# Segments of the 835 (4010 and 5010) that carry nothing the raw tables hold: read past, not reported.
_IGNORED = frozenset({"N2", "N3", "N4", "PER", "RDM", "CUR", "TS3", "TS2", "QTY", "LX", "NTE", "PAT"})
# DTM qualifier -> slot of the open row: only these dates are read (and must be valid dates).
_LINE_DATES = {"472": 17, "150": 17, "151": 18}
_CLAIM_DATES = {"232": 20, "233": 21, "050": 22}
_ONE = Decimal("1.000")


def transaction_row(
    envelope: tuple,
    header: list,
    payee_tax_id: str | None,
    claim_count: int,
    sums: tuple[Decimal, Decimal, Decimal],
    segments: tuple[int | None, int],
) -> tuple:
    """One ``raw.era_transactions`` row, as both 835 readers build it.

    ``envelope``: file id, ST position, ISA13, ISA06, interchange date, GS06, version, ST02 (or None);
    ``header``: the 15 header slots (``read_header_party`` documents 9-14; 11, the REF*2U payer id,
    stands in for a missing N104); ``sums``: ΣCLP04, ΣPLB and BPR02's difference from their
    balance; ``segments``: SE01 as declared and the segments counted.
    """
    paid_total, provider_total, difference = sums
    return (
        *envelope,
        *header[:10],
        header[10] or header[11],
        header[12],
        header[13],
        header[14],
        payee_tax_id,
        claim_count,
        paid_total,
        provider_total,
        not difference,
        difference,
        *segments,
    )


def read_header_party(values: list[str], header: list) -> str:
    """A header N1 (1000A payer, 1000B payee) into the set's header slots; returns N101.

    Slots: 9 payer name, 10 payer id (N104), 12 payee name, 13 payee id qualifier, 14 payee id.
    Shared by the columnar reader, so both read the parties alike.
    """
    size = len(values)
    if size < 5:
        values += _PAD[: 5 - size]
    party = values[1]
    if party == "PR":
        header[9] = values[2] or None
        header[10] = values[4] or None
    elif party == "PE":
        header[12] = values[2] or None
        header[13] = values[3] or None
        header[14] = values[4] or None
    return party


def _finish_line(state: FileState, line: list, line_adjustments: Decimal, pending: list[Issue], tcn: str):
    """Freeze a service line: default units and end date, sums and the line balance."""
    if line[13] is None:
        line[13] = _ONE
    if line[18] is None:
        line[18] = line[17]
    charge = line[10] if line[10] is not None else ZERO
    paid = line[11] if line[11] is not None else ZERO
    difference = paid - (charge - line_adjustments)
    line[20] = line_adjustments
    line[21] = not difference
    line[22] = difference
    if difference:
        pending.append(
            state.issue(
                "warning",
                "UNBALANCED_LINE",
                f"SVC02 {charge} - line adjustments {line_adjustments} != SVC03 {paid} "
                f"(difference {difference})",
                line[3],
                "SVC",
                tcn,
            )
        )
    return tuple(line)


def _finish_claim(
    state: FileState,
    claim: list,
    line_count: int,
    claim_adjustments: Decimal,
    line_adjustments: Decimal,
    pending: list[Issue],
    tcn: str,
):
    """Freeze a claim: line count, adjustment sums and the claim balance."""
    charge = claim[5] if claim[5] is not None else ZERO
    paid = claim[6] if claim[6] is not None else ZERO
    difference = paid - (charge - claim_adjustments - line_adjustments)
    claim[25] = line_count
    claim[26] = claim_adjustments
    claim[27] = line_adjustments
    claim[28] = not difference
    claim[29] = difference
    if difference:
        pending.append(
            state.issue(
                "warning",
                "UNBALANCED_CLAIM",
                f"CLP03 {charge} - claim adjustments {claim_adjustments} - line adjustments "
                f"{line_adjustments} != CLP04 {paid} (difference {difference})",
                claim[2],
                "CLP",
                tcn,
            )
        )
    return tuple(claim)


def _close_loops(
    state: FileState,
    pending: list[Issue],
    tcn: str,
    add_line: Callable[[tuple], None],
    add_claim: Callable[[tuple], None],
    line: list | None,
    claim: list | None,
    line_count: int,
    claim_adjustments: Decimal,
    line_adjustments: Decimal,
    claim_line_adjustments: Decimal,
) -> None:
    """At a CLP, PLB or SE: append the open service line, then the open claim with the line's
    adjustments in its sum (each balanced as ``_finish_line`` and ``_finish_claim`` do)."""
    if line is not None:
        add_line(_finish_line(state, line, line_adjustments, pending, tcn))
        claim_line_adjustments += line_adjustments
    if claim is not None:
        add_claim(
            _finish_claim(state, claim, line_count, claim_adjustments, claim_line_adjustments, pending, tcn)
        )


def read_835(
    state: FileState,
    segments: list[str],
    start: int,
    element: str,
    component: str,
    base: int,
    envelope: Envelope,
) -> int:
    """Read the 835 set whose ST is ``segments[start]``; return the index the driver resumes at.

    ``base`` turns a list index into the file-wide 1-based segment position (position = base + index).
    """
    tables = state.tables
    claims = tables["era_claims"]
    lines = tables["era_service_lines"]
    adjustments = tables["era_adjustments"]
    remarks = tables["era_remarks"]
    provider_adjustments = tables["era_provider_adjustments"]
    transactions = tables["era_transactions"]
    marks = (len(claims), len(lines), len(adjustments), len(remarks), len(provider_adjustments))
    add_claim = claims.append
    add_line = lines.append
    add_adjustment = adjustments.append
    add_remark = remarks.append
    money_cache = state.money_cache
    money = money_cache.get
    quantity_cache = state.quantity_cache
    quantity = quantity_cache.get
    date_cache = state.date_cache
    to_date = date_cache.get
    file_id = state.file_id
    pending: list[Issue] = []

    st = segments[start].split(element)
    tcn = st[2] if len(st) > 2 else ""
    version = envelope.version_code or (st[3] if len(st) > 3 and st[3] else None)
    transaction_position = base + start
    close_loops = partial(_close_loops, state, pending, tcn, add_line, add_claim)
    header = [None] * 15  # BPR01..05, BPR16, TRN02, TRN03, DTM405, payer name/N104/2U, payee name/qual/id
    payee_tax_id = None
    party = ""  # N101 of the open 1000 loop
    loop = 0  # 0 header, 1 claim (2100), 2 line (2110), 3 trailer (PLB)
    claim: list | None = None
    line: list | None = None
    claim_position = 0
    line_position = 0
    claim_adjustments = ZERO
    line_adjustments = ZERO
    claim_line_adjustments = ZERO
    line_count = 0
    claim_count = 0
    paid_total = ZERO
    provider_total = ZERO
    count = len(segments)
    index = start + 1
    tag = "ST"
    try:
        while index < count:
            segment = segments[index]
            values = segment.split(element)
            tag = values[0]
            if tag == "DTM":
                qualifier = values[1] if len(values) > 1 else ""
                if loop == 2:
                    slot = _LINE_DATES.get(qualifier)
                    target = line
                elif loop == 1:
                    slot = _CLAIM_DATES.get(qualifier)
                    target = claim
                else:
                    slot = 8 if loop == 0 and qualifier == "405" else None
                    target = header
                if slot is not None:
                    text = values[2] if len(values) > 2 else ""
                    value = to_date(text)
                    if value is None and text:
                        value = date_miss(text, date_cache)
                    target[slot] = value
            elif tag == "CAS":
                if loop == 2:
                    level = "line"
                    position_line = line_position
                elif loop == 1:
                    level = "claim"
                    position_line = None
                else:
                    issue = state.unexpected_segment(
                        base + index, tag, "CAS outside a claim or service line: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                    index += 1
                    continue
                size = len(values)
                if size == 4 and values[3]:  # the usual shape, one triplet without quantity: fast path
                    amount_text = values[3]
                    amount = money(amount_text)
                    if amount is None:
                        amount = money_miss(amount_text, money_cache)
                    add_adjustment(
                        (
                            file_id,
                            transaction_position,
                            claim_position,
                            position_line,
                            level,
                            base + index,
                            1,
                            values[1] or None,
                            values[2] or None,
                            amount,
                            None,
                        )
                    )
                    if loop == 2:
                        line_adjustments += amount
                    else:
                        claim_adjustments += amount
                    index += 1
                    continue
                if size > 20 and any(values[20:]):
                    issue = state.unexpected_segment(
                        base + index, tag, "elements after CAS19 (a 7th triplet) ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                size = min(size, 20)  # six triplets at most
                group = values[1] if size > 1 else ""
                position = base + index
                subtotal = ZERO
                triplet = 0
                for offset in range(2, size, 3):
                    triplet += 1
                    reason = values[offset]
                    amount_text = values[offset + 1] if offset + 1 < size else ""
                    quantity_text = values[offset + 2] if offset + 2 < size else ""
                    if not amount_text and not reason and not quantity_text:
                        continue
                    amount = money(amount_text)
                    if amount is None and amount_text:
                        amount = money_miss(amount_text, money_cache)
                    if amount is not None:
                        subtotal += amount
                    if quantity_text:
                        count_value = quantity(quantity_text)
                        if count_value is None:
                            count_value = quantity_miss(quantity_text, quantity_cache)
                    else:
                        count_value = None
                    add_adjustment(
                        (
                            file_id,
                            transaction_position,
                            claim_position,
                            position_line,
                            level,
                            position,
                            triplet,
                            group or None,
                            reason or None,
                            amount,
                            count_value,
                        )
                    )
                if loop == 2:
                    line_adjustments += subtotal
                else:
                    claim_adjustments += subtotal
            elif tag == "SVC":
                if claim is None:
                    issue = state.unexpected_segment(
                        base + index, tag, "SVC before any CLP: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                    index += 1
                    continue
                if line is not None:
                    add_line(_finish_line(state, line, line_adjustments, pending, tcn))
                    claim_line_adjustments += line_adjustments
                size = len(values)
                if size < 8:
                    values += _PAD[: 8 - size]
                procedure = values[1]
                parts = (
                    procedure.split(component)
                    if component in procedure
                    else split_composite(procedure, component)
                )
                if len(parts) < 6:
                    parts += _PAD[: 6 - len(parts)]
                charge_text = values[2]
                charge = money(charge_text)
                if charge is None and charge_text:
                    charge = money_miss(charge_text, money_cache)
                paid_text = values[3]
                paid = money(paid_text)
                if paid is None and paid_text:
                    paid = money_miss(paid_text, money_cache)
                units_text = values[5]
                units = quantity(units_text)
                if units is None and units_text:
                    units = quantity_miss(units_text, quantity_cache)
                original = values[6]
                original_code = None
                if original:
                    original_parts = split_composite(original, component)
                    if len(original_parts) > 1:
                        original_code = original_parts[1] or None
                original_units_text = values[7]
                original_units = quantity(original_units_text)
                if original_units is None and original_units_text:
                    original_units = quantity_miss(original_units_text, quantity_cache)
                line_position = base + index
                line = [
                    file_id,
                    transaction_position,
                    claim_position,
                    line_position,
                    parts[0] or None,
                    parts[1] or None,
                    parts[2] or None,
                    parts[3] or None,
                    parts[4] or None,
                    parts[5] or None,
                    charge,
                    paid,
                    values[4] or None,
                    units,
                    original_code,
                    original_units,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                line_adjustments = ZERO
                line_count += 1
                loop = 2
            elif tag == "REF":
                qualifier = values[1] if len(values) > 1 else ""
                text = (values[2] if len(values) > 2 else "") or None
                if loop == 2:
                    if qualifier == "6R":
                        line[16] = text
                elif loop == 1:
                    if qualifier == "F8":
                        claim[19] = text
                elif loop == 0:
                    if qualifier == "2U" and party == "PR":
                        header[11] = text
                    elif qualifier == "TJ" and party == "PE":
                        payee_tax_id = text
            elif tag == "AMT":
                qualifier = values[1] if len(values) > 1 else ""
                text = values[2] if len(values) > 2 else ""
                value = money(text)
                if value is None and text:
                    value = money_miss(text, money_cache)
                if loop == 2:
                    if qualifier == "B6":
                        line[19] = value
                elif loop == 1:
                    if qualifier == "AU":
                        claim[23] = value
                    elif qualifier == "I":
                        claim[24] = value
            elif tag == "CLP":
                close_loops(
                    line, claim, line_count, claim_adjustments, line_adjustments, claim_line_adjustments
                )
                line = None
                size = len(values)
                if size < 14:
                    values += _PAD[: 14 - size]
                if not values[1]:
                    raise BadElement("", "is empty: CLP01 patient control number is required")
                charge_text = values[3]
                charge = money(charge_text)
                if charge is None and charge_text:
                    charge = money_miss(charge_text, money_cache)
                paid_text = values[4]
                paid = money(paid_text)
                if paid is None and paid_text:
                    paid = money_miss(paid_text, money_cache)
                responsibility_text = values[5]
                responsibility = money(responsibility_text)
                if responsibility is None and responsibility_text:
                    responsibility = money_miss(responsibility_text, money_cache)
                claim_position = base + index
                claim = [
                    file_id,
                    transaction_position,
                    claim_position,
                    values[1],
                    values[2] or None,
                    charge,
                    paid,
                    responsibility,
                    values[6] or None,
                    values[7] or None,
                    values[8] or None,
                    values[9] or None,
                    values[11] or None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                if paid is not None:
                    paid_total += paid
                claim_count += 1
                claim_adjustments = ZERO
                claim_line_adjustments = ZERO
                line_count = 0
                loop = 1
            elif tag == "NM1":
                if claim is None or loop == 3:
                    if loop == 0:
                        index += 1
                        continue
                    issue = state.unexpected_segment(
                        base + index, tag, "NM1 outside a claim: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                    index += 1
                    continue
                size = len(values)
                if size < 10:
                    values += _PAD[: 10 - size]
                entity = values[1]
                if entity == "QC":
                    claim[13] = values[9] or None
                    claim[14] = values[3] or None
                    claim[15] = values[4] or None
                elif entity == "IL":
                    claim[16] = values[9] or None
                elif entity == "82":
                    claim[17] = values[9] or None
                elif entity == "TT":
                    claim[18] = values[3] or None
            elif tag == "LQ":
                if loop != 2:
                    issue = state.unexpected_segment(
                        base + index, tag, "LQ outside a service line: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                elif len(values) > 2 and values[1] == "HE" and values[2]:
                    add_remark(
                        (
                            file_id,
                            transaction_position,
                            claim_position,
                            line_position,
                            "line",
                            base + index,
                            "LQ",
                            1,
                            values[2],
                        )
                    )
            elif tag == "MOA" or tag == "MIA":
                if claim is None or loop == 3:
                    issue = state.unexpected_segment(
                        base + index, tag, f"{tag} outside a claim: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                else:
                    slots = (3, 4, 5, 6, 7) if tag == "MOA" else (5, 20, 21, 22, 23, 24)
                    position = base + index
                    for number, slot in enumerate(slots, 1):
                        if slot < len(values) and values[slot]:
                            add_remark(
                                (
                                    file_id,
                                    transaction_position,
                                    claim_position,
                                    None,
                                    "claim",
                                    position,
                                    tag,
                                    number,
                                    values[slot],
                                )
                            )
            elif tag == "SE":
                break
            elif tag == "PLB":
                close_loops(
                    line, claim, line_count, claim_adjustments, line_adjustments, claim_line_adjustments
                )
                line = claim = None
                loop = 3
                size = len(values)
                if size < 15:
                    values += _PAD[: 15 - size]
                elif size > 15 and any(values[15:]):
                    issue = state.unexpected_segment(
                        base + index, tag, "elements after PLB14 (a 7th pair) ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                provider = values[1] or None
                fiscal_text = values[2]
                fiscal = to_date(fiscal_text)
                if fiscal is None and fiscal_text:
                    fiscal = date_miss(fiscal_text, date_cache)
                position = base + index
                for pair in range(6):
                    reason_text = values[3 + 2 * pair]
                    amount_text = values[4 + 2 * pair]
                    if not reason_text and not amount_text:
                        continue
                    amount = money(amount_text)
                    if amount is None and amount_text:
                        amount = money_miss(amount_text, money_cache)
                    reason_parts = split_composite(reason_text, component) if reason_text else [""]
                    if amount is not None:
                        provider_total += amount
                    provider_adjustments.append(
                        (
                            file_id,
                            transaction_position,
                            position,
                            pair + 1,
                            provider,
                            fiscal,
                            reason_parts[0] or None,
                            (reason_parts[1] or None) if len(reason_parts) > 1 else None,
                            amount,
                        )
                    )
            elif tag == "N1":
                if loop != 0:
                    issue = state.unexpected_segment(
                        base + index, tag, "N1 after the header: ignored", tcn, segment
                    )
                    if issue is not None:
                        pending.append(issue)
                    index += 1
                    continue
                party = read_header_party(values, header)
            elif tag == "BPR":
                size = len(values)
                if size < 17:
                    values += _PAD[: 17 - size]
                total_text = values[2]
                total = money(total_text)
                if total is None and total_text:
                    total = money_miss(total_text, money_cache)
                header[0] = values[1] or None
                header[1] = total
                header[2] = values[3] or None
                header[3] = values[4] or None
                header[4] = values[5] or None
                paid_text = values[16]
                if paid_text:
                    paid_on = to_date(paid_text)
                    header[5] = paid_on if paid_on is not None else date_miss(paid_text, date_cache)
                else:
                    pending.append(
                        state.issue(
                            "warning",
                            "MISSING_ELEMENT",
                            f"BPR16 payment date is missing (BPR has {size - 1} elements): "
                            "loaded with payment_date NULL",
                            base + index,
                            tag,
                            tcn,
                            segment,
                        )
                    )
            elif tag == "TRN":
                if loop == 0:
                    header[6] = (values[2] if len(values) > 2 else "") or None
                    header[7] = (values[3] if len(values) > 3 else "") or None
            elif tag in ENVELOPE_TAGS:
                return _reject(
                    state,
                    marks,
                    "TRUNCATED",
                    f"{tag} before the SE of this 835 transaction set: set not loaded",
                    base + index,
                    tag,
                    tcn,
                    segment,
                    index,
                )
            elif tag not in _IGNORED:
                issue = state.unexpected_segment(
                    base + index, tag, f"segment {tag[:20]!r} is not part of an 835: ignored", tcn, segment
                )
                if issue is not None:
                    pending.append(issue)
            index += 1
        else:
            return _reject(
                state,
                marks,
                "TRUNCATED",
                "the interchange or file ends inside this 835 transaction set (no SE): set not loaded",
                base + count - 1,
                segments[count - 1].split(element, 1)[0][:20] if count else None,
                tcn,
                None,
                count,
            )
        # SE: close the open loops, balance the transaction, check the trailer.
        close_loops(line, claim, line_count, claim_adjustments, line_adjustments, claim_line_adjustments)
    except (BadElement, IndexError, TypeError, ValueError, ArithmeticError) as problem:
        return reject_bad_element(
            state, _ROW_TABLES, marks, segments, start, index, element, base, tcn, problem
        )
    declared, actual, trailer_issues = set_trailer_issues(state, segments, start, index, element, base, tcn)
    pending.extend(trailer_issues)
    total = header[1] if header[1] is not None else ZERO
    difference = total - (paid_total - provider_total)
    if difference:
        pending.append(
            state.issue(
                "warning",
                "UNBALANCED_TRANSACTION",
                f"BPR02 {total} != sum CLP04 {paid_total} - sum PLB {provider_total} (difference {difference})",
                transaction_position,
                "ST",
                tcn,
            )
        )
    transactions.append(
        transaction_row(
            (
                file_id,
                transaction_position,
                envelope.control_number,
                envelope.sender_id,
                envelope.interchange_date,
                envelope.group_control_number,
                version,
                tcn or None,
            ),
            header,
            payee_tax_id,
            claim_count,
            (paid_total, provider_total, difference),
            (declared, actual),
        )
    )
    state.issues.extend(pending)
    state.loaded += 1
    return index + 1


def _reject(
    state: FileState,
    marks: tuple[int, ...],
    code: str,
    reason: str,
    position: int,
    segment_id: str | None,
    tcn: str,
    raw_text: str | None,
    resume: int,
) -> int:
    truncate_rows(state, _ROW_TABLES, marks)
    state.add(state.issue("error", code, reason, position, segment_id, tcn or None, raw_text))
    state.rejected += 1
    return resume
