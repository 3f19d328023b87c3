"""X12 text for the demo: envelopes, 837P/837I claim loops and 835 claim-payment loops.

Delimiters are fixed for the demo (``*`` element, ``^`` repetition, ``:`` component, ``~`` segment
terminator followed by a newline so files read well in a pager). The ISA is padded to its fixed
width of 106 characters including the terminator. Every function returns segments as text with
their count, so the caller can write SE01 without re-parsing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TextIO

from orchestration.demo.money import x12_amount

ELEMENT = "*"
REPETITION = "^"
COMPONENT = ":"
TERMINATOR = "~"
SEGMENT_END = "~\n"

SUBMITTER_ID = "MAPLEGROVEDEMO"
SUBMITTER_NAME = "MAPLE GROVE BILLING OFFICE DEMO"
CLEARINGHOUSE_ID = "DEMOCLEARHOUSE"
CLEARINGHOUSE_NAME = "DEMO CLEARINGHOUSE"
PRACTICE_RECEIVER_ID = "MAPLEGROVEDEMO"
ENVELOPE_TIME = "0800"

VERSION_837P = "005010X222A1"
VERSION_837I = "005010X223A2"
VERSION_835 = "005010X221A1"


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def seg(*elements: str) -> str:
    """One segment with its terminator; trailing empty elements are dropped (X12 rule)."""
    items = list(elements)
    while items and items[-1] == "":
        items.pop()
    return ELEMENT.join(items) + SEGMENT_END


def isa(sender: str, receiver: str, day: date, control_number: int) -> str:
    """ISA of fixed width: 106 characters up to and including the segment terminator."""
    text = ELEMENT.join(
        (
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            f"{sender:<15}"[:15],
            "ZZ",
            f"{receiver:<15}"[:15],
            day.strftime("%y%m%d"),
            ENVELOPE_TIME,
            REPETITION,
            "00501",
            f"{control_number:09d}",
            "0",
            "P",
            COMPONENT,
        )
    )
    text += TERMINATOR
    if len(text) != 106:
        raise AssertionError(f"ISA must be 106 characters, built {len(text)}")
    return text + "\n"


def gs(functional_code: str, sender: str, receiver: str, day: date, control_number: int, version: str) -> str:
    return seg(
        "GS", functional_code, sender, receiver, ymd(day), ENVELOPE_TIME, str(control_number), "X", version
    )


def composite(*parts: str) -> str:
    items = list(parts)
    while items and items[-1] == "":
        items.pop()
    return COMPONENT.join(items)


def cas_segments(triplets: Sequence[tuple[str, str, int]]) -> list[str]:
    """CAS segments: one per group code (in first-seen order), at most 6 triplets per segment."""
    by_group: dict[str, list[tuple[str, int]]] = {}
    for group, carc, amount in triplets:
        by_group.setdefault(group, []).append((carc, amount))
    out: list[str] = []
    for group, pairs in by_group.items():
        for start in range(0, len(pairs), 6):
            elements = ["CAS", group]
            for carc, amount in pairs[start : start + 6]:
                elements.extend((carc, x12_amount(amount), ""))
            out.append(seg(*elements))
    return out


class InterchangeWriter:
    """Writes interchanges to an open text file, counting segments for SE01/GE01/IEA01."""

    def __init__(self, handle: TextIO, functional_code: str, version: str) -> None:
        self.handle = handle
        self.functional_code = functional_code
        self.version = version
        self.transaction_count = 0
        self.bytes_written = 0

    def _write(self, text: str) -> None:
        self.handle.write(text)
        self.bytes_written += len(text)

    def interchange(
        self,
        sender: str,
        receiver: str,
        day: date,
        control_number: int,
        transactions: Iterable[tuple[str, int]],
    ) -> None:
        """One ISA/GS with the given transaction sets (each: full text from ST to SE, segment count).

        GS06 is the interchange control number (unique per sender, as ISA13); GE01 counts the sets.
        """
        self._write(isa(sender, receiver, day, control_number))
        self._write(
            gs(self.functional_code, sender.strip(), receiver.strip(), day, control_number, self.version)
        )
        count = 0
        for text, _segments in transactions:
            self._write(text)
            count += 1
        self.transaction_count += count
        self._write(seg("GE", str(count), str(control_number)))
        self._write(seg("IEA", "1", f"{control_number:09d}"))
