"""Bytes to segments: decoding, delimiter detection per interchange, and segment splitting.

Real files break every fixed-offset assumption (X12_NOTES.md §1.1), so delimiters are read the
robust way: the element separator is the character after ``ISA``; the first 16 elements are split
with it; ISA16's first character is the component separator; the next non-whitespace character is
the segment terminator unless it is alphanumeric, in which case the newline terminates segments.
A file may hold several interchanges, each with its own delimiters, so the text is cut at each
``<terminator>ISA`` and every part is split with its own ISA's delimiters. Text without an ISA is
read from its first ``GS``/``ST`` with delimiters sniffed from the ``ST`` segment (``NO_ENVELOPE``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_ISA_ANYWHERE = re.compile(r"(?<![A-Za-z0-9])ISA(?=[^A-Za-z0-9\s])")
_ST_ANYWHERE = re.compile(r"(?<![A-Za-z0-9])ST([^A-Za-z0-9\s])[0-9A-Za-z]{3}\1")
_GS_OR_ST = re.compile(r"(?<![A-Za-z0-9])(?:GS|ST)(?=[^A-Za-z0-9\s])")
_WHITESPACE = " \t\r\n\x0b\x0c"
# Characters that may serve as a component separator when a file does not use the one it declares.
_COMPONENT_CANDIDATES = ":>^<|\\}!@`"
_COMPOSITE_ELEMENT = {"SVC": 1, "SV1": 1, "SV2": 2, "CLM": 5, "HI": 1, "PLB": 3}


@dataclass
class Section:
    """A run of segments read with one set of delimiters: one interchange, or headerless text.

    ``isa`` holds the ISA elements (index 0 = "ISA") when the section starts with one; ``None`` for
    a headerless section. ``segments`` are stripped and non-empty, in file order.
    """

    segments: list[str]
    element: str
    component: str
    repetition: str | None
    terminator: str
    isa: list[str] | None


@dataclass
class Tokenized:
    """The file as sections, plus what tokenizing found wrong (``(code, detail, raw_text)``)."""

    sections: list[Section] = field(default_factory=list)
    problems: list[tuple[str, str, str | None]] = field(default_factory=list)
    is_blank: bool = False


def decode(data: bytes) -> str:
    """Decode X12 bytes: UTF-8 (BOM tolerated) or UTF-16 (with or without BOM); never raises."""
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", "replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace").lstrip("\ufeff")
    head = data[:4]
    if len(head) == 4 and b"\x00" in head:
        if head[1] == 0 and head[3] == 0 and head[0] != 0:
            return data.decode("utf-16-le", "replace")
        if head[0] == 0 and head[2] == 0 and head[1] != 0:
            return data.decode("utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def without_line_breaks(body: str) -> str:
    """``body`` without CR and LF: line breaks are never data in X12 (a segment terminator other
    than a line break may be followed or preceded by them)."""
    if "\r" in body:
        body = body.replace("\r", "")
    if "\n" in body:
        body = body.replace("\n", "")
    return body


def _split_segments(body: str, terminator: str) -> list[str]:
    """Split on the terminator, strip whitespace (CR/LF, indentation) around each segment, drop blanks."""
    if terminator == "\n":
        return [text for part in body.splitlines() if (text := part.strip(_WHITESPACE))]
    body = without_line_breaks(body)
    parts = body.split(terminator)
    if needs_strip(body, terminator):
        return [text for part in parts if (text := part.strip(_WHITESPACE))]
    if parts and not parts[-1]:
        parts.pop()  # the terminator after the last segment
    return [part for part in parts if part] if "" in parts else parts


def needs_strip(body: str, terminator: str) -> bool:
    """Whether segments may carry whitespace around them (spaces or tabs next to terminators)."""
    return " " + terminator in body or terminator + " " in body or "\t" in body or body[:1] == " "


def _terminator_after(text: str, index: int, element: str) -> str | None:
    """The segment terminator starting at ``text[index]``, by the ISA16 rule; ``None`` if unreadable."""
    if index >= len(text):
        return None
    char = text[index]
    if char not in _WHITESPACE:
        return None if char.isalnum() or char == element else char
    saw_newline = False
    while index < len(text) and text[index] in _WHITESPACE:
        saw_newline = saw_newline or text[index] in "\r\n"
        index += 1
    if index < len(text) and not text[index].isalnum() and text[index] != element:
        return text[index]
    return "\n" if saw_newline or index >= len(text) else None


def _read_isa(text: str, start: int) -> tuple[list[str], str, str, str | None, str] | str:
    """Delimiters of the ISA at ``start``: (elements, element, component, repetition, terminator),
    or the reason they cannot be read."""
    element = text[start + 3]
    if element.isalnum() or element in _WHITESPACE:
        return f"element separator {element!r} is not a delimiter"
    head = text[start : start + 1024]
    parts = head.split(element, 16)
    if len(parts) < 17 or not parts[16]:
        return "ISA has fewer than 16 elements"
    component = parts[16][0]
    if component.isalnum() or component in _WHITESPACE or component == element:
        return f"component separator (ISA16) {component!r} is not a delimiter"
    isa16_index = start + len(head) - len(parts[16])
    terminator = _terminator_after(text, isa16_index + 1, element)
    if terminator is None or terminator == component:
        return "no segment terminator after ISA16"
    isa11 = parts[11].strip()
    repetition = (
        isa11 if len(isa11) == 1 and not isa11.isalnum() and isa11 not in (element, component) else None
    )
    elements = [*parts[:16], component]
    return elements, element, component, repetition, terminator


def _sniff_component(segments: list[str], element: str, terminator: str) -> str:
    """Component separator of headerless text, from the first composite element that shows one."""
    for segment in segments[:5000]:
        tag, _, rest = segment.partition(element)
        index = _COMPOSITE_ELEMENT.get(tag)
        if index is None:
            continue
        values = rest.split(element)
        if len(values) < index:
            continue
        for char in values[index - 1]:
            if char in _COMPONENT_CANDIDATES and char != terminator:
                return char
    return ":"


def _headerless(text: str, tokenized: Tokenized) -> None:
    """Read text without an ISA from its first GS/ST, sniffing delimiters from the ST segment."""
    st_match = _ST_ANYWHERE.search(text)
    if st_match is None:
        if text.strip(_WHITESPACE):
            tokenized.problems.append(("NOT_X12", "no ISA and no ST segment found", None))
        return
    element = st_match.group(1)
    index = st_match.end()
    while index < len(text) and (text[index].isalnum() or text[index] == element):
        index += 1
    terminator = _terminator_after(text, index, element)
    if terminator is None:
        terminator = "\n"
    start_match = _GS_OR_ST.search(text, 0, st_match.start() + 3)
    start = start_match.start() if start_match is not None else st_match.start()
    skipped = text[:start].strip(_WHITESPACE)
    if skipped:
        tokenized.problems.append(
            ("UNEXPECTED_SEGMENT", f"{len(skipped)} characters before the first GS/ST ignored", skipped[:200])
        )
    segments = _split_segments(text[start:], terminator)
    component = _sniff_component(segments, element, terminator)
    tokenized.problems.append(
        (
            "NO_ENVELOPE",
            f"no ISA interchange header: read with sniffed delimiters element {element!r}, "
            f"component {component!r}, terminator {terminator!r}",
            None,
        )
    )
    tokenized.sections.append(Section(segments, element, component, None, terminator, None))


def tokenize(data: bytes, split: Callable[[str, int, int, str], Any] | None = None) -> Tokenized:
    """Decode the bytes and cut them into sections of segments, one per interchange.

    ``split(text, start, end, terminator)`` cuts the interchange ``text[start:end]`` into segments
    (default: ``_split_segments`` of that slice, a list of str). The columnar 835 reader passes one
    that keeps the span and cuts it later, in Arrow (``columnar835._Body``): slicing the decoded
    text copied every file once more while holding the interpreter lock.
    """
    tokenized = Tokenized()
    text = decode(data)
    if not text[:4096].strip(_WHITESPACE + "\x00\ufeff") and not text.strip(_WHITESPACE + "\x00\ufeff"):
        tokenized.is_blank = True
        return tokenized
    match = _ISA_ANYWHERE.search(text)
    if match is None:
        _headerless(text, tokenized)
        return tokenized
    before = text[: match.start()]
    if before.strip(_WHITESPACE + "\ufeff"):
        if _ST_ANYWHERE.search(before) is not None:
            _headerless(before, tokenized)
        else:
            skipped = before.strip(_WHITESPACE)
            tokenized.problems.append(
                (
                    "UNEXPECTED_SEGMENT",
                    f"{len(skipped)} characters before the first ISA ignored",
                    skipped[:200],
                )
            )
    start: int | None = match.start()
    while start is not None:
        read = _read_isa(text, start)
        if isinstance(read, str):
            raw = text[start : start + 120]
            tokenized.problems.append(("BAD_ISA", read, raw))
            following = _ISA_ANYWHERE.search(text, start + 3)
            start = following.start() if following is not None else None
            continue
        elements, element, component, repetition, terminator = read
        boundary = re.compile(re.escape(terminator) + r"[ \t\r\n]*ISA(?=[^A-Za-z0-9\s])")
        # most files hold one interchange: a plain substring scan rules the regex out at C speed
        following = boundary.search(text, start + 3) if text.find("ISA", start + 3) != -1 else None
        end = following.end() - 3 if following is not None else len(text)
        segments = (
            split(text, start, end, terminator)
            if split is not None
            else _split_segments(text[start:end], terminator)
        )
        tokenized.sections.append(Section(segments, element, component, repetition, terminator, elements))
        start = following.end() - 3 if following is not None else None
    return tokenized
