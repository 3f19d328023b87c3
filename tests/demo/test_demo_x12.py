"""The generated 837 and 835 files: envelopes, balancing, linkage and scenario coverage."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from demo_fixtures import DemoData
from demo_naive_x12 import check_envelopes, segments

from orchestration.demo.npi import is_valid_npi


def _x12_files(root: Path) -> list[Path]:
    return sorted((root / "x12" / "837").iterdir()) + sorted((root / "x12" / "835").iterdir())


def test_every_835_balances_at_line_claim_and_transaction_level(demo: DemoData) -> None:
    assert demo.balance_problems == []
    assert len(demo.transactions) > 300
    for txn in demo.transactions:
        assert txn.bpr02 == txn.clp04 - txn.plb
        assert txn.bpr02 >= 0, "BPR02 is never negative"


def test_every_envelope_count_and_control_number_pair_is_right(demo: DemoData) -> None:
    problems = []
    for path in _x12_files(demo.root):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"ISA\*", text):
            isa = text[match.start() : match.start() + 106]
            assert isa.endswith("~") and isa.count("*") == 16, f"{path.name}: ISA not 106 characters"
        problems += check_envelopes(path, segments(text))
    assert problems == []


def test_some_837_files_hold_several_interchanges_and_transactions(demo: DemoData) -> None:
    isa_counts = Counter()
    st_counts = Counter()
    for path in sorted((demo.root / "x12" / "837").iterdir()):
        text = path.read_text(encoding="utf-8")
        isa_counts[path.name] = text.count("\nISA*") + text.startswith("ISA*")
        st_counts[path.name] = text.count("ST*837*")
    assert max(isa_counts.values()) >= 2
    assert max(st_counts.values()) >= 2
    assert {name[:4] for name in isa_counts} == {"837P", "837I"}


def test_file_names_dates_and_versions(demo: DemoData) -> None:
    as_of = demo.truth["as_of_date"].replace("-", "")
    for path in sorted((demo.root / "x12" / "837").iterdir()):
        match = re.fullmatch(r"837([PI])_(\d{8})_(\d{3})\.x12", path.name)
        assert match, path.name
        text = path.read_text(encoding="utf-8")
        version = "005010X222A1" if match.group(1) == "P" else "005010X223A2"
        assert f"ST*837*0001*{version}~" in text
        assert set(re.findall(r"BHT\*0019\*00\*[^*]*\*(\d{8})", text)) == {match.group(2)}
        assert match.group(2) <= as_of
    for path in sorted((demo.root / "x12" / "835").iterdir()):
        match = re.fullmatch(r"835_([A-Z0-9]+)_(\d{8})_(\d{3})\.x12", path.name)
        assert match, path.name
        text = path.read_text(encoding="utf-8")
        assert "*X*005010X221A1~" in text
        assert set(re.findall(r"BPR\*[^~]*\*(\d{8})~", text)) == {match.group(2)}
        assert set(re.findall(r"REF\*2U\*([^~]+)~", text)) == {match.group(1)}
        assert match.group(2) <= as_of


def test_line_item_control_numbers_are_unique_and_echoed(demo: DemoData) -> None:
    sent = [lcn for claim in demo.claims for lcn in claim.line_control_numbers]
    assert len(sent) == len(set(sent))
    echoed = set()
    for path in sorted((demo.root / "x12" / "835").iterdir()):
        echoed.update(re.findall(r"REF\*6R\*([^~]+)~", path.read_text(encoding="utf-8")))
    assert echoed, "835 service lines carry REF*6R"
    assert echoed <= set(sent)


def test_replacements_and_voids_reference_an_earlier_payer_control_number(demo: DemoData) -> None:
    control_numbers: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((demo.root / "x12" / "835").iterdir()):
        for seg in segments(path.read_text(encoding="utf-8")):
            if seg[0] == "BPR":
                paid_on = seg[16]
            elif seg[0] == "CLP":
                control_numbers.setdefault(seg[1], []).append((paid_on, seg[7]))
    corrections = [c for c in demo.claims if c.frequency in ("7", "8")]
    assert corrections
    for claim in corrections:
        assert claim.ref_f8, f"{claim.pcn} frequency {claim.frequency} without REF*F8"
        earlier = {icn for day, icn in control_numbers.get(claim.pcn, []) if day <= claim.submission_date}
        assert claim.ref_f8 in earlier, f"{claim.pcn}: REF*F8 {claim.ref_f8} not an earlier CLP07"
    for claim in demo.claims:
        if claim.frequency == "1":
            assert not claim.ref_f8
        assert claim.charge == claim.line_charge


def test_reversals_negate_every_amount_of_an_earlier_record(demo: DemoData) -> None:
    by_control: dict[tuple[str, str], list[tuple[int, int, tuple]]] = {}
    reversals = []
    for path in sorted((demo.root / "x12" / "835").iterdir()):
        segs = segments(path.read_text(encoding="utf-8"))
        for index, seg in enumerate(segs):
            if seg[0] != "CLP":
                continue
            amounts = [seg[3], seg[4], seg[5]]
            cas = []
            for follow in segs[index + 1 :]:
                if follow[0] in ("CLP", "SE", "PLB"):
                    break
                if follow[0] in ("CAS", "SVC"):
                    cas.append(tuple(follow))
            entry = (tuple(amounts), tuple(cas))
            if seg[2] == "22":
                reversals.append(((seg[1], seg[7]), entry))
            else:
                by_control.setdefault((seg[1], seg[7]), []).append(entry)
    assert len(reversals) > 50

    def negate(value: str) -> str:
        return value[1:] if value.startswith("-") else ("0" if value == "0" else "-" + value)

    for key, (amounts, cas) in reversals:
        assert key in by_control, f"reversal of unknown record {key}"
        original_amounts, original_cas = by_control[key][0]
        assert amounts == tuple(negate(a) for a in original_amounts)
        assert len(cas) == len(original_cas)
        for mine, theirs in zip(cas, original_cas, strict=True):
            if mine[0] == "SVC":
                assert (mine[1], mine[2], mine[3]) == (theirs[1], negate(theirs[2]), negate(theirs[3]))
            else:
                assert mine[1] == theirs[1]
                assert [mine[k] for k in range(2, len(mine), 3)] == [
                    theirs[k] for k in range(2, len(theirs), 3)
                ]
                assert [mine[k] for k in range(3, len(mine), 3)] == [
                    negate(theirs[k]) for k in range(3, len(theirs), 3)
                ]


def test_scenarios_are_all_present(demo: DemoData) -> None:
    statuses = Counter(remit.status for remit in demo.remits)
    for status in ("1", "2", "3", "4", "19", "20", "22", "23", "25"):
        assert statuses[status] > 0, f"no CLP02={status}"
    reasons = Counter(reason for txn in demo.transactions for reason, _ in txn.plb_reasons)
    for reason in ("L6", "WO", "FB"):
        assert reasons[reason] > 0, f"no PLB {reason}"
    handling = Counter(txn.handling for txn in demo.transactions)
    assert handling["H"] > 0 and handling["I"] > 0 and handling["C"] > 0
    for txn in demo.transactions:
        assert (txn.handling in ("H", "I")) == (txn.bpr02 == 0) == (txn.method == "NON")
    methods = Counter(txn.method for txn in demo.transactions)
    assert methods["ACH"] > methods["CHK"] > 0
    frequencies = Counter((c.frequency, c.sbr01) for c in demo.claims)
    assert (
        frequencies[("7", "P")]
        and frequencies[("8", "P")]
        and frequencies[("1", "S")]
        and frequencies[("1", "T")]
    )
    originals = Counter((c.pcn, c.payer_id) for c in demo.claims if c.frequency == "1" and c.sbr01 == "P")
    assert any(n > 1 for n in originals.values()), "some frequency-1 claims are re-sent"
    text = "".join(p.read_text() for p in sorted((demo.root / "x12" / "837").iterdir()))
    assert "AMT*D*" in text and "OI***Y***Y~" in text and "REF*G1*" in text and "PAT*19~" in text
    remits_text = "".join(p.read_text() for p in sorted((demo.root / "x12" / "835").iterdir()))
    assert "MOA***" in remits_text and "LQ*HE*" in remits_text and "NM1*TT*" in remits_text
    assert "CAS*OA*23*" in remits_text
    assert "CAS*CO*253*" in remits_text or "**253*" in remits_text


def test_every_npi_passes_the_luhn_check(demo: DemoData) -> None:
    npis = set()
    for path in _x12_files(demo.root):
        text = path.read_text(encoding="utf-8")
        npis.update(re.findall(r"\*XX\*(\d+)~", text))
        npis.update(re.findall(r"PLB\*(\d+)\*", text))
    assert len(npis) >= 15
    assert all(is_valid_npi(npi) for npi in npis), sorted(n for n in npis if not is_valid_npi(n))
