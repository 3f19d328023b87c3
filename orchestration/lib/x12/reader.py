"""``parse_x12``: the envelope driver that walks interchanges, groups and transaction sets.

The driver owns the envelope (ISA/GS/GE/IEA) and its control checks, which are warnings only; it
hands each ``ST`` to the 835 or 837 reader, which returns the index to resume at. Whatever the bytes,
``parse_x12`` returns a ``ParseResult``: problems become issues, never exceptions.
"""

from __future__ import annotations

import gc

from orchestration.lib.x12.claim837 import claim_type_of, read_837
from orchestration.lib.x12.envelope import Section, tokenize
from orchestration.lib.x12.era835 import read_835
from orchestration.lib.x12.model import ParseResult
from orchestration.lib.x12.state import Envelope, FileState, skip_to_end
from orchestration.lib.x12.values import interchange_date, reading_context

_ERROR_BY_PROBLEM = {"NOT_X12": "error", "BAD_ISA": "error"}


def parse_x12(data: bytes, file_id: str, file_name: str) -> ParseResult:
    """Read one X12 file's bytes into raw-table rows and issues.

    ``file_id`` is the loader's id (sha256[:16]) written into every row; ``file_name`` only names the
    file in issue messages. Several interchanges, groups and sets per file are read; a set with an
    unreadable amount, date or key is rejected whole (BAD_ELEMENT) while the others load.
    """
    state = FileState(file_id, file_name)
    # The reader makes hundreds of thousands of row tuples and no reference cycles: pausing the cycle
    # collector while it runs saves about a tenth of the time (it would rescan every live row).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with reading_context():
            segment_count = _parse(state, data)
    finally:
        if collecting:
            gc.enable()
    if state.unexpected > 100:
        state.add(
            state.issue(
                "warning",
                "UNEXPECTED_SEGMENT",
                f"{state.unexpected} unexpected segments in all, the first 100 reported individually",
            )
        )
    kinds = state.kinds
    kind = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "unknown")
    return ParseResult(
        file_id=file_id,
        kind=kind,
        tables=state.tables,
        issues=state.issues,
        transactions_loaded=state.loaded,
        transactions_rejected=state.rejected,
        segment_count=segment_count,
    )


def _parse(state: FileState, data: bytes) -> int:
    tokenized = tokenize(data)
    if tokenized.is_blank:
        state.add(state.issue("error", "EMPTY_FILE", "the file is empty or only whitespace"))
        return 0
    for code, detail, raw_text in tokenized.problems:
        state.add(state.issue(_ERROR_BY_PROBLEM.get(code, "warning"), code, detail, raw_text=raw_text))
    base = 1
    for section in tokenized.sections:
        _read_section(state, section, base)
        base += len(section.segments)
    return base - 1


def _read_section(state: FileState, section: Section, base: int) -> None:
    """Walk one interchange (or headerless run): envelope checks and dispatch of each ST."""
    segments = section.segments
    element = section.element
    envelope = Envelope()
    isa = section.isa
    interchange_open = False
    group_count = 0
    group_open = False
    set_count = 0
    if isa is not None:
        envelope.control_number = isa[13].strip() or None
        envelope.sender_id = isa[6].strip() or None
        envelope.interchange_date = interchange_date(isa[9])
        interchange_open = True
    count = len(segments)
    index = 1 if isa is not None else 0
    while index < count:
        segment = segments[index]
        values = segment.split(element)
        tag = values[0]
        position = base + index
        if tag == "ST":
            set_count += 1
            index = _read_set(state, section, index, base, envelope, values)
            continue
        if tag == "GS":
            if group_open:
                state.add(
                    state.issue(
                        "warning", "MISSING_TRAILER", "GS before the GE of the previous group", position, tag
                    )
                )
            group_open = True
            group_count += 1
            set_count = 0
            envelope.group_control_number = (values[6] if len(values) > 6 else "") or None
            envelope.version_code = (values[8] if len(values) > 8 else "") or None
        elif tag == "GE":
            if not group_open:
                state.add(state.issue("warning", "UNEXPECTED_SEGMENT", "GE without GS", position, tag))
            else:
                _check_trailer(state, "GE", values, set_count, envelope.group_control_number, position)
            group_open = False
        elif tag == "IEA":
            if group_open:
                state.add(
                    state.issue(
                        "warning", "MISSING_TRAILER", "IEA before the GE of the open group", position, tag
                    )
                )
                group_open = False
            if isa is None:
                state.add(state.issue("warning", "UNEXPECTED_SEGMENT", "IEA without ISA", position, tag))
            else:
                _check_trailer(state, "IEA", values, group_count, envelope.control_number, position)
            interchange_open = False
        else:
            issue = state.unexpected_segment(
                position, tag, f"{tag[:20]!r} outside any transaction set: ignored", None, segment
            )
            if issue is not None:
                state.add(issue)
        index += 1
    end = base + count - 1
    if group_open:
        state.add(state.issue("warning", "MISSING_TRAILER", "the functional group has no GE", end, None))
    if interchange_open:
        state.add(state.issue("warning", "MISSING_TRAILER", "the interchange has no IEA", end, None))


def _check_trailer(
    state: FileState, tag: str, values: list[str], actual: int, control: str | None, position: int
) -> None:
    declared = values[1] if len(values) > 1 else ""
    if declared.strip() != str(actual) and declared.strip().lstrip("0") != str(actual):
        state.add(
            state.issue(
                "warning",
                f"{tag}_COUNT",
                f"{tag}01 declares {declared!r}, the envelope holds {actual}",
                position,
                tag,
            )
        )
    trailer_control = (values[2] if len(values) > 2 else "").strip()
    if trailer_control != (control or ""):
        header = "GS06" if tag == "GE" else "ISA13"
        state.add(
            state.issue(
                "warning",
                "CONTROL_NUMBER_MISMATCH",
                f"{tag}02 {trailer_control!r} differs from {header} {control!r}",
                position,
                tag,
            )
        )


def _read_set(
    state: FileState, section: Section, index: int, base: int, envelope: Envelope, values: list[str]
) -> int:
    """Dispatch one ST to its reader; unsupported sets are skipped to their SE with a warning."""
    segments = section.segments
    element = section.element
    code = values[1] if len(values) > 1 else ""
    tcn = (values[2] if len(values) > 2 else "") or None
    if code == "835":
        state.kinds.add("835")
        return read_835(state, segments, index, element, section.component, base, envelope)
    if code == "837":
        version = (values[3] if len(values) > 3 else "") or envelope.version_code
        claim_type = claim_type_of(version, segments, index, element)
        if claim_type is not None:
            state.kinds.add("837P" if claim_type == "professional" else "837I")
            return read_837(state, segments, index, element, section.component, base, envelope, claim_type)
    state.add(
        state.issue(
            "warning",
            "UNSUPPORTED_TRANSACTION",
            f"transaction set {code[:20]!r} ({values[3] if len(values) > 3 else envelope.version_code}) "
            "is not read: skipped",
            base + index,
            "ST",
            tcn,
        )
    )
    return skip_to_end(segments, index + 1, element)
