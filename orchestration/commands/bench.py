"""`rcm bench`: one instrument for "will it keep up with our volume?".

For each size it generates the demo data, runs the real pipeline into a fresh warehouse home (each
stage a child process, measured for wall time, CPU time and the peak memory of its process tree),
measures the dashboards' queries on the published snapshot and a one-day increment, and compares the
X12 reader with its peers on the same bytes. It prints a Markdown table and writes JSON; no test
asserts a time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from orchestration.bench.runner import Measured, best_wall_seconds, measure
from orchestration.lib.publish import read_manifest
from orchestration.settings import REPO_ROOT

_DATED = re.compile(r"_(\d{8})_")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--claims",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="sizes to run (default 100000 1000000; add 10000000 when you have the time)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the Markdown table here")
    parser.add_argument(
        "--workdir", type=Path, default=REPO_ROOT / "bench-results", help="where homes are made"
    )
    parser.add_argument("--keep", action="store_true", help="keep each size's warehouse home")
    parser.add_argument("--skip-peers", action="store_true", help="skip the oxedi/pyx12/split comparison")
    parser.add_argument(
        "--skip-increment",
        action="store_true",
        help="load every day at once and skip the daily-increment measurement (saves a rebuild)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the generated demo data here (data-<claims>-s<seed>/) and reuse it on later runs "
        "(the generate stage is then reported as reused, not measured)",
    )


def _machine() -> dict:
    import duckdb

    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0]
    return {
        "cores": os.cpu_count(),
        "memory": " ".join(meminfo.split()[1:]),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        # the kernel's huge-page policy moves load times by a fifth or more (orchestration.lib.huge_pages)
        "transparent_huge_pages": _huge_page_mode(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": _code_revision(),
        # what the run was told that changes its figures (2GB and 2 when unset)
        "settings": {name: os.environ[name] for name in _SETTINGS_MEASURED if os.environ.get(name)},
    }


def _huge_page_mode(path: Path = Path("/sys/kernel/mm/transparent_hugepage/enabled")) -> str | None:
    """The selected word of the kernel's transparent huge page setting ("always", "madvise", "never"),
    None where there is none (not Linux)."""
    try:
        text = path.read_text()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1 : end] if 0 <= start < end else text.strip() or None


# The settings that move a run's figures: the memory cap changes every build's peak (a 1,000,000-claim
# build peaked at 2.5 GB under the default 2GB and at 3.9 GB under 4GB), the processes the loads.
_SETTINGS_MEASURED = ("RCM_DUCKDB_MEMORY_LIMIT", "RCM_INGEST_PROCESSES", "RCM_HUGE_PAGES")


def _code_revision(root: Path = REPO_ROOT) -> str:
    """The commit the measured code is, with "+changes" when tracked files differ from it (figures of
    a working tree are not those of its commit), or "unknown" outside a git checkout."""

    def git(*words: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *words], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short=7", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def _folder_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) if path.exists() else 0


def _rcm(*words: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", *words]


class StageFailed(RuntimeError):
    """A stage's command exited non-zero; ``stages`` holds every stage measured so far, the failed one
    last (its figures are what it cost until it stopped), so the report can still be written."""

    def __init__(self, name: str, measured: Measured, stages: list[dict]) -> None:
        self.tail = (measured.stderr or measured.stdout)[-2000:]
        super().__init__(f"bench stage {name} failed (exit {measured.returncode}):\n{self.tail}")
        self.name = name
        self.stages = stages


def _stage(
    name: str, measured: Measured, input_bytes: int = 0, rows: int = 0, stages: list[dict] | None = None
) -> dict:
    """The figures of one stage; appended to ``stages`` when given. A failed stage is appended too,
    marked ``failed``, and then ``StageFailed`` is raised."""
    figures = _figures(name, measured, input_bytes, rows)
    if stages is not None:
        stages.append(figures)
    if measured.returncode != 0:
        figures["failed"] = True
        raise StageFailed(name, measured, stages if stages is not None else [figures])
    return figures


def _figures(name: str, measured: Measured, input_bytes: int, rows: int) -> dict:
    wall = measured.wall_seconds
    return {
        "stage": name,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(measured.cpu_seconds, 3),
        "system_seconds": round(measured.system_seconds, 3),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "input_bytes": input_bytes,
        "rows": rows,
        "mb_per_second": round(input_bytes / 1e6 / wall, 2) if input_bytes and wall else None,
        "rows_per_second": round(rows / wall, 1) if rows and wall else None,
    }


def _ingest_rows(stdout: str) -> int:
    """Rows reported by `rcm ingest --json` (JSON lines): claims + service lines + other row counts."""
    total = 0
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        counts = record.get("rows") or {}
        total += sum(int(v) for v in counts.values())
    return total


def hold_back_last_day(demo: Path, held: Path) -> str | None:
    """Move the X12 files of the last dated day aside, to be loaded later as the daily increment."""
    dated = [(m.group(1), p) for p in demo.glob("x12/*/*") if (m := _DATED.search(p.name))]
    if not dated:
        return None
    last_day = max(day for day, _ in dated)
    for day, path in dated:
        if day == last_day:
            target = held / path.relative_to(demo)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
    return last_day


# the Dagster log line (INFO) or, with RCM_LOG_LEVEL=WARNING as the bench runs it, `rcm build`'s summary
_PUBLISHED = re.compile(r"(?:published snapshot \S+ \(as of [^)]*\) in|, published in) ([0-9.]+) s")


def _publish_seconds(built: Measured) -> float | None:
    """The publish step's own wall time, from `rcm build`'s output; None when it did not publish."""
    published = _PUBLISHED.search(built.stdout + built.stderr)
    return float(published.group(1)) if published else None


PEER_SAMPLE_BYTES = 100_000_000


def _peer_sample(paths: list[Path], limit: int = PEER_SAMPLE_BYTES) -> list[Path]:
    """Every `step`-th 835 file up to about `limit` bytes: the readers are compared on the same bytes,
    spread over the whole period, without spending an hour on the largest sizes."""
    total = sum(path.stat().st_size for path in paths)
    step = max(1, math.ceil(total / limit))
    return paths[::step]


def _generated(data: Path, claims: int, seed: int) -> bool:
    manifest = data / "manifest.json"
    if not manifest.exists():
        return False
    parameters = json.loads(manifest.read_text()).get("parameters", {})
    return str(parameters.get("claims")) == str(claims) and str(parameters.get("seed")) == str(seed)


def bench_size(
    claims: int,
    workdir: Path,
    seed: int,
    skip_peers: bool,
    data_dir: Path | None = None,
    skip_increment: bool = False,
) -> dict:
    home = workdir / f"home-{claims}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {"RCM_HOME": str(home), "RCM_LOG_LEVEL": "WARNING"}
    demo, held = home / "demo", home / "held"
    stages: list[dict] = []

    data = data_dir / f"data-{claims}-s{seed}" if data_dir else demo
    if data_dir and _generated(data, claims, seed):
        stages.append({**_stage("generate", Measured(0, 0.0, 0.0, 0.0, "", "")), "reused": str(data)})
    else:
        shutil.rmtree(data, ignore_errors=True)
        generated = measure(
            _rcm("generate", "--out", str(data), "--claims", str(claims), "--seed", str(seed)), env
        )
        _stage("generate", generated, _folder_bytes(data), claims, stages)
    if data != demo:
        shutil.copytree(data, demo, copy_function=os.link)  # hard links: instant, no extra bytes
    last_day = None if skip_increment else hold_back_last_day(demo, held)

    result_probe = {"before_loads": machine_probe()}
    for name, folder in (
        ("parse+load 835", demo / "x12" / "835"),
        ("parse+load 837", demo / "x12" / "837"),
        ("CSV + expectations", demo / "csv"),
    ):
        loaded = measure(_rcm("ingest", "--json", str(folder)), env)
        _stage(name, loaded, _folder_bytes(folder), _ingest_rows(loaded.stdout), stages)

    built = measure(_rcm("build"), env)
    _stage("dbt build + publish", built, stages=stages)
    stages[-1]["publish_seconds"] = _publish_seconds(built)
    stages[-1]["breakdown"] = build_breakdown(home)
    result_probe["after_build"] = machine_probe()

    result: dict = {
        "claims": claims,
        "stages": stages,
        "held_back_day": last_day,
        "machine_probe": result_probe,
    }

    snapshot = _current_snapshot(home)
    if snapshot is not None:
        try:
            from orchestration.bench.dashboards import measure_callbacks

            result["dashboard_callbacks"] = measure_callbacks(snapshot)
        except ImportError as error:
            result["dashboard_callbacks"] = {"skipped": f"dashboards bench unavailable: {error}"}
        if Path("/usr/bin/chromium").exists():
            from orchestration.bench.pages import measure_pages

            result["dashboard_pages"] = measure_pages(home)
        else:
            result["dashboard_pages"] = {"skipped": "no /usr/bin/chromium (apt-get install chromium)"}

    if last_day is not None:
        started = time.perf_counter()
        snapshot_before = _current_snapshot(home)
        increment = measure(_rcm("ingest", "--json", str(held)), env)
        rebuilt = measure(_rcm("build"), env)
        measured: list[dict] = []
        try:
            result["daily_increment"] = {
                "day": last_day,
                "input_bytes": _folder_bytes(held),
                "ingest": _stage("increment ingest", increment, _folder_bytes(held), stages=measured),
                "build": _stage("increment build + publish", rebuilt, stages=measured),
                "total_seconds": round(time.perf_counter() - started, 2),
            }
            result["daily_increment"]["build"]["publish_seconds"] = _publish_seconds(rebuilt)
            result["daily_increment"]["build"]["breakdown"] = build_breakdown(home, snapshot_before)
        except StageFailed as error:
            error.stages = stages + measured  # the main stages, then the increment's up to the failure
            raise

    if not skip_peers:
        try:
            paths = _peer_sample(sorted((demo / "x12" / "835").glob("*")) + sorted(held.glob("x12/835/*")))
            # pyx12 reads a 1 MB prefix of the first file: put the largest first, so the prefix is 1 MB
            # and not a 2 KB file whose start-up cost would pass for throughput
            peers = x12_peers_apart(sorted(paths, key=lambda path: path.stat().st_size, reverse=True))
            ingest_835 = next(s for s in stages if s["stage"] == "parse+load 835")
            if peers.get("oxedi_mb_s") and ingest_835["mb_per_second"]:
                # the target: our whole load INTO DuckDB (2 workers) vs oxedi's parse alone
                peers["ratio_our_load_into_duckdb_vs_oxedi_parse"] = round(
                    ingest_835["mb_per_second"] / peers["oxedi_mb_s"], 2
                )
            result["x12_peers"] = peers
        except PeersFailed as error:  # the stages' figures stand without them
            result["x12_peers"] = {"skipped": f"x12 bench unavailable: {error}"}
    return result


PROBE_ROWS = 100_000_000  # DuckDB's part of the machine probe: 0.47-0.61 s here (CI beside it)
PROBE_LOOP = 5_000_000  # Python's part: 0.30-0.39 s on one core, the same


def machine_probe(rounds: int = 3, rows: int = PROBE_ROWS, loop: int = PROBE_LOOP) -> dict:
    """The same fixed work timed on this machine now (best of ``rounds``): a DuckDB aggregate over
    generated rows (both cores) and a Python loop (one). Its seconds move with the machine, not
    with the code under test: a run whose sizes are measured tens of minutes apart can tell a
    slower machine from a worse slope (``scaling``)."""
    import duckdb

    con = duckdb.connect()
    try:
        query = f"select sum(hash(i)) from range({int(rows)}) t(i)"  # noqa: S608 (an int)
        duck = best_wall_seconds(lambda: con.execute(query).fetchone(), rounds)
    finally:
        con.close()
    python = best_wall_seconds(lambda: sum(i * i for i in range(loop)), rounds)
    duck, python = round(duck, 3), round(python, 3)
    return {"duckdb_seconds": duck, "python_seconds": python, "seconds": round(duck + python, 3)}


def _probe_seconds(result: dict) -> float | None:
    """The mean probe of a size's end-to-end stages (before its loads, after its build), or None."""
    probes = [p.get("seconds") for p in (result.get("machine_probe") or {}).values() if isinstance(p, dict)]
    probes = [p for p in probes if p]
    return sum(probes) / len(probes) if probes else None


SLOWEST = 5  # the nodes and tables a build's breakdown names


def build_breakdown(home: Path, published_before: Path | None = None) -> dict:
    """Where the last `rcm build` of ``home`` spent its time: dbt's own elapsed time and its slowest
    nodes (run_results.json), and the publish's slowest tables (the current snapshot's manifest).
    Each part is left out when its file is missing or unreadable (a failed build, an old snapshot),
    the tables also when the current snapshot is still ``published_before`` (the build published
    nothing: those times are an earlier build's)."""
    breakdown: dict = {}
    try:
        run = json.loads((home / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
        nodes = sorted(
            (
                (float(result.get("execution_time") or 0.0), str(result.get("unique_id", "")))
                for result in run.get("results", [])
            ),
            reverse=True,
        )
        breakdown["dbt_seconds"] = round(float(run["elapsed_time"]), 2)
        breakdown["dbt_nodes"] = len(nodes)
        breakdown["slowest_nodes"] = [
            {"node": unique_id.split(".")[-1], "seconds": round(seconds, 2)}
            for seconds, unique_id in nodes[:SLOWEST]
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    snapshot = _current_snapshot(home)
    if snapshot is not None and snapshot != published_before:
        try:
            manifest = read_manifest(snapshot)
            tables = sorted(((float(v), k) for k, v in manifest["seconds"].items()), reverse=True)
            breakdown["slowest_tables"] = [
                {"table": table, "seconds": round(seconds, 2)} for seconds, table in tables[:SLOWEST]
            ]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    return breakdown


def _breakdown_text(stage: dict) -> str:
    """A build stage's breakdown in words, or empty: "dbt 20.1 s over 212 nodes (slowest: fct_claims
    2.1 s, ...); publish 4.2 s (slowest: fct_claims 1.9 s, ...); the rest 3.0 s (...)", the rest being
    the stage's wall time less dbt's and the publish's."""
    breakdown = stage.get("breakdown") or {}
    parts = []
    if "dbt_seconds" in breakdown:
        nodes = ", ".join(f"{n['node']} {n['seconds']:.1f} s" for n in breakdown["slowest_nodes"])
        parts.append(
            f"dbt {breakdown['dbt_seconds']:.1f} s over {breakdown['dbt_nodes']} nodes (slowest: {nodes})"
        )
    if stage.get("publish_seconds") is not None:
        tables = ", ".join(f"{t['table']} {t['seconds']:.1f} s" for t in breakdown.get("slowest_tables", []))
        parts.append(
            f"publish {stage['publish_seconds']:.1f} s" + (f" (slowest: {tables})" if tables else "")
        )
        if "dbt_seconds" in breakdown and stage.get("wall_seconds"):
            rest = stage["wall_seconds"] - breakdown["dbt_seconds"] - stage["publish_seconds"]
            parts.append(f"the rest {rest:.1f} s (start-up, Dagster, dbt's own start and parse, bookkeeping)")
    return "; ".join(parts)


def _current_snapshot(home: Path) -> Path | None:
    pointer = home / "snapshots" / "CURRENT"
    if not pointer.exists():
        return None
    return home / "snapshots" / pointer.read_text().strip()


def scaling(results: list[dict]) -> list[dict]:
    """Log-log slope of wall time over size between consecutive sizes, per stage (1.0 = linear)."""
    rows = []
    for small, large in itertools.pairwise(results):
        size_ratio = math.log(large["claims"] / small["claims"])
        by_name = {stage["stage"]: stage for stage in small["stages"]}
        timed = [  # (stage, seconds at the small size, at the large one)
            (stage["stage"], before["wall_seconds"], stage["wall_seconds"])
            for stage in large["stages"]
            if (before := by_name.get(stage["stage"])) and before["wall_seconds"] and stage["wall_seconds"]
        ]
        before_total, after_total = _end_to_end(small), _end_to_end(large)
        if before_total and after_total:
            timed.append(("load + build + publish", before_total, after_total))
        # the same slopes with each size's times divided by its machine probe: a machine that ran the
        # larger size 1.3x slower no longer reads as a slope 0.11 worse (log 1.3 / log 10)
        small_probe, large_probe = _probe_seconds(small), _probe_seconds(large)
        machine = math.log(large_probe / small_probe) / size_ratio if small_probe and large_probe else None
        for name, before_seconds, after_seconds in timed:
            slope = math.log(after_seconds / before_seconds) / size_ratio
            row = {
                "stage": name,
                "from_claims": small["claims"],
                "to_claims": large["claims"],
                "exponent": round(slope, 3),
            }
            if machine is not None:
                row["exponent_for_the_machine"] = round(slope - machine, 3)
            rows.append(row)
    return rows


def _end_to_end(result: dict) -> float:
    return sum(stage["wall_seconds"] for stage in result["stages"] if stage["stage"] != "generate")


def _code_and_settings(machine: dict) -> str:
    """The machine line's tail, as ``, code 1b36fd8, RCM_DUCKDB_MEMORY_LIMIT=4GB``; empty for a report
    written before these facts were recorded."""
    facts = [f"code {machine['code']}"] if machine.get("code") else []
    facts += [f"{name}={value}" for name, value in sorted(machine.get("settings", {}).items())]
    if machine.get("transparent_huge_pages"):
        facts.append(f"transparent huge pages {machine['transparent_huge_pages']}")
    return "".join(f", {fact}" for fact in facts)


def _cpu(stage: dict) -> str:
    """CPU seconds, with the system (kernel) share in parentheses where the stage recorded it."""
    system = stage.get("system_seconds")
    return f"{stage['cpu_seconds']:.1f}" + (f" ({system:.1f})" if system is not None else "")


def to_markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        f"Machine: {machine['cores']} cores, {machine['memory']} memory, {machine['cpu']}; "
        f"Python {machine['python']}, DuckDB {machine['duckdb']}; run {machine['when']}"
        f"{_code_and_settings(machine)}.",
        "",
        "| claims | stage | wall s | CPU s (system) | peak RSS MB | input MB | rows | MB/s | rows/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in report["results"]:
        for stage in result["stages"]:
            label = f"{stage['stage']} **FAILED**" if stage.get("failed") else stage["stage"]
            lines.append(
                f"| {result['claims']:,} | {label} | {stage['wall_seconds']:.1f} | "
                f"{_cpu(stage)} | {stage['peak_rss_mb']:.0f} | "
                f"{stage['input_bytes'] / 1e6:.1f} | {stage['rows']:,} | {stage['mb_per_second'] or ''} | "
                f"{stage['rows_per_second'] or ''} |"
            )
            if stage.get("publish_seconds") is not None:
                # one `rcm build` runs both; the publish step's own wall time, from its summary line
                lines.append(
                    f"| {result['claims']:,} | of which publish | {stage['publish_seconds']:.1f} "
                    "| | | | | | |"
                )
        if "failed_stage" in result:
            lines.append(
                f"| {result['claims']:,} | **did not complete** ({result['failed_stage']} failed) | | | | | | | |"
            )
            continue
        end_to_end = _end_to_end(result)
        peak = max(s["peak_rss_mb"] for s in result["stages"] if s["stage"] != "generate")
        lines.append(
            f"| {result['claims']:,} | **load + build + publish** | **{end_to_end:.1f}** | | "
            f"**{peak:.0f}** | | | | |"
        )
    adjusted = any("exponent_for_the_machine" in row for row in report.get("scaling", []))
    if report["scaling"]:
        lines += [
            "",
            "| stage | sizes | scaling exponent |" + (" for the machine probe |" if adjusted else ""),
            "|---|---|---:|" + ("---:|" if adjusted else ""),
        ]
        for row in report["scaling"]:
            lines.append(
                f"| {row['stage']} | {row['from_claims']:,} → {row['to_claims']:,} | {row['exponent']} |"
                + (f" {row.get('exponent_for_the_machine', '')} |" if adjusted else "")
            )
    probes = "; ".join(
        f"{result['claims']:,}: "
        + ", ".join(
            f"{when.replace('_', ' ')} {probe['seconds']:.2f} s"
            for when, probe in result["machine_probe"].items()
        )
        for result in report["results"]
        if result.get("machine_probe")
    )
    if probes:
        lines.append(
            f"\nMachine probe (the same DuckDB aggregate and Python loop at each size; more seconds, a "
            f"slower machine): {probes}."
            + (
                " The scaling table's last column divides each size's times by its mean probe."
                if adjusted
                else ""
            )
        )
    for result in report["results"]:
        build = next((stage for stage in result["stages"] if stage["stage"] == "dbt build + publish"), None)
        if build is not None and _breakdown_text(build):
            lines.append(f"\nOf the build at {result['claims']:,} claims: {_breakdown_text(build)}.")
        increment = result.get("daily_increment")
        if increment:
            lines.append(
                f"\nDaily increment at {result['claims']:,} claims (day {increment['day']}, "
                f"{increment['input_bytes'] / 1e6:.1f} MB): ingest {increment['ingest']['wall_seconds']:.1f} s "
                f"+ build {increment['build']['wall_seconds']:.1f} s = {increment['total_seconds']:.1f} s."
            )
            if _breakdown_text(increment["build"]):
                lines.append(f"Of the increment's build: {_breakdown_text(increment['build'])}.")
        callbacks = result.get("dashboard_callbacks")
        if callbacks and "skipped" not in callbacks:
            lines += [
                f"\nDashboard queries at {result['claims']:,} claims (ms):",
                "",
                "| callback | p50 | p95 | p99 | calls |",
                "|---|---:|---:|---:|---:|",
            ]
            for name, figures in sorted(callbacks.items()):
                if isinstance(figures, dict) and "p95_ms" in figures:
                    calls = int(figures.get("calls", 0))  # of fewer than 100, p99 is the slowest call
                    lines.append(
                        f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['p99_ms']} | {calls} |"
                    )
        pages = result.get("dashboard_pages")
        if pages and "skipped" not in pages:
            lines += [
                f"\nPages in headless Chromium at {result['claims']:,} claims: navigation start to every chart "
                f"and grid drawn with data (ms, {pages['repeats']} loads each; sign-in {pages['login_ms']} ms):",
                "",
                "| page | p50 | max | console errors |",
                "|---|---:|---:|---:|",
            ]
            for name, figures in pages["pages"].items():
                lines.append(
                    f"| {name} | {figures['p50_ms']} | {figures['max_ms']} | {figures['console_errors']} |"
                )
        peers = result.get("x12_peers")
        if peers and "skipped" not in peers:
            lines += _peers_table(
                f"X12 835 readers on the same {peers.get('files', 0):,} files "
                f"({(peers.get('bytes') or 0) / 1e6:.1f} MB) of the {result['claims']:,}-claim demo:",
                peers,
            )
    large = report.get("x12_large_file")
    if large and "skipped" not in large:
        lines += _peers_table(
            f"X12 835 readers on one synthetic {(large.get('bytes') or 0) / 1e6:.1f} MB 835 "
            "(the size the ingestion issue measured the peers on):",
            large,
        )
    return "\n".join(lines) + "\n"


_NAIVE_ROUNDS = "ratio_ours_2_threads_loader_chunks_vs_naive_split_per_round"
_NAIVE_MEDIAN = "ratio_ours_2_threads_loader_chunks_vs_naive_split_median_of_rounds"


def _peers_table(title: str, peers: dict) -> list[str]:
    """The X12 835 readers on the same bytes, as the targets word them (every figure: the JSON)."""

    def figure(key: str, suffix: str = "") -> str:
        value = peers.get(key)
        return "n/a" if value is None else f"{value}{suffix}"

    rounds = ", ".join(str(ratio) for ratio in peers.get("ratio_ours_into_duckdb_vs_oxedi_per_round") or [])
    # rounds of the parse against the split, adjacent runs (reports from before 2026-12-02 have none)
    naive_rounds = ", ".join(str(ratio) for ratio in peers.get(_NAIVE_ROUNDS) or [])
    return [
        f"\n{title}",
        "",
        "| reader | MB/s | ours to it |",
        "|---|---:|---:|",
        f"| ours into DuckDB (`load_files`: parse, ledger, archive copy, insert, commit) "
        f"| {figure('ours_into_duckdb_2_processes_mb_s')} | |",
        f"| oxedi into DuckDB (its tables in one transaction) | {figure('oxedi_into_duckdb_mb_s')} "
        f"| **{figure('ratio_ours_into_duckdb_vs_oxedi_into_duckdb', '×')}** best; rounds {rounds or 'n/a'} |",
        f"| ours, parse only (the loader's chunks on two threads) "
        f"| {figure('ours_2_threads_loader_chunks_arrow_mb_s')} | |",
        f"| oxedi, parse only | {figure('oxedi_mb_s')} | {figure('ratio_ours_2_threads_loader_chunks_vs_oxedi', '×')} |",
        f"| naive `split` of segments and elements, one thread | {figure('naive_split_mb_s')} "
        f"| **{figure('ratio_ours_2_threads_loader_chunks_vs_naive_split', '×')}** parse best; "
        + (f"rounds {naive_rounds}, median {figure(_NAIVE_MEDIAN, '×')}; " if naive_rounds else "")
        + f"{figure('ratio_ours_into_duckdb_vs_naive_split', '×')} into DuckDB |",
        f"| pyx12, extrapolated from {peers.get('pyx12_sample_bytes') or 0:,} bytes "
        f"| {figure('pyx12_mb_s_extrapolated')} | **{figure('ratio_ours_2_threads_loader_chunks_vs_pyx12', '×')}** |",
    ]


# One synthetic 835 of this size: the ingestion issue measured the peers on "one 10 MB 835", and
# few large files are where our load is at parity with oxedi rather than ahead (docs/benchmarks.md).
LARGE_FILE_BYTES = 10_000_000


class PeersFailed(RuntimeError):
    """The X12 readers' comparison could not run (its process exited non-zero)."""


def x12_peers_apart(paths: list[Path], repeat: int = 3) -> dict:
    """``measure_x12`` on ``paths`` (best of ``repeat``) in a process of its own, as each stage runs in
    its own: not in the bench's process, which the 1,000,000-claim dashboards' measurements had grown
    to ~1.9 GB (a large, fragmented heap slowed our allocation-heavy load of one 10 MB 835 by ~7 % in
    one test, oxedi's not). The readers' ratios moved within the noise with it (one 10 MB 835: 0.81x
    oxedi in the bench's process, 0.85x in its own; rounds 0.63-0.92)."""
    import subprocess

    command = [sys.executable, "-m", "orchestration.bench.x12", "--repeat", str(repeat), *map(str, paths)]
    child = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if child.returncode != 0:
        raise PeersFailed(f"exit {child.returncode}: {child.stderr.strip()[-1000:]}")
    return json.loads(child.stdout)["measure"]


def _large_file_peers(workdir: Path, seed: int) -> dict:
    """``measure_x12`` on one synthetic ``LARGE_FILE_BYTES`` 835 (written to, then removed from,
    ``workdir``); ``{"skipped": why}`` when the peers cannot run."""
    folder = workdir / "x12-large-file"
    try:
        from orchestration.bench.x12 import build_835

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "large.835"
        path.write_bytes(build_835(LARGE_FILE_BYTES, seed=seed))
        return x12_peers_apart([path])
    except Exception as error:  # the stages' figures stand without it
        return {"skipped": f"x12 bench unavailable: {error}"}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": _machine(), "results": []}
    for claims in sorted(args.claims):
        print(f"== {claims:,} claims", flush=True)
        try:
            result = bench_size(
                claims, args.workdir, args.seed, args.skip_peers, args.data_dir, args.skip_increment
            )
        except StageFailed as error:
            # Keep what was measured: the stages before the failure and what the failed one cost until
            # it stopped. Larger sizes are not tried; the home is kept for a post-mortem.
            print(f"   stage {error.name!r} FAILED; the report keeps the stages measured so far", flush=True)
            print(error.tail, flush=True)
            report["results"].append(
                {"claims": claims, "stages": error.stages, "failed_stage": error.name, "error": error.tail}
            )
            break
        for stage in result["stages"]:
            print(
                f"   {stage['stage']:<22} {stage['wall_seconds']:>8.1f} s  "
                f"{stage['peak_rss_mb']:>7.0f} MB  {stage['mb_per_second'] or '':>8}",
                flush=True,
            )
        report["results"].append(result)
        if not args.keep:
            shutil.rmtree(args.workdir / f"home-{claims}", ignore_errors=True)
    if not args.skip_peers:
        print("== the X12 readers on one large 835", flush=True)
        report["x12_large_file"] = _large_file_peers(args.workdir, args.seed)
    report["scaling"] = scaling([result for result in report["results"] if "failed_stage" not in result])
    markdown = to_markdown(report)
    print(markdown)
    json_path = args.json or args.workdir / "bench.json"
    json_path.write_text(json.dumps(report, indent=2, default=str))
    (args.markdown or args.workdir / "bench.md").write_text(markdown)
    print(f"wrote {json_path}")
    return 1 if any("failed_stage" in result for result in report["results"]) else 0
