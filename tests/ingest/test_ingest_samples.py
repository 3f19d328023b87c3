"""Every public sample in ../shared/x12-samples loads without crashing, as its README predicts.

The README's tables (one per source folder) give, per file, the kind, the claim count, the 835
balancing violations (`unbal`) and the envelope problems (wrong SE01/GE01/IEA01, no ISA). The samples
are read where they are (never copied into the repo); the test skips where ../shared is absent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from ingest_helpers import query

from orchestration.lib.loader import FileResult, load_files
from orchestration.settings import REPO_ROOT, Settings, get_settings

SAMPLES = REPO_ROOT.parent / "shared" / "x12-samples"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not (SAMPLES / "README.md").exists(), reason=f"public X12 samples not found at {SAMPLES}"
    ),
]


def readme_rows() -> dict[str, dict[str, str]]:
    """README table rows keyed by '<folder>/<file>'."""
    rows: dict[str, dict[str, str]] = {}
    folder = None
    header: list[str] = []
    for line in (SAMPLES / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^## `(.+)/`", line)
        if match:
            folder = match.group(1)
            continue
        if folder and line.startswith("|") and not line.startswith("|---"):
            # a quoted '|' or "|" (the TigerShark element separator) is text inside a cell, not a border
            text = line.replace("'|'", "'PIPE'").replace('"|"', '"PIPE"')
            cells = [cell.strip().replace("PIPE", "|") for cell in text.strip().strip("|").split("|")]
            if cells[0] == "file":
                header = cells
            else:
                rows[f"{folder}/{cells[0]}"] = dict(zip(header, cells, strict=True))
    return rows


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, FileResult]]:
    settings = replace(get_settings(), home=tmp_path_factory.mktemp("samples_home"))
    folders = sorted(path for path in SAMPLES.iterdir() if path.is_dir())
    results = load_files(folders, settings, lock_timeout=30)
    return settings, {str(Path(r.source_path).relative_to(SAMPLES.resolve())): r for r in results}


def test_readme_lists_every_sample_and_every_sample_loads(loaded) -> None:
    _settings, results = loaded
    rows = readme_rows()
    assert sorted(rows) == sorted(results)
    assert len(results) == 86
    statuses = {r.status for r in results.values()}
    assert statuses <= {"loaded", "loaded_with_warnings", "duplicate", "quarantined"}


def test_identical_files_load_once(loaded) -> None:
    _settings, results = loaded
    by_id: dict[str, list[FileResult]] = defaultdict(list)
    for result in results.values():
        by_id[result.file_id].append(result)
    for group in by_id.values():
        assert sum(r.status != "duplicate" for r in group) == 1
    duplicates = sorted(key for key, r in results.items() if r.status == "duplicate")
    assert duplicates == [
        "LinuxForHealth_x12/837_005010X222A2__demo.example6.837",
        "LinuxForHealth_x12/demo-file__demo.835",
        "LinuxForHealth_x12/demo-file__demo.837i",
    ]


def test_status_kind_and_issue_codes_match_the_readme(loaded) -> None:
    _settings, results = loaded
    problems = []
    for key, row in readme_rows().items():
        result = results[key]
        issues = result.issue_counts
        kind_text, envelope, notes = row["kind/version"], row["envelope issues"], row["notes"]
        expected_kind = kind_text.split()[0]
        if expected_kind == "837":
            expected_kind = "837I" if row["svc/lines"].startswith("SV1=0 ") else "837P"
        if result.file_kind != expected_kind:
            problems.append(f"{key}: kind {result.file_kind} != {expected_kind}")
        if "invalid date" in notes:  # an unreadable BPR16 rejects the only transaction set
            if (result.status, list(issues)) != ("quarantined", ["BAD_ELEMENT"]):
                problems.append(f"{key}: expected quarantined with BAD_ELEMENT, got {result.status} {issues}")
            continue
        if result.status == "quarantined":
            problems.append(f"{key}: quarantined: {result.reasons}")
        for marker, code in (("SE01=", "SE_COUNT"), ("GE01=", "GE_COUNT"), ("IEA01=", "IEA_COUNT")):
            if marker in envelope and code not in issues:
                problems.append(f"{key}: README says {marker}... but no {code}")
        if "no ISA" in kind_text and "NO_ENVELOPE" not in issues:
            problems.append(f"{key}: no ISA but no NO_ENVELOPE")
        unbalanced = int(row["unbal"]) if row["unbal"].isdigit() else None
        if unbalanced == 0 and result.balancing_violations:
            problems.append(f"{key}: README unbal 0, loader {result.balancing_violations}")
        if unbalanced and not (result.balancing_violations or result.transactions_rejected):
            problems.append(f"{key}: README unbal {unbalanced}, loader found none and rejected nothing")
        if (
            row["claims"].isdigit()
            and result.transactions_rejected == 0
            and result.claims != int(row["claims"])
        ):
            problems.append(f"{key}: claims {result.claims} != README {row['claims']}")
        if not envelope and unbalanced in (0, None) and "no ISA" not in kind_text and issues:
            severe = {code for code in issues if code in ("BAD_ELEMENT", "TRUNCATED", "BAD_ISA", "NOT_X12")}
            if severe:
                problems.append(f"{key}: clean per README but {severe}")
    assert problems == []


def test_ledger_and_issues_agree_with_the_results(loaded) -> None:
    settings, results = loaded
    ledger = dict(query(settings, "select file_id, status from raw.load_ledger"))
    not_duplicates = [r for r in results.values() if r.status != "duplicate"]
    assert ledger == {r.file_id: r.status for r in not_duplicates}
    issue_totals = dict(query(settings, "select file_id, count(*) from raw.load_issues group by 1"))
    for result in not_duplicates:
        assert issue_totals.get(result.file_id, 0) == sum(result.issue_counts.values())
    # every loaded 835's ledger BPR02 equals its rows' BPR02
    sums = dict(
        query(
            settings,
            "select file_id, cast(sum(total_paid_amount) as varchar) from raw.era_transactions group by 1",
        )
    )
    for result in not_duplicates:
        if result.file_kind == "835" and result.status != "quarantined":
            assert result.money_totals["bpr02"] == sums[result.file_id]
    # the biggest public 837: 312 interchanges, 624 claims of 500.00
    big = results["imsweb_x12-parser/x12_multiple_transactions.txt"]
    assert (big.transactions_loaded, big.claims, big.money_totals["clm02"]) == (312, 624, "312000.00")
