"""Property-based tests: whatever the bytes, the reader returns rows the raw tables accept, and damage
confined to one transaction set never changes the other sets."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from x12_reader_fixtures import header_835, interchange, mutate, render, transaction

from orchestration.lib.raw_schema import TABLES
from orchestration.lib.x12 import ParseResult, parse_x12

KNOWN_CODES = {
    "EMPTY_FILE",
    "NOT_X12",
    "BAD_ISA",
    "NO_ENVELOPE",
    "TRUNCATED",
    "SE_COUNT",
    "GE_COUNT",
    "IEA_COUNT",
    "CONTROL_NUMBER_MISMATCH",
    "MISSING_TRAILER",
    "MISSING_ELEMENT",
    "UNSUPPORTED_TRANSACTION",
    "BAD_ELEMENT",
    "UNEXPECTED_SEGMENT",
    "UNBALANCED_LINE",
    "UNBALANCED_CLAIM",
    "UNBALANCED_TRANSACTION",
}
POSITION_COLUMNS = {"transaction_position", "claim_position", "line_position", "segment_position"}
# Kept small for CI; X12_HYPOTHESIS_EXAMPLES=5000 runs a deeper search locally.
FAST = settings(
    max_examples=int(os.environ.get("X12_HYPOTHESIS_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SET_A = transaction(
    [
        *header_835("167.5", trace="EFTA"),
        "CLP*PCNA1*1*200*150*20*12*ICNA1*11*1",
        "NM1*QC*1*DOE*JANE****MI*MA1",
        "DTM*232*20241201",
        "SVC*HC:G0439:25*200*150**2",
        "DTM*472*20241201",
        "CAS*CO*45*30",
        "CAS*PR*2*20",
        "REF*6R*LA1",
        "AMT*B6*170",
        "LQ*HE*N130",
        "CLP*PCNA2*4*80*0**12*ICNA2*11*1",
        "CAS*CO*16*80",
        "MOA***N381",
        "PLB*1999999984*20241231*L6*-17.5",
    ],
    "UNTOUCHEDA",
)
SET_B = transaction(
    [
        *header_835("30", trace="EFTB"),
        "CLP*PCNB1*22*-100*-60**12*ICNB1*11*1",
        "SVC*HC:J1100*-100*-60**1",
        "CAS*CO*45*-40",
        "CLP*PCNB1*1*100*70*10*12*ICNB2*11*1",
        "NM1*QC*1*ROE*RICK****MI*MB1",
        "SVC*HC:J1100*100*70**1",
        "CAS*CO*45*20*1*253*0",
        "CAS*PR*1*10",
        "PLB*1999999984*20241231*WO:PCNB0*-20*FB:EFTA*0",
    ],
    "UNTOUCHEDB",
)
SET_C = transaction(
    [
        "BHT*0019*00*BATCH*20250105*1200*CH",
        "HL*1**20*1",
        "NM1*85*2*BENCH MEDICAL GROUP*****XX*1999999984",
        "HL*2*1*22*0",
        "SBR*P*18*******CI",
        "NM1*IL*1*DOE*JOHN****MI*S0001",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*60054",
        "CLM*PCNC1*120***11:B:1*Y*A*Y*Y",
        "HI*ABK:J20.9*ABF:R05.9",
        "LX*1",
        "SV1*HC:G0439*120*UN*1***1:2",
        "DTP*472*D8*20241230",
    ],
    "UNTOUCHEDC",
    code="837",
    guide="005010X222A1",
)
SETS = [SET_A, SET_B, SET_C]


def _parse(data: bytes) -> ParseResult:
    return parse_x12(data, "feedfacecafebeef", "property.x12")


def _assert_conforms(result: ParseResult) -> None:
    """Every row fits its raw table: arity, types, nullability, decimal scale and range."""
    assert result.kind in {"835", "837P", "837I", "mixed", "unknown"}
    for issue in result.issues:
        assert issue.severity in {"error", "warning"} and issue.issue_code in KNOWN_CODES
        assert issue.message.startswith("property.x12: ")
    for table, rows in result.tables.items():
        columns = TABLES[table]
        for row in rows:
            assert len(row) == len(columns)
            for value, (name, sql_type) in zip(row, columns, strict=True):
                if value is None:
                    assert "not null" not in sql_type, (table, name)
                    continue
                base = sql_type.replace(" not null", "")
                if base == "varchar":
                    assert isinstance(value, str)
                elif base in ("bigint", "integer"):
                    assert isinstance(value, int) and not isinstance(value, bool)
                    assert abs(value) < (2**31 if base == "integer" else 2**63)
                elif base == "date":
                    assert isinstance(value, date)
                elif base == "boolean":
                    assert isinstance(value, bool)
                else:
                    scale = int(base[-2])
                    assert isinstance(value, Decimal) and value.as_tuple().exponent == -scale, (
                        table,
                        name,
                        value,
                    )
                    assert abs(value) < Decimal(10) ** (18 - scale)


@FAST
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data: bytes) -> None:
    _assert_conforms(_parse(data))


@FAST
@given(st.text(alphabet="ISAGTECLPVNMQ0123456789*~:^|>\n .-", max_size=1500))
def test_x12_shaped_noise_never_raises(text: str) -> None:
    _assert_conforms(_parse(text.encode()))


@FAST
@given(st.text(max_size=400), st.integers(min_value=0, max_value=4000))
def test_noise_after_a_valid_isa_never_raises(tail: str, cut: int) -> None:
    data = render(interchange(SETS))
    _assert_conforms(_parse(data[:cut] + tail.encode("utf-8", "surrogatepass")))


# Mutations: (operation, segment index within the set, second index, replacement text)
ELEMENT_TEXT = st.text(alphabet="0123456789.-ABXZ:^ ", max_size=8)
MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "corrupt"]),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
    ELEMENT_TEXT,
)


@FAST
@given(st.lists(MUTATION, min_size=1, max_size=6), st.integers(min_value=0, max_value=20000))
def test_mutated_valid_x12_never_raises(mutations: list[tuple[str, int, int, str]], cut: int) -> None:
    segments = mutate(interchange(SETS), mutations)
    data = render(segments)
    _assert_conforms(_parse(data))
    _assert_conforms(_parse(data[: cut % (len(data) + 1)]))


def _rows_by_set(result: ParseResult) -> dict[str, dict[str, list[tuple]]]:
    """Rows of each loaded set keyed by ST02, positions made relative to the set's ST."""
    control_by_position = {row[1]: row[7] for row in result.tables["era_transactions"]}
    control_by_position.update({row[1]: row[6] for row in result.tables["x837_claims"]})
    grouped: dict[str, dict[str, list[tuple]]] = {}
    for table, rows in result.tables.items():
        names = [name for name, _ in TABLES[table]]
        for row in rows:
            start = row[1]
            relative = tuple(
                value - start if name in POSITION_COLUMNS and value is not None else value
                for name, value in zip(names, row, strict=True)
            )
            grouped.setdefault(control_by_position[start], {}).setdefault(table, []).append(relative)
    return grouped


def _issues_by_set(result: ParseResult, control: str) -> list[tuple]:
    return [
        (issue.severity, issue.issue_code, issue.segment_id)
        for issue in result.issues
        if issue.transaction_control_number == control
    ]


@FAST
@given(st.integers(min_value=0, max_value=2), st.lists(MUTATION, min_size=1, max_size=5))
def test_damage_in_one_set_leaves_the_other_sets_identical(
    damaged: int, mutations: list[tuple[str, int, int, str]]
) -> None:
    reference = _parse(render(interchange(SETS)))
    assert reference.issues == [] and reference.transactions_loaded == 3
    sets = [list(one) for one in SETS]
    sets[damaged] = mutate(sets[damaged], mutations)
    result = _parse(render(interchange(sets)))
    _assert_conforms(result)
    expected = _rows_by_set(reference)
    actual = _rows_by_set(result)
    for index, one in enumerate(SETS):
        if index == damaged:
            continue
        control = one[0].split("*")[2]
        assert actual.get(control) == expected[control], control
        assert _issues_by_set(result, control) == _issues_by_set(reference, control) == []
