"""The loader with the real X12 reader on synthetic 835/837P files whose figures the test knows."""

from __future__ import annotations

import json
import threading
from decimal import Decimal as D

from ingest_helpers import assert_same_raw, dump_raw, query
from x12_fixtures import Claim, Claim837, Line, Remit, balanced_claim, claims_837p, remit_835

import orchestration.lib.loader as loader
from orchestration.lib.loader import load_files
from orchestration.settings import get_settings

GOOD_1 = Remit(
    "0001",
    D("150.00"),  # = Σ CLP04 160.00 − Σ PLB 10.00
    [balanced_claim("PCN1", "200.00", "100.00", "20.00"), balanced_claim("PCN2", "80.00", "60.00")],
    plb=[("L6", D("-5.00")), ("WO", D("15.00"))],
)
BAD = Remit(
    "0002", D("10.00"), [Claim("PCN3", "1", D("10.00"), D("10.00"), D("0"), [], bad_paid_text="1O.00")]
)
GOOD_3 = Remit("0003", D("45.50"), [balanced_claim("PCN4", "100.00", "45.50")])


def test_835_with_one_bad_transaction_set(settings, files) -> None:
    path = files / "remit_20240315.835"
    path.write_text(remit_835([GOOD_1, BAD, GOOD_3]))
    [result] = load_files([path], settings)

    assert (result.status, result.file_kind) == ("loaded_with_warnings", "835")
    assert (result.transactions_loaded, result.transactions_rejected) == (2, 1)
    assert query(settings, "select transaction_control_number from raw.era_transactions order by 1") == [
        ("0001",),
        ("0003",),
    ]
    [(severity, code, position, tcn, message)] = query(
        settings,
        "select severity, issue_code, segment_position, transaction_control_number, message from raw.load_issues",
    )
    assert (severity, code, tcn) == ("error", "BAD_ELEMENT", "0002")
    assert "remit_20240315.835" in message and "1O.00" in message
    # the CLP of the bad set is the 45th segment of the file (ISA counts as 1)
    assert position == 45
    assert query(settings, "select patient_control_number from raw.era_claims order by 1") == [
        ("PCN1",),
        ("PCN2",),
        ("PCN4",),
    ]


def test_money_sums_per_file_equal_the_files_own_figures(settings, files) -> None:
    remit_path = files / "remit_a.835"
    remit_path.write_text(remit_835([GOOD_1, GOOD_3]))
    claims = [
        Claim837("C1", [("99213", D("100.00")), ("85025", D("25.50"))]),
        Claim837("C2", [("99214", D("150.25"))]),
    ]
    claims_path = files / "claims_a.837"
    claims_path.write_text(claims_837p(claims))
    remit, submitted = load_files([remit_path, claims_path], settings)

    expected_835 = {
        "bpr02": str(GOOD_1.paid + GOOD_3.paid),  # 195.50
        "clp04": str(sum(c.paid for r in (GOOD_1, GOOD_3) for c in r.claims)),  # 205.50
        "plb": str(sum(amount for _reason, amount in GOOD_1.plb)),  # 10.00
    }
    assert expected_835 == {"bpr02": "195.50", "clp04": "205.50", "plb": "10.00"}
    assert (remit.status, remit.money_totals) == ("loaded", expected_835)
    assert (submitted.status, submitted.file_kind, submitted.money_totals) == (
        "loaded",
        "837P",
        {"clm02": "275.75"},
    )
    ledger = dict(query(settings, "select file_name, money_totals from raw.load_ledger"))
    assert json.loads(ledger["remit_a.835"]) == expected_835
    assert json.loads(ledger["claims_a.837"]) == {"clm02": "275.75"}
    # the rows in the warehouse add up to the same figures
    assert query(
        settings,
        "select (select sum(total_paid_amount) from raw.era_transactions), "
        "(select sum(paid_amount) from raw.era_claims), "
        "(select sum(adjustment_amount) from raw.era_provider_adjustments), "
        "(select sum(total_charge_amount) from raw.x837_claims), "
        "(select sum(charge_amount) from raw.x837_service_lines)",
    ) == [(D("195.50"), D("205.50"), D("10.00"), D("275.75"), D("275.75"))]
    assert remit.summary()["claims"] == 3 and remit.summary()["service_lines"] == 3
    assert remit.balancing_violations == 0
    assert query(settings, "select count(*) from raw.era_transactions where is_balanced") == [(2,)]


def test_unbalanced_transaction_loads_flagged(settings, files) -> None:
    unbalanced = Remit("0007", D("99.00"), [balanced_claim("PCN7", "120.00", "100.00")])  # BPR02 ≠ 100.00
    path = files / "remit_unbalanced.835"
    path.write_text(remit_835([unbalanced]))
    [result] = load_files([path], settings)
    assert result.status == "loaded_with_warnings"
    assert result.issue_counts == {"UNBALANCED_TRANSACTION": 1}
    assert result.balancing_violations == 1
    assert query(settings, "select is_balanced, balance_difference_amount from raw.era_transactions") == [
        (False, D("-1.00"))
    ]


def test_truncated_835_is_quarantined_with_file_segment_and_reason(settings, files) -> None:
    text = remit_835([GOOD_3])
    cut = text[: text.index("~SE*")]  # ends inside the transaction set: no SE, GE, IEA
    path = files / "remit_cut.835"
    path.write_text(cut)
    [result] = load_files([path], settings)

    assert result.status == "quarantined"
    reason = (settings.quarantine_dir / f"{result.file_id}__remit_cut.835.reason.txt").read_text()
    last_segment = cut.count("~") + 1
    assert "file: remit_cut.835" in reason
    assert f"TRUNCATED at segment {last_segment}" in reason
    assert "no SE" in reason
    assert (settings.quarantine_dir / f"{result.file_id}__remit_cut.835").read_text() == cut


def test_not_x12_text_is_quarantined(settings, files) -> None:
    path = files / "letter.txt"
    path.write_text("Dear billing office, please find our remittance enclosed.\n")
    [result] = load_files([path], settings)
    assert (result.status, result.file_kind, list(result.issue_counts)) == (
        "quarantined",
        "unknown",
        ["NOT_X12"],
    )


def test_line_with_missing_adjustment_is_unbalanced(settings, files) -> None:
    claim = Claim("PCN8", "1", D("100.00"), D("80.00"), D("0"), [Line("99213", D("100.00"), D("80.00"))])
    path = files / "remit_line.835"
    path.write_text(remit_835([Remit("0008", D("80.00"), [claim])]))
    [result] = load_files([path], settings)
    assert result.issue_counts == {"UNBALANCED_CLAIM": 1, "UNBALANCED_LINE": 1}
    assert result.balancing_violations == 2


def test_parsing_ahead_in_worker_processes_loads_the_same_rows(
    settings, files, tmp_path, monkeypatch
) -> None:
    (files / "remit_1.835").write_text(remit_835([GOOD_1, BAD]))
    (files / "remit_2.835").write_text(remit_835([GOOD_3], interchange="000000102"))
    (files / "claims_1.837").write_text(claims_837p([Claim837("C1", [("99213", D("80.00"))])]))
    (files / "payments.txt").write_text("not edi at all")
    serial = load_files([files], settings, processes=1)

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "parallel_home"))
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    parallel_settings = get_settings()
    parallel = load_files([files], parallel_settings, processes=2)

    # every new X12 candidate (the not-EDI text too: only the reader can tell) went to a worker
    assert [r.parsed_in_worker for r in parallel] == [True, True, True, True]
    assert not any(r.parsed_in_worker for r in serial)
    assert [(r.file_name, r.status, r.money_totals) for r in parallel] == [
        (r.file_name, r.status, r.money_totals) for r in serial
    ]
    assert_same_raw(dump_raw(settings), dump_raw(parallel_settings))


def _mixed_folder(files) -> None:
    (files / "remit_1.835").write_text(remit_835([GOOD_1, BAD]))
    (files / "remit_2.835").write_text(remit_835([GOOD_3], interchange="000000102"))
    (files / "remit_3.835").write_text(remit_835([GOOD_1], interchange="000000103"))
    (files / "remit_3_again.835").write_text(remit_835([GOOD_1], interchange="000000103"))  # same bytes
    (files / "claims_1.837").write_text(claims_837p([Claim837("C1", [("99213", D("80.00"))])]))
    (files / "payments.txt").write_text("not edi at all")


def test_files_parsed_in_chunks_load_the_same_rows_as_one_by_one(
    settings, files, tmp_path, monkeypatch
) -> None:
    # one call per file: every file goes through the reader on its own (no chunk)
    _mixed_folder(files)
    alone = [result for path in sorted(files.iterdir()) for result in load_files([path], settings)]

    # one call for the folder: the files are parsed ahead, two per chunk, rows sliced out per file
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "chunked_home"))
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 2)
    chunked_settings = get_settings()
    chunked = load_files([files], chunked_settings, processes=1)

    assert not any(r.parsed_in_worker for r in chunked)
    summary = [(r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts) for r in chunked]
    assert summary == [(r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts) for r in alone]
    assert [r.status for r in chunked].count("duplicate") == 1
    assert_same_raw(dump_raw(settings), dump_raw(chunked_settings))


def test_a_reader_crash_inside_a_chunk_quarantines_only_that_file(settings, files, monkeypatch) -> None:
    _mixed_folder(files)
    real_reader, real_to_arrow = loader._default_reader()

    def crashing_on_remit_2(data: bytes, file_id: str, file_name: str):
        if file_name == "remit_2.835":
            raise RuntimeError("reader bug")
        return real_reader(data, file_id, file_name)

    monkeypatch.setattr(loader, "_default_reader", lambda: (crashing_on_remit_2, real_to_arrow))
    # the columnar reader would read these clean 835s before the reference reader is asked: a bug
    # in it, below, is a file read by the reference reader instead
    from orchestration.lib.x12 import columnar835

    def columnar_bug(files):
        raise RuntimeError("columnar reader bug")

    monkeypatch.setattr(columnar835, "read_835_columnar_many", columnar_bug)
    results = {r.file_name: r for r in load_files([files], settings, processes=1)}

    assert results["remit_2.835"].status == "quarantined"
    assert results["remit_2.835"].reasons == [
        "READ_FAILED: remit_2.835: the reader failed: RuntimeError: reader bug"
    ]
    assert results["remit_1.835"].status == "loaded_with_warnings"
    assert results["remit_3.835"].status == "loaded"
    assert query(settings, "select count(*) from raw.era_transactions") == [(2,)]  # remit_1 and _3


def test_large_835s_read_by_the_columnar_reader_load_the_same_rows(
    settings, files, tmp_path, monkeypatch
) -> None:
    from orchestration.bench.x12 import build_835
    from orchestration.lib.x12 import columnar835

    (files / "a_large.835").write_bytes(build_835(600_000, seed=31, claims_per_transaction=200))
    (files / "b_small.835").write_text(remit_835([GOOD_1, BAD]))
    (files / "c_large.835").write_bytes(build_835(650_000, seed=32, claims_per_transaction=250))
    (files / "d_claims.837").write_text(claims_837p([Claim837("C1", [("99213", D("80.00"))])]))
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 3)  # chunks mixing columnar and row-by-row files
    columnar_files = []
    real_read = columnar835.read_835_columnar_many

    def counting(files):
        results = real_read(files)
        columnar_files.extend(
            name for (_data, _id, name), result in zip(files, results, strict=True) if result is not None
        )
        return results

    monkeypatch.setattr(columnar835, "read_835_columnar_many", counting)
    columnar = load_files([files], settings, processes=1)
    assert columnar_files == ["a_large.835", "c_large.835"]

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "reference_home"))
    monkeypatch.setattr(columnar835, "columnar_candidate", lambda data, **_: False)
    reference_settings = get_settings()
    reference = load_files([files], reference_settings, processes=1)

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "worker_home"))
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    worker_settings = get_settings()
    workers = load_files([files], worker_settings, processes=2)  # spawned: the real columnar reader
    assert all(r.parsed_in_worker for r in workers)

    summary = [(r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts) for r in reference]
    assert [
        (r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts) for r in columnar
    ] == summary
    assert [(r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts) for r in workers] == summary
    expected = dump_raw(reference_settings)
    assert len(expected["era_claims"]) > 1_000
    assert_same_raw(expected, dump_raw(settings))
    assert_same_raw(expected, dump_raw(worker_settings))


def test_835s_alone_are_parsed_in_threads_and_load_the_same_rows(
    settings, files, tmp_path, monkeypatch
) -> None:
    from orchestration.bench.x12 import build_835
    from orchestration.lib.x12 import columnar835

    for index, seed in enumerate((41, 42, 43)):
        (files / f"remit_{index}.835").write_bytes(build_835(560_000, seed=seed, claims_per_transaction=150))
    # small ones too, one of them with a bad set (read by the reference reader inside its chunk)
    (files / "remit_3.835").write_text(remit_835([GOOD_1, BAD], interchange="000000103"))
    for index, seed in enumerate((44, 45, 46, 47), start=4):
        (files / f"remit_{index}.835").write_bytes(build_835(20_000, seed=seed, claims_per_transaction=10))
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 3)
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)  # workers, were these not all 835s
    real_chunk = loader._parse_x12_chunk
    chunk_threads = []

    def watched(entries, compact=True, kept=None, alone=False, known=None):
        chunk_threads.append(threading.current_thread() is not threading.main_thread())
        return real_chunk(entries, compact, kept, alone, known)

    monkeypatch.setattr(loader, "_parse_x12_chunk", watched)
    threads = load_files([files], settings, processes=2)  # only 835s: reader threads, no workers
    assert [r.status for r in threads] == ["loaded"] * 3 + ["loaded_with_warnings"] + ["loaded"] * 4
    assert not any(r.parsed_in_worker for r in threads)
    assert chunk_threads == [True] * 3  # 8 files, 3 a chunk
    monkeypatch.setattr(loader, "_parse_x12_chunk", real_chunk)

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "reference_home"))
    monkeypatch.setattr(columnar835, "columnar_candidate", lambda data, **_: False)
    reference_settings = get_settings()
    reference = load_files([files], reference_settings, processes=1)
    assert [(r.file_name, r.money_totals, r.row_counts) for r in threads] == [
        (r.file_name, r.money_totals, r.row_counts) for r in reference
    ]
    assert_same_raw(dump_raw(reference_settings), dump_raw(settings))


def test_a_lone_835_is_read_by_the_columnar_reader(settings, files, tmp_path, monkeypatch) -> None:
    """One file alone used to go to the reference reader (a 50 MB 835 loaded at 10 MB/s, against
    oxedi's 37); an 835 the columnar reader may take now goes to it, and loads the same rows."""
    from orchestration.bench.x12 import build_835
    from orchestration.lib.x12 import columnar835

    path = files / "remit_big.835"
    path.write_bytes(build_835(400_000, seed=51, claims_per_transaction=120))
    real_many, real_candidate = columnar835.read_835_columnar_many, columnar835.columnar_candidate
    read_columnar = []

    def watched(batch):
        results = real_many(batch)
        for (_data, _file_id, file_name), result in zip(batch, results, strict=True):
            read_columnar.append((file_name, result is not None))
        return results

    monkeypatch.setattr(columnar835, "read_835_columnar_many", watched)
    [alone] = load_files([path], settings, processes=2)
    assert alone.status == "loaded" and read_columnar == [("remit_big.835", True)]
    monkeypatch.setattr(columnar835, "read_835_columnar_many", real_many)

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "reference_home"))
    monkeypatch.setattr(columnar835, "columnar_candidate", lambda data, **_: False)
    reference_settings = get_settings()
    [reference] = load_files([path], reference_settings, processes=2)
    assert (alone.money_totals, alone.row_counts) == (reference.money_totals, reference.row_counts)
    assert_same_raw(dump_raw(reference_settings), dump_raw(settings))

    # large enough, it is read in two halves on two threads: the same rows again
    monkeypatch.setattr(columnar835, "columnar_candidate", real_candidate)
    monkeypatch.setattr(columnar835, "SPLIT_MIN_BYTES", 100_000)
    real_split = columnar835.read_835_columnar_split
    split = []
    monkeypatch.setattr(
        columnar835, "read_835_columnar_split", lambda *a: split.append(real_split(*a)) or split[-1]
    )
    monkeypatch.setenv("RCM_HOME", str(tmp_path / "halves_home"))
    halves_settings = get_settings()
    [halves] = load_files([path], halves_settings, processes=2)
    assert [result is not None for result in split] == [True]
    assert (halves.status, halves.money_totals, halves.row_counts) == (
        "loaded",
        reference.money_totals,
        reference.row_counts,
    )
    assert_same_raw(dump_raw(reference_settings), dump_raw(halves_settings))

    # a lone file the columnar reader would not take (an 837) is still read as it comes, not ahead
    claims = files / "claims_alone.837"
    claims.write_text(claims_837p([Claim837("C9", [("99213", D("80.00"))])]))
    ahead = []
    real_ahead = loader._parse_x12_chunk
    monkeypatch.setattr(loader, "_parse_x12_chunk", lambda *a, **k: ahead.append(a) or real_ahead(*a, **k))
    [submitted] = load_files([claims], settings, processes=2)
    assert (submitted.status, submitted.file_kind, ahead) == ("loaded", "837P", [])


def test_a_stopped_load_terminates_its_workers_instead_of_waiting_for_them(
    settings, files, monkeypatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    import pytest

    for index in range(6):
        (files / f"remit_{index}.835").write_text(remit_835([GOOD_1, BAD], interchange=f"00000010{index}"))
    (files / "claims_1.837").write_text(claims_837p([Claim837("C1", [("99213", D("80.00"))])]))
    pools = []

    class Recorded(ProcessPoolExecutor):
        def shutdown(self, *args, **kwargs):
            pools.append(list((self._processes or {}).values()))  # the workers, before the pool forgets them
            super().shutdown(*args, **kwargs)

    def stop(con, result) -> None:
        raise KeyboardInterrupt  # what Ctrl-C, or SIGTERM through Dagster, raises in the loading thread

    monkeypatch.setattr(loader, "ProcessPoolExecutor", Recorded)
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(loader, "CHUNK_MAX_FILES", 1)  # chunks still queued for the workers
    monkeypatch.setattr(loader, "BATCH_MAX_FILES", 1)  # the first file commits (and stops) at once
    with pytest.raises(KeyboardInterrupt):
        load_files([files], settings, processes=2, before_commit=stop)

    [processes] = pools
    assert processes and all(p.exitcode is not None and p.exitcode < 0 for p in processes)  # terminated
    assert query(settings, "select count(*) from raw.load_ledger") == [(0,)]


def test_a_chunk_takes_each_run_of_one_batch_as_one_slice_in_file_order(tmp_path, monkeypatch) -> None:
    """``_parse_x12_chunk`` adds consecutive files of one columnar batch as one slice per table
    (``_BatchRun``), and keeps file order around files the batch declined (read row by row): its
    tables and per-file counts equal those of the same chunk read without the columnar reader."""
    from orchestration.bench.x12 import build_835
    from orchestration.lib.x12 import columnar835
    from orchestration.lib.x12.parallel import file_id_of

    good = [build_835(25_000 + 5_000 * seed, seed=seed, claims_per_transaction=10) for seed in range(5)]
    truncated = good[2][: len(good[2]) // 2]  # ends inside a set: declined, read row by row
    blobs = [good[0], good[1], truncated, good[2], remit_835([GOOD_1, BAD]).encode(), good[3], good[4]]
    entries = []
    for index, blob in enumerate(blobs):
        path = tmp_path / f"remit_{index}.835"
        path.write_bytes(blob)
        entries.append((str(path), file_id_of(blob)))

    def chunk(compact: bool):
        tables, files = loader._parse_x12_chunk(entries, compact)
        return {name: table.combine_chunks() for name, table in tables.items()}, [f[:4] for f in files]

    columnar = {compact: chunk(compact) for compact in (False, True)}
    whole, _counts = loader._parse_x12_chunk(entries[:2], False)
    assert {table.column(0).num_chunks for table in whole.values()} == {1}  # one batch: one slice
    monkeypatch.setattr(columnar835, "columnar_candidate", lambda data, **_: False)
    reference_tables, reference_files = chunk(False)
    assert len(reference_tables["era_claims"]) > 100
    for tables, files in columnar.values():
        assert files == reference_files
        assert tables.keys() == reference_tables.keys()
        for name, table in reference_tables.items():
            assert tables[name].equals(table), name
