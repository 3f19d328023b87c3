"""The columnar 835 reader against the reference reader: equal tables, issues and counts, or ``None``.

``read_835_columnar`` may decline a file (``None``: the loader then uses ``parse_x12``), but whatever
it returns must be exactly what ``parse_x12`` + ``to_arrow`` give for the same bytes. It must also not
decline needlessly: a file whose only issues are balancing differences is its to read.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from x12_reader_fixtures import header_835, interchange, isa, mutate, render, transaction

from orchestration.bench.x12 import build_835
from orchestration.lib.x12 import ParseResult, parse_x12, to_arrow
from orchestration.lib.x12.columnar835 import MIN_COLUMNAR_BYTES, columnar_candidate, read_835_columnar

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT.parent / "shared" / "x12-samples"
BALANCING = {"UNBALANCED_LINE", "UNBALANCED_CLAIM", "UNBALANCED_TRANSACTION"}


def _assert_same(data: bytes, name: str = "columnar.835") -> ParseResult | None:
    """Both readers on ``data``; if the columnar one answers, its answer equals the reference's."""
    reference = parse_x12(data, "0123456789abcdef", name)
    fast = read_835_columnar(data, "0123456789abcdef", name)
    if fast is None:
        return None
    _assert_equal(fast, to_arrow(reference), reference)
    return fast


def _assert_equal(result: ParseResult, tables: dict, expected: ParseResult) -> None:
    """``result``'s Arrow tables equal ``tables``; its issues and counts equal ``expected``'s."""
    assert result.arrow is not None and set(result.arrow) == set(tables)
    for table, rows in tables.items():
        assert result.arrow[table].schema == rows.schema, table
        assert result.arrow[table].equals(rows), (table, result.arrow[table].num_rows, rows.num_rows)
    assert [vars(issue) for issue in result.issues] == [vars(issue) for issue in expected.issues]
    assert (result.kind, result.transactions_loaded, result.transactions_rejected, result.segment_count) == (
        expected.kind,
        expected.transactions_loaded,
        expected.transactions_rejected,
        expected.segment_count,
    )


def test_large_synthetic_835_reads_the_same_rows() -> None:
    data = build_835(700_000, seed=21, claims_per_transaction=300)
    assert columnar_candidate(data)
    fast = _assert_same(data)
    assert fast is not None
    assert fast.arrow["era_claims"].num_rows > 500 and fast.arrow["era_adjustments"].num_rows > 2_000
    assert fast.arrow["era_provider_adjustments"].num_rows > 0 and fast.arrow["era_remarks"].num_rows > 0


def test_random_amounts_and_unbalanced_records_read_the_same() -> None:
    data = build_835(200_000, seed=5, amounts="random").decode()
    # unbalance one line (SVC03) and one claim (CLP04), hence its transaction: the issues must match
    for tag in ("SVC*", "CLP*"):
        start = data.index(tag)
        end = data.index("~", start)
        fields = data[start:end].split("*")
        fields[3 if tag == "SVC*" else 4] = "0.01"
        data = data[:start] + "*".join(fields) + data[end:]
    fast = _assert_same(data.encode())
    assert fast is not None
    codes = {issue.issue_code for issue in fast.issues}
    assert {"UNBALANCED_LINE", "UNBALANCED_CLAIM", "UNBALANCED_TRANSACTION"} <= codes


def _unbalanced(data: bytes, occurrences: list[int]) -> bytes:
    """``data`` with SVC03 of the n-th SVC (for each n) set to 0.01: warnings in those sets."""
    text = data.decode()
    starts = [index for index in range(len(text)) if text.startswith("~\nSVC*", index)]
    for n in sorted(occurrences, reverse=True):
        start = starts[n] + 2
        end = text.index("~", start)
        fields = text[start:end].split("*")
        fields[3] = "0.01"
        text = text[:start] + "*".join(fields) + text[end:]
    return text.encode()


@pytest.mark.parametrize("pieces", [2, 3, 4, 7])
def test_a_large_835_read_in_pieces_equals_it_read_whole(monkeypatch, pieces: int) -> None:
    from orchestration.lib.x12 import columnar835
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = _unbalanced(build_835(400_000, seed=31, claims_per_transaction=20), [2, 150, 151, -3])
    whole = _assert_same(data)
    read: list[int] = []
    real = columnar835._read_piece
    monkeypatch.setattr(columnar835, "_read_piece", lambda *call: read.append(call[3]) or real(*call))
    halves = read_835_columnar_split(data, "0123456789abcdef", "columnar.835", pieces)
    assert whole is not None and halves is not None
    _assert_equal(halves, whole.arrow, whole)
    assert len(read) == pieces and min(read) == 1  # cut in the text (``_halves`` cuts in two only)
    # warnings in both halves, in file order, with the file's own segment positions
    warned = [issue.segment_position for issue in halves.issues if issue.issue_code == "UNBALANCED_LINE"]
    assert len(warned) == 4 and warned == sorted(warned)
    sets = sorted(
        {int(i.transaction_control_number) for i in halves.issues if i.issue_code == "UNBALANCED_LINE"}
    )
    assert sets[0] <= whole.transactions_loaded // 2 < sets[-1]


def test_a_lone_835_is_read_in_an_even_number_of_pieces_of_about_32_mb() -> None:
    from orchestration.lib.x12.columnar835 import PIECE_BYTES, piece_count

    assert PIECE_BYTES == 32_000_000
    sizes = (8_000_000, 10_000_000, 50_000_000, 100_000_000, 250_000_000, 1_000_000_000)
    assert [piece_count(size) for size in sizes] == [2, 2, 2, 4, 8, 32]


def test_more_pieces_than_sets_reads_in_as_many_pieces_as_sets(monkeypatch) -> None:
    from orchestration.lib.x12 import columnar835
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = render(interchange([SET_A, SET_A, SET_A]))
    read: list[int] = []
    real = columnar835._read_piece
    monkeypatch.setattr(columnar835, "_read_piece", lambda *call: read.append(call[3]) or real(*call))
    whole = _assert_same(data)
    pieces = read_835_columnar_split(data, "0123456789abcdef", "columnar.835", 8)
    assert whole is not None and pieces is not None
    _assert_equal(pieces, whole.arrow, whole)
    assert len(read) == 3  # one set each


def _spy_on_segment_cut(monkeypatch) -> list[bool]:
    """Record whether ``read_835_columnar_split`` fell back from the text cut to ``_halves``."""
    from orchestration.lib.x12 import columnar835

    calls: list[bool] = []
    real = columnar835._halves
    monkeypatch.setattr(columnar835, "_halves", lambda section: calls.append(True) or real(section))
    return calls


@pytest.mark.parametrize("terminator", ["~\n", "~", "~\r\n"])
def test_a_large_835_is_cut_in_its_text_before_its_segments_are_split(monkeypatch, terminator) -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = build_835(300_000, seed=33, claims_per_transaction=20).decode().replace("~\n", terminator).encode()
    fell_back = _spy_on_segment_cut(monkeypatch)
    whole = _assert_same(data)
    halves = read_835_columnar_split(data, "0123456789abcdef", "columnar.835")
    assert whole is not None and halves is not None
    _assert_equal(halves, whole.arrow, whole)
    assert not fell_back, "each half of the text split on its own thread"


def _pad_first_clp(text: str) -> str:
    first_clp = text.index("~\nCLP*") + 1
    return text[:first_clp] + "\t" + text[first_clp:]  # "~\n\tCLP*...": padded, before the middle


def _pad_last_clp(text: str) -> str:
    last_clp = text.rindex("~\nCLP*") + 1
    return text[:last_clp] + "\t" + text[last_clp:]  # after the middle


@pytest.mark.parametrize(
    ("pad", "falls_back"),
    [
        (_pad_first_clp, True),  # padded before the cut only
        (_pad_last_clp, True),  # after it only
        (lambda text: text + "  \n", True),  # blanks after the final terminator: the tail only
        (lambda text: text.replace("~\n", " ~\n"), False),  # padded everywhere: both halves strip
    ],
)
def test_padding_in_one_half_only_is_cut_where_the_segments_are_split(monkeypatch, pad, falls_back) -> None:
    """The whole read strips every segment of a body or none (``needs_strip``): padding in one half
    only would have the halves disagree, so the cut falls back to the split segments."""
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    text = pad(build_835(300_000, seed=34, claims_per_transaction=20).decode())
    fell_back = _spy_on_segment_cut(monkeypatch)
    whole = _assert_same(text.encode())
    halves = read_835_columnar_split(text.encode(), "0123456789abcdef", "columnar.835")
    assert whole is not None and halves is not None
    _assert_equal(halves, whole.arrow, whole)
    assert fell_back == ([True] if falls_back else [])


def test_other_separators_are_cut_in_the_text_too(monkeypatch) -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    text = build_835(300_000, seed=35, claims_per_transaction=20).decode()
    assert "|" not in text and "'" not in text
    data = text.replace("*", "|").replace("~", "'").encode()  # element | and terminator '
    fell_back = _spy_on_segment_cut(monkeypatch)
    whole = _assert_same(data)
    halves = read_835_columnar_split(data, "0123456789abcdef", "columnar.835")
    assert whole is not None and halves is not None
    _assert_equal(halves, whole.arrow, whole)
    assert not fell_back


def test_issues_on_both_sides_of_the_text_cut_keep_their_positions() -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = build_835(300_000, seed=36, claims_per_transaction=20)
    text = data.decode()
    middle = text.index("~\nST*", len(text) // 2)  # the cut's set starts after this
    svcs = [index for index in range(len(text)) if text.startswith("~\nSVC*", index)]
    before = max(index for index in svcs if index < middle)
    after = min(index for index in svcs if index > middle)
    data = _unbalanced(data, [svcs.index(before), svcs.index(after)])
    changed = data.decode()
    cut = changed.index("~\nST*", len(changed) // 2)  # where _text_halves cuts the changed file
    lines = [index + 2 for index in range(len(changed)) if changed.startswith("~\nSVC*", index)]
    unbalanced = [i for i in lines if changed[i : changed.index("~", i)].split("*")[3] == "0.01"]
    assert len(unbalanced) == 2 and unbalanced[0] < cut < unbalanced[1]
    whole = _assert_same(data)
    halves = read_835_columnar_split(data, "0123456789abcdef", "columnar.835")
    assert whole is not None and halves is not None
    _assert_equal(halves, whole.arrow, whole)
    warned = [issue.segment_position for issue in halves.issues if issue.issue_code == "UNBALANCED_LINE"]
    assert len(warned) == 2  # the last line before the cut and the first after it


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda text: text.replace("~\nGE*", "~\nGE*9", 1), "GE01 does not count the sets"),
        (lambda text: text.replace("~\nIEA*1*", "~\nIEA*2*", 1), "IEA01 does not count the groups"),
        (
            lambda text: text.replace(
                "~\nGE*", "~\nGE*1*1~\nGS*HP*X*Y*20250102*1200*1*X*005010X221A1~\nGE*", 1
            ),
            "two functional groups",
        ),
    ],
)
def test_a_large_835_the_whole_read_would_question_is_not_cut(change, why) -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = change(build_835(200_000, seed=32, claims_per_transaction=20).decode()).encode()
    assert read_835_columnar_split(data, "0123456789abcdef", "columnar.835") is None, why


def test_small_files_and_837s_are_left_to_the_reference_reader() -> None:
    assert not columnar_candidate(build_835(MIN_COLUMNAR_BYTES // 2, seed=1))
    claim = render(interchange([transaction(["BHT*0019*00*1*20250105*1200*CH"], "1", code="837")]))
    assert not columnar_candidate(claim + b" " * MIN_COLUMNAR_BYTES)
    assert read_835_columnar(claim, "0123456789abcdef", "claim.837") is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda text: text.replace("DTM*232*", "DTM*232*2024023", 1), "impossible date"),
        (lambda text: text.replace("SE*", "SE*9", 1), "wrong SE count"),
        (lambda text: text.replace("CLP*", "ZZZ*1~CLP*", 1), "unknown segment"),
    ],
)
def test_anything_else_the_reference_reports_makes_it_decline(change, why: str) -> None:
    text = build_835(40_000, seed=8).decode()
    changed = change(text)
    assert changed != text, why
    reference = parse_x12(changed.encode(), "0123456789abcdef", "x.835")
    assert {issue.issue_code for issue in reference.issues} - BALANCING, why
    assert read_835_columnar(changed.encode(), "0123456789abcdef", "x.835") is None, why


def test_unusual_text_the_reference_accepts_is_read_the_same() -> None:
    text = build_835(40_000, seed=8).decode()
    text = text.replace("CAS*CO*", "CAS*CO*45*1.005*1*", 1)  # a third decimal: rounded half up
    text = text.replace("SVC*HC:", "SVC*HC>", 1)  # a composite written with another separator
    fast = _assert_same(text.encode())
    assert fast is not None
    assert str(fast.arrow["era_adjustments"]["adjustment_amount"][0].as_py()) == "1.01"
    assert fast.arrow["era_service_lines"]["procedure_qualifier"][0].as_py() == "HC"


def test_every_public_835_sample_is_read_the_same_or_declined_for_a_reported_reason() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"public X12 samples not found at {SAMPLES} (the shared folder beside the repo)")
    accepted = 0
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        data = path.read_bytes()
        reference = parse_x12(data, "0123456789abcdef", path.name)
        fast = _assert_same(data, path.name)
        clean = reference.kind == "835" and not {issue.issue_code for issue in reference.issues} - BALANCING
        # declined exactly when the reference reports more than balancing differences (or no 835)
        assert (fast is not None) == clean, path.name
        accepted += fast is not None
    assert accepted >= 5


SET_A = transaction(
    [
        *header_835("167.5", trace="EFTA"),
        "N1*PE*BENCH MEDICAL GROUP*XX*1999999984",
        "REF*TJ*999999999",
        "CLP*PCNA1*1*200*150*20*12*ICNA1*11*1",
        "NM1*QC*1*DOE*JANE****MI*MA1",
        "NM1*82*1*SMITH*ANN****XX*1999999992",
        "DTM*232*20241201",
        "DTM*233*20241202",
        "AMT*AU*180",
        "SVC*HC:G0439:25*200*150**2*HC:G0438*1",
        "DTM*472*20241201",
        "CAS*CO*45*30",
        "CAS*PR*2*20*1*3*0",
        "REF*6R*LA1",
        "AMT*B6*170",
        "LQ*HE*N130",
        "CLP*PCNA2*4*80*0**12*ICNA2*11*1",
        "CAS*CO*16*80",
        "MOA***N381*MA01",
        "CLP*PCNA3*22*-50*-50**12*ICNA3*11*1",
        "REF*F8*ICNA0",
        "SVC*HC:J1100*-50*-50",
        "DTM*150*20241110",
        "DTM*151*20241112",
        "PLB*1999999984*20241231*L6*-17.5*WO:PCNB0*0",
    ],
    "UNTOUCHEDA",
)
ELEMENT_TEXT = st.sampled_from(
    ["", "0", "-0", "1.005", "12.5", "-3", "20240230", "20240229", "HE", "X:Y", "A>B"]
)
MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "swap", "corrupt"]),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
    ELEMENT_TEXT,
)


@pytest.mark.parametrize(
    "cas",
    [
        "CAS*PR*2*20*1*3",  # ends at a later triplet's reason: a row with no amount
        "CAS*PR*2*20*1*3*",
        "CAS*PR*2*20*1**0",  # an amount without a reason
        "CAS*PR*2*20*1***2",  # a quantity alone
        "CAS*PR*2*20*1*3*0*2*1*0*4*0*0*5*0*0*6*0*0",  # all six triplets
    ],
)
def test_cas_segments_ending_inside_a_later_triplet_read_the_same(cas: str) -> None:
    """The columnar reader reads a triplet only from the CAS segments long enough to hold its first
    element (``_adjustments``): a segment ending right at that element still gives its row."""
    changed = [cas if segment == "CAS*PR*2*20*1*3*0" else segment for segment in SET_A]
    assert changed != SET_A
    assert _assert_same(render(interchange([changed, SET_A]))) is not None


@pytest.mark.parametrize(
    ("segment", "short"),
    [
        ("NM1*QC*1*DOE*JANE****MI*MA1", "NM1*QC*1*DOE*JANE"),  # no member id: null, not the next segment's
        ("NM1*QC*1*DOE*JANE****MI*MA1", "NM1*QC*1"),
        ("NM1*82*1*SMITH*ANN****XX*1999999992", "NM1*82*1*SMITH"),
    ],
)
def test_names_shorter_than_the_element_read_are_read_the_same(segment: str, short: str) -> None:
    """A claim's names are read from each claim's last NM1 of an entity only (``by_entity``): an
    element past a short segment's end is null there too."""
    changed = [short if item == segment else item for item in SET_A]
    assert changed != SET_A
    fast = _assert_same(render(interchange([changed, SET_A])))
    assert fast is not None


def test_the_unmutated_property_file_is_accepted() -> None:
    assert _assert_same(render(interchange([SET_A, SET_A]))) is not None


@pytest.mark.parametrize("terminator", ["~", "~\n", "~\r\n", "\r\n~", "~\n  ", " ~\t", "~\n\x0b"])
def test_segment_layouts_split_like_the_reference_tokenizer(terminator: str) -> None:
    data = render(interchange([SET_A, SET_A]), terminator=terminator)
    fast = _assert_same(data)
    if "\x0b" not in terminator:  # a vertical tab is not stripped: the reference reports the segment
        assert fast is not None, repr(terminator)


@pytest.mark.parametrize("ending", [" ~", " ~\n", "~ ", "~\n\n", "~~\n", "\t~\r\n"])
def test_padding_or_blanks_at_the_end_alone_split_like_the_reference(ending: str) -> None:
    """The columnar split cuts each text's last terminator off before it splits (``_texts_to_split``):
    a space before that terminator must still make the whole body stripped, as the reference's
    ``needs_strip`` sees it, and in a pass with unpadded files only that body."""
    from orchestration.lib.x12.columnar835 import read_835_columnar_many

    text = render(interchange([SET_A, SET_A]), terminator="~\n").decode()
    # a claim ending in a vertical tab: kept when the body is not stripped, dropped when it is
    clp = text.index("CLP*")
    clp_end = text.index("~", clp)
    text = text[:clp_end] + "\x0b" + text[clp_end:]
    data = (text.rstrip("~\n") + ending).encode()
    fast = _assert_same(data)
    assert fast is not None, repr(ending)
    plain = render(interchange([SET_A]), terminator="~\n")
    together = read_835_columnar_many([(plain, "a" * 16, "a.835"), (data, "0123456789abcdef", "b.835")])
    assert all(result is not None for result in together)
    reference = to_arrow(parse_x12(data, "0123456789abcdef", "b.835"))
    for table, rows in reference.items():
        assert together[1].arrow[table].equals(rows), (ending, table)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_835s_read_the_same_or_are_declined(mutations: list[tuple[str, int, int, str]]) -> None:
    _assert_same(render(mutate(interchange([SET_A, SET_A]), mutations)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(MUTATION, min_size=0, max_size=4),
    st.sampled_from(["~", "~\n", " ~\t"]),
    st.integers(min_value=2, max_value=4),
)
def test_mutated_835s_read_in_halves_equal_the_whole_read(
    mutations: list[tuple[str, int, int, str]], terminator: str, pieces: int
) -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_split

    data = render(mutate(interchange([SET_A, SET_A, SET_A]), mutations), terminator=terminator)
    halves = read_835_columnar_split(data, "0123456789abcdef", "columnar.835", pieces)
    whole = _assert_same(data)  # and the whole read equals the reference reader
    if halves is not None:  # an answer only where the whole read answers, and the same one
        assert whole is not None
        _assert_equal(halves, whole.arrow, whole)
    if not mutations:
        assert halves is not None  # three good sets: cut after the first


def test_demo_shaped_835s_of_many_seeds_read_the_same() -> None:
    rng = random.Random(3)
    for _ in range(4):
        data = build_835(rng.randint(20_000, 90_000), seed=rng.randint(0, 10_000), claims_per_transaction=15)
        assert _assert_same(data) is not None


def test_several_files_read_in_one_pass_equal_each_read_alone() -> None:
    from orchestration.lib.x12.columnar835 import read_835_columnar_many

    good = [build_835(30_000 + 7_000 * seed, seed=seed, claims_per_transaction=12) for seed in range(5)]
    truncated = good[2][: len(good[2]) // 2]  # ends inside a set: the reference reports TRUNCATED
    segments = interchange([SET_A])
    segments[0] = isa(element="|")
    pipes = render(segments, element="|")  # other separators than the batch's: read in its own pass
    # segments padded with spaces and tabs, in the same pass as unpadded ones: each body is checked
    # for padding on its own (``needs_strip``), and only the padded one is stripped
    padded = render(interchange([SET_A, SET_A]), terminator=" ~\t")
    files = [*good[:2], truncated, *good[2:4], padded, good[4], pipes]
    names = [f"remit_{index}.835" for index in range(len(files))]
    results = read_835_columnar_many(
        [(data, f"{index:016x}", name) for index, (data, name) in enumerate(zip(files, names, strict=True))]
    )
    assert [result is None for result in results] == [False, False, True, False, False, False, False, False]
    for index, (data, name, result) in enumerate(zip(files, names, results, strict=True)):
        if result is None:
            assert _assert_same(data, name) is None  # declined alone too
            continue
        reference = parse_x12(data, f"{index:016x}", name)
        for table, rows in to_arrow(reference).items():
            assert result.arrow[table].equals(rows), (name, table)
            assert result.arrow.count(table) == rows.num_rows  # a slice of the batch's, counted uncut
        assert [vars(issue) for issue in result.issues] == [vars(issue) for issue in reference.issues]
        assert (result.transactions_loaded, result.segment_count) == (
            reference.transactions_loaded,
            reference.segment_count,
        )


def test_decimal_units_and_arrays_round_trip_with_nulls_signs_and_slices() -> None:
    """The columnar reader and the loader's per-file totals read decimal128 money as int64 units."""
    import numpy as np
    import pyarrow as pa

    from orchestration.lib.x12.tables import decimal_array, decimal_units

    values = pa.array(
        [Decimal("12.34"), None, Decimal("-0.01"), Decimal("99999999999999.99"), Decimal("-5.00")],
        pa.decimal128(18, 2),
    )
    assert decimal_units(values).tolist() == [1234, 0, -1, 9999999999999999, -500]
    assert decimal_units(values.slice(2, 2)).tolist() == [-1, 9999999999999999]
    assert decimal_units(values.slice(5, 0)).tolist() == []
    units = np.array([1234, 0, -1, -500], np.int64)
    rebuilt = decimal_array(units, valid=np.array([True, False, True, True]))
    assert rebuilt.to_pylist() == [Decimal("12.34"), None, Decimal("-0.01"), Decimal("-5.00")]
    assert decimal_array(np.array([-1500], np.int64), scale=3).to_pylist() == [Decimal("-1.500")]


NUMBER_TEXT = st.text(alphabet="0123456789.-+ e", max_size=19) | st.sampled_from(
    ["", "-", ".", "-.", "-.5", "5.", "1" * 15, "1" * 16, "-" + "9" * 15 + ".99", "1" * 15 + ".", "0.-1"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXT, max_size=12), st.integers(min_value=0, max_value=3))
def test_plain_numbers_agrees_with_the_pattern_it_replaces(texts: list[str], skip: int) -> None:
    """``plain_numbers`` reads the bytes in NumPy where RE2 matched ``_PLAIN_NUMBER`` text by text;
    both must agree on every array, sliced ones too (a slice's offsets do not start at zero)."""
    import re

    import pyarrow as pa

    from orchestration.lib.x12.columnar835 import _PLAIN_NUMBER, plain_numbers

    array = pa.array(["x-1.2.3"] * skip + texts, pa.string()).slice(skip)
    expected = all(not text or re.fullmatch(_PLAIN_NUMBER, text) for text in texts)
    assert plain_numbers(array) is expected, texts
    # arrays of another layout (nulls, large offsets) take RE2, which must agree too
    assert plain_numbers(pa.array([*texts, None], pa.large_string())) is expected, texts


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="AB* \t\n\r", max_size=6), min_size=1, max_size=5),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.sampled_from(["~", "'", "\x1d"]),
)
def test_the_padding_decision_of_a_pass_is_needs_strip(
    bodies: list[list[str]], terminated: list[bool], terminator: str
) -> None:
    """Each body of one pass is stripped exactly when the reference's ``needs_strip`` says so: a
    space next to a terminator (the last one cut off before the split, or none at the end at all),
    at the text's start, or a tab anywhere."""
    from orchestration.lib.x12.columnar835 import _Body, _split_bodies
    from orchestration.lib.x12.envelope import needs_strip, without_line_breaks

    texts = [
        terminator.join(segments) + (terminator if end else "")
        for segments, end in zip(bodies, terminated, strict=False)
    ]
    split = [_Body(text, terminator) for text in texts]
    _split_bodies(split)
    for body, text in zip(split, texts, strict=True):
        assert body.padded == needs_strip(without_line_breaks(text), terminator), repr(text)


def test_byte_and_text_bodies_in_one_pass_read_the_same() -> None:
    """An ASCII file's interchanges go into Arrow as views of its bytes (``_texts_to_split``); any
    other file's as Python text. One pass with both, in turns, and with files of two interchanges
    (whitespace and line breaks between them), reads each file as the reference reads it alone."""
    from orchestration.lib.x12.columnar835 import _body_maker, read_835_columnar_many
    from orchestration.lib.x12.envelope import tokenize

    plain = render(interchange([SET_A, SET_A]), terminator="~\r\n")
    accented = render(interchange([SET_A]), terminator="~\n").replace(b"ACME HEALTH", "ACMÉ HEALTH".encode())
    two = (
        render(interchange([SET_A]), terminator="~")
        + b"\r\n\n"
        + render(interchange([SET_A, SET_A], control="000000002"), terminator="~\n")
    )
    bare = render(interchange([SET_A]), terminator="~")  # no line breaks at all
    files = [plain, accented, two, accented.replace(b"000000001", b"000000003"), bare]
    # which bodies carry their file's bytes: every ASCII file's, none of the accented files'
    bodies = [
        [section.segments for section in tokenize(data, split=_body_maker(data)).sections] for data in files
    ]
    assert [[body.data is not None for body in found] for found in bodies] == [
        [True],
        [False],
        [True, True],
        [False],
        [True],
    ]
    second = two.index(b"ISA", 3)  # the first interchange keeps the line breaks before the second
    assert [body.text for body in bodies[2]] == [two[:second].decode(), two[second:].decode()]
    results = read_835_columnar_many(
        [(data, f"{index:016x}", f"r{index}.835") for index, data in enumerate(files)]
    )
    for index, (data, result) in enumerate(zip(files, results, strict=True)):
        assert result is not None, index
        reference = parse_x12(data, f"{index:016x}", f"r{index}.835")
        _assert_equal(result, to_arrow(reference), reference)
