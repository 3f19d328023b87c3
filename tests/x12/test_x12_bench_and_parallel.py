"""The benchmark's fixture builder writes valid, balanced 835s; the parallel helper returns exactly what
the single-process reader returns. (No test asserts a speed.)"""

from __future__ import annotations

import importlib.util
import tempfile
from decimal import Decimal
from pathlib import Path

from orchestration.bench.x12 import build_835, measure_x12, write_835_set
from orchestration.lib.x12 import parse_file, parse_files_parallel, parse_x12, to_arrow


def test_built_835_is_valid_balanced_and_varied() -> None:
    data = build_835(60_000, seed=3, claims_per_transaction=40)
    assert 60_000 <= len(data) < 64_000
    assert build_835(60_000, seed=3, claims_per_transaction=40) == data  # deterministic per seed
    result = parse_x12(data, "bench", "bench.835")
    assert result.issues == []
    assert result.transactions_loaded >= 2 and result.transactions_rejected == 0
    claims = result.tables["era_claims"]
    assert {row[4] for row in claims} >= {"1", "4", "22"}  # paid, denied and reversed claims
    assert len({row[9] for row in result.tables["era_adjustments"]}) > 20  # varied amounts
    for transaction in result.tables["era_transactions"]:
        assert transaction[9] == transaction[24] - transaction[25] >= 0  # BPR02 = ΣCLP04 − ΣPLB
    random_amounts = parse_x12(build_835(30_000, seed=4, amounts="random"), "bench", "bench.835")
    assert random_amounts.issues == []


def test_parallel_results_equal_single_process_results(tmp_path: Path) -> None:
    paths = write_835_set(tmp_path, 90_000, 30_000, seed=11)
    assert len(paths) == 3
    single = [parse_file(path) for path in paths]
    assert [result.tables for result in parse_files_parallel(paths, processes=2)] == [
        r.tables for r in single
    ]
    as_arrow = parse_files_parallel(paths, processes=2, arrow=True)
    for fast, slow in zip(as_arrow, single, strict=True):
        assert fast.tables == {}
        assert (fast.file_id, fast.issues, fast.transactions_loaded) == (
            slow.file_id,
            slow.issues,
            slow.transactions_loaded,
        )
        for name, table in to_arrow(slow).items():
            assert fast.arrow[name].equals(table)
    paid = sum(
        (sum(fast.arrow["era_claims"].column("paid_amount").to_pylist(), Decimal(0)) for fast in as_arrow),
        Decimal(0),
    )
    assert paid == sum((row[6] for result in single for row in result.tables["era_claims"]), Decimal(0))


def test_measure_reports_every_reader_on_the_same_bytes(tmp_path: Path) -> None:
    paths = write_835_set(tmp_path, 40_000, 20_000, seed=5)
    report = measure_x12(paths, pyx12_bytes=5_000, repeat=1)
    assert report["bytes"] == sum(path.stat().st_size for path in paths)
    for key in (
        "ours_1_process_rows_mb_s",
        "ours_2_processes_arrow_mb_s",
        "ours_1_process_loader_chunks_arrow_mb_s",
        "ours_2_processes_loader_chunks_arrow_mb_s",
        "ours_2_threads_loader_chunks_arrow_mb_s",
        "naive_split_mb_s",
        "ours_into_duckdb_2_processes_mb_s",
        "peak_rss_mb_parent",
    ):
        assert report[key] > 0
    assert report["pyx12_sample_bytes"] > 0
    if importlib.util.find_spec("oxedi") is not None:  # the bench extra, installed by `make setup`
        assert report["oxedi_into_duckdb_mb_s"] > 0
        assert report["ratio_ours_into_duckdb_vs_oxedi_into_duckdb"] == round(
            report["ours_into_duckdb_2_processes_mb_s"] / report["oxedi_into_duckdb_mb_s"], 2
        )


def test_measure_without_the_peers_installed_reports_ours_and_says_why(tmp_path: Path, monkeypatch) -> None:
    """The peers come from the bench extra: without oxedi and pyx12 the report still has our figures
    and the split's, and names what is missing (it used to divide by their missing rates and raise
    TypeError)."""
    import sys

    for name in ("oxedi", "pyx12", "pyx12.error_handler", "pyx12.params", "pyx12.x12context"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    paths = write_835_set(tmp_path, 40_000, 20_000, seed=5)
    report = measure_x12(paths, pyx12_bytes=5_000, repeat=1)
    assert report["oxedi_mb_s"] is None and report["oxedi_note"] == "oxedi not importable"
    assert report["pyx12_mb_s_extrapolated"] is None and report["pyx12_note"] == "pyx12 not importable"
    assert report["oxedi_into_duckdb_mb_s"] is None
    assert not [key for key in report if key.endswith(("_vs_oxedi", "_vs_pyx12"))]
    assert report["ratio_ours_1_process_columnar_arrow_vs_naive_split"] == round(
        report["ours_1_process_columnar_arrow_mb_s"] / report["naive_split_mb_s"], 2
    )
    assert report["ratio_ours_into_duckdb_vs_naive_split"] > 0


def test_timed_loads_keep_their_homes_until_the_rounds_end(tmp_path: Path, monkeypatch) -> None:
    """A home removed right before the next timed load slows that load's file creations: the
    rounds keep every home and remove them all afterwards."""
    from orchestration.bench import x12 as bench_x12

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    paths = write_835_set(tmp_path / "set", 40_000, 20_000, seed=6)
    kept: list[Path] = []
    seconds, results = bench_x12._load_once(paths, 1, "rcm-bench-load-", kept)
    assert seconds > 0 and [r.status for r in results] == ["loaded"] * len(paths)
    assert len(kept) == 1 and (kept[0] / "archive").is_dir()  # still there
    bench_x12._remove_kept(kept)
    assert kept == [] and list((tmp_path / "tmp").iterdir()) == []
    bench_x12._load_once(paths, 1, "rcm-bench-load-")  # without a list: removed at once
    assert list((tmp_path / "tmp").iterdir()) == []
    # and measure_x12 leaves nothing behind either
    bench_x12.measure_x12(paths, pyx12_bytes=5_000, repeat=1)
    assert [path.name for path in (tmp_path / "tmp").iterdir()] == []


def test_peak_memory_measures_the_loader_and_the_reference_on_the_same_rows(tmp_path: Path) -> None:
    from orchestration.bench.x12 import measure_peak_memory

    paths = write_835_set(tmp_path, 1_400_000, 700_000, seed=7)  # two columnar-sized files
    report = measure_peak_memory(paths)
    assert report["files"] == 2
    assert report["loader_rows"] == report["reference_rows"] > 10_000
    assert report["loader_peak_rss_mb"] > 50 and report["reference_peak_rss_mb_parent"] > 50
    assert report["loader_into_duckdb_mb_s"] > 0


def test_value_caches_shared_across_files_never_change_a_files_rows() -> None:
    from orchestration.lib.x12 import state

    first = build_835(30_000, seed=11)
    # the same amounts written with three decimals (rounded half up) and one unreadable amount
    second = build_835(30_000, seed=12).replace(b"*20241231*L6*", b"*20241231*L6*-0.005*X*")
    broken = second.replace(b"CAS*CO*45*", b"CAS*CO*45*1O", 1)
    assert broken != second
    for cache in (state.MONEY_CACHE, state.QUANTITY_CACHE, state.DATE_CACHE):
        cache.clear()
    alone = parse_x12(second, "f2", "second.835")
    assert parse_x12(broken, "f3", "x.835").transactions_rejected == 1
    parse_x12(first, "f1", "x.835")
    after = parse_x12(second, "f2", "x.835")
    assert after.tables == alone.tables
    assert [issue.message for issue in after.issues] == [
        issue.message.replace("second.835", "x.835") for issue in alone.issues
    ]
