"""The reader on every public sample in ../shared/x12-samples, checked against an independent recount.

The recount here is deliberately naive: it splits each file on its own delimiters and adds up the
amounts per ST..SE set without any of the reader's code. The reader's totals over the sets it loaded
must equal the recount over the same sets; the sample README's envelope problems and unbalanced
counts must come back as the documented issue codes; the broken files must give the documented
reasons.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pytest

from orchestration.lib.x12 import ParseResult, parse_x12

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT.parent / "shared" / "x12-samples"
pytestmark = pytest.mark.shared

CENT = Decimal("0.01")
# Files whose sets the reader must reject, and why: {file name: [(issue code, segment id, ST02)]}.
EXPECTED_ERRORS = {
    "835_005010X221A1__managed-care.835": [("BAD_ELEMENT", "BPR", "112233")],  # BPR16 20002316
    "sample_835.txt": [("BAD_ELEMENT", "CAS", "1002")],  # CAS*grp_code*reason_code*amount*quantity
    "sample_835_with_interests.txt": [("BAD_ELEMENT", "CAS", "1002")],
    "837I-Examples.txt": [("TRUNCATED", "DTP", "30001")],  # first interchange ends without SE/GE/IEA
}
HEADERLESS = {"blue_cross_nc_sample.txt", "exhaustive_sample.txt", "x12_no_isa_line.txt"}


def _sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(path for path in SAMPLES.rglob("*") if path.is_file() and path.name != "README.md")


def _require_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"public X12 samples not found at {SAMPLES} (the shared folder beside the repo)")


# ---------------------------------------------------------------- the independent recount


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _naive_split(data: bytes) -> tuple[list[list[str]], str]:
    """Segments as element lists, and the component separator, by the plainest reading of the file."""
    text = data.decode("utf-8")
    start = text.find("ISA")
    if 0 <= start < 4:
        element = text[start + 3]
        parts = text[start:].split(element, 16)
        component = parts[16][0]
        after = parts[16][1:].lstrip(" \r\n")
        terminator = after[0] if not after[0].isalnum() else "\n"
    else:
        st = text.find("ST")
        element = text[st + 2]
        index = st + 3
        while text[index].isalnum() or text[index] == element:
            index += 1
        terminator = text[index]
        component = ">" if f"{element}NU>" in text or f"{element}HC>" in text else ":"
    segments = [part.strip().split(element) for part in text.split(terminator) if part.strip()]
    return segments, component


@dataclass
class SetTotals:
    """What one ST..SE set holds, recounted."""

    st_position: int
    code: str
    control: str
    clp03: Decimal = Decimal(0)
    clp04: Decimal = Decimal(0)
    svc02: Decimal = Decimal(0)
    plb: Decimal = Decimal(0)
    bpr02: Decimal = Decimal(0)
    counts: Counter = field(default_factory=Counter)
    unbalanced: int = 0


def _recount(segments: list[list[str]]) -> list[SetTotals]:
    sets: list[SetTotals] = []
    current: SetTotals | None = None
    claim: list[Decimal] | None = None  # [charge, paid, adjustments]
    line: list[Decimal] | None = None

    def close_line() -> None:
        nonlocal line
        if line is not None and line[0] - line[2] != line[1]:
            current.unbalanced += 1
        if line is not None and claim is not None:
            claim[2] += line[2]
        line = None

    def close_claim() -> None:
        nonlocal claim
        close_line()
        if claim is not None and claim[0] - claim[2] != claim[1]:
            current.unbalanced += 1
        claim = None

    for position, values in enumerate(segments, 1):
        tag = values[0]
        if tag == "ST":
            current = SetTotals(position, values[1], values[2])
            sets.append(current)
            claim = line = None
            continue
        if current is None:
            continue
        values = values + [""] * 20
        if tag == "BPR":
            current.bpr02 = _amount(values[2])
        elif tag == "CLP":
            close_claim()
            current.counts["CLP"] += 1
            current.clp03 += _amount(values[3])
            current.clp04 += _amount(values[4])
            claim = [_amount(values[3]), _amount(values[4]), Decimal(0)]
        elif tag == "SVC":
            close_line()
            current.counts["SVC"] += 1
            current.svc02 += _amount(values[2])
            line = [_amount(values[2]), _amount(values[3]), Decimal(0)]
        elif tag == "CAS":
            total = sum((_amount(values[offset]) for offset in (3, 6, 9, 12, 15, 18)), Decimal(0))
            if line is not None:
                line[2] += total
            elif claim is not None:
                claim[2] += total
        elif tag == "PLB":
            close_claim()
            current.plb += sum((_amount(values[offset]) for offset in (4, 6, 8, 10, 12, 14)), Decimal(0))
        elif tag in ("CLM", "SV1", "SV2"):
            current.counts[tag] += 1
        elif tag == "HI":
            current.counts["HI"] += sum(1 for composite in values[1:] if composite)
        elif tag == "SE":
            close_claim()
            if current.code == "835" and current.bpr02 != current.clp04 - current.plb:
                current.unbalanced += 1
            current = None
    return sets


def _set_of(sets: list[SetTotals], position: int) -> SetTotals:
    return [candidate for candidate in sets if candidate.st_position <= position][-1]


# ---------------------------------------------------------------- the README's expectations


def _readme_rows() -> dict[str, dict[str, str]]:
    """The README's per-file table rows: {file name: {column: value}}."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in (SAMPLES / "README.md").read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [
            cell.strip().replace("\0", "|")
            for cell in line.replace("'|'", "'\0'").strip().strip("|").split("|")
        ]
        if cells[0] == "file":
            header = cells
        elif header and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = dict(zip(header, cells, strict=False))
    return rows


def _parse(path: Path) -> ParseResult:
    return parse_x12(path.read_bytes(), "f" * 16, path.name)


@pytest.mark.parametrize("path", _sample_files(), ids=lambda path: path.name)
def test_sample_totals_match_an_independent_recount(path: Path) -> None:
    result = _parse(path)
    segments, _ = _naive_split(path.read_bytes())
    sets = _recount(segments)
    rejected = {
        _set_of(sets, issue.segment_position).st_position
        for issue in result.issues
        if issue.severity == "error"
    }
    loaded = [totals for totals in sets if totals.st_position not in rejected]

    assert result.transactions_loaded == len(loaded)
    assert result.transactions_rejected == len(rejected)
    assert result.segment_count == len(segments)
    tables = result.tables
    assert sum(row[6] for row in tables["era_claims"]) == sum(totals.clp04 for totals in loaded)
    assert sum(row[5] for row in tables["era_claims"]) == sum(totals.clp03 for totals in loaded)
    assert sum(row[10] or 0 for row in tables["era_service_lines"]) == sum(totals.svc02 for totals in loaded)
    assert sum(row[8] or 0 for row in tables["era_provider_adjustments"]) == sum(
        totals.plb for totals in loaded
    )
    assert sum(row[9] for row in tables["era_transactions"]) == sum(totals.bpr02 for totals in loaded)
    counts = sum((totals.counts for totals in loaded), Counter())
    assert len(tables["era_claims"]) == counts["CLP"]
    assert len(tables["era_service_lines"]) == counts["SVC"]
    assert len(tables["x837_claims"]) == counts["CLM"]
    claim_types = {row[2]: row[3] for row in tables["x837_claims"]}
    lines_by_type = Counter(claim_types[row[2]] for row in tables["x837_service_lines"])
    assert lines_by_type.get("professional", 0) == counts["SV1"]
    assert lines_by_type.get("institutional", 0) == counts["SV2"]
    assert len(tables["x837_diagnoses"]) == counts["HI"]
    assert set(claim_types.values()) <= {"professional", "institutional"}
    # Sums of the reader's own roll-ups agree with its rows.
    for claim in tables["era_claims"]:
        lines = [row for row in tables["era_service_lines"] if row[2] == claim[2]]
        assert claim[25] == len(lines)


@pytest.mark.parametrize("path", _sample_files(), ids=lambda path: path.name)
def test_sample_problems_are_reported_with_the_documented_codes(path: Path) -> None:
    result = _parse(path)
    readme = _readme_rows().get(path.name)
    assert readme is not None, f"{path.name} is not in the samples README"
    errors = sorted(
        (issue.issue_code, issue.segment_id, issue.transaction_control_number)
        for issue in result.issues
        if issue.severity == "error"
    )
    assert errors == sorted(EXPECTED_ERRORS.get(path.name, []))
    codes = Counter(issue.issue_code for issue in result.issues)
    assert (codes["NO_ENVELOPE"] == 1) == (path.name in HEADERLESS)

    envelope = readme.get("envelope issues", "")
    for declared, actual, control in re.findall(r"SE01=(\d+) actual=(\d+) \(ST (\w+)\)", envelope):
        assert any(
            issue.issue_code == "SE_COUNT"
            and issue.transaction_control_number == control
            and f"'{declared}' segments, the set has {actual}" in issue.message
            for issue in result.issues
        ), (declared, actual, control)
    se_documented = len(re.findall(r"SE01=", envelope))
    # The README lists no envelope analysis for headerless files and cuts long cells short.
    if path.name not in HEADERLESS and not envelope.rstrip().endswith("(ST 98765"):
        assert codes["SE_COUNT"] == se_documented
    for tag in ("GE", "IEA"):
        documented = re.findall(rf"{tag}01=(\d+) actual=(\d+)", envelope)
        assert codes[f"{tag}_COUNT"] == len(documented)
        for declared, actual in documented:
            assert any(
                issue.issue_code == f"{tag}_COUNT"
                and f"'{declared}', the envelope holds {actual}" in issue.message
                for issue in result.issues
            )
    assert codes["MISSING_ELEMENT"] == envelope.count("BPR16 missing")

    unbalanced = codes["UNBALANCED_LINE"] + codes["UNBALANCED_CLAIM"] + codes["UNBALANCED_TRANSACTION"]
    sets = _recount(_naive_split(path.read_bytes())[0])
    rejected = {
        _set_of(sets, issue.segment_position).st_position
        for issue in result.issues
        if issue.severity == "error"
    }
    # The recount agrees with the README over the whole file, and with the reader over what it loaded.
    documented_unbalanced = int(readme["unbal"]) if readme.get("unbal", "").isdigit() else 0
    assert sum(totals.unbalanced for totals in sets) == documented_unbalanced
    assert unbalanced == sum(totals.unbalanced for totals in sets if totals.st_position not in rejected)
    flagged = (
        sum(1 for row in result.tables["era_service_lines"] if not row[21])
        + sum(1 for row in result.tables["era_claims"] if not row[28])
        + sum(1 for row in result.tables["era_transactions"] if not row[26])
    )
    assert flagged == unbalanced


def test_samples_folder_is_present_or_skipped() -> None:
    _require_samples()
    assert len(_sample_files()) >= 80


def test_tertiary_payment_keeps_the_broken_line_and_flags_it() -> None:
    _require_samples()
    result = _parse(SAMPLES / "LinuxForHealth_x12" / "835_005010X221A1__tertiary-payment.835")
    (line,) = result.tables["era_service_lines"]
    # SVC*HC*24599.00*1766.50*187.50**1: the procedure code is lost, SVC04 holds what was the paid amount.
    assert (line[4], line[5], line[10], line[11], line[12]) == (
        "HC",
        None,
        Decimal("24599.00"),
        Decimal("1766.50"),
        "187.50",
    )
    assert (line[20], line[21], line[22]) == (Decimal("1579.00"), False, Decimal("-21253.50"))
    (transaction,) = result.tables["era_transactions"]
    assert transaction[13] is None  # BPR16 missing: NULL payment date, flagged MISSING_ELEMENT


def test_mismatched_component_separator_in_clm05_is_read() -> None:
    _require_samples()
    result = _parse(SAMPLES / "LinuxForHealth_x12" / "837_005010X222A2__demo.cob.2ndary.example4.837")
    (claim,) = result.tables["x837_claims"]
    assert (claim[25], claim[26], claim[27]) == ("11", "B", "1")


def test_different_separators_read_like_the_valid_file() -> None:
    _require_samples()
    folder = SAMPLES / "imsweb_x12-parser"
    valid = _parse(folder / "x12_valid.txt")
    different = _parse(folder / "x12_valid_different_separators.txt")
    assert different.tables == valid.tables
    assert [issue.issue_code for issue in different.issues] == [issue.issue_code for issue in valid.issues]


def test_volume_sample_reads_every_claim() -> None:
    _require_samples()
    result = _parse(SAMPLES / "imsweb_x12-parser" / "x12_multiple_transactions.txt")
    assert (result.kind, result.transactions_loaded, len(result.tables["x837_claims"])) == ("837P", 312, 624)
