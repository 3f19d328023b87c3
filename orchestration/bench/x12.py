"""Benchmark of the X12 reader against its peers, on the same bytes, plus a large-835 fixture builder.

``build_835(target_bytes, seed)`` writes a valid, balanced 835 (several ST/SE, varied CLP/SVC/CAS,
reversals, remarks, PLB) of about the requested size from a template; ``write_835_set`` writes a set
of such files (the 1 GB peak-memory set is several files). ``measure_x12(paths)`` reports, for the
same bytes: our reader in one process and in two, a naive ``split`` of segments and elements, oxedi
and pyx12 when importable (pyx12 on a small prefix, extrapolated and labelled so), the ratios and
the peak RSS. Figures are printed and returned; no test asserts a time.

Run: ``.venv/bin/python -m orchestration.bench.x12 [--mb 10] [--files 4] [--big-gb 0] [paths...]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from orchestration.bench.runner import best_wall_seconds
from orchestration.lib.loader import _chunks, _parse_x12_chunk
from orchestration.lib.x12 import parse_files_parallel, parse_x12
from orchestration.lib.x12.columnar835 import columnar_candidate, read_835_columnar
from orchestration.lib.x12.envelope import tokenize
from orchestration.lib.x12.parallel import file_id_of

_PAYERS = [("ACME HEALTH PLAN", "60054"), ("NORTHWIND MUTUAL", "87726"), ("CONTOSO CARE", "39026")]
# Synthetic procedure codes: HCPCS Level II (public) and clearly fake five-digit codes.
_PROCEDURES = ["G0439", "J1100", "A0428", "E0114", "L3908", "Q4131", "90001", "90002", "90003", "90004"]
_MODIFIERS = ["", "", "", "25", "59", "LT", "RT", "GT"]
_REMARKS = ["N130", "M15", "N381", "MA130", "N20", "M80"]
_DENIAL_REASONS = ["16", "50", "97", "197", "29", "18", "96"]
_PATIENT_REASONS = ["1", "2", "3"]


def _cents(value: int) -> str:
    """Integer cents to an X12 amount: ``12345`` → ``123.45``, ``1200`` → ``12``, ``-5`` → ``-.05``."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, cents = divmod(value, 100)
    if cents == 0:
        return f"{sign}{whole}"
    text = f"{whole}.{cents:02d}".rstrip("0")
    return sign + (text[1:] if text.startswith("0.") else text)


def _fee_schedule(rng: random.Random) -> dict[str, int]:
    """Charge per procedure in cents: a practice bills from a fee schedule, so charges repeat."""
    return {procedure: rng.randint(40, 2_500) * 100 + rng.choice((0, 0, 50, 99)) for procedure in _PROCEDURES}


def _claim(
    rng: random.Random,
    number: int,
    service_day: str,
    out: list[str],
    fees: dict[str, int] | None,
    payer_rate: int,
) -> int:
    """Append one claim (CLP loop) to ``out``; return its CLP04 in cents.

    With ``fees`` (a fee schedule) charges, allowed amounts and copays repeat as in real remits;
    without, every amount is drawn at random (the worst case for the reader's value caches).
    """
    line_total = rng.randint(1, 6)
    lines = []
    claim_charge = claim_paid = claim_patient = 0
    for line_number in range(line_total):
        procedure = rng.choice(_PROCEDURES)
        units = rng.choice((1, 1, 1, 2, 3))
        if fees is not None:
            charge = fees[procedure] * units
            contractual = charge - charge * payer_rate // 100
        else:
            charge = rng.randint(2_000, 250_000)
            contractual = charge * rng.randint(5, 45) // 100
        denied = rng.random() < 0.08
        adjustments: list[tuple[str, str, int]] = []
        if denied:
            adjustments.append(("CO", rng.choice(_DENIAL_REASONS), charge))
        else:
            adjustments.append(("CO", "45", contractual))
            remaining = charge - contractual
            for reason in _PATIENT_REASONS:
                if remaining > 100 and rng.random() < 0.3:
                    if fees is not None and reason == "3":
                        share = min(remaining, rng.choice((1000, 2000, 2500, 4000)))
                    elif fees is not None and reason == "2":
                        share = remaining * 20 // 100
                    else:
                        share = remaining * rng.randint(5, 25) // 100
                    adjustments.append(("PR", reason, share))
                    remaining -= share
            if rng.random() < 0.05:
                adjustments.append(("CO", "253", remaining * 2 // 100))
        paid = charge - sum(amount for _, _, amount in adjustments)
        claim_charge += charge
        claim_paid += paid
        claim_patient += sum(amount for group, _, amount in adjustments if group == "PR")
        lines.append((line_number, procedure, units, charge, paid, adjustments, denied))
    status = "4" if claim_paid == 0 else rng.choice("1111112")
    reversal = rng.random() < 0.03
    sign = -1 if reversal else 1
    pcn = f"PCN{number:09d}"
    out.append(
        f"CLP*{pcn}*{'22' if reversal else status}*{_cents(sign * claim_charge)}*{_cents(sign * claim_paid)}"
        f"*{_cents(sign * claim_patient) if claim_patient else ''}*12*{number:012d}*11*1"
    )
    out.append(f"NM1*QC*1*PATIENT{number % 997}*ALEX****MI*M{number:08d}")
    if rng.random() < 0.3:
        out.append(f"NM1*IL*1*SUBSCRIBER{number % 331}*SAM****MI*S{number:08d}")
    out.append("NM1*82*1*RENDERING*PAT****XX*1999999984")
    if rng.random() < 0.1:
        out.append("MOA***" + rng.choice(_REMARKS))
    if reversal:
        out.append(f"REF*F8*{number - 1:012d}")
    out.append(f"DTM*232*{service_day}")
    out.append(f"DTM*233*{service_day}")
    out.append(f"DTM*050*{service_day}")
    for line_number, procedure, units, charge, paid, adjustments, denied in lines:
        modifier = rng.choice(_MODIFIERS)
        composite = f"HC:{procedure}:{modifier}" if modifier else f"HC:{procedure}"
        out.append(f"SVC*{composite}*{_cents(sign * charge)}*{_cents(sign * paid)}**{units}")
        out.append(f"DTM*472*{service_day}")
        by_group: dict[str, list[tuple[str, int]]] = {}
        for group, reason, amount in adjustments:
            by_group.setdefault(group, []).append((reason, amount))
        for group, items in by_group.items():
            triplets = "*".join(f"{reason}*{_cents(sign * amount)}*" for reason, amount in items).rstrip("*")
            out.append(f"CAS*{group}*{triplets}")
        out.append(f"REF*6R*{number}-{line_number + 1}")
        if not denied:
            out.append(f"AMT*B6*{_cents(sign * (charge - adjustments[0][2]))}")
        if denied or rng.random() < 0.1:
            out.append("LQ*HE*" + rng.choice(_REMARKS))
    return sign * claim_paid


def build_835(
    target_bytes: int, seed: int = 835, claims_per_transaction: int = 2000, amounts: str = "schedule"
) -> bytes:
    """A valid 005010X221A1 835 of about ``target_bytes``: balanced lines, claims and transactions.

    Several ST/SE sets of ``claims_per_transaction`` claims; some claims are reversals (CLP02=22,
    negated amounts), some denied; PLB interest (L6) and recoupment (WO) pairs keep BPR02 positive.
    ``amounts`` is ``schedule`` (charges from a fee schedule, contracted rates per payer: amounts
    repeat as in real remittances) or ``random`` (every amount random: the reader's worst case).
    """
    rng = random.Random(seed)
    fees = _fee_schedule(rng) if amounts == "schedule" else None
    parts = [
        "ISA*00*          *00*          *ZZ*BENCHPAYER     *ZZ*BENCHPROVIDER  *250102*1200*^*00501*000000001*0*T*:",
        "GS*HP*BENCHPAYER*BENCHPROVIDER*20250102*1200*1*X*005010X221A1",
    ]
    size = sum(len(part) + 2 for part in parts)
    number = 0
    transactions = 0
    while size < target_bytes:
        transactions += 1
        payer_name, payer_id = _PAYERS[transactions % len(_PAYERS)]
        body: list[str] = []
        paid_total = 0
        body_size = 0
        for _ in range(claims_per_transaction):
            number += 1
            day = f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            first = len(body)
            paid_total += _claim(rng, number, day, body, fees, 60 + 10 * (transactions % 3))
            body_size += sum(len(segment) + 2 for segment in body[first:])
            if size + body_size >= target_bytes:
                break
        interest = rng.randint(0, 5_000)
        recoupment = rng.randint(0, 20_000) if paid_total > 40_000 else 0
        plb = f"PLB*1999999984*20241231*L6*{_cents(-interest)}"
        if recoupment:
            plb += f"*WO:PCN{number:09d}*{_cents(recoupment)}"
        paid = paid_total + interest - recoupment
        if paid < 0:
            plb += f"*FB:TRN{transactions}*{_cents(paid)}"
            paid = 0
        header = [
            f"ST*835*{transactions:04d}",
            f"BPR*I*{_cents(paid)}*C*ACH*CCP*01*999999999*DA*123456789*1512345678**01*999988880*DA*98765*20250102",
            f"TRN*1*TRACE{transactions:08d}*1512345678",
            "DTM*405*20241231",
            f"N1*PR*{payer_name}",
            "N3*1 PAYER WAY",
            "N4*SPRINGFIELD*IL*627010000",
            f"REF*2U*{payer_id}",
            "PER*BL*PROVIDER SERVICES*TE*8005550100",
            "N1*PE*BENCH MEDICAL GROUP*XX*1999999984",
            "N3*2 CLINIC ROAD",
            "N4*SPRINGFIELD*IL*627020000",
            "REF*TJ*999999999",
            "LX*1",
        ]
        segments = [*header, *body, plb]
        segments.append(f"SE*{len(segments) + 1}*{transactions:04d}")
        parts.extend(segments)
        size += sum(len(segment) + 2 for segment in segments)
    parts.append(f"GE*{transactions}*1")
    parts.append("IEA*1*000000001")
    return ("~\n".join(parts) + "~\n").encode("ascii")


def write_835_set(
    directory: Path, total_bytes: int, file_bytes: int, seed: int = 835, amounts: str = "schedule"
) -> list[Path]:
    """Write ``total_bytes`` of 835s as files of ``file_bytes`` each; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    written = 0
    index = 0
    while written < total_bytes:
        index += 1
        data = build_835(min(file_bytes, total_bytes - written), seed + index, amounts=amounts)
        path = directory / f"bench_{index:03d}.835"
        path.write_bytes(data)
        paths.append(path)
        written += len(data)
    return paths


def _naive_split(data: bytes) -> int:
    """The baseline: decode, split segments on the terminator and elements on the separator."""
    text = data.decode("utf-8", "replace")
    start = text.find("ISA")
    if start < 0:
        start = text.find("ST")
    element = text[start + 3] if text.startswith("ISA", start) else text[start + 2]
    after = text[start:].split(element, 16)[-1] if text.startswith("ISA", start) else "~"
    terminator = after[1] if len(after) > 1 and after[1] not in " \r\n" else "~"
    rows = [segment.strip().split(element) for segment in text.split(terminator)]
    return len(rows)


# Rounds of the parse against the naive split (at least; ``repeat`` when larger): a round of the
# 100k demo's small 835s takes ~2 s, and this is the comparison nearest its target.
NAIVE_ROUNDS = 7


def _interleaved(
    ours: Callable[[], object], peer: Callable[[], object], rounds: int
) -> tuple[float, float, list[float]]:
    """Both functions run once per round, adjacent, the one that goes first alternating; returns the
    best wall seconds of each and each round's ratio, peer seconds over ours (above 1: ours faster).

    This machine's speed drifts by tens of percent within minutes (docs/benchmarks.md): the two
    bests, taken minutes apart, compared states of the machine as much as the readers. Within a
    round the two runs see the same state; alternating the order keeps either from always running
    on a machine the other just warmed (caches, the allocator's free pages).
    """
    best_ours = best_peer = float("inf")
    ratios: list[float] = []
    for number in range(rounds):
        timed: dict[str, float] = {}
        for name in ("ours", "peer") if number % 2 == 0 else ("peer", "ours"):
            timed[name] = best_wall_seconds(ours if name == "ours" else peer)
        best_ours = min(best_ours, timed["ours"])
        best_peer = min(best_peer, timed["peer"])
        ratios.append(round(timed["peer"] / timed["ours"], 2))
    return best_ours, best_peer, ratios


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _oxedi_readable(oxedi: Any, blobs: list[bytes]) -> list[bytes]:
    """The files oxedi accepts (it refuses files without an ISA envelope, ADR 0002)."""
    readable = []
    for blob in blobs:
        try:
            oxedi.parse(blob)
            readable.append(blob)
        except ValueError:
            continue
    return readable


def _refused_note(readable: list[bytes], blobs: list[bytes]) -> str:
    # Rates are over all the bytes, so files oxedi refuses count as read in no time (in its favour).
    refused = len(blobs) - len(readable)
    return f"; refused {refused} of {len(blobs)} files (counted as read in zero time)" if refused else ""


def _oxedi_seconds(blobs: list[bytes], repeat: int) -> tuple[float | None, str]:
    try:
        import oxedi
        import pyarrow as pa
    except ImportError:
        return None, "oxedi not importable"
    readable = _oxedi_readable(oxedi, blobs)

    def run() -> None:
        for blob in readable:
            result = oxedi.parse(blob)
            tables = result.tables
            for name in tables:
                pa.table(tables[name])

    note = "oxedi.parse + every table to pyarrow (its tables are Arrow already)"
    return best_wall_seconds(run, repeat), note + _refused_note(readable, blobs)


def _fresh_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def _oxedi_into_duckdb_seconds(
    blobs: list[bytes], repeat: int, kept: list[Path] | None = None
) -> tuple[float | None, str]:
    """oxedi's parse plus storing its tables in a new DuckDB file (one transaction, one insert per table).

    The like-for-like peer of our load: the same bytes end up persisted in DuckDB. It is timed in
    oxedi's favour: its own five tables as it returns them (byte strings undecoded, no remarks table,
    no ledger, no archive copy, no balancing flags), every file's rows concatenated into one insert.
    Its folders go to ``kept`` when given (``_load_once``), else are removed at once.
    """
    try:
        import duckdb
        import oxedi
        import pyarrow as pa
    except ImportError:
        return None, "oxedi not importable"
    from orchestration.lib.warehouse import memory_limit

    readable = _oxedi_readable(oxedi, blobs)
    best = float("inf")
    for _ in range(repeat):
        directory = _fresh_dir("rcm-bench-oxedi-")
        try:
            gc.collect()
            start = time.perf_counter()
            pieces: dict[str, list[pa.Table]] = {}
            for blob in readable:
                tables = oxedi.parse(blob).tables
                for name in tables:
                    pieces.setdefault(name, []).append(pa.table(tables[name]))
            con = duckdb.connect(str(directory / "oxedi.duckdb"))
            con.execute("set memory_limit = ?", [memory_limit()])
            con.execute("begin")
            for name, parts in pieces.items():
                data = pa.concat_tables(parts)  # noqa: F841 (read by DuckDB's replacement scan)
                con.execute(f"create table {name} as select * from data")  # noqa: S608
            con.execute("commit")
            con.close()
            best = min(best, time.perf_counter() - start)
        finally:
            _remove_later(directory, kept)
    note = "oxedi.parse, its tables concatenated and stored in a new DuckDB file in one transaction"
    return best, note + _refused_note(readable, blobs)


def _remove_later(directory: Path, kept: list[Path] | None) -> None:
    """Remove ``directory`` now, or keep it in ``kept`` for ``_remove_kept`` after the timed rounds.

    Removing a warehouse home right before the next timed load slowed that load: on this machine's
    ext4 (mounted with ``discard``), the freed blocks are trimmed at the next journal commits, and
    the next load's file creations (its archive copies, one per file) wait for those commits. The
    1,219 small 835s of the 100k demo: their copies' ``open`` calls took 1.3-1.5 s in all after a
    removed home, 0.05 s without one, and the load 2.7-2.9 s against 1.9-2.2 s.
    """
    if kept is None:
        shutil.rmtree(directory, ignore_errors=True)
    else:
        kept.append(directory)


def _remove_kept(kept: list[Path]) -> None:
    for directory in kept:
        shutil.rmtree(directory, ignore_errors=True)
    kept.clear()
    os.sync()  # the trims happen now, not inside whatever is timed next


def _load_once(
    paths: list[Path] | list[str], processes: int, prefix: str, kept: list[Path] | None = None
) -> tuple[float, list[Any]]:
    """Our loader (``load_files``, as ``rcm ingest`` runs it without Dagster) into a new warehouse home,
    removed afterwards (or kept in ``kept``: ``_remove_later``): its wall seconds and results; raises
    unless every file loaded."""
    from dataclasses import replace

    from orchestration.lib.loader import LOADED, LOADED_WITH_WARNINGS, load_files
    from orchestration.settings import get_settings

    home = _fresh_dir(prefix)
    try:
        settings = replace(get_settings(), home=home)
        gc.collect()
        start = time.perf_counter()
        results = load_files(paths, settings, processes=processes)
        seconds = time.perf_counter() - start
        bad = [result.one_line() for result in results if result.status not in (LOADED, LOADED_WITH_WARNINGS)]
        if bad:
            raise RuntimeError(f"the bench files did not all load: {bad[:3]}")
        return seconds, results
    finally:
        _remove_later(home, kept)


def _ours_into_duckdb_seconds(
    paths: list[Path], repeat: int, processes: int = 2, kept: list[Path] | None = None
) -> float:
    """Best of ``repeat`` loads (``_load_once``): hashing, parsing on ``processes`` workers or reader
    threads, raw tables, issues, ledger and archive copies."""
    return min(_load_once(paths, processes, "rcm-bench-load-", kept)[0] for _ in range(repeat))


def _pyx12_seconds(data: bytes, limit: int) -> tuple[float | None, int, str]:
    """pyx12 on the first ~``limit`` bytes (cut at a claim, closed with SE/GE/IEA), for extrapolation."""
    try:
        import pyx12.error_handler
        import pyx12.params
        import pyx12.x12context
    except ImportError:
        return None, 0, "pyx12 not importable"
    text = data.decode("ascii", "replace")
    cut = text.find("~\nCLP*", limit)
    if cut < 0:
        sample = text
    else:
        head = text[:cut]
        st_start = head.rfind("ST*835*")
        segment_count = head[st_start:].count("~") + 1
        control = head[st_start:].split("*", 3)[2].split("~")[0]
        sample = head + f"~\nSE*{segment_count}*{control}~\nGE*1*1~\nIEA*1*000000001~\n"
    path = Path(tempfile.mkstemp(suffix=".835")[1])
    try:
        path.write_text(sample)

        def run() -> None:
            params = pyx12.params.params()
            errh = pyx12.error_handler.errh_null()
            with path.open() as handle:
                for _node in pyx12.x12context.X12ContextReader(params, errh, handle).iter_segments():
                    pass

        seconds = best_wall_seconds(run)
    finally:
        path.unlink()
    return seconds, len(sample.encode()), "pyx12 X12ContextReader.iter_segments, on a prefix"


def _loader_chunks(paths: list[Path], blobs: list[bytes]) -> list[list[tuple[str, str]]]:
    """``paths`` grouped as the loader groups new X12 files for its reader (``(path, file_id)``)."""
    entries = [
        (Path(path), file_id_of(blob), len(blob), None) for path, blob in zip(paths, blobs, strict=True)
    ]
    return [[(str(path), file_id) for path, file_id, _size, _kind in chunk] for chunk in _chunks(entries)]


def measure_x12(paths: list[Path], pyx12_bytes: int = 1_000_000, repeat: int = 3) -> dict:
    """Measure every reader on the same files; returns the figures (MB = 10**6 bytes, wall time,
    best of ``repeat`` runs; pyx12 once, on a prefix of the first file, extrapolated). Our loader
    and oxedi are also timed parsing and storing the files in a new DuckDB file each, in rounds; our
    two-thread parse and the naive split in at least ``NAIVE_ROUNDS`` rounds (``_interleaved``)."""
    import duckdb
    import pyarrow as pa

    from orchestration.lib.x12 import to_arrow

    pa.array(["warm up pyarrow once, outside the timings"])
    # and DuckDB: the first round's load would import it (55 ms with its imports) and open its first
    # database, which oxedi's store, timed right after ours, then finds done (the first rounds of one
    # 10 MB 835 stood at 0.78-0.92 against 0.93-1.14 for the later ones)
    duckdb.connect().close()
    blobs = [Path(path).read_bytes() for path in paths]
    total = sum(len(blob) for blob in blobs)
    megabytes = total / 1e6
    rss_before = _peak_rss_mb()

    def ours() -> None:
        for index, blob in enumerate(blobs):
            parse_x12(blob, f"bench{index}", str(index))

    def ours_arrow() -> None:
        for index, blob in enumerate(blobs):
            to_arrow(parse_x12(blob, f"bench{index}", str(index)))

    def ours_columnar() -> None:
        # the production reader: the columnar one where it takes the file, else reference + Arrow
        for index, blob in enumerate(blobs):
            result = (
                read_835_columnar(blob, f"bench{index}", str(index)) if columnar_candidate(blob) else None
            )
            if result is None:
                to_arrow(parse_x12(blob, f"bench{index}", str(index)))

    chunks = _loader_chunks(paths, blobs)

    def ours_chunked_arrow() -> None:
        for chunk in chunks:
            _parse_x12_chunk(chunk)

    def ours_chunked_arrow_2() -> None:
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            list(pool.map(_parse_x12_chunk, chunks))

    def ours_chunked_arrow_2_threads() -> None:
        # what the loader does when every file is an 835 the columnar reader may take; a load of one
        # chunk (one large file) reads a large 835 in it in pieces on two threads, as here
        alone = len(chunks) == 1
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda chunk: _parse_x12_chunk(chunk, False, alone=alone), chunks))

    one = best_wall_seconds(ours, repeat)
    rss_ours = _peak_rss_mb()
    one_arrow = best_wall_seconds(ours_arrow, repeat)
    one_columnar = best_wall_seconds(ours_columnar, repeat)
    one_chunked = best_wall_seconds(ours_chunked_arrow, repeat)
    two_chunked = best_wall_seconds(ours_chunked_arrow_2, repeat)
    tokenizing = best_wall_seconds(lambda: [tokenize(blob) for blob in blobs], repeat)
    two_chunked_threads, naive, naive_ratios = _interleaved(
        ours_chunked_arrow_2_threads,
        lambda: [_naive_split(blob) for blob in blobs],
        max(repeat, NAIVE_ROUNDS),
    )
    two_arrow = best_wall_seconds(lambda: parse_files_parallel(list(paths), processes=2, arrow=True), repeat)
    two_tuples = best_wall_seconds(lambda: parse_files_parallel(list(paths), processes=2), 1)
    oxedi_seconds, oxedi_note = _oxedi_seconds(blobs, repeat)
    # like for like: the same bytes parsed AND stored in a new DuckDB file, by each
    # The runs are interleaved (ours, ours on 1 process, oxedi; again ...): this machine's speed drifts
    # by tens of percent within minutes, and adjacent runs see the same machine. Best of `repeat` each,
    # plus the ratio of each round's adjacent runs.
    ours_load = ours_load_1 = oxedi_best = float("inf")
    oxedi_load_note = "oxedi not importable"
    round_ratios: list[float] = []
    kept: list[Path] = []  # every run's folder, removed after the rounds (``_remove_later``)
    os.sync()
    try:
        for _ in range(repeat):
            ours_round = _ours_into_duckdb_seconds(list(paths), 1, kept=kept)
            ours_load = min(ours_load, ours_round)
            ours_load_1 = min(ours_load_1, _ours_into_duckdb_seconds(list(paths), 1, processes=1, kept=kept))
            oxedi_round, oxedi_load_note = _oxedi_into_duckdb_seconds(blobs, 1, kept)
            if oxedi_round is not None:
                oxedi_best = min(oxedi_best, oxedi_round)
                round_ratios.append(round(oxedi_round / ours_round, 2))
    finally:
        _remove_kept(kept)
    oxedi_load = oxedi_best if round_ratios else None
    pyx12_seconds, pyx12_sample, pyx12_note = _pyx12_seconds(blobs[0], pyx12_bytes)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    def rate(seconds: float | None, size: float = megabytes) -> float | None:
        return round(size / seconds, 2) if seconds else None

    results: dict = {
        "load_average_1_min_after": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "files": len(paths),
        "bytes": total,
        "ours_1_process_rows_mb_s": rate(one),
        "ours_1_process_arrow_mb_s": rate(one_arrow),
        "ours_2_processes_arrow_mb_s": rate(two_arrow),
        "ours_2_processes_rows_mb_s": rate(two_tuples),
        # read_835_columnar (x12/columnar835.py) for the 835s it takes, parse_x12 + to_arrow otherwise
        "ours_1_process_columnar_arrow_mb_s": rate(one_columnar),
        # the loader's path (rcm ingest): files read, hashed, parsed and turned into Arrow a chunk at a
        # time (one Arrow table per raw table per ~4 MB of files), on 1 and on 2 spawned workers
        "ours_1_process_loader_chunks_arrow_mb_s": rate(one_chunked),
        "ours_2_processes_loader_chunks_arrow_mb_s": rate(two_chunked),
        "ours_2_threads_loader_chunks_arrow_mb_s": rate(two_chunked_threads),
        "ours_tokenize_only_mb_s": rate(tokenizing),
        "naive_split_mb_s": rate(naive),
        "oxedi_mb_s": rate(oxedi_seconds),
        "oxedi_note": oxedi_note,
        # load_files(processes=2): two worker processes, or two reader threads when every file is a
        # large 835 the columnar reader takes (the bench's files are); the key keeps its old name
        "ours_into_duckdb_2_processes_mb_s": rate(ours_load),
        "ours_into_duckdb_1_process_mb_s": rate(ours_load_1),
        "oxedi_into_duckdb_mb_s": rate(oxedi_load),
        "oxedi_into_duckdb_note": oxedi_load_note,
        "pyx12_mb_s_extrapolated": rate(pyx12_seconds, pyx12_sample / 1e6),
        "pyx12_sample_bytes": pyx12_sample,
        "pyx12_note": pyx12_note,
        "peak_rss_mb_parent": round(_peak_rss_mb(), 1),
        "peak_rss_mb_parent_before_parse": round(rss_before, 1),
        "peak_rss_mb_after_1_process_parse": round(rss_ours, 1),
        "peak_rss_mb_largest_worker": round(children, 1),
    }
    ours_rate = results["ours_1_process_rows_mb_s"]
    for peer, key in (
        ("naive_split", "naive_split_mb_s"),
        ("oxedi", "oxedi_mb_s"),
        ("pyx12", "pyx12_mb_s_extrapolated"),
    ):
        if results[key]:
            results[f"ratio_ours_1_process_vs_{peer}"] = round(ours_rate / results[key], 2)
            results[f"ratio_ours_2_processes_arrow_vs_{peer}"] = round(
                results["ours_2_processes_arrow_mb_s"] / results[key], 2
            )
            results[f"ratio_ours_2_processes_loader_chunks_vs_{peer}"] = round(
                results["ours_2_processes_loader_chunks_arrow_mb_s"] / results[key], 2
            )
            results[f"ratio_ours_2_threads_loader_chunks_vs_{peer}"] = round(
                results["ours_2_threads_loader_chunks_arrow_mb_s"] / results[key], 2
            )
            if results["ours_1_process_columnar_arrow_mb_s"]:
                results[f"ratio_ours_1_process_columnar_arrow_vs_{peer}"] = round(
                    results["ours_1_process_columnar_arrow_mb_s"] / results[key], 2
                )
    # the parse against the naive split, round by round (``_interleaved``): each round's two runs
    # saw the same machine, so their ratio is steadier than the ratio of two bests taken apart
    results["ratio_ours_2_threads_loader_chunks_vs_naive_split_per_round"] = naive_ratios
    results["ratio_ours_2_threads_loader_chunks_vs_naive_split_median_of_rounds"] = round(
        statistics.median(naive_ratios), 2
    )
    if results["ours_into_duckdb_2_processes_mb_s"] and results["naive_split_mb_s"]:
        # the split builds lists of strings in memory and stores nothing; our figure includes
        # hashing, the ledger, the archive copies, the inserts and the commit. Issue 6 words its
        # target "835 reading into DuckDB ... faster than a naive split", so both ratios are shown.
        results["ratio_ours_into_duckdb_vs_naive_split"] = round(
            results["ours_into_duckdb_2_processes_mb_s"] / results["naive_split_mb_s"], 2
        )
    if results["ours_into_duckdb_2_processes_mb_s"] and results["oxedi_into_duckdb_mb_s"]:
        # the target as it words it: reading 835s INTO DuckDB, on the same bytes
        results["ratio_ours_into_duckdb_vs_oxedi_into_duckdb"] = round(
            results["ours_into_duckdb_2_processes_mb_s"] / results["oxedi_into_duckdb_mb_s"], 2
        )
        results["ratio_ours_into_duckdb_1_process_vs_oxedi_into_duckdb"] = round(
            results["ours_into_duckdb_1_process_mb_s"] / results["oxedi_into_duckdb_mb_s"], 2
        )
        # ours to oxedi within each round (adjacent runs), and their median
        results["ratio_ours_into_duckdb_vs_oxedi_per_round"] = round_ratios
        results["ratio_ours_into_duckdb_vs_oxedi_median_of_rounds"] = round(
            statistics.median(round_ratios), 2
        )
    return results


def _load_in_fresh_process(paths: list[str], processes: int) -> dict:
    """``_load_once`` in this (fresh) process: seconds, rows, peak RSS."""
    seconds, results = _load_once(paths, processes, "rcm-bench-peak-")
    return {
        "seconds": seconds,
        "rows": sum(sum(result.row_counts.values()) for result in results),
        "peak_rss_mb": _peak_rss_mb(),
        "peak_rss_mb_largest_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def measure_peak_memory(paths: list[Path], processes: int = 2) -> dict:
    """A large set two ways: ``rcm ingest``'s path (``load_files`` into a new warehouse, every row
    kept in DuckDB) in a fresh process (peak RSS is a process's lifetime maximum), and the reference
    reader on ``processes`` fresh workers keeping nothing (the figure before the columnar reader;
    its parent is this process, so its parent figure includes whatever this process held before)."""
    total = sum(Path(path).stat().st_size for path in paths)
    start = time.perf_counter()
    rows = 0
    for index in range(0, len(paths), processes):
        for result in parse_files_parallel(list(paths[index : index + processes]), processes, arrow=True):
            rows += sum(table.num_rows for table in result.arrow.values())
    seconds = time.perf_counter() - start
    reference_worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        loaded = pool.submit(_load_in_fresh_process, [str(path) for path in paths], processes).result()
    return {
        "files": len(paths),
        "bytes": total,
        "loader_into_duckdb_seconds": round(loaded["seconds"], 2),
        "loader_into_duckdb_mb_s": round(total / 1e6 / loaded["seconds"], 2),
        "loader_rows": loaded["rows"],
        "loader_peak_rss_mb": round(loaded["peak_rss_mb"], 1),
        "loader_peak_rss_mb_largest_worker": round(loaded["peak_rss_mb_largest_worker"], 1),
        "reference_rows": rows,
        "reference_seconds": round(seconds, 2),
        "reference_mb_s": round(total / 1e6 / seconds, 2),
        "reference_peak_rss_mb_parent": round(_peak_rss_mb(), 1),
        "reference_peak_rss_mb_largest_worker": round(reference_worker_rss, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="X12 files to measure (default: synthetic 835s)")
    parser.add_argument("--mb", type=float, default=10, help="size of each synthetic 835 in MB")
    parser.add_argument("--files", type=int, default=2, help="number of synthetic 835 files")
    parser.add_argument(
        "--big-gb", type=float, default=0, help="also parse a set of this many GB (peak memory)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader (best is kept)")
    parser.add_argument(
        "--amounts", choices=("schedule", "random"), default="schedule", help="synthetic amounts"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where synthetic files go (default: temp)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rcm-bench-x12-"))
    paths = args.paths or write_835_set(
        workdir / "set", int(args.mb * 1e6 * args.files), int(args.mb * 1e6), amounts=args.amounts
    )
    report = {"measure": measure_x12(paths, repeat=args.repeat)}
    if args.big_gb:
        big = write_835_set(workdir / "big", int(args.big_gb * 1e9), 50_000_000, amounts=args.amounts)
        report["big_set"] = measure_peak_memory(big)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
