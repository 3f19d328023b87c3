"""The reader on small synthetic files written here: exact rows, exact cents, exact issues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest
from x12_reader_fixtures import header_835, interchange, isa, render, rows, transaction

from orchestration.lib.raw_schema import TABLES, column_names
from orchestration.lib.x12 import ParseResult, parse_x12, to_arrow

D = Decimal


def parse(data: bytes, name: str = "test.835") -> ParseResult:
    return parse_x12(data, "0123456789abcdef", name)


def codes(result: ParseResult) -> list[tuple[str, str]]:
    return [(issue.severity, issue.issue_code) for issue in result.issues]


# ---------------------------------------------------------------- 835 content

REVERSAL_AND_CORRECTION = [
    # The payer takes back an earlier payment of 80.00 and pays 90.00 instead.
    "CLP*PCN0001*22*-120*-80**12*ICN0001R*11*1",
    "NM1*QC*1*DOE*JANE****MI*M0001",
    "REF*F8*ICN0001",
    "SVC*HC:G0439*-120*-80**1",
    "DTM*472*20241201",
    "CAS*CO*45*-40",
    "REF*6R*L0001",
    "CLP*PCN0001*1*120*90*10*12*ICN0001C*11*1",
    "NM1*QC*1*DOE*JANE****MI*M0001",
    "NM1*IL*1*DOE*JOHN****MI*S0001",
    "NM1*82*1*RENDER*PAT****XX*1999999984",
    "DTM*232*20241201",
    "DTM*233*20241202",
    "DTM*050*20241215",
    "AMT*AU*100",
    "SVC*HC:G0439:25:LT*120*90**1*HC:G0438*2",
    "DTM*150*20241201",
    "DTM*151*20241202",
    "CAS*CO*45*20",
    "CAS*PR*2*10",
    "REF*6R*L0001",
    "AMT*B6*100",
]


def test_reversal_and_correction_rows_net_to_the_difference() -> None:
    result = parse(render(interchange([transaction(header_835("10") + REVERSAL_AND_CORRECTION)])))
    assert codes(result) == []
    assert (result.kind, result.transactions_loaded, result.transactions_rejected) == ("835", 1, 0)
    reversal, correction = rows(result, "era_claims")
    assert (reversal["claim_status_code"], reversal["charge_amount"], reversal["paid_amount"]) == (
        "22",
        D("-120.00"),
        D("-80.00"),
    )
    assert reversal["original_reference_number"] == "ICN0001"
    assert (reversal["sum_line_adjustment_amount"], reversal["is_balanced"]) == (D("-40.00"), True)
    assert reversal["paid_amount"] + correction["paid_amount"] == D("10.00")
    assert correction == {
        "file_id": "0123456789abcdef",
        "transaction_position": 3,
        "claim_position": 22,
        "patient_control_number": "PCN0001",
        "claim_status_code": "1",
        "charge_amount": D("120.00"),
        "paid_amount": D("90.00"),
        "patient_responsibility_amount": D("10.00"),
        "claim_filing_indicator_code": "12",
        "payer_claim_control_number": "ICN0001C",
        "facility_type_code": "11",
        "claim_frequency_code": "1",
        "drg_code": None,
        "patient_id": "M0001",
        "patient_last_name": "DOE",
        "patient_first_name": "JANE",
        "subscriber_id": "S0001",
        "rendering_provider_npi": "1999999984",
        "crossover_payer_name": None,
        "original_reference_number": None,
        "statement_from_date": date(2024, 12, 1),
        "statement_to_date": date(2024, 12, 2),
        "claim_received_date": date(2024, 12, 15),
        "coverage_amount": D("100.00"),
        "interest_amount": None,
        "line_count": 1,
        "sum_claim_adjustment_amount": D("0.00"),
        "sum_line_adjustment_amount": D("30.00"),
        "is_balanced": True,
        "balance_difference_amount": D("0.00"),
    }
    line = rows(result, "era_service_lines")[1]
    assert line == {
        "file_id": "0123456789abcdef",
        "transaction_position": 3,
        "claim_position": 22,
        "line_position": 30,
        "procedure_qualifier": "HC",
        "procedure_code": "G0439",
        "modifier_1": "25",
        "modifier_2": "LT",
        "modifier_3": None,
        "modifier_4": None,
        "charge_amount": D("120.00"),
        "paid_amount": D("90.00"),
        "revenue_code": None,
        "paid_units": D("1.000"),
        "original_procedure_code": "G0438",
        "original_units": D("2.000"),
        "line_item_control_number": "L0001",
        "service_date": date(2024, 12, 1),
        "service_end_date": date(2024, 12, 2),
        "allowed_amount": D("100.00"),
        "sum_adjustment_amount": D("30.00"),
        "is_balanced": True,
        "balance_difference_amount": D("0.00"),
    }
    (transaction_row,) = rows(result, "era_transactions")
    assert transaction_row == {
        "file_id": "0123456789abcdef",
        "transaction_position": 3,
        "interchange_control_number": "000000001",
        "interchange_sender_id": "SENDER",
        "interchange_date": date(2025, 1, 10),
        "group_control_number": "1",
        "version_code": "005010X221A1",
        "transaction_control_number": "0001",
        "handling_code": "I",
        "total_paid_amount": D("10.00"),
        "credit_debit_flag": "C",
        "payment_method_code": "ACH",
        "payment_format_code": "CCP",
        "payment_date": date(2025, 1, 10),
        "trace_number": "EFT0001",
        "trace_originator_id": "1512345678",
        "production_date": date(2025, 1, 9),
        "payer_name": "ACME HEALTH PLAN",
        "payer_id": "ACMEPLAN",
        "payee_name": "BENCH MEDICAL GROUP",
        "payee_id_qualifier": "XX",
        "payee_id": "1999999984",
        "payee_tax_id": "999999999",
        "claim_count": 2,
        "sum_claim_paid_amount": D("10.00"),
        "sum_provider_adjustment_amount": D("0.00"),
        "is_balanced": True,
        "balance_difference_amount": D("0.00"),
        "declared_segment_count": 35,
        "actual_segment_count": 35,
    }
    levels = [
        (row["adjustment_level"], row["group_code"], row["carc_code"], row["adjustment_amount"])
        for row in rows(result, "era_adjustments")
    ]
    assert levels == [
        ("line", "CO", "45", D("-40.00")),
        ("line", "CO", "45", D("20.00")),
        ("line", "PR", "2", D("10.00")),
    ]
    assert [row["line_position"] for row in rows(result, "era_adjustments")] == [18, 30, 30]


def test_claim_level_cas_has_no_line_position_and_counts_in_claim_balance() -> None:
    body = [
        *header_835("50"),
        "CLP*PCN0002*1*100*50*0*12*ICN2*11*1",
        "CAS*CO*45*50",
        "NM1*QC*1*ROE*RICK****MI*M0002",
    ]
    result = parse(render(interchange([transaction(body)])))
    (adjustment,) = rows(result, "era_adjustments")
    assert (adjustment["adjustment_level"], adjustment["line_position"], adjustment["claim_position"]) == (
        "claim",
        None,
        15,
    )
    (claim,) = rows(result, "era_claims")
    assert (claim["sum_claim_adjustment_amount"], claim["line_count"], claim["is_balanced"]) == (
        D("50.00"),
        0,
        True,
    )


def test_six_triplet_cas_gives_six_rows_with_quantities() -> None:
    body = [
        *header_835("4"),
        "CLP*PCN0003*1*100*4**12*ICN3*11*1",
        "SVC*HC:J1100*100*4**1",
        "CAS*CO*45*10*1*97*20**16*30*0*18*15*2.5*96*11**29*10*1.3335",
    ]
    result = parse(render(interchange([transaction(body)])))
    adjustments = rows(result, "era_adjustments")
    assert [
        (row["triplet_number"], row["carc_code"], row["adjustment_amount"], row["adjustment_quantity"])
        for row in adjustments
    ] == [
        (1, "45", D("10.00"), D("1.000")),
        (2, "97", D("20.00"), None),
        (3, "16", D("30.00"), D("0.000")),
        (4, "18", D("15.00"), D("2.500")),
        (5, "96", D("11.00"), None),
        (6, "29", D("10.00"), D("1.334")),
    ]
    assert {row["segment_position"] for row in adjustments} == {17}
    (line,) = rows(result, "era_service_lines")
    assert (line["sum_adjustment_amount"], line["is_balanced"]) == (D("96.00"), True)


def test_plb_interest_recoupment_and_forwarding_balance() -> None:
    # Claims pay 100.00; interest 2.50 is added (L6 negative), 40.00 recouped (WO), 12.00 forwarded (FB).
    body = [
        *header_835("50.5"),
        "CLP*PCN0004*1*100*100**12*ICN4*11*1",
        "PLB*1999999984*20241231*L6*-2.5*WO:PCN0001 ICN0001*40",
        "PLB*1999999984*20241231*FB:EFT0000*12",
    ]
    result = parse(render(interchange([transaction(body)])))
    assert codes(result) == []
    pairs = [
        (
            row["segment_position"],
            row["pair_number"],
            row["reason_code"],
            row["reference_id"],
            row["adjustment_amount"],
            row["fiscal_period_date"],
        )
        for row in rows(result, "era_provider_adjustments")
    ]
    assert pairs == [
        (16, 1, "L6", None, D("-2.50"), date(2024, 12, 31)),
        (16, 2, "WO", "PCN0001 ICN0001", D("40.00"), date(2024, 12, 31)),
        (17, 1, "FB", "EFT0000", D("12.00"), date(2024, 12, 31)),
    ]
    (transaction_row,) = rows(result, "era_transactions")
    assert (transaction_row["sum_provider_adjustment_amount"], transaction_row["is_balanced"]) == (
        D("49.50"),
        True,
    )


def test_remarks_from_lq_moa_and_mia() -> None:
    body = [
        *header_835("0"),
        "CLP*PCN0005*4*100*0**12*ICN5*11*1",
        "MOA***N130*M15",
        "MIA*0***0*MA130***************N20*N381",
        "SVC*HC:G0439*100*0**1",
        "CAS*CO*16*100",
        "LQ*HE*N381",
        "LQ*RX*80",
        "LQ*HE*M80",
    ]
    result = parse(render(interchange([transaction(body)])))
    remarks = [
        (
            row["remark_level"],
            row["source_segment"],
            row["remark_number"],
            row["rarc_code"],
            row["line_position"],
        )
        for row in rows(result, "era_remarks")
    ]
    assert remarks == [
        ("claim", "MOA", 1, "N130", None),
        ("claim", "MOA", 2, "M15", None),
        ("claim", "MIA", 1, "MA130", None),
        ("claim", "MIA", 2, "N20", None),
        ("claim", "MIA", 3, "N381", None),
        ("line", "LQ", 1, "N381", 18),
        ("line", "LQ", 1, "M80", 18),
    ]


def test_unbalanced_records_are_loaded_flagged_with_the_difference() -> None:
    body = [*header_835("95"), "CLP*PCN0006*1*100*80**12*ICN6*11*1", "SVC*HC:G0439*100*80**1", "CAS*CO*45*15"]
    result = parse(render(interchange([transaction(body)])))
    assert [issue.issue_code for issue in result.issues] == [
        "UNBALANCED_LINE",
        "UNBALANCED_CLAIM",
        "UNBALANCED_TRANSACTION",
    ]
    assert all(issue.severity == "warning" for issue in result.issues)
    assert "test.835" in result.issues[0].message and "segment 16 SVC" in result.issues[0].message
    (line,) = rows(result, "era_service_lines")
    (claim,) = rows(result, "era_claims")
    (transaction_row,) = rows(result, "era_transactions")
    assert (line["is_balanced"], line["balance_difference_amount"]) == (False, D("-5.00"))
    assert (claim["is_balanced"], claim["balance_difference_amount"]) == (False, D("-5.00"))
    assert (transaction_row["is_balanced"], transaction_row["balance_difference_amount"]) == (
        False,
        D("15.00"),
    )


def test_bad_amount_rejects_only_its_transaction_set() -> None:
    good = transaction(
        [*header_835("80", trace="EFT1"), "CLP*PCN0007*1*100*80**12*ICN7*11*1", "CAS*CO*45*20"], "0001"
    )
    bad = transaction([*header_835("80", trace="EFT2"), "CLP*PCN0008*1*100*8O**12*ICN8*11*1"], "0002")
    alone = parse(render(interchange([good])))
    result = parse(render(interchange([bad, good])))
    assert (result.transactions_loaded, result.transactions_rejected) == (1, 1)
    (error,) = [issue for issue in result.issues if issue.severity == "error"]
    assert (error.issue_code, error.segment_id, error.segment_position, error.transaction_control_number) == (
        "BAD_ELEMENT",
        "CLP",
        15,
        "0002",
    )
    assert "CLP04" in error.message and "'8O'" in error.message and error.raw_text.startswith("CLP*PCN0008")
    assert [row[3] for row in result.tables["era_claims"]] == ["PCN0007"]
    # The good set's rows equal its rows when alone, apart from positions shifted by the bad set.
    shift = 14  # ST, 11 header segments, CLP, SE
    shifted = [
        (row[3], row[5], row[6], row[1] - shift, row[2] - shift) for row in result.tables["era_claims"]
    ]
    assert shifted == [(row[3], row[5], row[6], row[1], row[2]) for row in alone.tables["era_claims"]]


@pytest.mark.parametrize(
    ("segment", "element_name"),
    [
        ("DTM*472*20241340", "DTM02"),
        ("CAS*CO*45*1e3", "CAS03"),
        ("CAS*CO*45*NaN", "CAS03"),
        ("CAS*CO*45*1_000", "CAS03"),
        ("CAS*CO*45*12345678901234567", "CAS03"),
        ("SVC*HC:G0439*100*x**1", "SVC03"),
    ],
)
def test_unreadable_values_are_bad_elements(segment: str, element_name: str) -> None:
    body = [*header_835("0"), "CLP*PCN0009*1*100*0**12*ICN9*11*1", "SVC*HC:J1100*100*0**1", segment]
    result = parse(render(interchange([transaction(body)])))
    assert codes(result) == [("error", "BAD_ELEMENT")]
    assert element_name in result.issues[0].message
    assert all(not table for table in result.tables.values())


def _assert_one_set_rejected_as_unreadable(result: ParseResult, control: str, segment_id: str) -> None:
    """One set loaded, set ``control`` rejected at ``segment_id`` for an error that names no value."""
    assert (result.transactions_loaded, result.transactions_rejected) == (1, 1)
    assert codes(result) == [("error", "BAD_ELEMENT")]
    issue = result.issues[0]
    assert (issue.transaction_control_number, issue.segment_id) == (control, segment_id)
    assert issue.message.endswith(
        f"(transaction set {control}): {segment_id} value '' unreadable (boom): transaction set not loaded"
    )


def test_an_error_inside_a_835_set_rejects_that_set_as_unreadable(monkeypatch) -> None:
    """Any other error while a set is read (a reader bug, say) rejects that set only, named at its segment."""
    from orchestration.lib.x12 import era835

    finish_claim = era835._finish_claim

    def failing(state, claim, *args):
        if claim[3] == "PCN2":  # the second set's claim, closed at its SE
            raise ArithmeticError("boom")
        return finish_claim(state, claim, *args)

    monkeypatch.setattr(era835, "_finish_claim", failing)
    first = transaction(
        [*header_835("100"), "CLP*PCN1*1*100*100**12*ICN1*11*1", "SVC*HC:J1100*100*100**1"], "0001"
    )
    second = transaction(
        [*header_835("100"), "CLP*PCN2*1*100*100**12*ICN2*11*1", "SVC*HC:J1100*100*100**1"], "0002"
    )
    result = parse(render(interchange([first, second])))
    _assert_one_set_rejected_as_unreadable(result, "0002", "SE")
    assert [row[3] for row in result.tables["era_claims"]] == ["PCN1"]
    assert len(result.tables["era_service_lines"]) == 1


def test_wrong_se01_is_a_warning_and_the_set_loads() -> None:
    segments = interchange([transaction(header_835("0"))])
    segments[-3] = "SE*99*0002"
    result = parse(render(segments))
    assert codes(result) == [("warning", "SE_COUNT"), ("warning", "CONTROL_NUMBER_MISMATCH")]
    assert "'99' segments, the set has 13" in result.issues[0].message
    (transaction_row,) = rows(result, "era_transactions")
    assert (transaction_row["declared_segment_count"], transaction_row["actual_segment_count"]) == (99, 13)


def test_truncated_file_rejects_the_open_set_only() -> None:
    first = transaction([*header_835("80"), "CLP*PCN0010*1*100*80**12*ICN10*11*1", "CAS*CO*45*20"], "0001")
    second = transaction([*header_835("5"), "CLP*PCN0011*1*10*5**12*ICN11*11*1", "CAS*PR*2*5"], "0002")
    data = render(interchange([first, second]))
    cut = data.index(b"CAS*PR*2*5")
    result = parse(data[:cut])
    assert (result.transactions_loaded, result.transactions_rejected) == (1, 1)
    assert codes(result) == [
        ("error", "TRUNCATED"),
        ("warning", "MISSING_TRAILER"),
        ("warning", "MISSING_TRAILER"),
    ]
    assert result.issues[0].transaction_control_number == "0002"
    assert [row[3] for row in result.tables["era_claims"]] == ["PCN0010"]


def test_several_interchanges_groups_and_sets_with_their_own_envelopes() -> None:
    one = interchange(
        [transaction(header_835("0"), "0001"), transaction(header_835("0"), "0002")], control="000000011"
    )
    two = interchange([transaction(header_835("0"), "0003")], control="000000012", group="7")
    # A second group inside the second interchange.
    two = [
        *two[:-1],
        "GS*HP*SENDER*RECEIVER*20250110*0930*8*X*005010X221A1",
        *transaction(header_835("0"), "0004"),
        "GE*1*8",
        "IEA*2*000000012",
    ]
    result = parse(render(one + two))
    assert codes(result) == []
    envelope = [(row[2], row[5], row[7]) for row in result.tables["era_transactions"]]
    assert envelope == [
        ("000000011", "1", "0001"),
        ("000000011", "1", "0002"),
        ("000000012", "7", "0003"),
        ("000000012", "8", "0004"),
    ]
    assert result.segment_count == len(one) + len(two)


def test_envelope_count_and_control_errors_are_warnings() -> None:
    segments = interchange([transaction(header_835("0"))])
    segments[-2] = "GE*3*9"
    segments[-1] = "IEA*2*000000002"
    result = parse(render(segments))
    assert codes(result) == [
        ("warning", "GE_COUNT"),
        ("warning", "CONTROL_NUMBER_MISMATCH"),
        ("warning", "IEA_COUNT"),
        ("warning", "CONTROL_NUMBER_MISMATCH"),
    ]
    assert result.transactions_loaded == 1


def test_missing_trailers_are_warnings() -> None:
    segments = interchange([transaction(header_835("0"))])[:-2]
    result = parse(render(segments))
    assert codes(result) == [("warning", "MISSING_TRAILER"), ("warning", "MISSING_TRAILER")]
    assert result.transactions_loaded == 1


# ---------------------------------------------------------------- delimiters and encodings

PIPE_4010 = [
    isa("000000021", element="|", component="^", version="00401"),
    "GS|HP|SENDER|RECEIVER|20250110|0930|1|X|004010X091A1",
    "ST|835|0001",
    "BPR|I|80|C|CHK||||||||||||20250110",
    "TRN|1|CHK1001|1512345678",
    "N1|PR|ACME HEALTH PLAN",
    "N1|PE|BENCH MEDICAL GROUP|XX|1999999984",
    "CLP|PCN0012|1|100|80||12|ICN12",
    "SVC|HC^G0439^25|100|80||1",
    "CAS|CR|45|20",
    "SE|9|0001",
    "GE|1|1",
    "IEA|1|000000021",
]


def _pipe_file(terminator: str = "~\n") -> bytes:
    return (terminator.join(PIPE_4010) + terminator).encode()


def test_4010_pipe_separated_file_finds_its_claims() -> None:
    result = parse(_pipe_file())
    assert codes(result) == []
    (claim,) = rows(result, "era_claims")
    (line,) = rows(result, "era_service_lines")
    (adjustment,) = rows(result, "era_adjustments")
    assert (claim["patient_control_number"], claim["paid_amount"]) == ("PCN0012", D("80.00"))
    assert (line["procedure_code"], line["modifier_1"]) == ("G0439", "25")
    assert adjustment["group_code"] == "CR"
    assert rows(result, "era_transactions")[0]["version_code"] == "004010X091A1"


@pytest.mark.parametrize(
    "variant",
    [
        "newline_terminators",
        "newline_before_tilde",
        "crlf",
        "utf8_bom",
        "utf16_le_bom",
        "utf16_be_bom",
        "utf16_le_no_bom",
        "indented",
    ],
)
def test_layout_and_encoding_variants_read_identically(variant: str) -> None:
    reference = parse(_pipe_file())
    text = _pipe_file().decode()
    data = {
        "newline_terminators": _pipe_file("\n").decode(),
        "newline_before_tilde": "\n~".join(PIPE_4010) + "\n~",
        "crlf": _pipe_file("~\r\n").decode(),
        "utf8_bom": "\ufeff" + text,
        "utf16_le_bom": text,
        "utf16_be_bom": text,
        "utf16_le_no_bom": text,
        "indented": "\n".join("    " + segment for segment in PIPE_4010) + "\n",
    }[variant]
    encoded = {
        "utf16_le_bom": b"\xff\xfe" + data.encode("utf-16-le"),
        "utf16_be_bom": b"\xfe\xff" + data.encode("utf-16-be"),
        "utf16_le_no_bom": data.encode("utf-16-le"),
    }.get(variant, data.encode())
    result = parse(encoded)
    assert result.tables == reference.tables
    assert codes(result) == codes(reference) == []


def test_isa_not_padded_and_tilde_element_separator() -> None:
    segments = [
        "ISA~00~~00~~ZZ~S~ZZ~R~250110~0930~U~00501~5~0~T~^",
        "GS~HP~S~R~20250110~0930~5~X~005010X221A1",
        "ST~835~0005",
        "BPR~I~3~C~NON~~~~~~~~~~~~20250110",
        "CLP~PCN0013~1~3~3~~12~ICN13",
        "SVC~HC^G0439~3~3~~1",
        "SE~5~0005",
        "GE~1~5",
        "IEA~1~5",
    ]
    result = parse(("_".join(segments) + "_").encode())
    assert codes(result) == []
    assert [row[5] for row in result.tables["era_service_lines"]] == ["G0439"]
    assert rows(result, "era_transactions")[0]["interchange_control_number"] == "5"


def test_headerless_set_is_read_with_sniffed_delimiters() -> None:
    body = transaction(
        [
            *header_835("80"),
            "CLP*PCN0014*1*100*80**12*ICN14*11*1",
            "SVC*HC>G0439>59*100*80**1",
            "CAS*CO*45*20",
        ]
    )
    result = parse(("~".join(body) + "~").encode())
    assert codes(result) == [("warning", "NO_ENVELOPE")]
    (line,) = rows(result, "era_service_lines")
    assert (line["procedure_code"], line["modifier_1"]) == ("G0439", "59")
    assert rows(result, "era_transactions")[0]["interchange_control_number"] is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [("error", "EMPTY_FILE")]),
        (b"  \r\n\t", [("error", "EMPTY_FILE")]),
        (b"patient_control_number,amount\nA1,10.00\n", [("error", "NOT_X12")]),
        (b"ISA*00*:", [("error", "BAD_ISA")]),
        (b"ISA0000000", [("error", "NOT_X12")]),
    ],
)
def test_files_that_are_not_x12(data: bytes, expected: list[tuple[str, str]]) -> None:
    result = parse(data)
    assert codes(result) == expected
    assert (result.kind, result.transactions_loaded, result.segment_count) == ("unknown", 0, 0)


def test_bad_isa_skips_that_interchange_only() -> None:
    good = interchange([transaction(header_835("0"))], control="000000031")
    bad = isa("000000032")[:-2]  # ISA16 and the terminator cut off: delimiters unreadable
    data = render([bad]) + render(good)
    result = parse(data)
    assert [code for _, code in codes(result)] == ["BAD_ISA"]
    assert result.transactions_loaded == 1


def test_unsupported_transaction_is_skipped_with_a_warning() -> None:
    ack = transaction(["AK1*HC*1*005010X222A1", "AK9*A*1*1*1"], "0009", code="999", guide="005010X231A1")
    result = parse(render(interchange([ack, transaction(header_835("0"), "0010")])))
    assert codes(result) == [("warning", "UNSUPPORTED_TRANSACTION")]
    assert (result.kind, result.transactions_loaded) == ("835", 1)


def test_segments_outside_their_loop_are_reported_and_counted() -> None:
    body = [
        *header_835("0"),
        "CAS*CO*45*10",
        "SVC*HC:J1100*10*0**1",
        "LQ*HE*N130",
        "CLP*PCN0015*1*0*0**12*ICN15",
        "junk line",
    ]
    result = parse(render(interchange([transaction(body)])))
    assert [(issue.issue_code, issue.segment_id) for issue in result.issues] == [
        ("UNEXPECTED_SEGMENT", "CAS"),
        ("UNEXPECTED_SEGMENT", "SVC"),
        ("UNEXPECTED_SEGMENT", "LQ"),
        ("UNEXPECTED_SEGMENT", "junk line"),
    ]
    assert len(result.tables["era_adjustments"]) == 0 and result.transactions_loaded == 1


def test_a_seventh_cas_triplet_or_plb_pair_is_reported_not_dropped_silently() -> None:
    body = [
        *header_835("7"),
        "CLP*PCN0016*1*7*7**12*ICN16",
        "CAS*CO*45*0*1*45*0*1*45*0*1*45*0*1*45*0*1*45*0*1*45*0",
        "PLB*1999999984*20241231*L6*0*L6*0*L6*0*L6*0*L6*0*L6*0*L6*-1",
    ]
    result = parse(render(interchange([transaction(body)])))
    assert [(issue.issue_code, issue.segment_id) for issue in result.issues] == [
        ("UNEXPECTED_SEGMENT", "CAS"),
        ("UNEXPECTED_SEGMENT", "PLB"),
    ]
    assert (len(result.tables["era_adjustments"]), len(result.tables["era_provider_adjustments"])) == (6, 6)


def test_more_than_a_hundred_unexpected_segments_are_summarised() -> None:
    body = header_835("0") + ["XYZ*1"] * 150
    result = parse(render(interchange([transaction(body)])))
    unexpected = [issue for issue in result.issues if issue.issue_code == "UNEXPECTED_SEGMENT"]
    assert len(unexpected) == 101
    assert "150 unexpected segments" in unexpected[-1].message


# ---------------------------------------------------------------- 837


PROFESSIONAL = [
    "BHT*0019*00*BATCH01*20250105*1200*CH",
    "NM1*41*2*BENCH BILLING*****46*SUBMIT01",
    "NM1*40*2*ACME HEALTH PLAN*****46*RECV01",
    "HL*1**20*1",
    "NM1*85*2*BENCH MEDICAL GROUP*****XX*1999999984",
    "REF*EI*999999999",
    "HL*2*1*22*1",
    "SBR*P*01*GRP01******CI",
    "NM1*IL*1*DOE*JOHN****MI*S0001",
    "DMG*D8*19700101*M",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*60054",
    "HL*3*2*23*0",
    "PAT*19",
    "NM1*QC*1*DOE*JANE",
    "DMG*D8*20100615*F",
    "CLM*PCN0020*150.5***11>B>7*Y*A*Y*Y",
    "REF*F8*ICN0020",
    "REF*G1*AUTH1",
    "REF*EA*MRN1",
    "HI*ABK:J20.9*ABF:R05.9",
    "HI*ABF:E11.9",
    "NM1*82*1*RENDER*PAT****XX*1111111112",
    "NM1*77*2*CLINIC*****XX*2222222227",
    "SBR*S*18*GRP02******MB",
    "AMT*D*40",
    "NM1*IL*1*DOE*JOHN****MI*OTHER01",
    "NM1*PR*2*OTHER PLAN*****PI*OTHER",
    "REF*F8*OTHERICN",
    "LX*1",
    "SV1*HC:G0439:25*100.5*UN*1***1:3",
    "DTP*472*D8*20241230",
    "REF*6R*L20-1",
    "NM1*82*1*LINE*RENDER****XX*3333333338",
    "LX*2",
    "SV1*HC:J1100*50*UN*2*22**2",
    "DTP*472*RD8*20241230-20241231",
    "REF*6R*L20-2",
]


def test_837p_hierarchy_claim_lines_and_diagnoses() -> None:
    data = render(
        interchange(
            [transaction(PROFESSIONAL, "0101", "837", "005010X222A1")], guide="005010X222A1", functional="HC"
        )
    )
    result = parse(data, "claims.837")
    assert codes(result) == []
    assert result.kind == "837P"
    (claim,) = rows(result, "x837_claims")
    assert claim == {
        "file_id": "0123456789abcdef",
        "transaction_position": 3,
        "claim_position": 19,
        "claim_type": "professional",
        "version_code": "005010X222A1",
        "interchange_control_number": "000000001",
        "transaction_control_number": "0101",
        "batch_reference": "BATCH01",
        "creation_date": date(2025, 1, 5),
        "submitter_id": "SUBMIT01",
        "receiver_id": "RECV01",
        "billing_provider_npi": "1999999984",
        "billing_provider_name": "BENCH MEDICAL GROUP",
        "billing_provider_tax_id": "999999999",
        "payer_responsibility_code": "P",
        "claim_filing_indicator_code": "CI",
        "subscriber_id": "S0001",
        "payer_name": "ACME HEALTH PLAN",
        "payer_id": "60054",
        "patient_id": None,
        "patient_last_name": "DOE",
        "patient_first_name": "JANE",
        "patient_birth_date": date(2010, 6, 15),
        "patient_control_number": "PCN0020",
        "total_charge_amount": D("150.50"),
        "facility_code": "11",
        "facility_code_qualifier": "B",
        "claim_frequency_code": "7",
        "payer_claim_control_number": "ICN0020",
        "prior_authorization_number": "AUTH1",
        "medical_record_number": "MRN1",
        "rendering_provider_npi": "1111111112",
        "attending_provider_npi": None,
        "service_facility_id": "2222222227",
        "statement_from_date": None,
        "statement_to_date": None,
        "admission_date": None,
        "discharge_date": None,
        "prior_payer_paid_amount": D("40.00"),
        "line_count": 2,
        "sum_line_charge_amount": D("150.50"),
    }
    first, second = rows(result, "x837_service_lines")
    assert first == {
        "file_id": "0123456789abcdef",
        "transaction_position": 3,
        "claim_position": 19,
        "line_position": 33,
        "line_number": 1,
        "procedure_qualifier": "HC",
        "procedure_code": "G0439",
        "modifier_1": "25",
        "modifier_2": None,
        "modifier_3": None,
        "modifier_4": None,
        "revenue_code": None,
        "charge_amount": D("100.50"),
        "unit_basis_code": "UN",
        "units": D("1.000"),
        "place_of_service_code": None,
        "diagnosis_pointers": "1,3",
        "non_covered_charge_amount": None,
        "line_item_control_number": "L20-1",
        "service_date": date(2024, 12, 30),
        "service_end_date": date(2024, 12, 30),
        "rendering_provider_npi": "3333333338",
    }
    assert (
        second["place_of_service_code"],
        second["service_date"],
        second["service_end_date"],
        second["rendering_provider_npi"],
    ) == (
        "22",
        date(2024, 12, 30),
        date(2024, 12, 31),
        None,
    )
    diagnoses = [
        (
            row["segment_position"],
            row["diagnosis_sequence"],
            row["code_list_qualifier"],
            row["diagnosis_code"],
        )
        for row in rows(result, "x837_diagnoses")
    ]
    assert diagnoses == [(23, 1, "ABK", "J20.9"), (23, 2, "ABF", "R05.9"), (24, 3, "ABF", "E11.9")]


INSTITUTIONAL = [
    "BHT*0019*00*BATCH02*20250106*1200*CH",
    "NM1*41*2*BENCH BILLING*****46*SUBMIT01",
    "NM1*40*2*ACME HEALTH PLAN*****46*RECV01",
    "HL*1**20*1",
    "NM1*85*2*BENCH HOSPITAL*****XX*1999999984",
    "HL*2*1*22*0",
    "SBR*P*18*******MA",
    "NM1*IL*1*ROE*RICK****MI*S0002",
    "DMG*D8*19500202*M",
    "NM1*PR*2*MEDICARE A*****PI*00435",
    "CLM*PCN0021*300***13:A:1**A*Y*Y",
    "DTP*434*RD8*20241201-20241203",
    "DTP*435*DT*202412010830",
    "DTP*096*TM*1130",
    "CL1*1*1*01",
    "HI*ABK:I10:::::::Y",
    "HI*ABF:E11.9:::::::N*ABF:Z79.4:::::::U",
    "NM1*71*1*ATTEND*ANN****XX*4444444446",
    "LX*1",
    "SV2*0450*HC:99284*200*UN*1**25",
    "DTP*472*D8*20241201",
    "LX*2",
    "SV2*0300**100*UN*3",
]


def test_an_error_inside_a_837_set_rejects_that_set_as_unreadable(monkeypatch) -> None:
    from orchestration.lib.x12 import claim837

    split = claim837.split_composite

    def failing(value: str, component: str) -> list[str]:
        if value == "ABF:E11.9":
            raise IndexError("boom")
        return split(value, component)

    monkeypatch.setattr(claim837, "split_composite", failing)
    data = render(
        interchange(
            [
                transaction(PROFESSIONAL, "0101", "837", "005010X222A1"),
                transaction(
                    [line.replace("HI*ABF:E11.9", "HI*ABF:I10") for line in PROFESSIONAL],
                    "0102",
                    "837",
                    "005010X222A1",
                ),
            ],
            guide="005010X222A1",
            functional="HC",
        )
    )
    result = parse(data, "claims.837")
    _assert_one_set_rejected_as_unreadable(result, "0101", "HI")
    assert [row["patient_control_number"] for row in rows(result, "x837_claims")] == ["PCN0020"]


def test_837i_statement_admission_poa_and_revenue_lines() -> None:
    data = render(
        interchange(
            [transaction(INSTITUTIONAL, "0201", "837", "005010X223A2")], guide="005010X223A2", functional="HC"
        )
    )
    result = parse(data, "claims.837i")
    assert codes(result) == []
    assert result.kind == "837I"
    (claim,) = rows(result, "x837_claims")
    assert (
        claim["claim_type"],
        claim["patient_id"],
        claim["patient_last_name"],
        claim["patient_birth_date"],
    ) == ("institutional", "S0002", "ROE", date(1950, 2, 2))
    assert (claim["facility_code"], claim["facility_code_qualifier"], claim["claim_frequency_code"]) == (
        "13",
        "A",
        "1",
    )
    assert (
        claim["statement_from_date"],
        claim["statement_to_date"],
        claim["admission_date"],
        claim["discharge_date"],
    ) == (
        date(2024, 12, 1),
        date(2024, 12, 3),
        date(2024, 12, 1),
        None,
    )
    assert (
        claim["attending_provider_npi"],
        claim["line_count"],
        claim["sum_line_charge_amount"],
        claim["prior_payer_paid_amount"],
    ) == (
        "4444444446",
        2,
        D("300.00"),
        None,
    )
    lines = [
        (
            row["revenue_code"],
            row["procedure_code"],
            row["charge_amount"],
            row["units"],
            row["non_covered_charge_amount"],
        )
        for row in rows(result, "x837_service_lines")
    ]
    assert lines == [
        ("0450", "99284", D("200.00"), D("1.000"), D("25.00")),
        ("0300", None, D("100.00"), D("3.000"), None),
    ]
    poa = [(row["diagnosis_code"], row["present_on_admission"]) for row in rows(result, "x837_diagnoses")]
    assert poa == [("I10", "Y"), ("E11.9", "N"), ("Z79.4", "U")]


def test_837_without_clm01_is_rejected() -> None:
    broken = [segment if not segment.startswith("CLM") else "CLM**300***13:A:1" for segment in INSTITUTIONAL]
    data = render(
        interchange(
            [transaction(broken, "0301", "837", "005010X223A2")], guide="005010X223A2", functional="HC"
        )
    )
    result = parse(data)
    assert codes(result) == [("error", "BAD_ELEMENT")]
    assert "CLM01" in result.issues[0].message
    assert result.tables["x837_claims"] == []


def test_mixed_file_kind() -> None:
    claims = transaction(PROFESSIONAL, "0101", "837", "005010X222A1")
    remits = transaction(header_835("0"), "0102")
    result = parse(render(interchange([claims, remits])))
    assert result.kind == "mixed"
    assert (len(result.tables["x837_claims"]), len(result.tables["era_transactions"])) == (1, 1)


# ---------------------------------------------------------------- Arrow


def test_to_arrow_types_match_the_contract() -> None:
    result = parse(render(interchange([transaction(header_835("10") + REVERSAL_AND_CORRECTION)])))
    tables = to_arrow(result)
    assert set(tables) == {name for name in TABLES if name.startswith(("era_", "x837_"))}
    claims = tables["era_claims"]
    assert claims.column_names == column_names("era_claims")
    assert claims.schema.field("paid_amount").type == pa.decimal128(18, 2)
    assert claims.schema.field("statement_from_date").type == pa.date32()
    assert claims.schema.field("claim_position").type == pa.int64()
    assert claims.column("paid_amount").to_pylist() == [D("-80.00"), D("90.00")]
    assert tables["x837_claims"].num_rows == 0
    assert tables["era_adjustments"].schema.field("adjustment_quantity").type == pa.decimal128(18, 3)
