"""The loader on the demo generator's output: the raw layer's money equals the ground truth, and the
deliberately bad files come out as the generator's ``bad/expected_issues.json`` says."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path

import pytest
from ingest_helpers import query

from orchestration.cli import main
from orchestration.lib.loader import FileResult, load_files
from orchestration.settings import Settings, get_settings

pytest.importorskip("orchestration.demo", reason="the demo generator (orchestration/demo) is not present")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    assert main(["generate", "--out", str(out), "--claims", "60", "--months", "3", "--seed", "7"]) == 0
    return out


@pytest.fixture(scope="module")
def loaded(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[FileResult]]:
    settings = replace(get_settings(), home=tmp_path_factory.mktemp("generated_home"))
    folders = [generated / "x12" / "837", generated / "x12" / "835", generated / "csv"]
    return settings, load_files(folders, settings, lock_timeout=30)


def test_clean_files_all_load(loaded) -> None:
    _settings, results = loaded
    bad = [(r.file_name, r.status, r.reasons) for r in results if r.status not in ("loaded", "duplicate")]
    assert bad == []
    # a duplicate here can only be a byte-identical extract (e.g. a header-only month)
    for result in results:
        if result.status == "duplicate":
            assert result.row_counts == {} or all(v == 0 for v in result.row_counts.values())


def test_raw_money_equals_the_ground_truth(generated: Path, loaded) -> None:
    settings, results = loaded
    truth = json.loads((generated / "ground_truth.json").read_text())
    [(bpr02, clp04, plb, patient, write_off)] = query(
        settings,
        "select (select coalesce(sum(total_paid_amount), 0) from raw.era_transactions), "
        "(select coalesce(sum(paid_amount), 0) from raw.era_claims), "
        "(select coalesce(sum(adjustment_amount), 0) from raw.era_provider_adjustments), "
        "(select coalesce(sum(amount), 0) from raw.csv_patient_payments), "
        "(select coalesce(sum(amount), 0) from raw.csv_adjustments)",
    )
    assert bpr02 == Decimal(truth["total_bpr02_amount"])
    assert clp04 == Decimal(truth["total_insurance_paid_amount"])
    assert plb == Decimal(truth["total_provider_adjustment_amount"])
    assert patient == Decimal(truth["total_patient_paid_amount"])
    assert write_off == Decimal(truth["total_write_off_amount"])
    # and the ledger's per-file figures add up to the same totals
    ledger_bpr02 = sum(
        (
            Decimal(r.money_totals["bpr02"])
            for r in results
            if r.status != "duplicate" and "bpr02" in r.money_totals
        ),
        Decimal("0"),
    )
    assert ledger_bpr02 == bpr02


def test_bad_files_match_the_generators_expectations(generated: Path, tmp_path: Path) -> None:
    settings = replace(get_settings(), home=tmp_path / "bad_home")
    expected = json.loads((generated / "bad" / "expected_issues.json").read_text())
    results = {r.file_name: r for r in load_files([generated / "bad" / name for name in expected], settings)}
    problems = []
    for name, spec in expected.items():
        result = results[name]
        codes = set(result.issue_counts)
        ours = {"CSV_KIND_FROM_HEADER"}  # the loader's own note that it read the kind from the header
        required = set(spec.get("required_issue_codes", []))
        allowed = required | set(spec.get("allowed_issue_codes", [])) | ours
        allowed |= {code for code, count in spec.get("issue_counts", {}).items() if count}
        if not required <= codes:
            problems.append(f"{name}: missing {sorted(required - codes)}")
        if not codes <= allowed:
            problems.append(f"{name}: unexpected {sorted(codes - allowed)}")
        for pattern in spec.get("required_issue_code_patterns", []):
            if not any(fnmatch(code, pattern) for code in codes):
                problems.append(f"{name}: nothing matches {pattern}")
        for code, count in spec.get("issue_counts", {}).items():
            if result.issue_counts.get(code, 0) != count:
                problems.append(f"{name}: {code} {result.issue_counts.get(code, 0)} != {count}")
        if result.file_kind != spec["file_kind"]:
            problems.append(f"{name}: kind {result.file_kind} != {spec['file_kind']}")
        if (
            "transaction_sets_loaded" in spec
            and result.transactions_loaded != spec["transaction_sets_loaded"]
        ):
            problems.append(f"{name}: sets {result.transactions_loaded} != {spec['transaction_sets_loaded']}")
        if "claims_loaded" in spec and result.claims != spec["claims_loaded"]:
            problems.append(f"{name}: claims {result.claims} != {spec['claims_loaded']}")
        if "rows_loaded" in spec:
            loaded_rows = sum(result.row_counts.values())
            if (loaded_rows, result.counts.get("csv_rows_rejected")) != (
                spec["rows_loaded"],
                spec["rows_quarantined"],
            ):
                problems.append(f"{name}: rows {loaded_rows}/{result.counts} != {spec['rows_loaded']}")
        for bad_row in spec.get("bad_rows", []):
            found = {
                code
                for code, position in query(
                    settings,
                    "select issue_code, segment_position from raw.load_issues where file_id = ?",
                    [result.file_id],
                )
                if position == bad_row["row_number"]
            }
            if found != set(bad_row["issue_codes"]):
                problems.append(
                    f"{name} row {bad_row['row_number']}: {sorted(found)} != {bad_row['issue_codes']}"
                )
    assert problems == []
