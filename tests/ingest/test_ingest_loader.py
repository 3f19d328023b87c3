"""Loader mechanics with a fake reader: ledger, idempotency, versions, quarantine, rollback."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import hypothesis
import pytest
from hypothesis import strategies as st
from ingest_helpers import dump_raw, query

from orchestration.lib.loader import collect_files, load_files
from orchestration.lib.raw_checks import CURRENT_FILES_SQL
from orchestration.lib.x12 import columnar835

if TYPE_CHECKING:
    import pyarrow as pa


def _write(folder: Path, name: str, text: str, mtime: int | None = None) -> Path:
    path = folder / name
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


REMIT = "TX 0001 150.00\nCLP PCN1 100.00\nCLP PCN2 50.00\nTX 0002 20.00\nCLP PCN3 20.00\n"


def test_ledger_row_describes_the_file(settings, files, fake) -> None:
    path = _write(files, "remit_a.835", REMIT, mtime=1_700_000_000)
    [result] = load_files([path], settings, parser=fake)

    sha = hashlib.sha256(REMIT.encode()).hexdigest()
    assert result.status == "loaded"
    assert result.file_id == sha[:16]
    [row] = query(
        settings,
        "select file_id, file_sha256, file_name, source_path, stored_path, size_bytes, file_kind, received_at, "
        "status, reasons, supersedes_file_id, version_number, row_counts, money_totals from raw.load_ledger",
    )
    assert row[:3] == (sha[:16], sha, "remit_a.835")
    assert row[3] == str(path.resolve())
    assert row[4] == str(settings.archive_dir / f"{sha[:16]}__remit_a.835")
    assert Path(row[4]).read_text() == REMIT
    assert row[5] == len(REMIT.encode())
    assert row[6] == "835"
    assert row[7] == datetime.fromtimestamp(1_700_000_000, UTC).replace(tzinfo=None)
    assert row[8:12] == ("loaded", None, None, 1)
    counts = json.loads(row[12])
    assert (counts["era_transactions"], counts["era_claims"]) == (2, 3)
    assert json.loads(row[13]) == {"bpr02": "170.00", "clp04": "170.00", "plb": "0.00"}
    assert query(settings, "select count(*) from raw.load_issues") == [(0,)]


def test_loading_the_same_bytes_twice_changes_nothing(settings, files, fake) -> None:
    first_path = _write(files, "remit_a.835", REMIT)
    load_files([first_path], settings, parser=fake)
    before = dump_raw(settings)

    # same bytes, same name and under another name: both duplicates of the first load
    again = load_files([first_path, _write(files, "copy_of_a.835", REMIT)], settings, parser=fake)

    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert all(r.file_id == hashlib.sha256(REMIT.encode()).hexdigest()[:16] for r in again)
    assert again[1].duplicate_of == "remit_a.835"
    assert again[0].money_totals == {"bpr02": "170.00", "clp04": "170.00", "plb": "0.00"}
    assert dump_raw(settings) == before
    assert query(settings, "select count(*) from raw.load_ledger") == [(1,)]


def test_same_name_new_content_is_a_new_version(settings, files, fake) -> None:
    path = _write(files, "remit_a.835", REMIT)
    [v1] = load_files([path], settings, parser=fake)
    corrected = REMIT.replace("TX 0002 20.00\nCLP PCN3 20.00", "TX 0002 25.00\nCLP PCN3 25.00")
    path.write_text(corrected)
    [v2] = load_files([path], settings, parser=fake)

    assert (v2.status, v2.version_number, v2.supersedes_file_id) == ("loaded", 2, v1.file_id)
    ledger = query(
        settings,
        "select file_id, version_number, supersedes_file_id from raw.load_ledger order by version_number",
    )
    assert ledger == [(v1.file_id, 1, None), (v2.file_id, 2, v1.file_id)]
    # both versions' rows stay; only v2 is current
    per_file = query(settings, "select file_id, sum(paid_amount) from raw.era_claims group by 1 order by 2")
    assert per_file == [(v1.file_id, Decimal("170.00")), (v2.file_id, Decimal("175.00"))]
    assert query(settings, CURRENT_FILES_SQL) == [(v2.file_id,)]


def test_unparseable_file_is_quarantined_with_a_reason(settings, files, fake) -> None:
    path = _write(files, "mystery.dat", "TX 0001 10.00\nthis is not edi\n")
    [result] = load_files([path], settings, parser=fake)

    assert result.status == "quarantined"
    stored = settings.quarantine_dir / f"{result.file_id}__mystery.dat"
    assert result.stored_path == str(stored)
    assert stored.read_text() == path.read_text()
    reason = (settings.quarantine_dir / f"{result.file_id}__mystery.dat.reason.txt").read_text()
    assert "file: mystery.dat" in reason
    assert "NOT_X12 at segment 2" in reason
    assert "not X12: 'this is not edi'" in reason
    assert query(settings, "select status, version_number, supersedes_file_id from raw.load_ledger") == [
        ("quarantined", 1, None)
    ]
    assert query(settings, "select severity, issue_code, segment_position from raw.load_issues") == [
        ("error", "NOT_X12", 2)
    ]
    assert query(settings, "select count(*) from raw.era_transactions") == [(0,)]
    assert not any(settings.archive_dir.iterdir())


def test_empty_file_is_quarantined(settings, files, fake) -> None:
    [result] = load_files([_write(files, "empty.835", "  \n")], settings, parser=fake)
    assert (result.status, result.issue_counts) == ("quarantined", {"EMPTY_FILE": 1})


def test_one_bad_transaction_among_good_ones(settings, files, fake) -> None:
    text = "TX 0001 150.00\nCLP PCN1 150.00\nBADTX 0002\nTX 0003 30.00\nCLP PCN3 30.00\n"
    [result] = load_files([_write(files, "remit_b.835", text)], settings, parser=fake)

    assert result.status == "loaded_with_warnings"
    assert (result.transactions_loaded, result.transactions_rejected) == (2, 1)
    assert query(settings, "select transaction_control_number from raw.era_transactions order by 1") == [
        ("0001",),
        ("0003",),
    ]
    assert query(
        settings,
        "select severity, issue_code, segment_position, transaction_control_number from raw.load_issues",
    ) == [("error", "BAD_ELEMENT", 3, "0002")]
    assert result.stored_path.startswith(str(settings.archive_dir))


def test_failure_inside_the_insert_rolls_the_whole_file_back(settings, files, fake) -> None:
    # era_transactions inserts first, then the NOT NULL claim_position of era_claims fails
    bad = _write(files, "remit_bad.835", "TX 0001 10.00\nCLP PCN1 10.00\nNULLCLAIM\n")
    good = _write(files, "remit_good.835", "TX 0009 5.00\nCLP PCN9 5.00\n")
    results = load_files([bad, good], settings, parser=fake)

    assert [r.status for r in results] == ["quarantined", "loaded"]
    assert list(results[0].issue_counts) == ["LOAD_FAILED"]
    bad_id = results[0].file_id
    for table in ("era_transactions", "era_claims"):
        assert query(settings, f"select count(*) from raw.{table} where file_id = ?", [bad_id]) == [(0,)]
    assert query(settings, "select transaction_control_number from raw.era_transactions") == [("0009",)]
    assert query(settings, "select file_name, status from raw.load_ledger order by 1") == [
        ("remit_bad.835", "quarantined"),
        ("remit_good.835", "loaded"),
    ]
    assert not (settings.archive_dir / f"{bad_id}__remit_bad.835").exists()
    reason = (settings.quarantine_dir / f"{bad_id}__remit_bad.835.reason.txt").read_text()
    assert "LOAD_FAILED" in reason and "rolled back" in reason


def test_a_lone_file_failing_inside_the_insert_keeps_only_its_quarantine_copy(settings, files, fake) -> None:
    # its archive copy is written on a thread while DuckDB inserts; the insert fails before the
    # commit waits for that copy: the copy is waited for and removed, the file quarantined
    bad = _write(files, "remit_bad.835", "TX 0001 10.00\nCLP PCN1 10.00\nNULLCLAIM\n")
    [result] = load_files([bad], settings, parser=fake)

    assert result.status == "quarantined" and list(result.issue_counts) == ["LOAD_FAILED"]
    assert not list(settings.archive_dir.iterdir())
    assert sorted(path.name for path in settings.quarantine_dir.iterdir()) == [
        f"{result.file_id}__remit_bad.835",
        f"{result.file_id}__remit_bad.835.reason.txt",
    ]
    assert query(settings, "select status, stored_path from raw.load_ledger") == [
        ("quarantined", str(settings.quarantine_dir / f"{result.file_id}__remit_bad.835"))
    ]
    assert query(settings, "select count(*) from raw.era_transactions") == [(0,)]


def test_injected_failure_before_commit_leaves_nothing_visible(settings, files, fake) -> None:
    def explode(con, result) -> None:
        # inside the transaction every row is there...
        assert con.execute("select count(*) from raw.era_claims").fetchone() == (2,)
        raise RuntimeError("disk on fire")

    [result] = load_files(
        [_write(files, "remit_c.835", "TX 1 3.00\nCLP A 1.00\nCLP B 2.00\n")],
        settings,
        parser=fake,
        before_commit=explode,
    )

    # ...and after the rollback none of them is
    assert result.status == "quarantined"
    assert "disk on fire" in result.reasons[0]
    assert query(settings, "select count(*) from raw.era_claims") == [(0,)]
    assert query(settings, "select count(*) from raw.era_transactions") == [(0,)]
    assert query(settings, "select status from raw.load_ledger") == [("quarantined",)]


def test_reader_crash_quarantines_only_that_file(settings, files) -> None:
    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    [result] = load_files([_write(files, "x.835", "TX 1 1.00\n")], settings, parser=crashing)
    assert result.status == "quarantined"
    assert result.reasons == ["READ_FAILED: x.835: the reader failed: ValueError: reader bug"]


def test_collect_files_walks_folders_and_skips_partial_copies(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/one.835", "a/b/two.837", "a/.hidden.835", "a/b/three.835.part", "a/four.tmp"):
        (tmp_path / name).write_text("x")
    found = collect_files([tmp_path / "a", tmp_path / "a" / "one.835"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/b/two.837", "a/one.835"]


def test_money_totals_are_exact_decimals(settings, files, fake) -> None:
    text = "TX 1 0.10\nCLP A 0.10\nTX 2 0.20\nCLP B 0.20\nTX 3 99999999.99\nCLP C 99999999.99\n"
    [result] = load_files([_write(files, "cents.835", text)], settings, parser=fake)
    assert result.money_totals["bpr02"] == "100000000.29"
    assert query(settings, "select sum(total_paid_amount) from raw.era_transactions") == [
        (Decimal("100000000.29"),)
    ]


@pytest.mark.parametrize("name", ["claims_2024.csv", "notes.txt"])
def test_unknown_kind_falls_to_the_x12_reader_only_for_non_csv_names(settings, files, fake, name) -> None:
    path = _write(files, name, "TX 1 1.00\n")
    [result] = load_files([path], settings, parser=fake, csv_validator=lambda kind, frame: None)
    if name.endswith(".csv"):
        # a known CSV kind: read as CSV; this header lacks every required column
        assert (result.status, result.file_kind) == ("quarantined", "csv_claims")
        assert list(result.issue_counts) == ["CSV_HEADER"]
    else:
        assert (result.status, result.file_kind) == ("loaded", "835")


def test_inbox_files_unchanged_since_their_load_are_not_read_again(settings, fake) -> None:
    from orchestration.lib.loader import load_inbox

    calls: list[str] = []

    def counting(data: bytes, file_id: str, file_name: str):
        calls.append(file_name)
        return fake(data, file_id, file_name)

    path = _write(settings.inbox_dir, "remit_a.835", REMIT, mtime=1_700_000_000)
    _write(settings.inbox_dir, "remit_b.835", "TX 0005 5.00\nCLP PCN5 5.00\n", mtime=1_700_000_000)
    first = load_inbox(settings, parser=counting)
    second = load_inbox(settings, parser=counting)
    assert calls == ["remit_a.835", "remit_b.835"]
    assert [r.status for r in first] == ["loaded", "loaded"]
    assert [(r.status, r.file_id, r.money_totals) for r in second] == [
        ("duplicate", r.file_id, r.money_totals) for r in first
    ]
    # new content under the same name (and a new mtime) is read and becomes version 2
    _write(settings.inbox_dir, "remit_a.835", REMIT + "TX 0003 1.00\n", mtime=1_700_000_100)
    third = load_inbox(settings, parser=counting)
    assert calls[2:] == ["remit_a.835"]
    assert [(r.status, r.version_number) for r in third] == [("loaded", 2), ("duplicate", 1)]
    assert path.exists()  # the inbox keeps its files


def test_one_call_with_the_same_bytes_twice_and_two_versions_of_a_name(settings, files, fake) -> None:
    (files / "day1").mkdir()
    (files / "day2").mkdir()
    first = _write(files / "day1", "remit_x.835", REMIT)
    same = _write(files / "day1", "remit_x_copy.835", REMIT)
    second = _write(files / "day2", "remit_x.835", "TX 0009 9.00\nCLP PCN9 9.00\n")
    results = load_files([first, same, second], settings, parser=fake)

    assert [(r.status, r.version_number, r.supersedes_file_id) for r in results] == [
        ("loaded", 1, None),
        ("duplicate", 1, None),
        ("loaded", 2, results[0].file_id),
    ]
    assert query(settings, "select count(*) from raw.load_ledger") == [(2,)]
    assert query(settings, "select count(*) from raw.era_claims") == [(4,)]


def test_a_batch_inserts_adjacent_slices_of_one_chunk_table_as_one(tmp_path: Path) -> None:
    import pyarrow as pa

    from orchestration.lib import loader

    chunk = pa.table({"x": list(range(10))})
    other = pa.table({"x": [100, 101]})

    def item(table: pa.Table, origin: tuple[pa.Table, int] | None) -> loader._Pending:
        parsed = loader._Parsed(kind="835", tables={"t": table}, issues=[])
        if origin is not None:
            parsed.origins["t"] = (*origin, table)
        return loader._Pending(loader.FileResult("p", "n", "loaded"), parsed, b"", 0.0)

    items = [
        item(chunk.slice(0, 3), (chunk, 0)),
        item(chunk.slice(3, 2), (chunk, 3)),  # adjacent: joins the first
        item(other, None),  # not from a chunk: its own part
        item(chunk.slice(5, 1), (chunk, 5)),  # adjacent rows, but after another part: a new run
        item(chunk.slice(8, 2), (chunk, 8)),  # a gap (rows 6-7 belong to a file not in the batch)
        item(pa.table({"y": [1]}), None),  # another table: not part of "t"
    ]
    items[-1].parsed.tables = {"u": items[-1].parsed.tables["t"]}
    parts = loader._batch_parts(items, "t")

    assert [part.num_rows for part in parts] == [5, 2, 1, 2]
    assert [value for part in parts for value in part.column("x").to_pylist()] == [
        0, 1, 2, 3, 4, 100, 101, 5, 8, 9
    ]  # fmt: skip
    assert loader._batch_parts(items, "u")[0].num_rows == 1


def _money_table(name: str, column: str, values: list) -> pa.Table:
    """Raw table ``name`` with ``values`` (decimal text or Decimal, None for null) in ``column``."""
    import pyarrow as pa

    from orchestration.lib import loader

    schema = loader.arrow_schema(name)
    amounts = [None if value is None else Decimal(value) for value in values]
    return pa.Table.from_arrays(
        [
            pa.array(amounts, field.type) if field.name == column else pa.nulls(len(amounts), field.type)
            for field in schema
        ],
        schema=schema,
    )


def _each_files_own_totals(tables: dict, files: list) -> list:
    """``_money_totals`` of each file of a chunk, as a file read alone gets them (None stays None)."""
    from orchestration.lib import loader

    expected: list = []
    offsets: dict[str, int] = {}
    for item in files:
        if item is None:
            expected.append(None)
            continue
        own = {}
        for name, rows in item[0].items():
            own[name] = tables[name].slice(offsets.get(name, 0), rows)
            offsets[name] = offsets.get(name, 0) + rows
        expected.append(loader._money_totals(loader._x12_kind(item[3]), own))
    return expected


def test_a_chunks_money_totals_equal_each_files_own_sums() -> None:
    import pyarrow as pa

    from orchestration.lib import loader

    table = _money_table

    tables = {
        "era_transactions": table("era_transactions", "total_paid_amount", ["10.05", "-3.10", "7.00"]),
        # two Arrow chunks, a null (SUM skips it) and a negative reversal
        "era_claims": pa.concat_tables(
            [
                table("era_claims", "paid_amount", ["1.01", None, "2.02"]),
                table("era_claims", "paid_amount", ["-0.03", "99999999.99"]),
            ]
        ),
        "x837_claims": table("x837_claims", "total_charge_amount", ["80.00", "0.10"]),
    }
    files = [  # (counts, issues, counts, kind, seconds) as _parse_x12_chunk returns them
        ({"era_transactions": 1, "era_claims": 2}, [], {}, "835", 0.0),
        None,  # a file the loader parses alone: no rows in the chunk's tables
        ({"era_transactions": 2, "era_claims": 3}, [], {}, "835", 0.0),
        ({}, [], {}, "835", 0.0),  # no rows: no totals
        ({"x837_claims": 2}, [], {}, "837P", 0.0),
    ]
    totals = loader._chunk_money_totals(tables, files)
    assert totals == _each_files_own_totals(tables, files)
    assert totals[0] == {"bpr02": "10.05", "clp04": "1.01", "plb": "0.00"}
    assert totals[2] == {"bpr02": "3.90", "clp04": "100000001.98", "plb": "0.00"}
    assert totals[3] == {} and totals[4] == {"clm02": "80.10"}

    # sums that could leave 64 bits are summed file by file instead (decimal(18,2) holds 10**16 dollars)
    huge = {"era_claims": table("era_claims", "paid_amount", ["9999999999999999.99"] * 5)}
    huge_files = [({"era_claims": 5}, [], {}, "835", 0.0)]
    assert loader._chunk_money_totals(huge, huge_files) == [
        {"bpr02": "0.00", "clp04": "49999999999999999.95", "plb": "0.00"}
    ]


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(
    st.lists(
        st.tuples(
            st.sampled_from(["835", "837P", "mixed", "unknown"]),
            st.lists(st.one_of(st.none(), st.integers(-(10**12), 10**12)), max_size=6),
            st.lists(st.one_of(st.none(), st.integers(-(10**12), 10**12)), max_size=6),
        ),
        max_size=8,
    ),
    st.sets(st.integers(0, 7)),
)
def test_a_chunks_money_totals_equal_each_files_own_sums_for_any_rows(files_rows, unread) -> None:
    """Any files (some left to the loader: None), any amounts in cents (nulls too), any kinds."""
    from orchestration.lib import loader

    def table(name: str, column: str, cents: list[int | None]) -> pa.Table:
        return _money_table(name, column, [None if c is None else Decimal(c).scaleb(-2) for c in cents])

    files: list = []
    claims: list[int | None] = []
    charges: list[int | None] = []
    for index, (kind, paid, charged) in enumerate(files_rows):
        if index in unread:
            files.append(None)  # parsed alone by the loader: no rows in the chunk
            continue
        counts = {name: len(rows) for name, rows in (("era_claims", paid), ("x837_claims", charged)) if rows}
        files.append((counts, [], {}, kind, 0.0))
        claims += paid
        charges += charged
    tables = {
        "era_claims": table("era_claims", "paid_amount", claims),
        "x837_claims": table("x837_claims", "total_charge_amount", charges),
    }
    assert loader._chunk_money_totals(tables, files) == _each_files_own_totals(tables, files)


def _count_calls(monkeypatch, module, name: str) -> list[tuple]:
    calls: list[tuple] = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def _count_opens(monkeypatch, loader, path: Path) -> list[str]:
    """The modes ``loader`` opens ``path`` with (it calls the builtin ``open``)."""
    modes: list[str] = []

    def counted(file, mode="r", *args, **kwargs):
        if Path(file) == path:
            modes.append(mode)
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(loader, "open", counted, raising=False)
    return modes


def test_a_lone_835_is_read_and_hashed_once(settings, files, monkeypatch) -> None:
    from orchestration.bench.x12 import build_835
    from orchestration.lib import loader

    path = files / "remit_alone.835"
    path.write_bytes(build_835(60_000, seed=7, claims_per_transaction=10))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    opened = _count_opens(monkeypatch, loader, path)
    hashed = _count_calls(monkeypatch, loader.hashlib, "sha256")
    scanned = _count_calls(monkeypatch, columnar835, "columnar_candidate")

    [result] = load_files([path], settings, processes=2)

    assert (result.status, result.parsed_in_worker) == ("loaded", False)
    assert (opened, len(hashed), len(scanned)) == (["rb"], 1, 1)  # by _files_ahead; its chunk reuses them
    ledger = query(settings, "select file_sha256, size_bytes, received_at from raw.load_ledger")
    assert ledger == [
        (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_size,
            datetime.fromtimestamp(1_700_000_000, UTC).replace(tzinfo=None),
        )
    ]
    assert Path(result.stored_path).read_bytes() == path.read_bytes()


def test_a_lone_835_changed_after_it_was_identified_loads_the_bytes_identified(
    settings, files, monkeypatch
) -> None:
    """Its chunk parses the bytes ``_files_ahead`` read and hashed: the ledger, the archive copy and
    the rows all describe that one snapshot of the file, never a mix of two."""
    from orchestration.bench.x12 import build_835
    from orchestration.lib import loader

    path = files / "remit_changing.835"
    first, second = (build_835(60_000, seed=seed, claims_per_transaction=10) for seed in (8, 9))
    path.write_bytes(first)
    real_identified = loader._identified

    def identified_then_changed(*args, **kwargs):
        entry = real_identified(*args, **kwargs)
        path.write_bytes(second)  # rewritten right after it was read and hashed
        return entry

    monkeypatch.setattr(loader, "_identified", identified_then_changed)
    [result] = load_files([path], settings, processes=2)

    assert result.status == "loaded"
    assert result.file_id == hashlib.sha256(first).hexdigest()[:16]
    assert Path(result.stored_path).read_bytes() == first
    [(sha,)] = query(settings, "select file_sha256 from raw.load_ledger")
    assert sha == hashlib.sha256(first).hexdigest()
    [(claims,)] = query(settings, "select count(*) from raw.era_claims")
    assert claims == first.count(b"~\nCLP*") == result.claims


def test_one_ingest_process_identifies_the_files_on_one_thread(settings, files, monkeypatch) -> None:
    from orchestration.bench.x12 import build_835
    from orchestration.lib import loader

    paths = []
    for index in range(3):
        paths.append(files / f"remit_{index}.835")
        paths[-1].write_bytes(build_835(20_000, seed=index, claims_per_transaction=5))
    threads = []
    real_identified = loader._identified
    monkeypatch.setattr(
        loader,
        "_identified",
        lambda *a, **k: threads.append(threading.current_thread().name) or real_identified(*a, **k),
    )
    load_files(paths, settings, processes=1)
    assert threads == ["MainThread"] * 3
    load_files(paths, settings.__class__(**{**vars(settings), "home": files / "two"}), processes=2)
    assert len(threads) == 6 and all(name.startswith("rcm-ahead") for name in threads[3:])


def test_a_file_blank_for_more_than_its_first_4_kib_is_not_blank() -> None:
    from orchestration.lib.loader import _is_blank

    assert _is_blank(b" \r\n\t" * 2_000)
    assert not _is_blank(b"\n" * 5_000 + b"ISA*00*")
    assert not _is_blank(b"ISA*00*" + b" " * 5_000)


def test_files_read_by_a_reader_thread_are_not_read_again(settings, files, monkeypatch) -> None:
    from orchestration.bench.x12 import build_835
    from orchestration.lib import loader

    paths = []
    for index in range(4):
        path = files / f"remit_{index}.835"
        path.write_bytes(build_835(30_000, seed=index, claims_per_transaction=10))
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
        paths.append(path)
    read_again = []
    real_read = loader._read_file
    monkeypatch.setattr(loader, "_read_file", lambda path, *a: read_again.append(path) or real_read(path, *a))
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 2)
    scanned = _count_calls(monkeypatch, columnar835, "columnar_candidate")

    results = load_files(paths, settings, processes=2)  # only 835s: two reader threads

    assert [r.status for r in results] == ["loaded"] * 4
    assert read_again == []  # the bytes, hash and mtime come from the chunk that read them
    assert len(scanned) == 4  # each file's bytes scanned for an 837 once, by _files_ahead
    ledger = query(
        settings, "select file_name, file_sha256, size_bytes, received_at from raw.load_ledger order by 1"
    )
    assert ledger == [
        (
            path.name,
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_size,
            datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None),
        )
        for path in paths
    ]
    for result, path in zip(results, paths, strict=True):
        assert Path(result.stored_path).read_bytes() == path.read_bytes()


def test_source_paths_resolve_like_path_resolve(tmp_path: Path) -> None:
    from orchestration.lib import loader

    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "a.835").write_text("x")
    (tmp_path / "elsewhere.835").write_text("y")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "sub" / "b.835").symlink_to(tmp_path / "elsewhere.835")
    folders: dict[Path, Path] = {}
    for path in (
        tmp_path / "linked" / "sub" / "a.835",  # through a linked folder
        tmp_path / "linked" / "sub" / "b.835",  # a linked file in it
        tmp_path / "real" / "sub" / ".." / "sub" / "a.835",
        Path(os.path.relpath(tmp_path / "real" / "sub" / "a.835")),
    ):
        assert loader._resolved(path, folders) == path.resolve()
    assert collect_files([tmp_path / "linked"]) == [
        tmp_path / "linked" / "sub" / "a.835",
        tmp_path / "linked" / "sub" / "b.835",
    ]


def _copies(settings) -> dict[str, bytes]:
    found = {}
    for folder in (settings.archive_dir, settings.quarantine_dir):
        for path in folder.iterdir():
            found[f"{folder.name}/{path.name}"] = path.read_bytes()
    return found


def test_copies_written_by_the_copy_thread_are_the_bytes_read_and_named_by_the_ledger(
    settings, files, fake
) -> None:
    texts = {f"remit_{n}.835": f"TX {n:04d} {n}.00\nCLP PCN{n} {n}.00\n" for n in range(1, 6)}
    texts["mystery.dat"] = "this is not edi"
    paths = [_write(files, name, text) for name, text in texts.items()]
    results = load_files(paths, settings, parser=fake)

    assert [r.status for r in results] == ["loaded"] * 5 + ["quarantined"]
    ledger = dict(query(settings, "select file_name, stored_path from raw.load_ledger"))
    for result in results:
        folder = settings.quarantine_dir if result.status == "quarantined" else settings.archive_dir
        stored = folder / f"{result.file_id}__{result.file_name}"
        assert result.stored_path == ledger[result.file_name] == str(stored)
        assert stored.read_text() == texts[result.file_name]
    assert len(_copies(settings)) == 7  # 5 archived, 1 quarantined with its .reason.txt
    assert (
        "NOT_X12" in (settings.quarantine_dir / f"{results[-1].file_id}__mystery.dat.reason.txt").read_text()
    )


def test_a_copy_that_fails_once_fails_its_batch_and_the_retry_copies_it(
    settings, files, fake, monkeypatch
) -> None:
    from orchestration.lib import loader

    real_store = loader._store_copy
    failed = []

    def flaky(data, directory, file_id, file_name):
        if file_name == "remit_2.835" and not failed:
            failed.append(threading.current_thread() is not threading.main_thread())
            raise OSError("disk hiccup")
        return real_store(data, directory, file_id, file_name)

    monkeypatch.setattr(loader, "_store_copy", flaky)
    paths = [_write(files, f"remit_{n}.835", f"TX {n:04d} {n}.00\nCLP PCN{n} {n}.00\n") for n in (1, 2, 3)]
    results = load_files(paths, settings, parser=fake)

    assert failed == [True]  # it failed in the copy thread
    assert [r.status for r in results] == ["loaded"] * 3  # retried file by file, the copy then written
    assert sorted(_copies(settings)) == sorted(f"archive/{r.file_id}__{r.file_name}" for r in results)
    assert query(settings, "select count(*) from raw.load_ledger where stored_path is not null") == [(3,)]


def test_a_load_stopped_before_its_commit_leaves_no_copy_and_no_row(settings, files, fake) -> None:
    def stop(con, result) -> None:
        raise KeyboardInterrupt  # not an Exception: the loader does not retry, it stops

    paths = [_write(files, f"remit_{n}.835", f"TX {n:04d} {n}.00\nCLP PCN{n} {n}.00\n") for n in (1, 2, 3)]
    paths.append(_write(files, "mystery.dat", "this is not edi"))
    with pytest.raises(KeyboardInterrupt):
        load_files(paths, settings, parser=fake, before_commit=stop)

    assert _copies(settings) == {}
    assert query(settings, "select count(*) from raw.load_ledger") == [(0,)]
    assert query(settings, "select count(*) from raw.era_claims") == [(0,)]


def test_a_file_quarantined_for_a_cause_on_our_side_loads_when_loaded_again(settings, files, fake) -> None:
    # first load: the write fails (as a full disk would) and, for the other file, the reader raises
    disk = _write(files, "remit_disk.835", REMIT, mtime=1_700_000_000)
    bug = _write(files, "remit_bug.835", "TX 0007 7.00\nCLP PCN7 7.00\n", mtime=1_700_000_000)

    def full_disk(con, result) -> None:
        if result.file_name == "remit_disk.835":
            raise OSError("No space left on device")

    def buggy(data: bytes, file_id: str, file_name: str):
        if file_name == "remit_bug.835":
            raise ValueError("reader bug")
        return fake(data, file_id, file_name)

    first = load_files([files], settings, parser=buggy, before_commit=full_disk)
    assert [(r.file_name, r.status, list(r.issue_counts)) for r in first] == [
        ("remit_bug.835", "quarantined", ["READ_FAILED"]),
        ("remit_disk.835", "quarantined", ["LOAD_FAILED"]),
    ]
    quarantined = [Path(r.stored_path) for r in first]
    assert all(path.exists() for path in quarantined)

    # loaded again once the cause is gone: both are read again and load; their earlier rows make way
    second = load_files([files], settings, parser=fake)
    assert [(r.file_name, r.status, r.version_number) for r in second] == [
        ("remit_bug.835", "loaded", 1),
        ("remit_disk.835", "loaded", 1),
    ]
    assert [r.retried_from.split(":")[0] for r in second] == ["READ_FAILED", "LOAD_FAILED"]
    assert "read again" in second[0].one_line()
    from orchestration.commands.ingest import format_summary

    assert "read again: quarantined before for a cause on our side (READ_FAILED" in format_summary(
        second[0].summary()
    )
    assert query(settings, "select file_name, status, version_number from raw.load_ledger order by 1") == [
        ("remit_bug.835", "loaded", 1),
        ("remit_disk.835", "loaded", 1),
    ]
    assert query(settings, "select count(*) from raw.load_issues") == [(0,)]
    assert query(settings, "select sum(total_paid_amount) from raw.era_transactions") == [
        (Decimal("177.00"),)
    ]
    assert not any(path.exists() for path in quarantined)
    assert not any(path.with_name(path.name + ".reason.txt").exists() for path in quarantined)
    assert all(Path(r.stored_path).parent == settings.archive_dir for r in second)

    # and from then on they are duplicates like any loaded file
    third = load_files([files], settings, parser=fake)
    assert [(r.status, r.retried_from) for r in third] == [("duplicate", None), ("duplicate", None)]
    assert disk.exists() and bug.exists()


def test_a_file_quarantined_for_its_own_bytes_stays_a_duplicate(settings, files, fake) -> None:
    # BADTX alone: every transaction set rejected, the file's own fault, nothing to retry
    path = _write(files, "remit_bad.835", "BADTX 0002\n")
    [first] = load_files([path], settings, parser=fake)
    assert first.status == "quarantined"
    [second] = load_files([path], settings, parser=fake)
    assert (second.status, second.retried_from) == ("duplicate", None)
    assert query(settings, "select count(*) from raw.load_ledger") == [(1,)]


def test_a_retry_that_fails_again_keeps_one_ledger_row(settings, files, fake) -> None:
    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    path = _write(files, "remit_x.835", REMIT)
    load_files([path], settings, parser=crashing)
    [again] = load_files([path], settings, parser=crashing)
    assert (again.status, again.retried_from is not None) == ("quarantined", True)
    assert query(settings, "select status, version_number from raw.load_ledger") == [("quarantined", 1)]
    assert query(settings, "select issue_code from raw.load_issues") == [("READ_FAILED",)]
    assert Path(again.stored_path).exists()


def test_the_inbox_does_not_retry_a_file_unchanged_since_its_quarantine(settings, fake) -> None:
    from orchestration.lib.loader import load_inbox

    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    path = _write(settings.inbox_dir, "remit_a.835", REMIT, mtime=1_700_000_000)
    [first] = load_inbox(settings, parser=crashing)
    [second] = load_inbox(settings, parser=fake)  # every sensor tick would otherwise read it again
    assert (first.status, second.status) == ("quarantined", "duplicate")
    [named] = load_files([path], settings, parser=fake)  # named to `rcm ingest`, it is read again
    assert (named.status, named.retried_from is not None) == ("loaded", True)


def test_older_content_read_again_takes_its_place_below_the_newer_version(settings, files, fake) -> None:
    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    older, newer = "TX 0001 1.00\nCLP PCN1 1.00\n", "TX 0002 2.00\nCLP PCN2 2.00\n"
    path = _write(files, "remit_a.835", older)
    [a_first] = load_files([path], settings, parser=crashing)  # version 1, quarantined
    _write(files, "remit_a.835", newer)
    [b] = load_files([path], settings, parser=fake)  # version 2 loads
    assert (b.version_number, b.supersedes_file_id) == (2, None)

    _write(files, "remit_a.835", older)  # the older content, named again once the bug is fixed
    [a] = load_files([path], settings, parser=fake)
    assert (a.status, a.version_number, a.supersedes_file_id) == ("loaded", 1, None)
    ledger = dict(query(settings, "select file_id, supersedes_file_id from raw.load_ledger"))
    assert ledger == {a.file_id: None, b.file_id: a.file_id}  # the newer one now supersedes it
    assert query(settings, CURRENT_FILES_SQL) == [(b.file_id,)]  # and stays the current one

    _write(files, "remit_a.835", newer + "TX 0003 3.00\nCLP PCN3 3.00\n")
    [c] = load_files([path], settings, parser=fake)
    assert (c.version_number, c.supersedes_file_id) == (3, b.file_id)
    assert a.file_id == a_first.file_id


def test_the_same_bytes_twice_in_one_call_are_read_again_once(settings, files, fake) -> None:
    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    _write(files, "remit_x.835", REMIT)
    _write(files, "remit_x_copy.835", REMIT)
    first = load_files([files], settings, parser=crashing)
    # quarantined in this call: its copy is a duplicate, not a retry of it
    assert [(r.status, r.retried_from is None) for r in first] == [("quarantined", True), ("duplicate", True)]
    second = load_files([files], settings, parser=fake)
    assert [(r.status, r.retried_from is None) for r in second] == [("loaded", False), ("duplicate", True)]
    assert query(settings, "select count(*), min(status) from raw.load_ledger") == [(1, "loaded")]


def test_a_stopped_retry_keeps_the_quarantine_copy_its_ledger_row_names(settings, files) -> None:
    def crashing(data: bytes, file_id: str, file_name: str):
        raise ValueError("reader bug")

    def stop(con, result) -> None:
        raise KeyboardInterrupt

    path = _write(files, "remit_x.835", REMIT)
    [first] = load_files([path], settings, parser=crashing)
    copy = Path(first.stored_path)
    with pytest.raises(KeyboardInterrupt):
        load_files([path], settings, parser=crashing, before_commit=stop)
    assert query(settings, "select status, stored_path from raw.load_ledger") == [("quarantined", str(copy))]
    assert copy.exists() and copy.with_name(copy.name + ".reason.txt").exists()


def test_two_older_contents_read_again_in_one_batch_chain_around_the_loaded_versions(
    settings, files, fake, tmp_path
) -> None:
    def crashing_on_bad(data: bytes, file_id: str, file_name: str):
        if b"0009" in data:
            raise ValueError("reader bug")
        return fake(data, file_id, file_name)

    contents = {
        "A": "TX 0001 1.00\nCLP PCN1 1.00\nCLP 0009 0.00\n",  # v1: the reader fails
        "X": "TX 0002 2.00\nCLP PCN2 2.00\n",  # v2 loads
        "B": "TX 0003 3.00\nCLP PCN3 3.00\nCLP 0009 0.00\n",  # v3: the reader fails
        "Y": "TX 0004 4.00\nCLP PCN4 4.00\n",  # v4 loads
    }
    ids = {}
    for label, text in contents.items():
        [result] = load_files([_write(files, "remit.835", text)], settings, parser=crashing_on_bad)
        ids[label] = result.file_id
    # the two failed contents, under the same name in two folders, read again in one call
    other = tmp_path / "other"
    other.mkdir()
    _write(files, "remit.835", contents["A"])
    _write(other, "remit.835", contents["B"])
    again = load_files([files, other], settings, parser=fake)
    assert [(r.status, r.version_number) for r in again] == [("loaded", 1), ("loaded", 3)]
    chain = dict(query(settings, "select file_id, supersedes_file_id from raw.load_ledger"))
    assert chain == {ids["A"]: None, ids["X"]: ids["A"], ids["B"]: ids["X"], ids["Y"]: ids["B"]}
    assert query(settings, CURRENT_FILES_SQL) == [(ids["Y"],)]
