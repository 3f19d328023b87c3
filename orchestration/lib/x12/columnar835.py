"""A columnar fast path for well-formed 835 files: the same rows as ``parse_x12``, in Arrow kernels.

``parse_x12`` (``reader.py`` with ``era835.py``) is the reference: one Python loop over the segments,
about 2.5 µs per segment, plus as much again to turn its row tuples into Arrow. This module reads the
same interchange without a Python step per segment: the tokenizer's segment strings become one Arrow
string array; ``split_pattern`` splits every segment into elements at once; the loop structure
(header, claim 2100, line 2110, PLB trailer) comes from running maxima of segment indices in NumPy;
each raw-table column is one ``take`` of element k over the segments that carry it; amounts are cast
from text to ``decimal128(18,2)`` by Arrow and summed as integer cents; "the last segment wins" (two
``DTM*232`` in a claim) is the last row per group of a sorted index.

It only takes files it can read exactly like the reference. Anything the reference would report
other than a balancing difference (a tokenizer problem, an unexpected or misplaced segment, a count or
control-number mismatch, a set that is not an 835, a missing BPR16, an amount with more than two
decimals, an unreadable date, a composite written with another separator, negative zero ...) makes
``read_835_columnar`` return ``None`` and the caller reads the file with ``parse_x12``. The tests
compare both readers' tables, issues and counts on every sample, demo and random file the fast path
accepts (``tests/x12/test_x12_columnar.py``). ADR 0002 records why and what it measured.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.lib.x12.envelope import _WHITESPACE, Section, tokenize, without_line_breaks
from orchestration.lib.x12.era835 import _IGNORED, read_header_party, transaction_row
from orchestration.lib.x12.model import ParseResult
from orchestration.lib.x12.state import (
    DATE_CACHE,
    MONEY_CACHE,
    QUANTITY_CACHE,
    X12_TABLES,
    FileState,
    split_composite,
)
from orchestration.lib.x12.tables import arrow_schema, decimal_array, decimal_units
from orchestration.lib.x12.values import (
    BadElement,
    interchange_date,
    reading_context,
    to_date,
    to_money,
    to_quantity,
)

# Below this size the reference reader is as fast on a file read alone (the kernels' fixed cost per
# call, ~300 calls a file, outweighs its per-segment cost): measured in docs/benchmarks.md. Files read
# together (the loader's chunks) share those calls, and any size is worth it.
MIN_COLUMNAR_BYTES = 512 * 1024


def columnar_candidate(data: bytes, min_bytes: int = MIN_COLUMNAR_BYTES) -> bool:
    """Worth trying the columnar reader: an interchange-wrapped file without an 837 in it, of at least
    ``min_bytes`` when read alone (several small ones are read together: ``read_835_columnar_many``)."""
    return len(data) >= min_bytes and data[:3] == b"ISA" and (b"ST" + data[3:4] + b"837") not in data


# The segments the reader handles, in code order, then those the reference reads past without a word.
_HANDLED = "ISA IEA GS GE ST SE BPR TRN REF DTM N1 CLP CAS NM1 MIA MOA AMT SVC LQ PLB".split()  # noqa: SIM905
_TAGS = [*_HANDLED, *sorted(_IGNORED)]
ISA, IEA, GS, GE, ST, SE, BPR, TRN, REF, DTM, N1, CLP, CAS, NM1, MIA, MOA, AMT, SVC, LQ, PLB = range(
    len(_HANDLED)
)
_TAG_SET = pa.array(_TAGS)
_ENVELOPE = np.array([ISA, IEA, GS, GE, ST, SE])
# loop a marker segment opens: ST header 0, CLP claim 1, SVC line 2, PLB trailer 3
_LOOP_OF = np.full(len(_TAGS), -1, np.int8)
_LOOP_OF[[ST, CLP, SVC, PLB]] = [0, 1, 2, 3]
_NULL = pa.scalar(None, pa.string())
_M2 = pa.decimal128(18, 2)
_M3 = pa.decimal128(18, 3)
_DATE_TYPE = pa.date32()
# digits with an optional sign and point, at most 15 before the point: a value every decimal(18,2)
# and decimal(18,3) holds, parsed by Arrow as Decimal parses it; anything else takes the exact path
_PLAIN_NUMBER = r"^-?(?:[0-9]{1,15}(?:\.[0-9]*)?|\.[0-9]+)$"
_DIGIT_0, _POINT, _MINUS = ord("0"), ord("."), ord("-")


def plain_numbers(texts: pa.Array) -> bool:
    """Whether every non-empty text of a string array matches ``_PLAIN_NUMBER``, read from its
    bytes in NumPy: RE2 matching the pattern text by text cost 26 of the 227 ms of one 10 MB 835.
    """
    if texts.null_count or not isinstance(texts, pa.StringArray):
        return (
            pc.all(pc.or_(pc.equal(texts, ""), pc.match_substring_regex(texts, _PLAIN_NUMBER))).as_py()
            is not False
        )
    _validity, offsets_buffer, data_buffer = texts.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32)[texts.offset : texts.offset + len(texts) + 1]
    if not len(texts) or offsets[-1] == offsets[0]:
        return True
    data = np.frombuffer(data_buffer, np.uint8)[offsets[0] : offsets[-1]]
    starts = (offsets[:-1] - offsets[0]).astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    digit = (data - np.uint8(_DIGIT_0)) < 10  # wraps below "0": one comparison
    point = data == _POINT
    minus = data == _MINUS
    if not (digit | point | minus).all():
        return False
    present = lengths > 0
    signed = np.zeros(len(texts), bool)
    signed[present] = minus[starts[present]]
    if np.count_nonzero(minus) != np.count_nonzero(signed):
        return False  # a minus sign other than first
    at = np.flatnonzero(point)
    owner = np.searchsorted(starts, at, "right") - 1  # the text each point is in
    if len(owner) > 1 and not np.diff(owner).all():
        return False  # two points in one text
    integer = lengths.copy()
    integer[owner] = at - starts[owner]  # characters before the point
    integer -= signed
    digits = lengths - signed
    digits[owner] -= 1
    # at least one digit (not "-", ".", "-."), at most 15 before the point
    return not (present & ((digits < 1) | (integer > 15))).any()


class _Fallback(Exception):
    """The file holds something only the reference reader reports exactly."""


# Whatever makes the columnar reader decline a file (the reference reader then reads it).
_DECLINE = (_Fallback, BadElement, pa.ArrowException, ValueError, OverflowError)

T = TypeVar("T")


def read_835_columnar(data: bytes, file_id: str, file_name: str) -> ParseResult | None:
    """The ``ParseResult`` of a well-formed 835 file with ``arrow`` tables, or ``None``.

    ``None`` means: read it with ``parse_x12``. The result then equals ``parse_x12``'s (its tables as
    ``to_arrow`` gives them, its issues and counts); ``tables`` holds empty lists, ``arrow`` the rows.
    """
    return read_835_columnar_many([(data, file_id, file_name)])[0]


def read_835_columnar_many(files: Sequence[tuple[bytes, str, str]]) -> list[ParseResult | None]:
    """``read_835_columnar`` for several files ``(data, file_id, file_name)`` in one pass.

    Small files cost the columnar reader its ~300 kernel calls each; read together they share them.
    If anything in the batch makes it decline, the batch is halved and each half read again, down to
    single files: one odd file costs the others about one more pass, never their columnar result.
    """
    results: list[ParseResult | None] = [None] * len(files)
    prepared: list[tuple[int, FileState, list[Section]]] = []
    for index, (data, file_id, file_name) in enumerate(files):
        try:
            tokenized = tokenize(data, split=_body_maker(data))
        except _DECLINE:
            continue
        if tokenized.is_blank or tokenized.problems or not tokenized.sections:
            continue
        if any(section.isa is None for section in tokenized.sections):
            continue
        prepared.append((index, FileState(file_id, file_name), tokenized.sections))
    try:
        _split_bodies([section.segments for _index, _state, sections in prepared for section in sections])
    except _DECLINE:
        return results
    for index, result in _read_halving(prepared).items():
        results[index] = result
    return results


# A lone 835 at least this large is worth reading in pieces on two threads.
SPLIT_MIN_BYTES = 8_000_000
# ... in pieces of about this size, two at a time: the arrays a piece is read through take about
# nine times its size, so the pieces, not the file, set that part of the peak. One 250 MB 835 in two
# halves peaked at 3,510-3,755 MB; in 16 pieces of 16 MB at 2,511-2,535 MB (6.9-7.4 s); in 8 of
# 32 MB at 2,416-2,443 MB (6.1-6.4 s, against 8.0 s in halves), where the insert sets the peak.
PIECE_BYTES = 32_000_000


def piece_count(size: int) -> int:
    """How many pieces a lone 835 of ``size`` bytes is read in: an even number (two threads each
    read the same share), at least two, pieces of about ``PIECE_BYTES``."""
    return 2 * max(1, round(size / (2 * PIECE_BYTES)))


def read_835_columnar_split(
    data: bytes, file_id: str, file_name: str, pieces: int | None = None
) -> ParseResult | None:
    """``read_835_columnar`` of one large file on two threads, or ``None`` (then read it whole).

    Its interchange is cut before transaction sets into ``pieces`` interchanges (default
    ``piece_count``): the first closed with a GE counting its sets and the file's IEA, each other
    opened with the file's ISA and GS and closed with a GE counting its sets (the last with the
    file's IEA). They are read two at a time (the kernels release the interpreter lock) with the
    file's own segment positions, and their results are joined in file order: the same tables,
    issues and counts as the file read whole. Only a file with one interchange, one functional
    group, two sets or more and trailers that count right is cut (the trailers are checked here as
    the whole read would check them); if any piece is declined, so is the file.
    """
    try:
        tokenized = tokenize(data, split=_body_maker(data))
        if tokenized.is_blank or tokenized.problems or len(tokenized.sections) != 1:
            return None
        section = tokenized.sections[0]
        if section.isa is None:
            return None
        cut = _text_pieces(section, pieces or piece_count(len(data)))
        if cut is None:  # cut in two where the segments are split (a file _text_pieces cannot cut)
            _split_bodies([section.segments])
            cut = _halves(section)
    except _DECLINE:
        return None
    if cut is None:
        return None
    sections, firsts, count = cut
    del tokenized, section, cut  # the whole text: each piece holds its own segments now
    read = _two_at_a_time(
        _read_piece,
        [(piece, file_id, file_name, first) for piece, first in zip(sections, firsts, strict=True)],
    )
    if any(result is None or result.arrow is None for result in read):
        return None
    return ParseResult(
        file_id=file_id,
        kind="835",
        tables={name: [] for name in X12_TABLES},
        # sorted by set within each piece, the pieces in file order
        issues=[issue for result in read for issue in result.issues],
        transactions_loaded=sum(result.transactions_loaded for result in read),
        transactions_rejected=0,
        segment_count=count,
        arrow={name: pa.concat_tables([result.arrow[name] for result in read]) for name in X12_TABLES},
    )


def _two_at_a_time(work: Callable[..., T], calls: list[tuple]) -> list[T]:
    """``work(*call)`` for every call, two at a time on two threads (the kernels release the
    interpreter lock); the results in order, or the first exception (after the running calls end;
    the calls not started are dropped)."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rcm-835-piece")
    try:
        return list(pool.map(lambda call: work(*call), calls))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _text_pieces(section: Section, pieces: int) -> tuple[list[Section], list[int], int] | None:
    """``_halves`` with the interchange's text cut in ``pieces`` before its segments are split, and
    the pieces split two at a time (splitting 50 MB of text on one thread took 0.19-0.43 s before
    the reads of its pieces could start). Each cut is before the first ``ST`` right after a terminator (line
    breaks between them allowed) past its share of the text; fewer pieces where no such ``ST`` is
    left. None when the text gives no cut that reads like the whole: no such ``ST`` past the first
    share, padding in some pieces only (the whole read strips every segment of a body or none), or
    an envelope ``_halves`` would not cut either. Raises what ``_check_trailer`` raises where the
    whole read would report a trailer.
    """
    body = section.segments
    assert isinstance(body, _Body)
    text, terminator, element = body.source, body.terminator, section.element
    first, size = body.start, body.end - body.start
    # a segment starts after a terminator, line breaks dropped (``_split_bodies``): ``~\r\nST*`` starts
    # a transaction set; spaces are left out so that no padding spans a cut
    set_start = re.compile(re.escape(terminator) + r"[\r\n]*ST" + re.escape(element))
    cuts = [first]
    for number in range(1, pieces):
        found = set_start.search(text, max(first + size * number // pieces, cuts[-1] + 1), body.end)
        if found is None:
            break
        cuts.append(found.start() + len(terminator))
    if len(cuts) < 2:
        return None
    bodies = [
        _Body(text, terminator, start, end, body.data)
        for start, end in zip(cuts, [*cuts[1:], body.end], strict=True)
    ]
    facts = _two_at_a_time(_envelope_facts, [(piece, element) for piece in bodies])
    if len({piece.padded for piece in bodies}) != 1:
        return None
    last = len(bodies[-1])
    # the whole interchange: ISA and GS first, one of each; sets in every piece, each piece but the
    # first opening one; GE and IEA last
    if not (
        all(len(sets) >= 1 for sets, _tags in facts)
        and all(sets[0] == 0 for sets, _tags in facts[1:])
        and facts[0][1] == [(0, "ISA"), (1, "GS")]
        and all(tags == [] for _sets, tags in facts[1:-1])
        and facts[-1][1] == [(last - 2, "GE"), (last - 1, "IEA")]
    ):
        return None
    return _interchanges(section, [piece.segments for piece in bodies], [len(sets) for sets, _tags in facts])


def _envelope_facts(body: _Body, element: str) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Split ``body`` (``_split_bodies``); then ``_sets_and_envelope`` of its segments."""
    _split_bodies([body])
    assert body.segments is not None
    return _sets_and_envelope(body.segments, element)


def _sets_and_envelope(segments: pa.Array, element: str) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """The indices of the ``ST`` segments, and (index, tag) of the ISA, GS, GE and IEA segments (a
    single ``(-1, "")`` when there are more than 8 of those: not one interchange with one group)."""
    sets = np.nonzero(np.asarray(pc.starts_with(segments, "ST" + element)))[0]
    envelope = np.nonzero(
        np.asarray(pc.match_substring_regex(segments, "^(?:ISA|GS|GE|IEA)" + re.escape(element)))
    )[0]
    if len(envelope) > 8:
        return sets, [(-1, "")]  # not the shape of one interchange with one group
    tags = [(int(index), segments[int(index)].as_py().split(element, 1)[0]) for index in envelope]
    return sets, tags


def _halves(section: Section) -> tuple[list[Section], list[int], int] | None:
    """The two interchanges ``read_835_columnar_split`` reads, the segment position of each one's
    first segment, and the count of the file's segments; None when the file does not have the shape
    it needs."""
    segments = section.segments.segments
    element = section.element
    count = len(segments)
    if count < 10:
        return None
    # one interchange with one group: ISA and GS first, GE and IEA last, none of them elsewhere
    sets, tags = _sets_and_envelope(segments, element)
    if tags != [(0, "ISA"), (1, "GS"), (count - 2, "GE"), (count - 1, "IEA")] or len(sets) < 2:
        return None
    cut = int(sets[len(sets) // 2])
    head_sets = len(sets) // 2
    return _interchanges(
        section, [segments.slice(0, cut), segments.slice(cut)], [head_sets, len(sets) - head_sets]
    )


def _interchanges(
    section: Section, pieces: list[pa.Array], sets: list[int]
) -> tuple[list[Section], list[int], int]:
    """The interchanges of a file cut before transaction sets into ``pieces`` (the first holds the
    file's ISA and GS, the last its GE and IEA; ``sets``: the count of sets in each): the first
    closed with a GE counting its sets and the file's IEA, each other opened with the file's ISA and
    GS and closed the same way. Also the segment position each one's first segment reads as (so the
    opening ISA and GS of a later piece take the two positions before its first set's ST), and the
    file's segment count. Raises ``_Fallback`` where the whole read would report the file's GE or
    IEA (``_Batch._envelope``'s checks): the reference reader reports wrong counts, so such a file
    is not cut.
    """
    element = section.element
    head, tail = pieces[0], pieces[-1]
    gs = head[1].as_py()
    ge, iea = tail.slice(len(tail) - 2, 2).to_pylist()
    gs_values, ge_values, iea_values = (text.split(element) for text in (gs, ge, iea))
    isa_values = section.isa or []
    _check_trailer(ge_values, sum(sets), (gs_values[6] if len(gs_values) > 6 else "") or None)
    _check_trailer(iea_values, 1, (isa_values[13].strip() if len(isa_values) > 13 else "") or None)
    opening = head.slice(0, 2)
    sections, firsts = [], []
    position = 1  # of the piece's first segment of the file
    for number, (piece, count) in enumerate(zip(pieces, sets, strict=True)):
        own = piece.slice(0, len(piece) - 2) if number == len(pieces) - 1 else piece
        closing = pa.array([element.join(["GE", str(count), *ge_values[2:]]), iea], pa.string())
        sections.append(
            _section_of(section, pa.concat_arrays([own, closing] if number == 0 else [opening, own, closing]))
        )
        firsts.append(position if number == 0 else position - 2)
        position += len(own)
    return sections, firsts, sum(len(piece) for piece in pieces)


def _section_of(section: Section, segments: pa.Array) -> Section:
    body = _Body("", section.terminator)  # its text is never read again: only its segments
    body.segments = segments
    return dataclasses.replace(section, segments=body)  # type: ignore[arg-type]


def _read_piece(section: Section, file_id: str, file_name: str, first_position: int) -> ParseResult | None:
    try:
        return _read_prepared([(0, FileState(file_id, file_name), [section])], first_position)[0]
    except _DECLINE:
        return None


def _read_halving(prepared: list[tuple[int, FileState, list[Section]]]) -> dict[int, ParseResult]:
    if not prepared:
        return {}
    try:
        return _read_prepared(prepared)
    except _DECLINE:
        if len(prepared) == 1:
            return {}
        middle = len(prepared) // 2
        return {**_read_halving(prepared[:middle]), **_read_halving(prepared[middle:])}


def _read_prepared(
    prepared: list[tuple[int, FileState, list[Section]]], first_position: int = 1
) -> dict[int, ParseResult]:
    """The files' tokenized interchanges in one ``_Batch``; results by the caller's file index.

    ``first_position``: the segment position of each file's first segment (1; a later piece of a
    file read in pieces, ``read_835_columnar_split``, starts further on).
    """
    parts: list[tuple[Section, int, int]] = []
    segment_counts = []
    for number, (_index, _state, sections) in enumerate(prepared):
        base = first_position
        for section in sections:
            parts.append((section, base, number))
            base += len(section.segments)
        segment_counts.append(base - 1)
    states = [state for _index, state, _sections in prepared]
    with reading_context():
        batch = _Batch(parts, states)
        tables = batch.tables()
    count = len(prepared)
    batch_tables = BatchTables(tables, batch.row_files, count)
    issues: list[list[tuple[tuple, object]]] = [[] for _ in prepared]
    for key, issue in batch.issues:
        issues[key[0]].append((key, issue))
    sets = np.bincount(batch.row_files["era_transactions"], minlength=count)
    out = {}
    for number, (index, state, _sections) in enumerate(prepared):
        arrow = FileTables(batch_tables, number)
        out[index] = ParseResult(
            file_id=state.file_id,
            kind="835",
            tables={name: [] for name in X12_TABLES},
            issues=[issue for _key, issue in sorted(issues[number], key=lambda item: item[0])],
            transactions_loaded=int(sets[number]),
            transactions_rejected=0,
            segment_count=segment_counts[number],
            arrow=arrow,
        )
    return out


class BatchTables:
    """The era_* tables of a batch of files read in one pass (file after file), and where each
    file's rows are: ``rows(name, first, stop)`` slices the rows of files ``first..stop-1`` out."""

    def __init__(self, tables: dict[str, pa.Table], row_files: dict[str, np.ndarray], count: int) -> None:
        self.tables = {
            name: tables[name] if name in tables else arrow_schema(name).empty_table() for name in X12_TABLES
        }
        none = np.zeros(0, np.int64)
        self.starts = {  # per table: the first row of each file, then the row count
            name: np.concatenate(([0], np.cumsum(np.bincount(row_files.get(name, none), minlength=count))))
            for name in X12_TABLES
        }

    def count(self, name: str, first: int, stop: int) -> int:
        starts = self.starts[name]
        return int(starts[stop] - starts[first])

    def rows(self, name: str, first: int, stop: int) -> pa.Table:
        return self.tables[name].slice(int(self.starts[name][first]), self.count(name, first, stop))


class FileTables(Mapping):
    """One file's era_* tables (``ParseResult.arrow``) as slices of its batch's, cut when asked for.

    A chunk's loader takes a run of the batch's files as one slice (``batch``, ``number``) and never
    asks for the files' own: slicing six tables for each of 1,219 small 835s and freeing the slices
    again held the interpreter lock for 19 % of the time it was held while two threads read them.
    """

    __slots__ = ("batch", "number")

    def __init__(self, batch: BatchTables, number: int) -> None:
        self.batch = batch
        self.number = number

    def __getitem__(self, name: str) -> pa.Table:
        if name not in self.batch.tables:
            raise KeyError(name)
        return self.batch.rows(name, self.number, self.number + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self.batch.tables)

    def __len__(self) -> int:
        return len(self.batch.tables)

    def count(self, name: str) -> int:
        """The file's rows in table ``name``, without slicing."""
        return self.batch.count(name, self.number, self.number + 1)


class _Body:
    """An interchange as ``tokenize`` cuts it out: its span ``start:end`` of the file's decoded text
    and, when the file is ASCII (each character one byte), of the file's bytes. ``_split_bodies``
    splits a batch's at once, from the bytes where it has them (``_texts_to_split``)."""

    def __init__(
        self, source: str, terminator: str, start: int = 0, end: int | None = None, data: bytes | None = None
    ) -> None:
        if terminator == "\n":
            raise _Fallback  # str.splitlines semantics: left to the reference tokenizer
        self.source = source
        self.start = start
        self.end = len(source) if end is None else end
        # the same characters as ``source``, one byte each, or None
        self.data = data if data is not None and len(data) == len(source) else None
        self.terminator = terminator
        self.segments: pa.Array | None = None
        self.padded = False  # its segments were stripped of whitespace (``_split_bodies``)

    @property
    def text(self) -> str:
        """The interchange's text (a copy, unless it is the whole of the file's)."""
        if self.start == 0 and self.end == len(self.source):
            return self.source
        return self.source[self.start : self.end]

    def __len__(self) -> int:
        assert self.segments is not None
        return len(self.segments)


def _split_bodies(bodies: list[_Body]) -> None:
    """``envelope._split_segments`` for many interchanges in a few Arrow kernel calls.

    Per body, as the reference: line breaks removed; if a segment may be padded (a space or tab next
    to a terminator, or a leading space) every segment is stripped of whitespace; empty ones dropped.
    Sets ``body.segments`` to a string array.
    """
    by_terminator: dict[str, list[_Body]] = {}
    for body in bodies:
        by_terminator.setdefault(body.terminator, []).append(body)
    for terminator, group in by_terminator.items():
        texts, ends_spaced, tabbed = _texts_to_split(group, terminator)
        split = pc.split_pattern(texts, terminator)
        segments = split.flatten()
        offsets = np.asarray(split.offsets)
        body_of = np.repeat(np.arange(len(group)), np.diff(offsets))
        if terminator in string.punctuation:
            padded = ends_spaced | tabbed | _spaced_at_terminators(segments, offsets, body_of, len(group))
        else:  # a terminator that is not punctuation (a space, a control character): search the texts
            spaced = pc.starts_with(texts, " ")
            for pattern in (" " + terminator, terminator + " "):
                spaced = pc.or_(spaced, pc.match_substring(texts, pattern))
            padded = np.asarray(spaced) | ends_spaced | tabbed
        if padded.any():
            segments = pc.if_else(
                pa.array(padded[body_of]), pc.utf8_trim(segments, characters=_WHITESPACE), segments
            )
        keep = np.asarray(pc.not_equal(segments, ""))
        if not keep.all():
            segments = segments.filter(pa.array(keep))
            body_of = body_of[keep]
        if segments.nbytes >= 2**31:
            raise _Fallback
        segments = segments.cast(pa.string())
        counts = np.bincount(body_of, minlength=len(group))
        start = 0
        for body, count, stripped in zip(group, counts.tolist(), padded.tolist(), strict=True):
            body.segments = segments.slice(start, count)
            body.padded = stripped
            start += count


def _spaced_at_terminators(
    segments: pa.Array, offsets: np.ndarray, body_of: np.ndarray, bodies: int
) -> np.ndarray:
    """Per body, ``needs_strip`` but for tabs and the cut terminator (``_texts_to_split``): a space
    after a terminator or at the text's start is a segment starting with one; a space before a
    terminator, a segment ending with one that a terminator follows (each of a body's segments but
    its last). Two cheap kernels on the segments instead of a regex over the texts (11 against
    54 ms on the 44 MB of the 100k demo's small 835s)."""
    starts = np.asarray(pc.starts_with(segments, " "))
    ends = np.array(pc.ends_with(segments, " "))
    ends[offsets[1:][np.diff(offsets) > 0] - 1] = False  # a body's last segment: no terminator after it
    return np.bincount(body_of, weights=starts | ends, minlength=bodies) > 0


def _texts_to_split(group: list[_Body], terminator: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The bodies' texts as one Arrow array, line breaks removed and the terminator after the last
    segment cut off (else every body splits off an empty segment, and dropping those is a ``filter``
    copying every segment). Also which bodies ended in a space and that terminator (padding
    ``needs_strip`` sees, and the cut text no longer shows), and which hold a tab.

    A body with its file's bytes (ASCII) goes into Arrow as a view of them, its line breaks removed
    by Arrow's ``replace_substring``; the others as Python text (``without_line_breaks``, then
    converted). Slicing, ``str.replace`` and the conversion each copy the text while holding the
    interpreter lock: with two reader threads on the 100k demo's small 835s they were 24 % of the
    time the lock was held (docs/benchmarks.md, "Runs of 2026-12-01 15:26"). Arrow's replacement is
    no faster on one thread (8.8 against 8.3 ms on one 10 MB 835, and moving it alone into Arrow
    saved nothing: "Runs of 2026-12-01 05:21"); taking all three copies off the lock did.
    """
    ends_spaced = np.zeros(len(group), bool)
    tabbed = np.zeros(len(group), bool)
    pieces: list[pa.Array] = []
    texts: list[str] = []  # consecutive bodies without bytes, converted together
    carriage_returns = line_feeds = False
    terminator_byte = ord(terminator) if len(terminator) == 1 and terminator.isascii() else -1
    for number, body in enumerate(group):
        data = body.data
        if data is None or terminator_byte < 0:
            text = without_line_breaks(body.text)
            tabbed[number] = "\t" in text
            if text.endswith(terminator):
                ends_spaced[number] = text.endswith(" " + terminator)
                text = text[: -len(terminator)]
            texts.append(text)
            continue
        if texts:
            pieces.append(pa.array(texts, pa.large_string()))
            texts = []
        start, stop = body.start, body.end
        while stop > start and data[stop - 1] in _LINE_BREAK_BYTES:
            stop -= 1
        if stop > start and data[stop - 1] == terminator_byte:
            stop -= 1
            before = stop
            while before > start and data[before - 1] in _LINE_BREAK_BYTES:
                before -= 1
            ends_spaced[number] = before > start and data[before - 1] == _SPACE_BYTE
        tabbed[number] = data.find(b"\t", start, stop) >= 0
        carriage_returns = carriage_returns or data.find(b"\r", start, stop) >= 0
        line_feeds = line_feeds or data.find(b"\n", start, stop) >= 0
        offsets = pa.py_buffer(np.array([start, stop], np.int64))
        pieces.append(pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]))
    if texts:
        pieces.append(pa.array(texts, pa.large_string()))
    joined = pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]
    if carriage_returns:
        joined = pc.replace_substring(joined, "\r", "")
    if line_feeds:
        joined = pc.replace_substring(joined, "\n", "")
    return joined, ends_spaced, tabbed


_LINE_BREAK_BYTES = (ord("\r"), ord("\n"))
_SPACE_BYTE = ord(" ")


def _body_maker(data: bytes) -> Callable[[str, int, int, str], _Body]:
    """``tokenize``'s ``split`` for the columnar reader: a ``_Body`` of each interchange's span,
    with the file's bytes when they are the decoded text's characters one for one (ASCII, starting
    with ``ISA``: no byte-order mark or UTF-16 for ``decode`` to take off)."""
    # bytes only: Arrow's views of a bytearray would see it change under them
    ascii_bytes = data if type(data) is bytes and data[:3] == b"ISA" and data.isascii() else None

    def make(text: str, start: int, end: int, terminator: str) -> _Body:
        return _Body(text, terminator, start, end, ascii_bytes)

    return make


def _money_text(value: int) -> str:
    return str(Decimal(int(value)).scaleb(-2))


class _Batch:
    """Interchanges (of one or several files) read column by column; ``tables()`` returns the era_*
    Arrow tables of all of them, file after file, and ``row_files`` which file each row is from."""

    def __init__(self, parts: list[tuple[Section, int, int]], states: list[FileState]) -> None:
        """``parts``: (interchange, file-wide position of its first segment, file number in ``states``)."""
        first = parts[0][0]
        for section, _base, _file in parts:
            if section.isa is None or (section.element, section.component) != (
                first.element,
                first.component,
            ):
                raise _Fallback  # one pass needs one set of separators
        self.states = states
        self.file_ids = pa.array([state.file_id for state in states], pa.string())
        pieces = [part[0].segments.segments for part in parts]  # each a _Body (see _split_bodies)
        segments = pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]
        sizes = [len(part[0].segments) for part in parts]
        self.position = np.concatenate(
            [
                base + np.arange(size, dtype=np.int64)
                for (_s, base, _f), size in zip(parts, sizes, strict=True)
            ]
        )
        self.file_of = np.repeat(np.array([part[2] for part in parts], np.int64), sizes)
        part_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.interchanges = {int(start): part[0].isa for start, part in zip(part_starts, parts, strict=True)}
        self.segments = segments
        self.element_separator = first.element
        self.component = first.component
        self.issues: list[tuple[tuple, object]] = []
        split = pc.split_pattern(segments, first.element)
        offsets = np.asarray(split.offsets)
        self.starts = offsets[:-1].astype(np.int64)
        self.lengths = np.diff(offsets).astype(np.int64)
        flat = split.flatten()
        self.blank = len(flat)
        self.flat = pa.concat_arrays([flat, pa.array([""], pa.string())])
        codes = pc.index_in(self.flat.take(pa.array(self.starts)), value_set=_TAG_SET)
        if codes.null_count:
            raise _Fallback  # a segment the 835 reader would report (or an 837 in the file)
        self.code = np.asarray(codes).astype(np.int8)
        self.count = len(self.code)
        self.index = np.arange(self.count, dtype=np.int64)
        self._tag_rows: dict[int, np.ndarray] = {}
        self.row_files: dict[str, np.ndarray] = {}  # per table: the file number of each row
        self._fields: dict[tuple[int, int], pa.Array] = {}
        self._extents: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._envelope()
        self._loops()

    # --- elements ---------------------------------------------------------------------------

    def _texts(self, rows: np.ndarray) -> list[str]:
        """The segments ``rows`` as Python strings, in one call (``as_py`` per segment costs ~2 µs
        of interpreter time each, which two reader threads take turns at)."""
        return self.segments.take(pa.array(rows, pa.int64())).to_pylist()

    def _element_of(self, starts: np.ndarray, lengths: np.ndarray, number: int) -> pa.Array:
        """Element ``number`` of the segments whose elements start at ``starts`` in ``flat`` and
        number ``lengths`` ("" where a segment is shorter)."""
        return self.flat.take(pa.array(np.where(lengths > number, starts + number, self.blank)))

    def _extent(self, tag: int) -> tuple[np.ndarray, np.ndarray]:
        """Where each ``tag`` segment's elements start in ``flat``, and how many it has (cached: a
        tag's fields are read one by one, and gathering these again for each was 3 % of a pass)."""
        extent = self._extents.get(tag)
        if extent is None:
            rows = self.rows(tag)
            extent = self._extents[tag] = (self.starts[rows], self.lengths[rows])
        return extent

    def field(self, tag: int, number: int) -> pa.Array:
        """Element ``number`` of every ``tag`` segment, in file order (cached: tables share fields)."""
        key = (tag, number)
        texts = self._fields.get(key)
        if texts is None:
            texts = self._fields[key] = self._element_of(*self._extent(tag), number)
        return texts

    def _optional_field(self, tag: int, number: int) -> pa.Array:
        """``field`` with null for empty text (the reference's ``values[k] or None``)."""
        return _or_null(self.field(tag, number))

    def component_parts(self, texts: pa.Array, numbers: tuple[int, ...]) -> list[pa.Array]:
        """Parts ``numbers`` of composite elements, null when absent or empty (``split_composite``).

        Composites repeat (a few hundred procedure codes in a remittance), so each distinct text is
        split once, in Python, exactly as the reference splits it, and the parts are mapped back.
        """
        distinct = pc.unique(texts)
        where = pc.index_in(texts, value_set=distinct)
        split = [split_composite(text, self.component) if text else [""] for text in distinct.to_pylist()]
        return [
            pa.array(
                [(parts[number] if len(parts) > number else "") or None for parts in split], pa.string()
            ).take(where)
            for number in numbers
        ]

    # --- values -----------------------------------------------------------------------------

    def _convert(self, texts: pa.Array, convert, cache: dict, kind: pa.DataType) -> pa.Array:
        """Each distinct text through the reference's converter (``BadElement`` falls back), mapped back."""
        distinct = pc.unique(texts)
        values = [convert(text, cache) if text else None for text in distinct.to_pylist()]
        if kind is not _DATE_TYPE and any(
            value is not None and not value and value.is_signed() for value in values
        ):
            raise _Fallback  # "-0": the reference keeps Decimal's signed zero in its messages
        return pa.array(values, kind).take(pc.index_in(texts, value_set=distinct))

    def _decimals(self, texts: pa.Array, kind: pa.DataType, convert, cache: dict) -> pa.Array:
        """Amounts or quantities: Arrow's cast when every text is plain X12 ``R`` text within the
        column's scale (what the reference's ``Decimal`` then gives too), else the exact path."""
        if len(texts) == 0:
            return pa.array([], kind)
        present = pc.not_equal(texts, "")
        if plain_numbers(texts):
            try:
                values = pc.if_else(present, texts, _NULL).cast(kind)
            except pa.ArrowInvalid:  # more decimals than the scale: rounded half up by the exact path
                values = None
            if (
                values is not None
                and not pc.any(
                    pc.and_(pc.starts_with(texts, "-"), pc.equal(values, pa.scalar(0, kind)))
                ).as_py()
            ):
                return values
        return self._convert(texts, convert, cache, kind)

    def money(self, texts: pa.Array) -> pa.Array:
        return self._decimals(texts, _M2, to_money, MONEY_CACHE)

    def quantity(self, texts: pa.Array) -> pa.Array:
        return self._decimals(texts, _M3, to_quantity, QUANTITY_CACHE)

    def dates(self, texts: pa.Array) -> pa.Array:
        return self._convert(texts, to_date, DATE_CACHE, _DATE_TYPE)

    # --- structure --------------------------------------------------------------------------

    def _envelope(self) -> None:
        """Walk ISA/GS/ST/SE/GE/IEA: strict nesting, right counts and control numbers, or fall back."""
        code = self.code
        positions = np.nonzero(np.isin(code, _ENVELOPE))[0]
        tags = code[positions]
        if len(positions) < 6 or tags[0] != ISA or positions[0] != 0 or tags[-1] != IEA:
            raise _Fallback
        if positions[-1] != self.count - 1:
            raise _Fallback
        self.sets: list[dict] = []
        expect = {ISA: (GS,), GS: (ST,), ST: (SE,), SE: (ST, GE), GE: (GS, IEA), IEA: (ISA,)}
        groups = group_sets = 0
        group_control = version = control = sender = sent_on = None
        previous = IEA
        previous_position = -1
        texts = self._texts(positions)
        for tag, position, text in zip(tags.tolist(), positions.tolist(), texts, strict=True):
            if tag not in expect.get(previous, ()):
                raise _Fallback
            if previous != ST and position != previous_position + 1:
                raise _Fallback  # segments outside any transaction set
            if (tag == ISA) != (position in self.interchanges):
                raise _Fallback  # every interchange starts with its ISA, and only there
            if tag == ISA:
                isa_values = self.interchanges[position]
                control = isa_values[13].strip() or None
                sender = isa_values[6].strip() or None
                sent_on = interchange_date(isa_values[9])
                groups = 0
                previous, previous_position = tag, position
                continue
            values = text.split(self.element_separator)
            if tag == GS:
                groups += 1
                group_sets = 0
                group_control = (values[6] if len(values) > 6 else "") or None
                version = (values[8] if len(values) > 8 else "") or None
            elif tag == ST:
                if (values[1] if len(values) > 1 else "") != "835":
                    raise _Fallback
                tcn = values[2] if len(values) > 2 else ""
                self.sets.append(
                    {
                        "start": position,
                        "file": int(self.file_of[position]),
                        "control": control,
                        "sender": sender,
                        "interchange_date": sent_on,
                        "tcn": tcn,
                        "group_control": group_control,
                        "version": version or (values[3] if len(values) > 3 and values[3] else None),
                    }
                )
                group_sets += 1
            elif tag == SE:
                current = self.sets[-1]
                declared_text = values[1] if len(values) > 1 else ""
                actual = position - current["start"] + 1
                if not (declared_text.isascii() and declared_text.isdigit()) or int(declared_text) != actual:
                    raise _Fallback
                if (values[2] if len(values) > 2 else "") != current["tcn"]:
                    raise _Fallback
                current["end"] = position
                current["declared"] = actual
                if int(self.file_of[position]) != current["file"]:
                    raise _Fallback
            elif tag == GE:
                _check_trailer(values, group_sets, group_control)
            elif tag == IEA:
                _check_trailer(values, groups, control)
                if position + 1 != self.count and position + 1 not in self.interchanges:
                    raise _Fallback  # an interchange goes on after its IEA
            previous, previous_position = tag, position
        if previous != IEA:
            raise _Fallback

    def _loops(self) -> None:
        """Per segment: its set's ST, the loop it is in, and its open claim (CLP) and line (SVC)."""
        code, index = self.code, self.index
        loop_of = _LOOP_OF[code]
        marker = np.where(loop_of >= 0, index, -1)
        last = np.maximum.accumulate(marker)
        self.loop = np.where(last >= 0, loop_of[np.maximum(last, 0)], -1)
        # the loop a marker segment itself was read in (the state before it)
        before = np.concatenate(([-1], last[:-1]))
        self.loop_before = np.where(before >= 0, loop_of[np.maximum(before, 0)], -1)
        self.st_of = np.maximum.accumulate(np.where(code == ST, index, -1))
        self.clp_of = np.maximum.accumulate(np.where(code == CLP, index, -1))
        self.svc_of = np.maximum.accumulate(np.where(code == SVC, index, -1))

    def rows(self, tag: int, loops: tuple[int, ...] | None = None) -> np.ndarray:
        """Indices of the segments with ``tag`` (in ``loops`` when given), in file order."""
        rows = self._tag_rows.get(tag)
        if rows is None:
            rows = self._tag_rows[tag] = np.nonzero(self.code == tag)[0]
        if loops is not None:
            rows = rows[np.isin(self.loop[rows], loops)]
        return rows

    # --- tables -----------------------------------------------------------------------------

    def tables(self) -> dict[str, pa.Table]:
        code, loop = self.code, self.loop
        for tag, allowed in (
            (CAS, (1, 2)),
            (LQ, (2,)),
            (MOA, (1, 2)),
            (MIA, (1, 2)),
            (N1, (0,)),
            (BPR, (0,)),
        ):
            if not np.isin(loop[code == tag], allowed).all():
                raise _Fallback
        if (loop[code == NM1] == 3).any() or not np.isin(self.loop_before[code == SVC], (1, 2)).all():
            raise _Fallback
        claims = self.rows(CLP)
        lines = self.rows(SVC)
        adjustments, claim_adjustment_cents, line_adjustment_cents = self._adjustments(claims, lines)
        line_table = self._lines(lines, line_adjustment_cents)
        claim_table, claim_paid = self._claims(claims, lines, claim_adjustment_cents, line_adjustment_cents)
        provider_table, provider_cents, provider_set = self._provider_adjustments()
        return {
            "era_transactions": self._transactions(claims, claim_paid, provider_cents, provider_set),
            "era_claims": claim_table,
            "era_service_lines": line_table,
            "era_adjustments": adjustments,
            "era_remarks": self._remarks(),
            "era_provider_adjustments": provider_table,
        }

    def _in_file_order(self, table: str, pieces: list[tuple]):
        """Rows built in pieces (one per CAS triplet or PLB pair number): ``piece[0]`` their segments,
        ``piece[1]`` their number within the segment, then their columns. Returns the segments and
        numbers in file order and ``column(k)``, piece column k concatenated in that order."""
        segment = np.concatenate([piece[0] for piece in pieces])
        numbers = np.concatenate([piece[1] for piece in pieces])
        order = np.lexsort((numbers, segment))
        take = pa.array(order)
        segment = segment[order]
        self.row_files[table] = self.file_of[segment]

        def column(index: int) -> pa.Array:
            return pa.concat_arrays([piece[index] for piece in pieces]).take(take)

        return segment, numbers[order], column

    def _positions(self, rows: np.ndarray) -> pa.Array:
        return pa.array(self.position[rows], pa.int64())

    def _file_column(self, rows: np.ndarray) -> pa.Array:
        """The file id of each row's file."""
        files = self.file_of[rows]
        if len(self.states) == 1 or not len(files):
            return pa.repeat(pa.scalar(self.states[0].file_id, pa.string()), len(files))
        return self.file_ids.take(pa.array(files))

    def _last(self, groups: int, owners: np.ndarray, values: pa.Array) -> pa.Array:
        """Per group (0..groups-1): the value of its last row (owners sorted), null when it has none."""
        source = self._last_rows(groups, owners)
        return values.take(pa.array(source, mask=source < 0))

    @staticmethod
    def _last_rows(groups: int, owners: np.ndarray) -> np.ndarray:
        """Per group (0..groups-1): the index in ``owners`` (sorted) of its last entry, or -1."""
        source = np.full(groups, -1, np.int64)
        if len(owners):
            is_last = np.append(owners[1:] != owners[:-1], True)
            source[owners[is_last]] = np.nonzero(is_last)[0]
        return source

    def _slot(
        self, owner_rows: np.ndarray, owner_of: np.ndarray, tag: int, loop: int, qualifier: tuple[str, ...]
    ) -> tuple[np.ndarray, pa.Array]:
        """``tag`` segments in ``loop`` whose first element is one of ``qualifier``: their owner
        (index into ``owner_rows``) and their second element."""
        rows = self.rows(tag)
        chosen = self.loop[rows] == loop
        if len(rows):
            chosen &= np.asarray(pc.is_in(self.field(tag, 1), value_set=pa.array(list(qualifier))))
        return np.searchsorted(owner_rows, owner_of[rows[chosen]]), self.field(tag, 2).filter(chosen)

    def _adjustments(self, claims: np.ndarray, lines: np.ndarray) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        rows = self.rows(CAS)
        starts, lengths = self._extent(CAS)
        if (lengths > 20).any():
            raise _Fallback  # a 7th triplet: the reference reports it
        group = self._optional_field(CAS, 1)
        pieces = []
        for triplet in range(6):
            offset = 2 + 3 * triplet
            # a triplet lies beyond the end of most segments (one or two per CAS): only the segments
            # long enough to hold its first element are read
            long_enough = np.nonzero(lengths > offset)[0]
            if not len(long_enough):
                break
            starts_in, lengths_in = starts[long_enough], lengths[long_enough]
            reason = self._element_of(starts_in, lengths_in, offset)
            amount_text = self._element_of(starts_in, lengths_in, offset + 1)
            quantity_text = self._element_of(starts_in, lengths_in, offset + 2)
            keep = pc.or_(
                pc.or_(pc.not_equal(reason, ""), pc.not_equal(amount_text, "")),
                pc.not_equal(quantity_text, ""),
            )
            kept = np.nonzero(np.asarray(keep))[0]
            if not len(kept):
                continue
            take = pa.array(kept)
            chosen = long_enough[kept]
            pieces.append(
                (
                    rows[chosen],
                    np.full(len(chosen), triplet + 1, np.int32),
                    group.take(pa.array(chosen)),
                    _or_null(reason.take(take)),
                    self.money(amount_text.take(take)),
                    self.quantity(quantity_text.take(take)),
                )
            )
        claim_cents = np.zeros(len(claims), np.int64)
        line_cents = np.zeros(len(lines), np.int64)
        if not pieces:
            return arrow_schema("era_adjustments").empty_table(), claim_cents, line_cents
        segment, triplets, column = self._in_file_order("era_adjustments", pieces)
        amounts = column(4)
        cents = decimal_units(amounts)
        at_line = self.loop[segment] == 2
        line_position = np.where(at_line, self.position[np.maximum(self.svc_of[segment], 0)], 0)
        table = pa.Table.from_arrays(
            [
                self._file_column(segment),
                pa.array(self.position[self.st_of[segment]], pa.int64()),
                pa.array(self.position[self.clp_of[segment]], pa.int64()),
                pa.array(line_position, pa.int64(), mask=~at_line),
                pc.if_else(pa.array(at_line), "line", "claim"),
                self._positions(segment),
                pa.array(triplets, pa.int32()),
                column(2),
                column(3),
                amounts,
                column(5),
            ],
            schema=arrow_schema("era_adjustments"),
        )
        claim_of = np.searchsorted(claims, self.clp_of[segment])
        np.add.at(claim_cents, claim_of[~at_line], cents[~at_line])
        np.add.at(line_cents, np.searchsorted(lines, self.svc_of[segment[at_line]]), cents[at_line])
        return table, claim_cents, line_cents

    def _lines(self, lines: np.ndarray, adjustment_cents: np.ndarray) -> pa.Table:
        count = len(lines)
        self.row_files["era_service_lines"] = self.file_of[lines]
        procedure = self.field(SVC, 1)
        parts = self.component_parts(procedure, (0, 1, 2, 3, 4, 5))
        charge = self.money(self.field(SVC, 2))
        paid = self.money(self.field(SVC, 3))
        units = self.quantity(self.field(SVC, 5))
        units = pc.fill_null(units, pa.scalar(Decimal("1.000"), _M3)) if count else units
        (original,) = self.component_parts(self.field(SVC, 6), (1,))
        original_units = self.quantity(self.field(SVC, 7))
        svc_of = self.svc_of
        ref_owner, ref_texts = self._slot(lines, svc_of, REF, 2, ("6R",))
        control = self._last(count, ref_owner, _or_null(ref_texts))
        start_owner, start_texts = self._slot(lines, svc_of, DTM, 2, ("472", "150"))
        start = self._last(count, start_owner, self.dates(start_texts))
        end_owner, end_texts = self._slot(lines, svc_of, DTM, 2, ("151",))
        end = self._last(count, end_owner, self.dates(end_texts))
        end = pc.coalesce(end, start) if count else end
        allowed_owner, allowed_texts = self._slot(lines, svc_of, AMT, 2, ("B6",))
        allowed = self._last(count, allowed_owner, self.money(allowed_texts))
        charge_cents, paid_cents = decimal_units(charge), decimal_units(paid)
        difference = paid_cents - (charge_cents - adjustment_cents)
        self._balance_issues(
            lines,
            difference,
            lambda i: (
                "UNBALANCED_LINE",
                "SVC",
                f"SVC02 {_money_text(charge_cents[i])} - line adjustments "
                f"{_money_text(adjustment_cents[i])} != SVC03 {_money_text(paid_cents[i])} "
                f"(difference {_money_text(difference[i])})",
                (self.clp_of[lines[i]], 0, lines[i]),
            ),
        )
        table = pa.Table.from_arrays(
            [
                self._file_column(lines),
                pa.array(self.position[self.st_of[lines]], pa.int64()),
                pa.array(self.position[self.clp_of[lines]], pa.int64()),
                self._positions(lines),
                *parts,
                charge,
                paid,
                self._optional_field(SVC, 4),
                units,
                original,
                original_units,
                control,
                start,
                end,
                allowed,
                decimal_array(adjustment_cents),
                pa.array(difference == 0),
                decimal_array(difference),
            ],
            schema=arrow_schema("era_service_lines"),
        )
        return table

    def _claims(
        self, claims: np.ndarray, lines: np.ndarray, claim_cents: np.ndarray, line_cents: np.ndarray
    ) -> tuple[pa.Table, np.ndarray]:
        count = len(claims)
        self.row_files["era_claims"] = self.file_of[claims]
        patient_control = self.field(CLP, 1)
        if count and not pc.all(pc.not_equal(patient_control, "")).as_py():
            raise _Fallback  # CLP01 is required: the reference rejects the set
        charge = self.money(self.field(CLP, 3))
        paid = self.money(self.field(CLP, 4))
        clp_of = self.clp_of
        names_rows = self.rows(NM1)
        in_claim = np.isin(self.loop[names_rows], (1, 2))
        owners = np.searchsorted(claims, clp_of[names_rows])

        name_starts, name_lengths = self._extent(NM1)
        last_of_entity: dict[str, tuple[np.ndarray, np.ndarray]] = {}

        def by_entity(code: str, number: int) -> pa.Array:
            """Element ``number`` of each claim's last NM1 for ``code``: the last row found per claim
            first (once per code), then only those elements taken (not every NM1's, filtered, then
            taken again). A claim without one reads as a segment of no elements: null."""
            last = last_of_entity.get(code)
            if last is None:
                chosen = in_claim.copy()
                if len(names_rows):
                    chosen &= np.asarray(pc.equal(self.field(NM1, 1), code))
                chosen = np.nonzero(chosen)[0]
                source = self._last_rows(count, owners[chosen])
                found = source >= 0
                starts, lengths = np.zeros(count, np.int64), np.zeros(count, np.int64)
                starts[found] = name_starts[chosen[source[found]]]
                lengths[found] = name_lengths[chosen[source[found]]]
                last = last_of_entity[code] = (starts, lengths)
            return _or_null(self._element_of(*last, number))

        def slot(tag: int, qualifier: tuple[str, ...], convert) -> pa.Array:
            owner, texts = self._slot(claims, clp_of, tag, 1, qualifier)
            return self._last(count, owner, convert(texts))

        line_count = np.bincount(np.searchsorted(claims, clp_of[lines]), minlength=count).astype(np.int32)
        line_total = np.zeros(count, np.int64)
        np.add.at(line_total, np.searchsorted(claims, clp_of[lines]), line_cents)
        charge_cents, paid_cents = decimal_units(charge), decimal_units(paid)
        difference = paid_cents - (charge_cents - claim_cents - line_total)
        self._balance_issues(
            claims,
            difference,
            lambda i: (
                "UNBALANCED_CLAIM",
                "CLP",
                f"CLP03 {_money_text(charge_cents[i])} - claim adjustments {_money_text(claim_cents[i])} "
                f"- line adjustments {_money_text(line_total[i])} != CLP04 {_money_text(paid_cents[i])} "
                f"(difference {_money_text(difference[i])})",
                (claims[i], 1, 0),
            ),
        )
        table = pa.Table.from_arrays(
            [
                self._file_column(claims),
                pa.array(self.position[self.st_of[claims]], pa.int64()),
                self._positions(claims),
                patient_control,
                self._optional_field(CLP, 2),
                charge,
                paid,
                self.money(self.field(CLP, 5)),
                self._optional_field(CLP, 6),
                self._optional_field(CLP, 7),
                self._optional_field(CLP, 8),
                self._optional_field(CLP, 9),
                self._optional_field(CLP, 11),
                by_entity("QC", 9),
                by_entity("QC", 3),
                by_entity("QC", 4),
                by_entity("IL", 9),
                by_entity("82", 9),
                by_entity("TT", 3),
                slot(REF, ("F8",), _or_null),
                slot(DTM, ("232",), self.dates),
                slot(DTM, ("233",), self.dates),
                slot(DTM, ("050",), self.dates),
                slot(AMT, ("AU",), self.money),
                slot(AMT, ("I",), self.money),
                pa.array(line_count, pa.int32()),
                decimal_array(claim_cents),
                decimal_array(line_total),
                pa.array(difference == 0),
                decimal_array(difference),
            ],
            schema=arrow_schema("era_claims"),
        )
        # every AMT's amount is read, whatever its qualifier or loop: an unreadable one rejects the set
        self.money(self.field(AMT, 2))
        return table, paid_cents

    def _balance_issues(self, rows: np.ndarray, difference: np.ndarray, describe) -> None:
        for i in np.nonzero(difference)[0].tolist():
            code, segment_id, reason, order = describe(i)
            row = rows[i]
            item = self._set_of(row)
            state = self.states[item["file"]]
            issue = state.issue("warning", code, reason, int(self.position[row]), segment_id, item["tcn"])
            key = (item["file"], int(self.position[item["start"]]), int(order[0]), order[1], int(order[2]))
            self.issues.append((key, issue))

    def _set_of(self, row: int) -> dict:
        starts = [item["start"] for item in self.sets]
        return self.sets[int(np.searchsorted(starts, row, side="right")) - 1]

    def _remarks(self) -> pa.Table:
        segment_parts, number_parts, text_parts, at_line_parts = [], [], [], []
        rows = self.rows(LQ)
        if len(rows):
            qualifier = self.field(LQ, 1)
            code = self.field(LQ, 2)
            chosen = np.asarray(pc.and_(pc.equal(qualifier, "HE"), pc.not_equal(code, "")))
            segment_parts.append(rows[chosen])
            number_parts.append(np.ones(int(chosen.sum()), np.int32))
            text_parts.append(code.filter(pa.array(chosen)))
            at_line_parts.append(np.ones(int(chosen.sum()), bool))
        for tag, slots in ((MOA, (3, 4, 5, 6, 7)), (MIA, (5, 20, 21, 22, 23, 24))):
            rows = self.rows(tag)
            for number, slot in enumerate(slots, 1):
                if not len(rows):
                    break
                text = self.field(tag, slot)
                chosen = np.asarray(pc.not_equal(text, ""))
                segment_parts.append(rows[chosen])
                number_parts.append(np.full(int(chosen.sum()), number, np.int32))
                text_parts.append(text.filter(pa.array(chosen)))
                at_line_parts.append(np.zeros(int(chosen.sum()), bool))
        if not segment_parts or not sum(len(part) for part in segment_parts):
            return arrow_schema("era_remarks").empty_table()
        segment = np.concatenate(segment_parts)
        numbers = np.concatenate(number_parts)
        order = np.lexsort((numbers, segment))
        segment, numbers = segment[order], numbers[order]
        self.row_files["era_remarks"] = self.file_of[segment]
        at_line = np.concatenate(at_line_parts)[order]
        source = np.asarray(self.code)[segment]
        return pa.Table.from_arrays(
            [
                self._file_column(segment),
                pa.array(self.position[self.st_of[segment]], pa.int64()),
                pa.array(self.position[self.clp_of[segment]], pa.int64()),
                pa.array(
                    np.where(at_line, self.position[np.maximum(self.svc_of[segment], 0)], 0),
                    pa.int64(),
                    mask=~at_line,
                ),
                pc.if_else(pa.array(at_line), "line", "claim"),
                self._positions(segment),
                pc.if_else(pa.array(source == LQ), "LQ", pc.if_else(pa.array(source == MOA), "MOA", "MIA")),
                pa.array(numbers, pa.int32()),
                pa.concat_arrays(text_parts).take(pa.array(order)),
            ],
            schema=arrow_schema("era_remarks"),
        )

    def _provider_adjustments(self) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        rows = self.rows(PLB)
        if (self.lengths[rows] > 15).any():
            raise _Fallback  # a 7th pair: the reference reports it
        provider = self._optional_field(PLB, 1)
        fiscal = self.dates(self.field(PLB, 2))
        pieces = []
        for pair in range(6):
            reason_text = self.field(PLB, 3 + 2 * pair)
            amount_text = self.field(PLB, 4 + 2 * pair)
            keep = (
                np.asarray(pc.or_(pc.not_equal(reason_text, ""), pc.not_equal(amount_text, "")))
                if len(rows)
                else np.zeros(0, bool)
            )
            chosen = np.nonzero(keep)[0]
            if not len(chosen):
                continue
            take = pa.array(chosen)
            reason_text = reason_text.take(take)
            pieces.append(
                (
                    rows[chosen],
                    np.full(len(chosen), pair + 1, np.int32),
                    provider.take(take),
                    fiscal.take(take),
                    *self.component_parts(reason_text, (0, 1)),
                    self.money(amount_text.take(take)),
                )
            )
        if not pieces:
            return (
                arrow_schema("era_provider_adjustments").empty_table(),
                np.zeros(0, np.int64),
                np.zeros(0, np.int64),
            )
        segment, pairs, column = self._in_file_order("era_provider_adjustments", pieces)
        amounts = column(6)
        table = pa.Table.from_arrays(
            [
                self._file_column(segment),
                pa.array(self.position[self.st_of[segment]], pa.int64()),
                self._positions(segment),
                pa.array(pairs, pa.int32()),
                *(column(k) for k in (2, 3, 4, 5)),
                amounts,
            ],
            schema=arrow_schema("era_provider_adjustments"),
        )
        return table, decimal_units(amounts), self.st_of[segment]

    def _transactions(
        self, claims: np.ndarray, claim_paid: np.ndarray, provider_cents: np.ndarray, provider_set: np.ndarray
    ) -> pa.Table:
        """One row per ST..SE; its header (loop 0) is a few segments, read in Python."""
        self.row_files["era_transactions"] = np.array([item["file"] for item in self.sets], np.int64)
        rows = []
        header_rows = np.nonzero((self.loop == 0) & (self.code != ST))[0]
        # per set (ST positions ascending): its header rows, claim count and sums, in cents
        starts = np.array([item["start"] for item in self.sets], np.int64)
        first_header = np.searchsorted(self.st_of[header_rows], starts, "left").tolist()
        end_header = np.searchsorted(self.st_of[header_rows], starts, "right").tolist()
        claim_index = np.searchsorted(starts, self.st_of[claims])
        provider_index = np.searchsorted(starts, provider_set)
        if (len(claims) or len(provider_set)) and not (
            len(starts)
            and np.array_equal(starts[np.minimum(claim_index, len(starts) - 1)], self.st_of[claims])
            and np.array_equal(starts[np.minimum(provider_index, len(starts) - 1)], provider_set)
        ):
            raise _Fallback  # a claim or PLB outside every set: cannot happen; the reference decides
        claim_counts = np.bincount(claim_index, minlength=len(starts)).tolist()
        paid_totals = np.zeros(len(starts), np.int64)
        np.add.at(paid_totals, claim_index, claim_paid)
        provider_totals = np.zeros(len(starts), np.int64)
        np.add.at(provider_totals, provider_index, provider_cents)
        header_texts = self._texts(header_rows)
        header_codes = self.code[header_rows].tolist()
        for number, item in enumerate(self.sets):
            start = item["start"]
            header = [None] * 15
            payee_tax_id = None
            party = ""
            for index in range(first_header[number], end_header[number]):
                values = header_texts[index].split(self.element_separator)
                tag = header_codes[index]
                if tag == BPR:
                    values += [""] * (17 - len(values))
                    header[0] = values[1] or None
                    header[1] = to_money(values[2], MONEY_CACHE) if values[2] else None
                    header[2] = values[3] or None
                    header[3] = values[4] or None
                    header[4] = values[5] or None
                    if not values[16]:
                        raise _Fallback  # MISSING_ELEMENT warning
                    header[5] = to_date(values[16], DATE_CACHE)
                elif tag == TRN:
                    header[6] = (values[2] if len(values) > 2 else "") or None
                    header[7] = (values[3] if len(values) > 3 else "") or None
                elif tag == DTM:
                    if (values[1] if len(values) > 1 else "") == "405":
                        text = values[2] if len(values) > 2 else ""
                        header[8] = to_date(text, DATE_CACHE) if text else None
                elif tag == N1:
                    party = read_header_party(values, header)
                elif tag == REF:
                    qualifier = values[1] if len(values) > 1 else ""
                    text = (values[2] if len(values) > 2 else "") or None
                    if qualifier == "2U" and party == "PR":
                        header[11] = text
                    elif qualifier == "TJ" and party == "PE":
                        payee_tax_id = text
            paid_total = int(paid_totals[number])
            provider_total = int(provider_totals[number])
            total = header[1] if header[1] is not None else Decimal("0.00")
            total_cents = int(total.scaleb(2))
            difference = total_cents - (paid_total - provider_total)
            position = int(self.position[start])
            state = self.states[item["file"]]
            if difference:
                reason = (
                    f"BPR02 {total} != sum CLP04 {_money_text(paid_total)} - sum PLB "
                    f"{_money_text(provider_total)} (difference {_money_text(difference)})"
                )
                issue = state.issue("warning", "UNBALANCED_TRANSACTION", reason, position, "ST", item["tcn"])
                self.issues.append(((item["file"], position, 1 << 62, 2, 0), issue))
            rows.append(
                transaction_row(
                    (
                        state.file_id,
                        position,
                        item["control"],
                        item["sender"],
                        item["interchange_date"],
                        item["group_control"],
                        item["version"],
                        item["tcn"] or None,
                    ),
                    header,
                    payee_tax_id,
                    claim_counts[number],
                    (
                        Decimal(paid_total).scaleb(-2),
                        Decimal(provider_total).scaleb(-2),
                        Decimal(difference).scaleb(-2),
                    ),
                    (item["declared"], item["end"] - start + 1),
                )
            )
        schema = arrow_schema("era_transactions")
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
        return pa.Table.from_arrays(
            [pa.array(list(column), field.type) for column, field in zip(columns, schema, strict=True)],
            schema=schema,
        )


def _or_null(texts: pa.Array) -> pa.Array:
    if len(texts) == 0:
        return texts
    return pc.if_else(pc.equal(texts, ""), _NULL, texts)


def _check_trailer(values: list[str], actual: int, control: str | None) -> None:
    """GE/IEA as ``reader._check_trailer`` checks them: any warning it would give means fall back."""
    declared = (values[1] if len(values) > 1 else "").strip()
    if declared != str(actual) and declared.lstrip("0") != str(actual):
        raise _Fallback
    if (values[2] if len(values) > 2 else "").strip() != (control or ""):
        raise _Fallback


__all__ = ["MIN_COLUMNAR_BYTES", "columnar_candidate", "read_835_columnar", "read_835_columnar_many"]
