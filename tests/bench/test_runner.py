"""The benchmark's instruments measure what they say (the figures themselves are never asserted)."""

from __future__ import annotations

import json
import statistics
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.bench.runner import measure
from orchestration.commands.bench import scaling, to_markdown

ALLOCATE = "import time; block = bytearray({mb} * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]); time.sleep(0.6)"


def test_peak_memory_counts_the_whole_process_tree() -> None:
    # A parent holding 80 MB starts a child holding 80 MB at the same time: the tree peaks at 160 MB,
    # which no single process reaches.
    script = textwrap.dedent(
        f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", {ALLOCATE.format(mb=80)!r}])
        {ALLOCATE.format(mb=80)}
        child.wait()
        """
    )
    measured = measure([sys.executable, "-c", script])
    assert measured.returncode == 0
    assert measured.peak_rss_mb > 150
    assert measured.wall_seconds >= 0.6


def test_a_stage_after_a_big_one_reports_its_own_peak_and_cpu() -> None:
    # getrusage(RUSAGE_CHILDREN)'s peak is the largest child ever reaped: a small stage after a big
    # one reported the big one's peak
    big = measure([sys.executable, "-c", ALLOCATE.format(mb=300)])
    small = measure([sys.executable, "-c", "import time; time.sleep(0.3)"])
    assert big.peak_rss_mb > 290
    assert small.peak_rss_mb < 100
    assert 0 < small.cpu_seconds < 0.5 and small.wall_seconds >= 0.3
    # touching 300 MB of fresh pages is kernel work: part of the CPU time, and recorded as such
    assert 0 < big.system_seconds <= big.cpu_seconds


def test_failed_command_keeps_its_exit_code_and_stderr() -> None:
    measured = measure([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    assert measured.returncode == 3
    assert "boom" in measured.stderr


def test_scaling_exponent_is_the_log_log_slope() -> None:
    results = [
        {"claims": 1000, "stages": [{"stage": "build", "wall_seconds": 2.0}]},
        {"claims": 10000, "stages": [{"stage": "build", "wall_seconds": 20.0}]},
        {"claims": 100000, "stages": [{"stage": "build", "wall_seconds": 400.0}]},
    ]
    rows = scaling(results)
    build = [row["exponent"] for row in rows if row["stage"] == "build"]
    assert build == [1.0, 1.301]
    # the end-to-end row sums every stage except generate (here only the build)
    assert [row["exponent"] for row in rows if row["stage"] == "load + build + publish"] == build


def test_ingest_rows_sum_the_per_table_counts() -> None:
    from orchestration.commands.bench import _ingest_rows

    out = '{"rows": {"era_claims": 3, "era_service_lines": 5}}\nnoise\n{"rows": {}}\n'
    assert _ingest_rows(out) == 8


def test_markdown_table_names_machine_and_end_to_end_total() -> None:
    stage = {
        "wall_seconds": 3.0,
        "cpu_seconds": 5.0,
        "peak_rss_mb": 100.0,
        "input_bytes": 2_000_000,
        "rows": 10,
        "mb_per_second": 0.67,
        "rows_per_second": 3.3,
    }
    report = {
        "machine": {"cores": 2, "memory": "24 GB", "cpu": "x", "python": "3.11", "duckdb": "2", "when": "t"},
        "results": [
            {
                "claims": 1000,
                "stages": [
                    {**stage, "stage": "generate"},
                    {
                        **stage,
                        "stage": "dbt build + publish",
                        "system_seconds": 1.5,
                        "publish_seconds": 1.25,
                        "breakdown": {
                            "dbt_seconds": 1.5,
                            "dbt_nodes": 2,
                            "slowest_nodes": [{"node": "fct_claims", "seconds": 0.75}],
                            "slowest_tables": [{"table": "fct_claim_events", "seconds": 0.5}],
                        },
                    },
                ],
                "dashboard_callbacks": {
                    "overview.update_overview": {"p50_ms": 52.1, "p95_ms": 59.4, "p99_ms": 61.0, "calls": 20}
                },
                "dashboard_pages": {
                    "repeats": 3,
                    "login_ms": 900.0,
                    "pages": {"overview": {"p50_ms": 812.5, "max_ms": 990.0, "console_errors": 0}},
                },
                "x12_peers": {
                    "files": 245,
                    "bytes": 78_380_176,
                    "ours_into_duckdb_2_processes_mb_s": 37.34,
                    "oxedi_into_duckdb_mb_s": 30.6,
                    "ratio_ours_into_duckdb_vs_oxedi_into_duckdb": 1.22,
                    "ratio_ours_into_duckdb_vs_oxedi_per_round": [1.08, 1.26, 1.17],
                    "ours_2_threads_loader_chunks_arrow_mb_s": 73.86,
                    "naive_split_mb_s": 34.37,
                    "ratio_ours_2_threads_loader_chunks_vs_naive_split": 2.15,
                    "ratio_ours_into_duckdb_vs_naive_split": 1.09,
                    "oxedi_mb_s": None,  # not importable: said, not hidden
                    "pyx12_mb_s_extrapolated": 0.38,
                    "pyx12_sample_bytes": 114_644,
                    "ratio_ours_2_threads_loader_chunks_vs_pyx12": 194.37,
                },
            }
        ],
        "scaling": [],
        "x12_large_file": {"files": 1, "bytes": 10_000_567, "oxedi_into_duckdb_mb_s": 31.25},
    }
    text = to_markdown(report)
    assert "2 cores" in text
    assert "| 1,000 | **load + build + publish** | **3.0** |" in text
    assert "| 1,000 | dbt build + publish | 3.0 | 5.0 (1.5) | 100 |" in text  # its system share
    assert "| 1,000 | generate | 3.0 | 5.0 | 100 |" in text  # a report from before system time was kept
    assert "| 1,000 | of which publish | 1.2 | | | | | | |" in text  # the build's publish step
    assert (
        "Of the build at 1,000 claims: dbt 1.5 s over 2 nodes (slowest: fct_claims 0.8 s); "
        "publish 1.2 s (slowest: fct_claim_events 0.5 s); the rest 0.2 s (start-up, Dagster, dbt's own "
        "start and parse, bookkeeping)." in text
    )
    assert "| overview.update_overview | 52.1 | 59.4 | 61.0 | 20 |" in text
    assert "| overview | 812.5 | 990.0 | 0 |" in text
    assert "X12 835 readers on the same 245 files (78.4 MB) of the 1,000-claim demo:" in text
    assert (
        "| oxedi into DuckDB (its tables in one transaction) | 30.6 | **1.22×** best; rounds 1.08, 1.26, 1.17 |"
        in text
    )
    assert "| oxedi, parse only | n/a | n/a |" in text
    assert (
        "| naive `split` of segments and elements, one thread | 34.37 | **2.15×** parse best; 1.09× into DuckDB |"
        in text
    )  # a report from before the rounds were kept says nothing of them
    assert "| pyx12, extrapolated from 114,644 bytes | 0.38 | **194.37×** |" in text
    assert "X12 835 readers on one synthetic 10.0 MB 835" in text
    report["results"][0]["x12_peers"] |= {
        "ratio_ours_2_threads_loader_chunks_vs_naive_split_per_round": [0.91, 1.04, 0.88],
        "ratio_ours_2_threads_loader_chunks_vs_naive_split_median_of_rounds": 0.91,
    }
    assert (
        "| naive `split` of segments and elements, one thread | 34.37 "
        "| **2.15×** parse best; rounds 0.91, 1.04, 0.88, median 0.91×; 1.09× into DuckDB |"
    ) in to_markdown(report)
    assert "| oxedi into DuckDB (its tables in one transaction) | 31.25 | **n/a×** best" not in text
    assert "| oxedi into DuckDB (its tables in one transaction) | 31.25 | **n/a** best; rounds n/a |" in text


def test_a_failed_stage_keeps_the_stages_before_it_in_the_report(tmp_path, monkeypatch) -> None:
    # The 10,000,000-claim run of 2026-11-29 lost every figure when its build ran out of memory after
    # 50 minutes of loading: the report must keep what was measured and say which stage failed.
    import argparse
    import json

    from orchestration.bench.runner import Measured
    from orchestration.commands import bench

    def fake_bench_size(claims, workdir, seed, skip_peers, data_dir, skip_increment):
        stages: list[dict] = []
        bench._stage("parse+load 835", Measured(0, 12.0, 20.0, 900.0, "", ""), 10_000_000, 1_000, stages)
        bench._stage(
            "dbt build + publish", Measured(1, 30.0, 50.0, 4000.0, "", "Out of Memory"), stages=stages
        )
        raise AssertionError("unreachable: the failed stage raises")

    monkeypatch.setattr(bench, "bench_size", fake_bench_size)
    args = argparse.Namespace(
        claims=[1000, 10000],
        workdir=tmp_path,
        seed=42,
        skip_peers=True,
        data_dir=None,
        skip_increment=True,
        keep=False,
        json=tmp_path / "bench.json",
        markdown=tmp_path / "bench.md",
    )
    assert bench.run(args) == 1
    report = json.loads((tmp_path / "bench.json").read_text())
    assert len(report["results"]) == 1  # the larger size is not tried after a failure
    result = report["results"][0]
    assert result["failed_stage"] == "dbt build + publish"
    assert "Out of Memory" in result["error"]
    assert [stage["stage"] for stage in result["stages"]] == ["parse+load 835", "dbt build + publish"]
    assert result["stages"][0]["mb_per_second"] == 0.83
    assert result["stages"][1]["failed"] is True
    assert result["stages"][1]["peak_rss_mb"] == 4000.0
    markdown = (tmp_path / "bench.md").read_text()
    assert "dbt build + publish **FAILED**" in markdown
    assert "did not complete" in markdown


def test_callback_percentiles_are_nearest_rank() -> None:
    # rank ceil(share × n): of 20 calls, p95 is the 19th fastest (one slow call may stand out), p99
    # the slowest; the old rank, round(share × n + 0.5), made p95 the slowest as well
    from orchestration.bench.dashboards import _percentile

    twenty = [float(value) for value in range(20, 0, -1)]
    assert [_percentile(twenty, share) for share in (0.50, 0.95, 0.99)] == [10.0, 19.0, 20.0]
    hundred = [float(value) for value in range(1, 101)]
    assert [_percentile(hundred, share) for share in (0.50, 0.95, 0.99)] == [50.0, 95.0, 99.0]
    assert _percentile([7.0], 0.95) == 7.0


def test_callbacks_are_timed_100_times_unless_their_time_budget_runs_out(monkeypatch) -> None:
    from orchestration.bench import dashboards

    calls = {"fast": 0, "slow": 0}
    clock = [0.0]

    def fake_cases(_snapshot):
        def fast():
            calls["fast"] += 1
            clock[0] += 0.001

        def slow():
            calls["slow"] += 1
            clock[0] += 1.0

        return {"fast": fast, "slow": slow}

    monkeypatch.setattr(dashboards, "_cases", fake_cases)
    monkeypatch.setattr(dashboards.time, "perf_counter", lambda: clock[0])
    result = dashboards.measure_callbacks(Path("unused"), budget_seconds=15.0)
    assert (result["fast"]["calls"], result["slow"]["calls"]) == (100.0, 20.0)  # 20 s spent: the minimum
    assert calls == {"fast": 102, "slow": 22}  # and two warm-up calls each
    assert result["slow"]["p99_ms"] == result["slow"]["p95_ms"] == 1000.0


def test_the_large_file_peers_run_on_one_synthetic_835_and_leave_nothing(tmp_path, monkeypatch) -> None:
    from orchestration.commands import bench

    seen = []
    monkeypatch.setattr(bench, "LARGE_FILE_BYTES", 50_000)
    monkeypatch.setattr(
        bench,
        "x12_peers_apart",
        lambda paths: seen.extend((p.name, p.stat().st_size) for p in paths) or {"files": 1},
    )
    assert bench._large_file_peers(tmp_path, seed=42) == {"files": 1}
    [(name, size)] = seen
    assert name == "large.835" and 45_000 <= size <= 60_000
    assert list(tmp_path.iterdir()) == []  # the file and its folder removed

    def unavailable(paths):
        raise bench.PeersFailed("exit 1: no oxedi")

    monkeypatch.setattr(bench, "x12_peers_apart", unavailable)
    assert bench._large_file_peers(tmp_path, seed=42) == {
        "skipped": "x12 bench unavailable: exit 1: no oxedi"
    }
    assert list(tmp_path.iterdir()) == []


def test_two_readers_are_timed_in_adjacent_runs_taking_turns_to_go_first(monkeypatch) -> None:
    """``_interleaved``: one run of each per round, the first alternating, each round's ratio the
    peer's seconds over ours, and the best of each; a fake clock makes every figure exact."""
    from orchestration.bench import x12

    clock = [0.0]
    calls: list[str] = []

    def run(name: str, seconds: list[float]):
        def function() -> None:
            calls.append(name)
            clock[0] += seconds[calls.count(name) - 1]

        return function

    monkeypatch.setattr(x12.time, "perf_counter", lambda: clock[0])
    ours = run("ours", [1.0, 2.0, 0.5, 1.0])
    peer = run("peer", [0.9, 2.2, 0.6, 0.25])
    best_ours, best_peer, ratios = x12._interleaved(ours, peer, 4)
    assert calls == ["ours", "peer", "peer", "ours", "ours", "peer", "peer", "ours"]
    assert (best_ours, best_peer) == (0.5, 0.25)
    assert ratios == [0.9, 1.1, 1.2, 0.25]


def test_the_readers_are_compared_in_a_process_of_their_own(tmp_path) -> None:
    """``x12_peers_apart`` runs ``measure_x12`` in a child (not in the bench's grown heap) and reads
    its report; a child that fails is reported, not taken for figures."""
    from orchestration.bench.x12 import NAIVE_ROUNDS, build_835
    from orchestration.commands import bench

    path = tmp_path / "small.835"
    path.write_bytes(build_835(30_000, seed=7))
    report = bench.x12_peers_apart([path], repeat=1)
    assert report["files"] == 1 and report["bytes"] == path.stat().st_size
    assert report["ours_into_duckdb_2_processes_mb_s"] > 0 and report["naive_split_mb_s"] > 0
    assert report["ratio_ours_into_duckdb_vs_naive_split"] == round(
        report["ours_into_duckdb_2_processes_mb_s"] / report["naive_split_mb_s"], 2
    )
    assert report["peak_rss_mb_parent"] < 1500  # the child's own heap, not the bench's
    rounds = report["ratio_ours_2_threads_loader_chunks_vs_naive_split_per_round"]
    assert len(rounds) == NAIVE_ROUNDS and all(ratio > 0 for ratio in rounds)
    assert report["ratio_ours_2_threads_loader_chunks_vs_naive_split_median_of_rounds"] == round(
        statistics.median(rounds), 2
    )
    with pytest.raises(bench.PeersFailed, match=r"(?s)exit 1: .*FileNotFoundError"):
        bench.x12_peers_apart([tmp_path / "missing.835"], repeat=1)


def test_the_report_names_the_code_and_the_settings_it_measured(tmp_path, monkeypatch) -> None:
    """A figure is only comparable with the commit and the memory cap it was measured with."""
    import subprocess

    from orchestration.commands.bench import _code_revision, _machine

    assert _code_revision(tmp_path) == "unknown"  # not a git checkout
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert _code_revision(tmp_path) == commit
    (tmp_path / "untracked.txt").write_text("not the measured code\n")
    assert _code_revision(tmp_path) == commit
    (tmp_path / "a.txt").write_text("two\n")
    assert _code_revision(tmp_path) == commit + "+changes"

    monkeypatch.setenv("RCM_DUCKDB_MEMORY_LIMIT", "4GB")
    monkeypatch.delenv("RCM_INGEST_PROCESSES", raising=False)
    machine = _machine()
    assert machine["settings"] == {"RCM_DUCKDB_MEMORY_LIMIT": "4GB"}
    assert machine["code"]
    report = {"machine": {**machine, "code": "abc1234"}, "results": [], "scaling": []}
    mode = machine["transparent_huge_pages"]
    tail = f", transparent huge pages {mode}" if mode else ""
    assert f", code abc1234, RCM_DUCKDB_MEMORY_LIMIT=4GB{tail}." in to_markdown(report)


def test_the_huge_page_mode_is_the_bracketed_word(tmp_path: Path) -> None:
    from orchestration.commands.bench import _huge_page_mode

    setting = tmp_path / "enabled"
    setting.write_text("always [madvise] never\n")
    assert _huge_page_mode(setting) == "madvise"
    setting.write_text("[always] madvise never\n")
    assert _huge_page_mode(setting) == "always"
    assert _huge_page_mode(tmp_path / "missing") is None


def test_a_builds_breakdown_names_dbt_time_and_the_slowest_nodes_and_tables(tmp_path: Path) -> None:
    """`rcm bench` says where a build went: dbt's elapsed time and slowest nodes from
    run_results.json, the publish's slowest tables from the current snapshot's manifest."""
    from orchestration.commands.bench import _breakdown_text, build_breakdown

    assert build_breakdown(tmp_path) == {}  # no build yet: nothing to say, no error
    target = tmp_path / "dbt_target"
    target.mkdir()
    times = {"stg_a": 0.5, "fct_claims": 2.25, "int_b": 1.0, "fct_c": 0.1, "dim_d": 0.3, "seed_e": 0.05}
    (target / "run_results.json").write_text(
        json.dumps(
            {
                "elapsed_time": 12.345,
                "results": [
                    {"unique_id": f"model.rcm.{name}", "execution_time": seconds}
                    for name, seconds in times.items()
                ],
            }
        )
    )
    snapshot = tmp_path / "snapshots" / "20261202T000000Z"
    snapshot.mkdir(parents=True)
    (tmp_path / "snapshots" / "CURRENT").write_text(snapshot.name + "\n")
    (snapshot / "manifest.json").write_text(json.dumps({"seconds": {"fct_claims": 3.5, "dim_payers": 0.04}}))
    breakdown = build_breakdown(tmp_path)
    assert breakdown["dbt_seconds"] == 12.35
    assert breakdown["dbt_nodes"] == 6
    assert [node["node"] for node in breakdown["slowest_nodes"]] == [
        "fct_claims",
        "int_b",
        "stg_a",
        "dim_d",
        "fct_c",
    ]
    assert breakdown["slowest_tables"] == [
        {"table": "fct_claims", "seconds": 3.5},
        {"table": "dim_payers", "seconds": 0.04},
    ]
    text = _breakdown_text({"publish_seconds": 3.6, "breakdown": breakdown})
    assert text.startswith("dbt 12.3 s over 6 nodes (slowest: fct_claims 2.2 s, int_b 1.0 s,")
    assert text.endswith("; publish 3.6 s (slowest: fct_claims 3.5 s, dim_payers 0.0 s)")
    with_wall = _breakdown_text({"wall_seconds": 20.0, "publish_seconds": 3.6, "breakdown": breakdown})
    assert "; the rest 4.1 s (start-up" in with_wall  # 20.0 - 12.35 - 3.6
    # a build that published nothing: the current snapshot's times are an earlier build's
    assert "slowest_tables" not in build_breakdown(tmp_path, published_before=snapshot)
    # an old snapshot without per-table seconds: the publish is still named, without tables
    (snapshot / "manifest.json").write_text(json.dumps({"tables": {}}))
    assert "slowest_tables" not in build_breakdown(tmp_path)
    assert _breakdown_text({"publish_seconds": 3.6, "breakdown": build_breakdown(tmp_path)}).endswith(
        "; publish 3.6 s"
    )


def test_the_scaling_exponent_for_the_machine_takes_out_what_the_probe_says_the_machine_did() -> None:
    """A size measured on a machine 1.3x slower (its probe 1.3x longer) reads 0.114 worse in the raw
    exponent (log 1.3 / log 10); the exponent for the machine probe removes exactly that."""
    from orchestration.commands.bench import machine_probe

    results = [
        {
            "claims": 1000,
            "stages": [{"stage": "build", "wall_seconds": 2.0}],
            "machine_probe": {"before_loads": {"seconds": 1.0}, "after_build": {"seconds": 1.0}},
        },
        {
            "claims": 10000,
            "stages": [{"stage": "build", "wall_seconds": 26.0}],  # linear work, 1.3x slower machine
            "machine_probe": {"before_loads": {"seconds": 1.2}, "after_build": {"seconds": 1.4}},
        },
        {"claims": 100000, "stages": [{"stage": "build", "wall_seconds": 260.0}]},  # no probe: raw only
    ]
    rows = scaling(results)
    first = [row for row in rows if row["to_claims"] == 10000]
    assert [row["exponent"] for row in first] == [1.114, 1.114]
    assert [row["exponent_for_the_machine"] for row in first] == [1.0, 1.0]
    assert all("exponent_for_the_machine" not in row for row in rows if row["to_claims"] == 100000)
    report = {
        "machine": {"cores": 2, "memory": "24 GB", "cpu": "x", "python": "3.11", "duckdb": "2", "when": "t"},
        "results": [{**result, "stages": [{**result["stages"][0], **_STAGE}]} for result in results],
        "scaling": rows,
    }
    text = to_markdown(report)
    assert "| stage | sizes | scaling exponent | for the machine probe |" in text
    assert "| build | 1,000 → 10,000 | 1.114 | 1.0 |" in text
    assert "| build | 10,000 → 100,000 | 1.0 |  |" in text  # no probe at 100,000: left blank
    assert "10,000: before loads 1.20 s, after build 1.40 s" in text
    assert "The scaling table's last column divides each size's times by its mean probe." in text
    probe = machine_probe(rounds=1, rows=1_000_000, loop=10_000)
    assert probe["seconds"] == round(probe["duckdb_seconds"] + probe["python_seconds"], 3) > 0


_STAGE = {
    "cpu_seconds": 1.0,
    "peak_rss_mb": 10.0,
    "input_bytes": 0,
    "rows": 0,
    "mb_per_second": None,
    "rows_per_second": None,
}
