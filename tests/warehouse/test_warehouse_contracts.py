"""The written contracts and the dbt project agree (fast: reads files only, builds nothing).

- dbt's raw sources document exactly the loader's tables and columns (orchestration/lib/raw_schema.py);
- every mart of docs/mart_contracts.md has an enforced dbt contract with at least its columns, money as
  decimal(18,2), dates as date, rates as double, and is published;
- every model's description opens with its grain;
- the CARC seed classifies the demo generator's codes the way the generator does.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from orchestration.lib.publish import MART_TABLES
from orchestration.lib.raw_schema import TABLES
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT, SEEDS_DIR

MODELS_DIR = DBT_PROJECT_DIR / "models"


def _model_properties() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in MODELS_DIR.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []) or []:
            found[model["name"]] = model
    return found


def _contract_doc() -> dict[str, list[str]]:
    """Table -> contract columns, read from docs/mart_contracts.md (prose lists, parentheses are notes)."""
    text = (REPO_ROOT / "docs" / "mart_contracts.md").read_text(encoding="utf-8")
    tables: dict[str, list[str]] = {}
    for section in re.split(r"\n## ", text)[1:]:
        head, _, body = section.partition("\n")
        names = re.findall(r"`([a-z_]+)`", head)
        previous = None
        while previous != body:
            previous, body = body, re.sub(r"\([^()]*\)", "", body)
        groups = body.strip().split(";") if len(names) > 1 else [body]
        for name, group in zip(names, groups, strict=True):
            columns: list[str] = []
            for part in (p.strip() for p in group.split(",")):
                match = re.match(r"([a-z_0-9]+)((?:/_[a-z0-9]+)*)", part)
                if not match:
                    continue
                columns.append(match.group(1))
                for suffix in re.findall(r"/_([a-z0-9]+)", match.group(2)):
                    columns.append(re.sub(r"_[a-z0-9]+$", "_" + suffix, match.group(1)))
            tables[name] = columns
    return tables


def test_sources_match_the_raw_schema() -> None:
    sources = yaml.safe_load(
        (MODELS_DIR / "staging" / "raw" / "_raw__sources.yml").read_text(encoding="utf-8")
    )
    (raw,) = sources["sources"]
    assert raw["schema"] == "raw"
    documented = {
        table["name"]: [(c["name"], c["data_type"]) for c in table["columns"]] for table in raw["tables"]
    }
    expected = {
        table: [(name, ctype.replace(" not null", "")) for name, ctype in columns]
        for table, columns in TABLES.items()
    }
    assert documented == expected


def test_every_raw_table_has_one_staging_model() -> None:
    staged = sorted(p.stem for p in (MODELS_DIR / "staging" / "raw").glob("stg_raw__*.sql"))
    assert staged == sorted(f"stg_raw__{table}" for table in TABLES)


def test_contract_doc_is_parsed() -> None:
    doc = _contract_doc()
    assert set(doc) == {
        "fct_claims", "fct_denials", "mart_denial_reasons", "mart_payer_lag", "fct_claim_payment_lags",
        "mart_ar_aging_daily", "mart_collections_monthly", "mart_kpis_monthly", "mart_work_list",
        "fct_claim_events", "dim_payers", "dim_providers", "dim_locations",
    }  # fmt: skip
    assert len(doc["fct_claims"]) == 42
    assert doc["fct_claim_payment_lags"][-1] == "is_voided"
    assert doc["mart_payer_lag"][-2:] == ["dos_to_payment_p90", "share_paid_within_30_days"]


@pytest.mark.parametrize("table", sorted(_contract_doc()))
def test_marts_enforce_the_documented_contract(table: str) -> None:
    model = _model_properties()[table]
    assert model["config"]["contract"] == {"enforced": True}
    declared = {column["name"]: column.get("data_type") for column in model["columns"]}
    missing = [column for column in _contract_doc()[table] if column not in declared]
    assert missing == []
    assert all(declared.values()), "an enforced contract needs a data_type on every column"
    for name, data_type in declared.items():
        if name.endswith(("_rate", "_rate_count", "_rate_amount", "_prior_3m")) or name.startswith("share_"):
            assert data_type == "double", name
        elif name.endswith("_amount"):
            assert data_type == "decimal(18,2)", name
        elif name.endswith("_date") or name in ("month", "service_month", "denial_month"):
            assert data_type == "date", name


def test_every_contract_mart_is_published() -> None:
    assert set(_contract_doc()) <= set(MART_TABLES)
    properties = _model_properties()
    for table in MART_TABLES:
        assert properties[table]["config"]["contract"] == {"enforced": True}


def test_every_model_is_documented_grain_first() -> None:
    properties = _model_properties()
    for sql in MODELS_DIR.rglob("*.sql"):
        description = properties[sql.stem]["description"].strip()
        assert description.startswith("One row"), sql.stem


def _classify(
    seed: list[dict[str, str]], group: str, carc: str, rarcs: tuple[str, ...] = ()
) -> dict[str, str]:
    """The seed's precedence rule (see seeds/_seeds.yml), in Python."""
    candidates = [
        row
        for row in seed
        if row["group_code"] in (group, "*")
        and row["carc_code"] in (carc, "*")
        and (row["rarc_code"] == "*" or row["rarc_code"] in rarcs)
    ]
    candidates.sort(
        key=lambda row: (
            row["group_code"] == "*",
            row["carc_code"] == "*",
            row["rarc_code"] == "*",
            row["rarc_code"],
        )
    )
    return candidates[0]


def _seed() -> list[dict[str, str]]:
    import csv

    with open(SEEDS_DIR / "carc_categories.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_seed_keys_are_unique_and_labels_are_short() -> None:
    seed = _seed()
    keys = [(r["group_code"], r["carc_code"], r["rarc_code"]) for r in seed]
    assert len(keys) == len(set(keys))
    assert len(seed) >= 100
    assert max(len(r["short_label"]) for r in seed) <= 60


def test_seed_classifies_the_generator_codes() -> None:
    if importlib.util.find_spec("orchestration.demo.model") is None:
        pytest.skip("the demo generator is not there yet")
    from orchestration.demo.model import CONTRACTUAL_CODES, DENIAL_ROOT_CAUSES

    seed = _seed()
    for (group, carc), root_cause in DENIAL_ROOT_CAUSES.items():
        for rarcs in ((), ("M51",), ("N286",), ("MA130",), ("N30",)):
            row = _classify(seed, group, carc, rarcs)
            assert (row["root_cause"], row["is_denial"]) == (root_cause, "true"), (group, carc, rarcs)
    for group, carc in CONTRACTUAL_CODES:
        row = _classify(seed, group, carc)
        assert (row["is_denial"], row["is_contractual"]) == ("false", "true")
    for group, carc in (
        ("PR", "1"),
        ("PR", "2"),
        ("PR", "3"),
        ("PR", "96"),
        ("PR", "204"),
        ("OA", "23"),
        ("OA", "101"),
    ):
        row = _classify(seed, group, carc)
        assert (row["is_denial"], row["is_contractual"]) == ("false", "false"), (group, carc)
    assert _classify(seed, "PR", "96")["root_cause"] == "patient_responsibility"


def test_seeds_are_documented_with_source_and_licence() -> None:
    properties = yaml.safe_load((SEEDS_DIR / "_seeds.yml").read_text(encoding="utf-8"))
    documented = {seed["name"]: seed["description"] for seed in properties["seeds"]}
    assert set(documented) == {p.stem for p in Path(SEEDS_DIR).glob("*.csv")}
    for name in ("carc_categories", "rarc_codes", "adjustment_group_codes", "claim_status_codes",
                 "place_of_service", "plb_reason_codes", "kpi_targets"):  # fmt: skip
        text = documented[name].lower()
        assert "version" in text and ("licence" in text or "license" in text or "public domain" in text), name
