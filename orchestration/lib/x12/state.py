"""Per-file state shared by the envelope driver and the transaction-set readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from orchestration.lib.x12.model import Issue
from orchestration.lib.x12.values import BadElement

X12_TABLES = (
    "era_transactions",
    "era_claims",
    "era_service_lines",
    "era_adjustments",
    "era_remarks",
    "era_provider_adjustments",
    "x837_claims",
    "x837_service_lines",
    "x837_diagnoses",
)
ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST"})
# Beyond this many UNEXPECTED_SEGMENT issues in one file, further ones are only counted.
UNEXPECTED_ISSUE_LIMIT = 100
_COMPONENT_FALLBACKS = ":>^<|\\}!@`"


@dataclass
class Envelope:
    """The interchange and functional group around a transaction set."""

    control_number: str | None = None  # ISA13
    sender_id: str | None = None  # ISA06, trimmed
    interchange_date: date | None = None  # ISA09
    group_control_number: str | None = None  # GS06
    version_code: str | None = None  # GS08


# Element text -> value caches, shared by every file this process reads. A conversion depends on the
# text only (always run inside ``values.reading_context()``), so a cache filled by one file is valid for
# the next: remittances from the same payers repeat the same amounts and dates across files, and a
# folder of small 835s then converts each distinct amount once instead of once per file. Only valid
# values are stored (a bad element raises before it is cached) and each dict is cleared when it
# reaches ``values._CACHE_LIMIT`` entries, which bounds memory.
MONEY_CACHE: dict[str, Decimal | None] = {}
QUANTITY_CACHE: dict[str, Decimal | None] = {}
DATE_CACHE: dict[str, date | None] = {}


class FileState:
    """What every reader of one file appends to: tables, issues, value caches and counters."""

    def __init__(self, file_id: str, file_name: str) -> None:
        self.file_id = file_id
        self.file_name = file_name
        self.tables: dict[str, list[tuple]] = {name: [] for name in X12_TABLES}
        self.issues: list[Issue] = []
        self.money_cache = MONEY_CACHE
        self.quantity_cache = QUANTITY_CACHE
        self.date_cache = DATE_CACHE
        self.kinds: set[str] = set()
        self.loaded = 0
        self.rejected = 0
        self.unexpected = 0

    def issue(
        self,
        severity: str,
        code: str,
        reason: str,
        position: int | None = None,
        segment_id: str | None = None,
        control_number: str | None = None,
        raw_text: str | None = None,
    ) -> Issue:
        """Build an issue whose message names the file, the segment position and id, and the reason."""
        if position is None:
            where = "file"
        elif segment_id:
            where = f"segment {position} {segment_id}"
        else:
            where = f"after segment {position}"
        if control_number is not None:
            where += f" (transaction set {control_number})"
        return Issue(
            severity,
            code,
            f"{self.file_name}: {where}: {reason}",
            position,
            segment_id,
            control_number,
            raw_text[:500] if raw_text is not None else None,
        )

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def unexpected_segment(
        self, position: int, segment_id: str, reason: str, control_number: str | None, raw_text: str
    ) -> Issue | None:
        """An UNEXPECTED_SEGMENT warning, or ``None`` once the per-file limit is reached (still counted)."""
        self.unexpected += 1
        if self.unexpected > UNEXPECTED_ISSUE_LIMIT:
            return None
        return self.issue(
            "warning", "UNEXPECTED_SEGMENT", reason, position, segment_id[:20], control_number, raw_text
        )


def split_composite(value: str, component: str) -> list[str]:
    """Split a composite element; falls back to the separator the file actually uses.

    Some files declare one component separator in ISA16 and use another inside composites
    (LinuxForHealth 837s declare ``:`` and write ``>`` in CLM05), so when the declared one is absent
    the first conventional separator character found in the value is used instead.
    """
    if component in value:
        return value.split(component)
    for char in value:
        if char in _COMPONENT_FALLBACKS:
            return value.split(char)
    return [value]


def set_trailer_issues(
    state: FileState, segments: list[str], start: int, end: int, element: str, base: int, control: str
) -> tuple[int | None, int, list[Issue]]:
    """Check the SE at ``segments[end]`` of the set starting at ``start``: (SE01, actual count, issues).

    Count and control-number errors are warnings only: test files get them wrong all the time.
    """
    values = segments[end].split(element)
    declared_text = values[1] if len(values) > 1 else ""
    declared = int(declared_text) if declared_text.isascii() and declared_text.isdigit() else None
    if declared is not None and declared > 2**31 - 1:
        declared = None
    actual = end - start + 1
    issues = []
    position = base + end
    if declared != actual:
        issues.append(
            state.issue(
                "warning",
                "SE_COUNT",
                f"SE01 declares {declared_text[:20]!r} segments, the set has {actual}",
                position,
                "SE",
                control or None,
                segments[end],
            )
        )
    trailer_control = values[2] if len(values) > 2 else ""
    if trailer_control != control:
        issues.append(
            state.issue(
                "warning",
                "CONTROL_NUMBER_MISMATCH",
                f"SE02 {trailer_control[:40]!r} differs from ST02 {control[:40]!r}",
                position,
                "SE",
                control or None,
                segments[end],
            )
        )
    return declared, actual, issues


def truncate_rows(state: FileState, names: tuple[str, ...], marks: tuple[int, ...]) -> None:
    """Drop the rows a rejected set had appended to the tables ``names`` (their lengths were ``marks``)."""
    tables = state.tables
    for name, mark in zip(names, marks, strict=True):
        del tables[name][mark:]


def reject_bad_element(
    state: FileState,
    names: tuple[str, ...],
    marks: tuple[int, ...],
    segments: list[str],
    start: int,
    index: int,
    element: str,
    base: int,
    tcn: str,
    problem: Exception,
) -> int:
    """Reject the set for an unreadable element (its rows in ``names`` dropped back to ``marks``) and
    return where reading resumes: after its SE, or at the next envelope. ``problem``: the
    ``BadElement`` a converter raised (naming the value), or any other error of the set's reading."""
    value, reason = (
        (problem.value, problem.reason)
        if isinstance(problem, BadElement)
        else ("", f"unreadable ({problem})")
    )
    truncate_rows(state, names, marks)
    segment = segments[index] if index < len(segments) else ""
    values = segment.split(element)
    tag = values[0][:20]
    name = f"{tag}{values.index(value):02d}" if value and value in values[1:] else tag
    state.add(
        state.issue(
            "error",
            "BAD_ELEMENT",
            f"{name} value {value[:40]!r} {reason}: transaction set not loaded",
            base + index,
            tag,
            tcn or None,
            segment,
        )
    )
    state.rejected += 1
    return finish_rejected(state, segments, start, index + 1, element, base, tcn)


def finish_rejected(
    state: FileState, segments: list[str], start: int, index: int, element: str, base: int, tcn: str
) -> int:
    """After a rejection, skip to the set's end; its SE is still checked so count errors show."""
    resume = skip_to_end(segments, index, element)
    if resume > 0 and segments[resume - 1].split(element, 1)[0] == "SE":
        state.issues.extend(set_trailer_issues(state, segments, start, resume - 1, element, base, tcn)[2])
    return resume


def skip_to_end(segments: list[str], index: int, element: str) -> int:
    """Index after the next SE, or of the next envelope segment, or the end: where reading resumes."""
    count = len(segments)
    while index < count:
        tag = segments[index].split(element, 1)[0]
        if tag == "SE":
            return index + 1
        if tag in ENVELOPE_TAGS:
            return index
        index += 1
    return count
