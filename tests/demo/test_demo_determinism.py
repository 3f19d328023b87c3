"""Same arguments, same bytes; another seed, another data set."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from demo_fixtures import SMALL, DemoData

from orchestration.demo import generate


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_writes_a_byte_identical_tree(demo: DemoData, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, **SMALL)
    first, second = _tree(demo.root), _tree(again)
    assert len(first) > 300
    assert first == second


def test_a_different_seed_writes_different_data(tmp_path: Path) -> None:
    small = {"claims": 300, "start": date(2025, 1, 1), "months": 2}
    one = generate(tmp_path / "one", seed=1, **small)
    two = generate(tmp_path / "two", seed=2, **small)
    # Every insured encounter asked for is a claim or, when its claim would go out after the as-of
    # date, an unbilled encounter that reaches no file.
    assert one["claim_count"] + one["unbilled_encounter_count"] == 300
    assert two["claim_count"] + two["unbilled_encounter_count"] == 300
    assert one["total_billed_amount"] != two["total_billed_amount"]
    manifest_one = json.loads((tmp_path / "one" / "manifest.json").read_text())
    manifest_two = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert manifest_one["content_sha256"] != manifest_two["content_sha256"]
    assert manifest_one["seed"] == 1 and manifest_two["seed"] == 2


def test_rerunning_into_the_same_folder_replaces_the_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(out, claims=200, seed=5, start=date(2025, 3, 1), months=2)
    (out / "x12" / "835" / "stray.x12").write_text("left over")
    (out / "notes.txt").write_text("the user's own file")
    generate(out, claims=200, seed=5, start=date(2025, 3, 1), months=2)
    assert not (out / "x12" / "835" / "stray.x12").exists()
    assert (out / "notes.txt").read_text() == "the user's own file"
    manifest = json.loads((out / "manifest.json").read_text())
    files = sum(kind["files"] for kind in manifest["kinds"].values())
    assert files == manifest["file_count"] == len([p for p in out.rglob("*") if p.is_file()]) - 2
