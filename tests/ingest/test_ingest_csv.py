"""CSV extracts: kind from the name, header rules, Great Expectations row quarantine, typed load.

The GX tests share one process-wide GX context (importing GX costs ~5 s once per test process).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from ingest_helpers import assert_same_raw, dump_raw, query

from expectations.suites import SUITES_DIR, suite_definition, suite_json
from orchestration.lib.csv_extracts import CSV_KINDS, detect_csv_kind, read_csv_text
from orchestration.lib.loader import load_files

CLAIMS_HEADER = (
    "patient_control_number,line_number,claim_type,payer_id,payer_name,patient_id,billing_provider_npi,"
    "rendering_provider_npi,location_id,service_date,submission_date,procedure_code,modifiers,revenue_code,"
    "units,charge_amount,diagnosis_codes,place_of_service_code,claim_frequency_code"
)


def _claim(
    pcn="PCN1", line="1", claim_type="professional", service_date="2024-03-01", units="1", charge="100.00"
):
    return (
        f"{pcn},{line},{claim_type},PAYER01,Synthetic Plan,PAT1,1999999984,1999999984,LOC1,{service_date},"
        f"2024-03-05,99213,25:59,,{units},{charge},J069;R05,11,1"
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("claims_2024-03.csv", "claims"),
        ("CLAIMS.csv", "claims"),
        ("claim_activities-01.csv", "claim_activities"),
        ("patient_payments20240301.csv", "patient_payments"),
        ("bank_deposits.csv", "bank_deposits"),
        ("adjustments_march.CSV", "adjustments"),
        ("claimsfile.csv", None),
        ("claims_2024.txt", None),
        ("remit.835", None),
    ],
)
def test_kind_comes_from_the_file_name_prefix(name: str, kind: str | None) -> None:
    assert detect_csv_kind(name) == kind


def test_header_rules() -> None:
    missing = read_csv_text(
        b"payment_id,payment_date,amount\nP1,2024-03-01,1.00\n", "patient_payments", "p.csv"
    )
    assert missing.fatal
    [issue] = missing.issues
    assert (issue.issue_code, issue.severity) == ("CSV_HEADER", "error")
    assert "account_id, method, channel" in issue.message

    text = (
        "\ufeffPayment_ID,payment_date,account_id,amount,method,channel,favourite_colour\n"
        "P1, 2024-03-01 ,A1,1.00,card,portal,blue\n\n"
        "P2,2024-03-02,A2,2.00,cash,statement,red,extra\n"
    ).encode()
    read = read_csv_text(text, "patient_payments", "p.csv")
    assert not read.fatal
    assert [(i.severity, i.issue_code, i.row_number) for i in read.issues] == [
        ("warning", "CSV_COLUMNS", 0),  # unknown column ignored
        ("warning", "CSV_COLUMNS", 0),  # optional columns absent
        ("error", "CSV_FIELD_COUNT", 2),
    ]
    assert list(read.frame.index) == [1]
    assert read.frame.loc[1, "payment_date"] == "2024-03-01"  # trimmed
    assert read.frame.loc[1, "deposit_id"] is None


def test_suite_files_match_the_contract() -> None:
    for kind in CSV_KINDS:
        assert (SUITES_DIR / f"{kind}.json").read_text() == suite_json(kind)
    claims = {
        (item["type"], json.dumps(item["kwargs"], sort_keys=True)) for item in suite_definition("claims")
    }
    assert (
        "expect_compound_columns_to_be_unique",
        '{"column_list": ["patient_control_number", "line_number"]}',
    ) in claims
    assert ("expect_column_values_to_not_be_null", '{"column": "charge_amount"}') in claims


def test_malformed_rows_are_quarantined_and_good_rows_load(settings, files: Path) -> None:
    rows = [
        _claim(),  # 1 good
        _claim(line="2", charge="25.5", units="2.5"),  # 2 good
        _claim(pcn="PCN2", service_date="2024-13-01"),  # 3 no month 13
        _claim(pcn="PCN3", charge="10.999"),  # 4 three decimals
        _claim(pcn="PCN4", claim_type="dental"),  # 5 not an accepted value
        _claim(pcn="PCN5", charge="-5.00"),  # 6 negative charge
        _claim(pcn="PCN6", line="1"),  # 7 duplicate (PCN6, 1) ...
        _claim(pcn="PCN6", line="1", charge="7.00"),  # 8 ... both quarantined
        _claim(pcn="", line="x"),  # 9 missing PCN, line not a number
        _claim(pcn="PCN7", charge="1,000.00"),  # 10 a comma: one field too many
        _claim(pcn="PCN8", units="1.2345"),  # 11 units with 4 decimals
    ]
    path = files / "claims_2024-03.csv"
    path.write_text(CLAIMS_HEADER + "\n" + "\n".join(rows) + "\n")
    [result] = load_files([path], settings)

    assert (result.status, result.file_kind) == ("loaded_with_warnings", "csv_claims")
    loaded = query(
        settings,
        "select row_number, patient_control_number, line_number, service_date, units, charge_amount, modifiers "
        "from raw.csv_claims order by row_number",
    )
    assert loaded == [
        (1, "PCN1", 1, date(2024, 3, 1), D("1.000"), D("100.00"), "25:59"),
        (2, "PCN1", 2, date(2024, 3, 1), D("2.500"), D("25.50"), "25:59"),
    ]
    issues = query(
        settings,
        "select segment_position, issue_code, segment_id, severity from raw.load_issues order by 1, 2",
    )
    assert issues == [
        (3, "GX:expect_column_values_to_be_real_dates:service_date", "service_date", "error"),
        (4, "GX:expect_column_values_to_match_regex:charge_amount", "charge_amount", "error"),
        (5, "GX:expect_column_values_to_be_in_set:claim_type", "claim_type", "error"),
        (6, "GX:expect_column_values_to_match_regex:charge_amount", "charge_amount", "error"),
        (
            7,
            "GX:expect_compound_columns_to_be_unique:patient_control_number+line_number",
            "patient_control_number+line_number",
            "error",
        ),
        (
            8,
            "GX:expect_compound_columns_to_be_unique:patient_control_number+line_number",
            "patient_control_number+line_number",
            "error",
        ),
        (9, "GX:expect_column_values_to_match_regex:line_number", "line_number", "error"),
        (
            9,
            "GX:expect_column_values_to_not_be_null:patient_control_number",
            "patient_control_number",
            "error",
        ),
        (10, "CSV_FIELD_COUNT", None, "error"),
        (11, "GX:expect_column_values_to_match_regex:units", "units", "error"),
    ]
    [(raw_text, message)] = query(
        settings, "select raw_text, message from raw.load_issues where segment_position = 5"
    )
    assert raw_text == _claim(pcn="PCN4", claim_type="dental")
    assert message.startswith("claims_2024-03.csv: row 5: column claim_type = 'dental' fails")
    assert result.money_totals == {"csv_amount": "125.50"}
    assert (result.claims, result.service_lines) == (1, 2)
    assert result.counts == {"csv_rows_read": 11, "csv_rows_rejected": 9, "csv_claim_count": 1}


def test_every_extract_kind_loads_typed(settings, files: Path) -> None:
    extracts = {
        "patient_payments_01.csv": "payment_id,payment_date,account_id,patient_control_number,amount,method,channel,"
        "payment_plan_id,deposit_id\nPP1,2024-03-02,ACC1,PCN1,-12.34,card,portal,,DEP9\n",
        "adjustments_01.csv": "adjustment_id,posted_date,patient_control_number,payer_id,adjustment_type,reason_code,"
        "amount,user_id\nADJ1,2024-03-03,PCN1,PAYER01,timely_filing_write_off,29,80.00,biller1\n",
        "bank_deposits_01.csv": "deposit_id,deposit_date,bank_account,amount,deposit_type,trace_number,payer_id\n"
        "DEP9,2024-03-04,OPERATING,1500.10,eft,TRACE0001,PAYER01\n",
        "claim_activities_01.csv": "activity_id,activity_date,patient_control_number,payer_id,activity_type,"
        'assigned_to,note\nACT1,2024-03-05,PCN1,PAYER01,appeal_sent,biller1,"sent, with records"\n',
    }
    for name, text in extracts.items():
        (files / name).write_text(text)
    results = load_files([files], settings)
    assert {r.file_name: (r.status, r.money_totals.get("csv_amount")) for r in results} == {
        "adjustments_01.csv": ("loaded", "80.00"),
        "bank_deposits_01.csv": ("loaded", "1500.10"),
        "claim_activities_01.csv": ("loaded", None),
        "patient_payments_01.csv": ("loaded", "-12.34"),
    }
    assert query(settings, "select amount, payment_date, deposit_id from raw.csv_patient_payments") == [
        (D("-12.34"), date(2024, 3, 2), "DEP9")
    ]
    assert query(settings, "select adjustment_type, reason_code, amount from raw.csv_adjustments") == [
        ("timely_filing_write_off", "29", D("80.00"))
    ]
    assert query(settings, "select deposit_date, amount, trace_number from raw.csv_bank_deposits") == [
        (date(2024, 3, 4), D("1500.10"), "TRACE0001")
    ]
    assert query(settings, "select activity_type, note from raw.csv_claim_activities") == [
        ("appeal_sent", "sent, with records")
    ]


def test_a_file_with_only_bad_rows_is_quarantined(settings, files: Path) -> None:
    path = files / "bank_deposits_bad.csv"
    path.write_text(
        "deposit_id,deposit_date,bank_account,amount,deposit_type,trace_number,payer_id\n"
        "D1,03/04/2024,OPS,10.00,eft,,\n"
    )
    [result] = load_files([path], settings)
    assert result.status == "quarantined"
    assert result.issue_counts == {
        "GX:expect_column_values_to_match_regex:deposit_date": 1,
        "GX:expect_column_values_to_be_real_dates:deposit_date": 1,
    }
    assert query(settings, "select count(*) from raw.csv_bank_deposits") == [(0,)]
    reason = Path(result.stored_path + ".reason.txt").read_text()
    assert "file: bank_deposits_bad.csv" in reason and "at row 1 deposit_date" in reason


def test_cli_kind_list_matches_the_contract() -> None:
    from orchestration.commands.ingest import CSV_KIND_NAMES

    assert sorted(CSV_KIND_NAMES) == sorted(CSV_KINDS)


def test_kind_from_the_header_when_the_name_has_no_prefix_or_forced(settings, files: Path) -> None:
    text = (
        "deposit_id,deposit_date,bank_account,amount,deposit_type,trace_number,payer_id\n"
        "D1,2024-03-04,OPS,10.00,eft,TRN1,PAYER01\n"
    )
    (files / "march_deposits.csv").write_text(text)
    (files / "export.txt").write_text(text.replace("D1", "D2"))
    guessed, not_csv = load_files([files / "march_deposits.csv", files / "export.txt"], settings)
    assert (guessed.status, guessed.file_kind, list(guessed.issue_counts)) == (
        "loaded_with_warnings",
        "csv_bank_deposits",
        ["CSV_KIND_FROM_HEADER"],
    )
    assert (not_csv.status, not_csv.file_kind) == ("quarantined", "unknown")  # .txt: X12 reader, NOT_X12

    [forced] = load_files([files / "export.txt"], settings, csv_kind="bank_deposits")
    assert forced.status == "duplicate"  # the same bytes were quarantined above: nothing changes
    (files / "export2.txt").write_text(text.replace("D1", "D3"))
    [forced] = load_files([files / "export2.txt"], settings, csv_kind="bank_deposits")
    assert (forced.status, forced.file_kind) == ("loaded", "csv_bank_deposits")
    assert query(settings, "select deposit_id from raw.csv_bank_deposits order by 1") == [("D1",), ("D3",)]
    with pytest.raises(ValueError, match="unknown CSV extract kind 'remits'"):
        load_files([files], settings, csv_kind="remits")


def test_suite_check_scopes_gx_to_the_run_and_catches_ids_repeated_across_files(
    settings, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.lib.raw_checks import csv_suite_check

    header = "payment_id,payment_date,account_id,patient_control_number,amount,method,channel,payment_plan_id,deposit_id\n"
    (files / "patient_payments_01.csv").write_text(header + "PP1,2024-03-02,ACC1,PCN1,10.00,card,portal,,\n")
    (files / "patient_payments_02.csv").write_text(
        header
        + "PP1,2024-04-02,ACC1,PCN1,10.00,card,portal,,\nPP2,2024-04-03,ACC2,PCN2,5.00,cash,point_of_service,,\n"
    )
    results = {r.file_name: r for r in load_files([files], settings)}
    assert {name: r.status for name, r in results.items()} == {
        "patient_payments_01.csv": "loaded",
        "patient_payments_02.csv": "loaded",  # each file alone keeps the suite
    }
    across = {"expect_column_values_to_be_unique:payment_id (across files)": 1}

    second = csv_suite_check(
        "patient_payments", settings, file_ids=[results["patient_payments_02.csv"].file_id]
    )
    assert (second.suite_passed, second.rows_validated, second.failed_expectations) == (False, 2, across)

    nothing_new = csv_suite_check("patient_payments", settings, file_ids=[])
    assert (nothing_new.suite_passed, nothing_new.rows_validated) == (False, 0)
    assert nothing_new.failed_expectations == across

    everything = csv_suite_check("patient_payments", settings)
    assert (everything.suite_passed, everything.rows_validated) == (False, 3)
    assert everything.failed_expectations == {"expect_column_values_to_be_unique:payment_id": 2}

    # validated a batch of files at a time (memory): a repeat between batches is still caught, in SQL
    from orchestration.lib import raw_checks

    monkeypatch.setattr(raw_checks, "CHECK_BATCH_ROWS", 1)
    batched = csv_suite_check("patient_payments", settings)
    assert (batched.suite_passed, batched.rows_validated, batched.failed_expectations) == (False, 3, across)


def test_the_suite_check_batches_whole_files_by_rows() -> None:
    from orchestration.lib.raw_checks import CHECK_BATCH_ROWS, _batches

    half, big = CHECK_BATCH_ROWS // 2, CHECK_BATCH_ROWS * 2
    sizes = [("a", half), ("b", half), ("c", 1), ("d", big), ("e", 5)]
    assert _batches(sizes) == [["a", "b"], ["c"], ["d"], ["e"]]
    assert _batches([]) == []


def test_real_dates_expectation_agrees_with_gx_strftime_value_for_value() -> None:
    """Our per-distinct-value date check (expectations/custom.py) flags exactly the rows GX's own
    expect_column_values_to_match_strftime_format flags, on edge cases and 3,000 random strings."""
    import random

    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    from expectations.custom import ExpectColumnValuesToBeRealDates
    from expectations.runner import _context

    edge = [
        "2024-02-29",
        "2023-02-29",
        "2024-02-30",
        "2024-13-01",
        "2024-00-10",
        "2024-1-5",
        "20240105",
        " 2024-01-05",
        "2024-01-05 ",
        "2024-01-05x",
        "",
        "0001-01-01",
        "9999-12-31",
        None,
        "2024-04-31",
    ]
    rng = random.Random(20261128)
    alphabet = "0123456789-- x/"
    noise = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(1500)]
    near = [
        f"{rng.randint(1990, 2030)}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}" for _ in range(1500)
    ]
    frame = pd.DataFrame({"d": edge + noise + near + near[:200]})
    datasource = _context()["datasource"]
    batch = (
        datasource.add_dataframe_asset(name="real_dates_vs_strftime")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name="real_dates_vs_strftime")
    suite.add_expectation(ExpectColumnValuesToBeRealDates(column="d", strftime_format="%Y-%m-%d"))
    suite.add_expectation(gxe.ExpectColumnValuesToMatchStrftimeFormat(column="d", strftime_format="%Y-%m-%d"))
    ours, theirs = batch.validate(suite, result_format={"result_format": "COMPLETE"}).results
    assert ours.expectation_config.type == "expect_column_values_to_be_real_dates"
    assert not ours.exception_info.get("raised_exception")
    flagged = sorted(ours.result["unexpected_index_list"])
    assert flagged == sorted(theirs.result["unexpected_index_list"])
    assert 0 < len(flagged) < len(frame) - 1  # both kinds of answer occur
    assert 0 not in flagged and 5 not in flagged  # a leap day; strptime takes one-digit months too
    assert {1, 2, 3, 4} <= set(flagged)  # not a leap year, February 30, month 13, month 0


def test_extracts_validated_in_worker_processes_load_what_one_process_loads(
    settings, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.lib import loader
    from orchestration.settings import get_settings

    rows = [_claim(), _claim(pcn="PCN2", service_date="2024-13-01"), _claim(pcn="PCN7", charge="1,000.00")]
    (files / "claims_2024-03.csv").write_text(CLAIMS_HEADER + "\n" + "\n".join(rows) + "\n")
    (files / "claims_2024-04.csv").write_text(CLAIMS_HEADER + "\n" + _claim(pcn="PCN9") + "\n")
    (files / "bank_deposits_bad.csv").write_text(
        "deposit_id,deposit_date,bank_account,amount,deposit_type,trace_number,payer_id\n"
        "D1,03/04/2024,OPS,10.00,eft,,\n"
    )
    (files / "patient_payments_no_header.csv").write_text("P1,2024-03-01,1.00\n")
    serial = load_files([files], settings, processes=1)

    monkeypatch.setenv("RCM_HOME", str(tmp_path / "parallel_home"))
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    parallel_settings = get_settings()
    parallel = load_files([files], parallel_settings, processes=2)

    assert [r.parsed_in_worker for r in parallel] == [True] * 4
    assert not any(r.parsed_in_worker for r in serial)
    summary = [
        (r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts, r.counts) for r in serial
    ]
    assert [
        (r.file_name, r.status, r.money_totals, r.row_counts, r.issue_counts, r.counts) for r in parallel
    ] == (summary)
    assert [status for _name, status, *_ in summary] == [
        "quarantined",
        "loaded_with_warnings",
        "loaded",
        "quarantined",
    ]
    left = dump_raw(settings)
    assert_same_raw(left, dump_raw(parallel_settings))
    assert len(left["load_issues"]) >= 4  # the GX row failures and the field count error, with raw text
