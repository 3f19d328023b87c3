"""`rcm build` with a failing error-severity dbt test: exit code 1, the failure named, nothing
downstream built, and the last good snapshot still current."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse_support import BuiltWarehouse

from orchestration.commands import build
from orchestration.lib import publish
from orchestration.settings import get_settings


def test_failing_test_fails_the_build_and_keeps_the_snapshot(
    synthetic_home: BuiltWarehouse,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    shutil.copytree(
        synthetic_home.settings.home, home, ignore=shutil.ignore_patterns("*.lock", "dagster_home")
    )
    monkeypatch.setenv("RCM_HOME", str(home))
    monkeypatch.setenv("RCM_LOG_LEVEL", "WARNING")
    settings = get_settings()
    good = publish.read_current(settings.snapshots_dir)
    before = publish.list_snapshots(settings.snapshots_dir)
    assert good in before
    with duckdb.connect(str(settings.warehouse_path)) as con:
        # The same CAS triplet twice: the staging key test (error severity) must stop the build.
        con.execute("insert into raw.era_adjustments select * from raw.era_adjustments limit 1")

    # A full refresh: an incremental build tests only the files loaded since the recorded build
    # (test_scope.sql), and this row was slipped into one recorded already.
    code = build.run(argparse.Namespace(as_of=None, reparse=False, full_refresh=True))

    out = capsys.readouterr().out
    assert code == 1
    assert "build FAILED" in out
    assert "unique_combination_of_columns_stg_raw__era_adjustments" in out
    assert "snapshot: not published (the last good snapshot stays current)" in out
    assert publish.read_current(settings.snapshots_dir) == good
    assert publish.list_snapshots(settings.snapshots_dir) == before


def test_primary_key_fails_on_a_repeated_key_and_on_nulls(
    synthetic_home: BuiltWarehouse, tmp_path: Path
) -> None:
    """The project's `primary_key` test (dbt's `unique` and `not_null` in one query) passes on the
    built table, and fails once per repeated value and once for the nulls."""
    import json

    from warehouse_support import run_dbt

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(synthetic_home.warehouse, warehouse)
    select = ["test", "--select", "dim_providers,test_name:primary_key"]

    def failures() -> int:
        done = run_dbt(select, warehouse, tmp_path / "target")
        run_results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
        # the on-run-start hook aside
        results = [r for r in run_results["results"] if r["unique_id"].startswith("test.")]
        assert [r["unique_id"].split(".")[2] for r in results] == ["primary_key_dim_providers_npi"], (
            done.stdout
        )
        assert (done.returncode == 0) == (results[0]["status"] == "pass"), done.stdout[-2000:]
        return results[0]["failures"]

    assert failures() == 0
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.dim_providers select * from marts.dim_providers limit 2"
        )  # two repeated
        con.execute(
            "insert into marts.dim_providers select * replace (null as npi) from marts.dim_providers limit 3"
        )
    assert failures() == 3  # two repeated values, and the nulls once


def test_row_rules_count_each_broken_rule_and_name_it(synthetic_home: BuiltWarehouse, tmp_path: Path) -> None:
    """The project's `row_rules` test (a model's not_null, accepted_values, expression and key rules
    in one scan) passes on the built table; broken, it fails with the sum of the failing rows and
    names each broken rule. A null passes accepted_values, as with dbt's own test; an expression
    that is null fails, as with expression_is_true; a key counts the rows beyond the first of each
    value, and a null key fails as not_null."""
    import json

    from warehouse_support import run_dbt

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(synthetic_home.warehouse, warehouse)
    select = ["test", "--select", "row_rules_fct_claims", "--store-failures"]

    def failures() -> tuple[int, dict[str, int]]:
        done = run_dbt(select, warehouse, tmp_path / "target")
        run_results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
        results = [r for r in run_results["results"] if r["unique_id"].startswith("test.")]
        assert [r["unique_id"].split(".")[2] for r in results] == ["row_rules_fct_claims"], done.stdout
        assert (done.returncode == 0) == (results[0]["status"] == "pass"), done.stdout[-2000:]
        relation = results[0]["relation_name"]
        with duckdb.connect(str(warehouse)) as con:
            broken = dict(con.execute(f"select rule, failing_rows from {relation}").fetchall())
        return results[0]["failures"], broken

    assert failures() == (0, {})
    with duckdb.connect(str(warehouse)) as con:
        claims = con.execute("select claim_id from marts.fct_claims order by claim_id limit 4").fetchall()
        ids = [row[0] for row in claims]
        con.execute("update marts.fct_claims set payer_sequence = null where claim_id = ?", [ids[0]])
        con.execute("update marts.fct_claims set claim_type = 'dental' where claim_id in (?, ?)", ids[1:3])
        con.execute("update marts.fct_claims set source_system = null where claim_id = ?", [ids[3]])
        paid = [
            row[0]
            for row in con.execute(
                "select claim_id from marts.fct_claims where first_payment_date is not null order by claim_id limit 2"
            ).fetchall()
        ]
        con.execute(
            "update marts.fct_claims set first_remit_date = first_payment_date + 1 where claim_id = ?",
            [paid[0]],
        )
        # the expression is null there (a payment, no remit date): a failure, as with expression_is_true
        con.execute("update marts.fct_claims set first_remit_date = null where claim_id = ?", [paid[1]])
        # the primary key: one claim three times (two rows too many), another's id gone
        last = con.execute("select max(claim_id) from marts.fct_claims").fetchone()[0]
        for _ in range(2):
            con.execute(
                "insert into marts.fct_claims select * from marts.fct_claims where claim_id = ? limit 1",
                [last],
            )
        con.execute(
            "update marts.fct_claims set claim_id = null where claim_id = "
            "(select max(claim_id) from marts.fct_claims where claim_id < ?)",
            [last],
        )
    expected = {
        "not_null(payer_sequence)": 1,
        "accepted_values(claim_type)": 2,
        "expression(first_payment_date is null or first_payment_date >= first_remit_date)": 2,
        "not_null(claim_id)": 1,
        "unique(claim_id)": 2,
    }
    assert failures() == (sum(expected.values()), expected)
