"""One small generated data set per test session (4,000 claims over 8 months), read once naively."""

from __future__ import annotations

import csv
import json

import pytest
from demo_fixtures import SMALL, DemoData
from demo_naive_x12 import Claim837, Remit, Transaction835, read_835, read_837

from orchestration.demo import generate


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    root = tmp_path_factory.mktemp("demo") / "out"
    truth = generate(root, **SMALL)
    transactions: list[Transaction835] = []
    remits: list[Remit] = []
    problems: list[str] = []
    for path in sorted((root / "x12" / "835").iterdir()):
        t, r, p = read_835(path)
        transactions += t
        remits += r
        problems += p
    claims: list[Claim837] = []
    for path in sorted((root / "x12" / "837").iterdir()):
        claims += read_837(path)
    csv_rows: dict[str, list[dict[str, str]]] = {}
    for path in sorted((root / "csv").iterdir()):
        kind = path.name.rsplit("_", 1)[0]
        with path.open(newline="", encoding="utf-8") as handle:
            csv_rows.setdefault(kind, []).extend(csv.DictReader(handle))
    assert json.loads((root / "ground_truth.json").read_text()) == truth
    return DemoData(root, truth, transactions, remits, problems, claims, csv_rows)
