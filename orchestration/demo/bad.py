"""The ``bad/`` folder: files a correct loader must flag, and what it must still load from them.

Each file is built from small synthetic claims of its own (never from the clean folders, which it
must not be mixed with). ``expected_issues.json`` says, per file, the issue codes of
docs/data_contracts.md a loader must report and how many transaction sets / CSV rows must load.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.demo.master import MasterData
from orchestration.demo.money import csv_amount, x12_amount
from orchestration.demo.x12 import PRACTICE_RECEIVER_ID, VERSION_835, gs, isa, seg

BAD_DAY = date(2025, 6, 16)


def _claim_segments(rng: random.Random, pcn: str, npi: str, lines: int) -> tuple[list[str], int]:
    """A balanced primary claim payment: per line CO-45 and PR-2, paid = allowed − coinsurance."""
    body: list[str] = []
    charge_total = paid_total = pr_total = 0
    line_segments: list[str] = []
    for number in range(1, lines + 1):
        charge = rng.randint(80, 400) * 100
        allowed = charge * 55 // 100
        coinsurance = allowed // 5
        paid = allowed - coinsurance
        charge_total += charge
        paid_total += paid
        pr_total += coinsurance
        line_segments += [
            seg("SVC", "HC:99213", x12_amount(charge), x12_amount(paid), "", "1"),
            seg("DTM", "472", "20250602"),
            seg("CAS", "CO", "45", x12_amount(charge - allowed)),
            seg("CAS", "PR", "2", x12_amount(coinsurance)),
            seg("REF", "6R", f"{pcn}S1L{number}"),
            seg("AMT", "B6", x12_amount(allowed)),
        ]
    body.append(
        seg(
            "CLP",
            pcn,
            "1",
            x12_amount(charge_total),
            x12_amount(paid_total),
            x12_amount(pr_total),
            "CI",
            f"BAD{pcn}",
            "11",
            "1",
        )
    )
    body.append(seg("NM1", "QC", "1", "Testperson", "Alex", "", "", "", "MI", f"COM{pcn[-6:]}"))
    body.append(seg("NM1", "82", "1", "Fictive", "Avery", "", "", "", "XX", npi))
    body.append(seg("DTM", "050", "20250603"))
    body.extend(line_segments)
    return body, paid_total


def _transaction(
    rng: random.Random, master: MasterData, control: str, trace: str, pcns: list[str]
) -> tuple[list[str], list[tuple[int, int]]]:
    """One balanced 835 transaction set; returns its segments and (CLP index, paid) per claim."""
    payee = master.group
    claims: list[str] = []
    positions: list[tuple[int, int]] = []
    total = 0
    header_size = 14
    for pcn in pcns:
        segments, paid = _claim_segments(rng, pcn, payee.npi, rng.randint(1, 3))
        positions.append((header_size + len(claims), paid))
        claims.extend(segments)
        total += paid
    head = [
        seg("ST", "835", control),
        seg(
            "BPR", "C", x12_amount(total), "C", "CHK", "", "", "", "", "", "", "", "", "", "", "", "20250616"
        ),
        seg("TRN", "1", trace, "1990100004"),
        seg("DTM", "405", "20250615"),
        seg("N1", "PR", "BLUEPEAK HEALTH PLAN"),
        seg("N3", "PO BOX 1000"),
        seg("N4", "DEMO CITY", "OH", "43100"),
        seg("REF", "2U", "COM01"),
        seg("PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"),
        seg("N1", "PE", payee.name.upper(), "XX", payee.npi),
        seg("N3", "100 EXAMPLE WAY"),
        seg("N4", "DEMO CITY", "OH", "43001"),
        seg("REF", "TJ", payee.tax_id),
        seg("LX", "1"),
    ]
    if len(head) != header_size:
        raise AssertionError("header size changed")
    segments = head + claims
    segments.append(seg("SE", str(len(segments) + 1), control))
    return segments, positions


def _envelope_open(control: int) -> list[str]:
    return [
        isa("COM01", PRACTICE_RECEIVER_ID, BAD_DAY, control),
        gs("HP", "COM01", PRACTICE_RECEIVER_ID, BAD_DAY, control, VERSION_835),
    ]


def _write(path: Path, segments: list[str]) -> None:
    path.write_text("".join(segments), encoding="utf-8")


def write_bad_files(bad_dir: Path, master: MasterData, seed: int) -> dict[str, object]:
    """Write the four bad files and expected_issues.json; returns a short summary for the ground truth."""
    rng = random.Random(seed * 31 + 5)
    bad_dir.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, Any]] = {}

    # truncated.835.x12: a complete first ST, then the file stops inside the second ST's claim.
    first, _ = _transaction(rng, master, "0001", "BADTRUNC0001", ["BT000000001", "BT000000002"])
    second, _ = _transaction(rng, master, "0002", "BADTRUNC0002", ["BT000000003", "BT000000004"])
    cut = second[: 14 + 5]  # header and part of the first claim; no SE, GE or IEA
    _write(bad_dir / "truncated.835.x12", _envelope_open(900000001) + first + cut)
    expected["truncated.835.x12"] = {
        "file_kind": "835",
        "required_issue_codes": ["TRUNCATED"],
        "allowed_issue_codes": ["MISSING_TRAILER"],
        "transaction_sets_in_file": 2,
        "transaction_sets_loaded": 1,
        "claims_loaded": 2,
        "note": "The file ends inside the second ST (no SE/GE/IEA); the first ST is complete and balanced.",
    }

    # wrong_counts.835.x12: two balanced STs; the second declares a wrong SE01; GE01 and IEA01 are wrong.
    one, _ = _transaction(rng, master, "0001", "BADCOUNT0001", ["BC000000001"])
    two, _ = _transaction(rng, master, "0002", "BADCOUNT0002", ["BC000000002", "BC000000003"])
    actual = len(two)
    two[-1] = seg("SE", str(actual + 3), "0002")
    trailer = [seg("GE", "3", "900000002"), seg("IEA", "2", "900000002")]
    _write(bad_dir / "wrong_counts.835.x12", _envelope_open(900000002) + one + two + trailer)
    expected["wrong_counts.835.x12"] = {
        "file_kind": "835",
        "required_issue_codes": ["SE_COUNT", "GE_COUNT", "IEA_COUNT"],
        "allowed_issue_codes": [],
        "issue_counts": {"SE_COUNT": 1, "GE_COUNT": 1, "IEA_COUNT": 1},
        "transaction_sets_in_file": 2,
        "transaction_sets_loaded": 2,
        "claims_loaded": 3,
        "wrong_values": {
            "SE01": {"declared": actual + 3, "actual": actual},
            "GE01": {"declared": 3, "actual": 2},
            "IEA01": {"declared": 2, "actual": 1},
        },
        "note": "Amounts balance everywhere; only the control counts are wrong (warnings: everything loads).",
    }

    # unbalanced.835.x12: in the first ST, one claim's CLP04 is 10.00 too high (lines still balance),
    # so that claim and its transaction are out of balance; the second ST is fine.
    three, positions = _transaction(
        rng, master, "0001", "BADBAL0001", ["BU000000001", "BU000000002", "BU000000003"]
    )
    four, _ = _transaction(rng, master, "0002", "BADBAL0002", ["BU000000004"])
    index, paid = positions[1]
    elements = three[index].rstrip("~\n").split("*")
    elements[4] = x12_amount(paid + 1000)
    three[index] = "*".join(elements) + "~\n"
    trailer = [seg("GE", "2", "900000003"), seg("IEA", "1", "900000003")]
    _write(bad_dir / "unbalanced.835.x12", _envelope_open(900000003) + three + four + trailer)
    expected["unbalanced.835.x12"] = {
        "file_kind": "835",
        "required_issue_codes": ["UNBALANCED_CLAIM", "UNBALANCED_TRANSACTION"],
        "allowed_issue_codes": [],
        "issue_counts": {"UNBALANCED_CLAIM": 1, "UNBALANCED_TRANSACTION": 1, "UNBALANCED_LINE": 0},
        "unbalanced_claim": "BU000000002",
        "claim_balance_difference": "-10.00",
        "transaction_balance_difference": "-10.00",
        "transaction_sets_in_file": 2,
        "transaction_sets_loaded": 2,
        "claims_loaded": 4,
        "note": "Differences as raw_schema defines them: CLP04 side 10.00 too high, so "
        "CLP03 − CAS − CLP04 and BPR02 − (ΣCLP04 − ΣPLB) are both −10.00; loaded with is_balanced = false.",
    }

    # malformed_patient_payments.csv: good rows mixed with rows that break one rule each.
    columns = (
        "payment_id",
        "payment_date",
        "account_id",
        "patient_control_number",
        "amount",
        "method",
        "channel",
        "payment_plan_id",
        "deposit_id",
    )
    rows: list[tuple[str, ...]] = []
    problems: list[dict[str, Any]] = []
    good = 0
    bad_rows = {
        3: (
            "payment_date",
            "not_a_date",
            "06/05/2025",
            [
                "GX:expect_column_values_to_match_regex:payment_date",
                "GX:expect_column_values_to_be_real_dates:payment_date",
            ],
        ),
        5: ("amount", "not_a_number", "12,50", ["GX:expect_column_values_to_match_regex:amount"]),
        8: ("method", "unknown_value", "bitcoin", ["GX:expect_column_values_to_be_in_set:method"]),
        10: ("account_id", "missing_required", "", ["GX:expect_column_values_to_not_be_null:account_id"]),
        12: (
            "payment_date",
            "impossible_date",
            "2025-02-30",
            ["GX:expect_column_values_to_be_real_dates:payment_date"],
        ),
    }
    for row_number in range(1, 15):
        cents = rng.randint(10, 300) * 100 + rng.randint(0, 99)
        row = {
            "payment_id": f"BADPMT{row_number:04d}",
            "payment_date": f"2025-06-{row_number + 1:02d}",
            "account_id": f"A{row_number:08d}",
            "patient_control_number": f"MG9{row_number:08d}",
            "amount": csv_amount(cents),
            "method": ("cash", "check", "card", "ach")[row_number % 4],
            "channel": ("point_of_service", "statement", "portal")[row_number % 3],
            "payment_plan_id": "",
            "deposit_id": f"DPB202506{row_number + 1:02d}",
        }
        if row_number in bad_rows:
            column, problem, value, codes = bad_rows[row_number]
            row[column] = value
            problems.append(
                {
                    "row_number": row_number,
                    "column": column,
                    "problem": problem,
                    "value": value,
                    "issue_codes": codes,
                }
            )
        else:
            good += 1
        rows.append(tuple(row[c] for c in columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    (bad_dir / "malformed_patient_payments.csv").write_text(buffer.getvalue(), encoding="utf-8")
    codes = sorted({code for p in problems for code in p["issue_codes"]})
    expected["malformed_patient_payments.csv"] = {
        "file_kind": "csv_patient_payments",
        "csv_kind": "patient_payments",
        "required_issue_codes": codes,
        "required_issue_code_patterns": [
            "GX:*:payment_date",
            "GX:*:amount",
            "GX:*:method",
            "GX:*:account_id",
        ],
        "rows_in_file": len(rows),
        "rows_loaded": good,
        "rows_quarantined": len(problems),
        "bad_rows": problems,
        "note": "Row numbers are 1-based, header excluded. The name does not start with the kind prefix: "
        "load it as kind patient_payments.",
    }
    (bad_dir / "expected_issues.json").write_text(
        json.dumps(expected, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return {
        name: {"required_issue_codes": spec["required_issue_codes"]}
        for name, spec in sorted(expected.items())
    }
