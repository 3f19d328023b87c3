"""`rcm generate` and the generator benchmark's instrument (figures are printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.bench.generate import measure_generate
from orchestration.cli import main


def test_rcm_generate_writes_the_layout_and_prints_the_headline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    code = main(
        [
            "generate",
            "--out",
            str(out),
            "--claims",
            "150",
            "--seed",
            "3",
            "--start",
            "2025-02-01",
            "--months",
            "2",
        ]
    )
    assert code == 0
    headline = json.loads(capsys.readouterr().out)
    assert headline["claim_count"] + headline["unbilled_encounter_count"] == 150
    assert headline["claim_count"] > 130
    assert headline["as_of_date"] == "2025-03-31"
    for folder in ("x12/837", "x12/835", "csv", "bad"):
        assert any((out / folder).iterdir()), folder
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["parameters"] == {
        "claims": 150, "seed": 3, "start": "2025-02-01", "months": 2, "as_of_date": "2025-03-31", "self_pay_share": 0.05,
    }  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == truth["parameters"] and manifest["seed"] == 3


@pytest.mark.parametrize("bad", [["--claims", "0"], ["--months", "-1"], ["--start", "2025-13-01"]])
def test_rcm_generate_rejects_bad_arguments(tmp_path: Path, bad: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["generate", "--out", str(tmp_path / "x"), *bad])
    assert raised.value.code == 2


def test_measure_generate_reports_the_child_process(tmp_path: Path) -> None:
    row = measure_generate(120, tmp_path, seed=9, months=1)
    assert row["claims"] == 120 and row["months"] == 1
    assert row["seconds"] > 0 and row["claims_per_second"] == pytest.approx(120 / row["seconds"], rel=0.05)
    assert 10 < row["peak_rss_mb"] < 2000
    assert row["output_bytes"] > 50_000 and row["output_files"] > 10
    assert not (tmp_path / "generate_120").exists()
