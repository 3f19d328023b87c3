"""bad/ files are bad exactly the way expected_issues.json says."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime

from demo_fixtures import DemoData
from demo_naive_x12 import check_envelopes, read_835, segments

from orchestration.settings import REPO_ROOT


def _expected(demo: DemoData) -> dict:
    return json.loads((demo.root / "bad" / "expected_issues.json").read_text())


def test_expected_issues_names_every_bad_file_with_contract_codes(demo: DemoData) -> None:
    expected = _expected(demo)
    names = sorted(p.name for p in (demo.root / "bad").iterdir() if p.name != "expected_issues.json")
    assert sorted(expected) == names
    codes = {
        code
        for line in (REPO_ROOT / "docs" / "data_contracts.md").read_text().splitlines()
        if line.startswith("| `") and "|" in line[2:]
        for code in re.findall(r"`([A-Z_]+)`", line.split("|")[1])
    }
    for spec in expected.values():
        for code in spec["required_issue_codes"] + spec.get("allowed_issue_codes", []):
            assert code in codes or code.startswith("GX:"), code


def test_truncated_file_ends_inside_its_second_transaction(demo: DemoData) -> None:
    path = demo.root / "bad" / "truncated.835.x12"
    segs = segments(path.read_text())
    tags = [s[0] for s in segs]
    assert tags.count("ST") == 2 and tags.count("SE") == 1
    assert tags.index("SE") < len(tags) - 1 - tags[::-1].index("ST")  # the only SE closes the first ST
    assert "GE" not in tags and "IEA" not in tags
    transactions, remits, problems = read_835(path)
    assert len(transactions) == _expected(demo)["truncated.835.x12"]["transaction_sets_loaded"] == 1
    assert problems == [] and len(remits) >= _expected(demo)["truncated.835.x12"]["claims_loaded"]


def test_wrong_counts_file_has_exactly_the_declared_count_errors(demo: DemoData) -> None:
    path = demo.root / "bad" / "wrong_counts.835.x12"
    problems = [p.what for p in check_envelopes(path, segments(path.read_text()))]
    assert len(problems) == 3
    assert (
        problems[0].startswith("SE01") and problems[1].startswith("GE01") and problems[2].startswith("IEA01")
    )
    transactions, remits, balance = read_835(path)
    spec = _expected(demo)["wrong_counts.835.x12"]
    assert balance == [] and len(transactions) == spec["transaction_sets_loaded"] == 2
    assert len(remits) == spec["claims_loaded"]
    assert spec["issue_counts"] == {"SE_COUNT": 1, "GE_COUNT": 1, "IEA_COUNT": 1}


def test_unbalanced_file_has_one_bad_claim_and_one_bad_transaction(demo: DemoData) -> None:
    path = demo.root / "bad" / "unbalanced.835.x12"
    assert check_envelopes(path, segments(path.read_text())) == []
    transactions, remits, problems = read_835(path)
    spec = _expected(demo)["unbalanced.835.x12"]
    assert sorted(problems) == sorted(
        [
            f"unbalanced.835.x12: claim {spec['unbalanced_claim']} unbalanced",
            "unbalanced.835.x12: transaction 0001 unbalanced",
        ]
    )
    assert len(transactions) == spec["transaction_sets_loaded"] and len(remits) == spec["claims_loaded"]
    bad = next(r for r in remits if r.pcn == spec["unbalanced_claim"])
    assert bad.charge - sum(a for _, _, a in bad.adjustments) - bad.paid == -1000


def test_malformed_csv_mixes_good_rows_with_the_listed_bad_ones(demo: DemoData) -> None:
    spec = _expected(demo)["malformed_patient_payments.csv"]
    with (demo.root / "bad" / "malformed_patient_payments.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == spec["rows_in_file"] == spec["rows_loaded"] + spec["rows_quarantined"]
    bad_numbers = {p["row_number"] for p in spec["bad_rows"]}
    for number, row in enumerate(rows, start=1):
        broken = []
        try:
            datetime.strptime(row["payment_date"], "%Y-%m-%d")
        except ValueError:
            broken.append("payment_date")
        if not re.fullmatch(r"-?\d+(\.\d{1,2})?", row["amount"]):
            broken.append("amount")
        if row["method"] not in ("cash", "check", "card", "ach"):
            broken.append("method")
        if not row["account_id"]:
            broken.append("account_id")
        assert (number in bad_numbers) == bool(broken), (number, broken)
        if broken:
            problem = next(p for p in spec["bad_rows"] if p["row_number"] == number)
            assert broken == [problem["column"]]
