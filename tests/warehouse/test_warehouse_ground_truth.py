"""A generated demo, loaded by the loader and built by dbt, reproduces every ground-truth figure exactly:
money to the cent, counts exactly, medians exactly (docs/accounting_model.md defines each key)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
from warehouse_support import DemoBuild

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def con(demo_build: DemoBuild) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo_build.warehouse), read_only=True)
    yield connection
    connection.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def money(value: object) -> str:
    return f"{Decimal(str(value)):.2f}"


def test_insurance_paid_equals_raw_clp04_and_the_files(
    con: duckdb.DuckDBPyConnection, demo_build: DemoBuild
) -> None:
    truth = demo_build.truth
    marts = money(one(con, "select sum(insurance_paid_amount) from marts.mart_collections_monthly"))
    raw = money(one(con, "select sum(paid_amount) from raw.era_claims"))
    claims_and_unmatched = money(
        one(
            con,
            "select (select sum(paid_amount) from marts.fct_claims)"
            " + coalesce((select sum(paid_amount) from marts.fct_unmatched_remits), 0)",
        )
    )
    assert marts == raw == claims_and_unmatched == truth["total_insurance_paid_amount"]
    assert truth["extras"]["total_claim_paid_amount_in_835"] == marts


def test_billed_charges_equal_raw_clm02_and_the_files(
    con: duckdb.DuckDBPyConnection, demo_build: DemoBuild
) -> None:
    marts = money(
        one(
            con,
            "select sum(billed_amount) from marts.fct_claims where payer_sequence = 'primary' and not is_voided",
        )
    )
    raw = money(
        one(
            con,
            """
            select sum(total_charge_amount) from (
                select total_charge_amount, row_number() over (
                    partition by patient_control_number order by creation_date, claim_position) as n
                from raw.x837_claims
                where payer_responsibility_code = 'P' and claim_frequency_code = '1'
                    and patient_control_number not in (
                        select patient_control_number from raw.x837_claims where claim_frequency_code = '8')
            ) where n = 1
            """,
        )
    )
    assert marts == raw == demo_build.truth["total_billed_amount"]


def test_every_ground_truth_figure(con: duckdb.DuckDBPyConnection, demo_build: DemoBuild) -> None:
    truth = demo_build.truth
    as_of = one(con, "select as_of_date from intermediate.int_as_of_date_selected")

    def ar(responsibility: str) -> str:
        return money(
            one(
                con,
                f"select coalesce(sum(balance_amount), 0) from marts.mart_ar_aging_daily"
                f" where as_of_date = date '{as_of}' and responsibility = '{responsibility}'",
            )
        )

    mine = {
        "as_of_date": as_of.isoformat(),
        "claim_count": one(
            con,
            "select count(*) from marts.fct_claims where payer_sequence = 'primary' and source_system = 'x837'",
        ),
        "voided_claim_count": one(
            con, "select count(*) from marts.fct_claims where payer_sequence = 'primary' and is_voided"
        ),
        "line_count": one(con, "select sum(line_count) from intermediate.int_encounters_aggregated"),
        "total_billed_amount": money(
            one(
                con,
                "select sum(billed_amount) from marts.fct_claims where payer_sequence = 'primary' and not is_voided",
            )
        ),
        "total_insurance_paid_amount": money(
            one(con, "select sum(insurance_paid_amount) from marts.mart_collections_monthly")
        ),
        "total_provider_adjustment_amount": money(
            one(con, "select sum(provider_adjustment_amount) from marts.mart_collections_monthly")
        ),
        "total_bpr02_amount": money(one(con, "select sum(bpr02_amount) from marts.mart_collections_monthly")),
        "total_patient_paid_amount": money(
            one(con, "select sum(patient_paid_amount - refunds_amount) from marts.mart_collections_monthly")
        ),
        "total_contractual_adjustment_amount": money(
            one(con, "select sum(contractual_amount) from marts.mart_collections_monthly")
        ),
        "total_write_off_amount": money(
            one(con, "select sum(other_adjustment_amount) from marts.mart_collections_monthly")
        ),
        "initial_denial_count": one(con, "select count(*) from marts.fct_claims where is_initially_denied"),
        "initial_denied_billed_amount": money(
            one(con, "select coalesce(sum(billed_amount), 0) from marts.fct_claims where is_initially_denied")
        ),
        "initial_denials_by_root_cause": dict(
            con.execute(
                "select initial_denial_root_cause, count(*) from marts.fct_claims"
                " where is_initially_denied group by 1 order by 1"
            ).fetchall()
        ),
        "claims_without_remittance": one(
            con,
            "select count(*) from marts.fct_claims"
            " where payer_sequence = 'primary' and not is_voided and first_remit_date is null",
        ),
        "open_ar_insurance_amount": ar("insurance"),
        "open_ar_patient_amount": ar("patient"),
        "median_days_submission_to_first_payment_by_payer": dict(
            con.execute(
                "select payer_id, quantile_cont(submission_to_payment_days, 0.5)"
                " from marts.fct_claim_payment_lags group by 1 order by 1"
            ).fetchall()
        ),
    }
    expected = {key: truth[key] for key in mine}
    assert mine == expected


def test_denial_outcomes_and_credit_balances_match_the_extras(
    con: duckdb.DuckDBPyConnection, demo_build: DemoBuild
) -> None:
    extras = demo_build.truth["extras"]
    outcomes = dict(
        con.execute(
            "select outcome, count(*) from marts.fct_denials"
            " where is_initial and is_principal_in_record group by 1 order by 1"
        ).fetchall()
    )
    assert outcomes == extras["initial_denial_outcomes"]
    as_of = one(con, "select as_of_date from intermediate.int_as_of_date_selected")
    credits = dict(
        con.execute(
            f"select responsibility, sum(credit_balance_amount) from marts.mart_ar_aging_daily"
            f" where as_of_date = date '{as_of}' group by 1"
        ).fetchall()
    )
    assert money(credits.get("insurance", 0)) == extras["credit_balance_insurance_amount"]
    assert money(credits.get("patient", 0)) == extras["credit_balance_patient_amount"]
    statuses = dict(
        con.execute(
            "select claim_status_code, count(*) from intermediate.int_remits_joined group by 1"
        ).fetchall()
    )
    assert statuses == extras["claim_status_counts"]
