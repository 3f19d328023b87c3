"""CSV extracts match docs/data_contracts.md, and deposits reconcile to the 835 payments."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from demo_fixtures import DemoData
from demo_naive_x12 import cents

from orchestration.settings import REPO_ROOT

CONTRACT = REPO_ROOT / "docs" / "data_contracts.md"
MONEY = re.compile(r"^-?\d{1,16}\.\d{2}$")


def _contract_columns() -> dict[str, list[str]]:
    """Columns per file prefix, read from the contract's table (bold = required)."""
    out = {}
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(\w+)` \| `csv_\w+` \| (.+) \|$", line)
        if match:
            out[match.group(1)] = [c.strip().strip("*") for c in match.group(2).split(",")]
    return out


def _accepted_values() -> dict[str, set[str]]:
    text = CONTRACT.read_text(encoding="utf-8")
    out = {}
    for column in ("method", "channel", "adjustment_type", "deposit_type", "activity_type"):
        match = re.search(rf"`{column}`: ([a-z_, \n]+)", text)
        assert match, column
        body = match.group(1).split("(")[0]
        out[column] = {v.strip() for v in body.replace("\n", " ").split(",") if v.strip()}
    return out


def test_every_month_has_each_extract_with_the_contract_header(demo: DemoData) -> None:
    columns = _contract_columns()
    folder = demo.root / "csv"
    months = [f"2025{m:02d}" for m in range(5, 13)]
    for kind in ("patient_payments", "adjustments", "bank_deposits", "claim_activities"):
        for month in months:
            path = folder / f"{kind}_{month}.csv"
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            assert header == columns[kind], path.name
    assert len(list(folder.iterdir())) == 4 * len(months)


def test_values_are_well_formed_and_accepted(demo: DemoData) -> None:
    accepted = _accepted_values()
    columns = _contract_columns()
    date_columns = {"payment_date", "posted_date", "deposit_date", "activity_date"}
    for kind, rows in demo.csv_rows.items():
        assert rows, kind
        ids = Counter(row[columns[kind][0]] for row in rows)
        assert max(ids.values()) == 1, f"{kind}: duplicate ids"
        for row in rows:
            for column, value in row.items():
                if column in date_columns:
                    date.fromisoformat(value)
                    assert value <= demo.truth["as_of_date"]
                elif column == "amount":
                    assert MONEY.match(value), value
                elif column in accepted:
                    assert value in accepted[column], (kind, column, value)
    assert {row["adjustment_type"] for row in demo.csv_rows["adjustments"]} >= {
        "denial_write_off", "timely_filing_write_off", "small_balance", "bad_debt",
    }  # fmt: skip
    assert {row["channel"] for row in demo.csv_rows["patient_payments"]} == accepted["channel"]
    assert any(cents(row["amount"]) < 0 for row in demo.csv_rows["patient_payments"]), "some refunds"
    assert {row["activity_type"] for row in demo.csv_rows["claim_activities"]} == accepted["activity_type"]


def test_each_payment_deposit_matches_its_835(demo: DemoData) -> None:
    deposits = {row["trace_number"]: row for row in demo.csv_rows["bank_deposits"] if row["trace_number"]}
    as_of = date.fromisoformat(demo.truth["as_of_date"])
    paying = [t for t in demo.transactions if t.bpr02 > 0]
    missing = 0
    for txn in paying:
        row = deposits.get(txn.trace)
        paid_on = date(int(txn.payment_date[:4]), int(txn.payment_date[4:6]), int(txn.payment_date[6:]))
        if row is None:
            missing += 1
            continue
        assert cents(row["amount"]) == txn.bpr02
        assert row["payer_id"] == txn.payer_id
        assert row["deposit_type"] == ("eft" if txn.method == "ACH" else "check")
        delay = date.fromisoformat(row["deposit_date"]) - paid_on
        assert timedelta(0) <= delay <= timedelta(days=23)
    assert set(deposits) <= {t.trace for t in paying}
    # A handful are missing or land after the as-of date; the ground truth counts both.
    extras = demo.truth["extras"]
    late_insurance = extras["deposits_after_as_of_count"] - _patient_batches_after(demo, as_of)
    assert missing == extras["missing_deposit_count"] + late_insurance
    assert missing < len(paying) * 0.03


def _patient_batches_after(demo: DemoData, as_of: date) -> int:
    """Patient deposit batches due after the as-of date (their payments are on the last business day)."""
    days = {row["payment_date"] for row in demo.csv_rows["patient_payments"] if cents(row["amount"]) > 0}
    later = 0
    for day in days:
        deposit = date.fromisoformat(day) + timedelta(days=1)
        while deposit.weekday() >= 5:
            deposit += timedelta(days=1)
        later += deposit > as_of
    return later


def test_patient_payments_are_deposited_in_daily_batches(demo: DemoData) -> None:
    batches = {
        row["deposit_id"]: cents(row["amount"])
        for row in demo.csv_rows["bank_deposits"]
        if row["deposit_type"] == "patient_batch"
    }
    totals: Counter[str] = Counter()
    for row in demo.csv_rows["patient_payments"]:
        amount = cents(row["amount"])
        if amount < 0:
            assert row["deposit_id"] == ""
            continue
        assert row["deposit_id"] == "DPB" + row["payment_date"].replace("-", "")
        totals[row["deposit_id"]] += amount
    for deposit_id, amount in batches.items():
        assert totals[deposit_id] == amount
    assert len(totals) - len(batches) <= 1  # only the last day's batch can fall after the as-of date


def test_claim_activities_are_assigned_to_the_payers_biller(demo: DemoData) -> None:
    billers = {}
    with (REPO_ROOT / "seeds" / "billers.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for payer in row["payer_ids"].split(";"):
                billers.setdefault(payer, row["biller_id"])
    for row in demo.csv_rows["claim_activities"]:
        assert row["assigned_to"] == billers[row["payer_id"]]
        assert row["note"]


def test_written_off_denials_name_their_payer_and_reason(demo: DemoData) -> None:
    for row in demo.csv_rows["adjustments"]:
        if row["adjustment_type"] in ("denial_write_off", "timely_filing_write_off"):
            assert row["payer_id"] and row["reason_code"]
        if row["adjustment_type"] in ("small_balance", "bad_debt", "charity"):
            assert row["payer_id"] == ""
        assert cents(row["amount"]) > 0


def test_no_bad_file_in_the_clean_folders(demo: DemoData) -> None:
    clean = [p.name for folder in ("x12/837", "x12/835", "csv") for p in (demo.root / folder).iterdir()]
    assert not any("bad" in name or "malformed" in name or "truncated" in name for name in clean)
    assert sorted(p.name for p in (demo.root / "bad").iterdir()) == [
        "expected_issues.json", "malformed_patient_payments.csv", "truncated.835.x12",
        "unbalanced.835.x12", "wrong_counts.835.x12",
    ]  # fmt: skip
    assert not Path(demo.root, ".spool").exists()
