"""The marts on the hand-worked synthetic raw layer (tests/warehouse/warehouse_synthetic.py): every figure below
is derived in that module's docstring, to the cent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
from warehouse_support import BuiltWarehouse

D = Decimal


@pytest.fixture(scope="module")
def con(synthetic_home: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(synthetic_home.warehouse), read_only=True)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_build_summary_counts(synthetic_home: BuiltWarehouse) -> None:
    summary = synthetic_home.summary
    assert summary.counts["model"] == {"success": 53}
    assert summary.counts["unit_test"] == {"pass": 5}
    assert summary.counts["test"].get("fail", 0) == 0
    assert summary.snapshot_id
    assert summary.as_of_date == "2024-03-25"
    assert summary.rows["fct_claims"] == 9
    # the bench reads the publish time from this line (RCM_LOG_LEVEL=WARNING hides Dagster's own)
    from orchestration.commands.bench import _PUBLISHED

    assert summary.publish_seconds is not None and summary.publish_seconds > 0
    [line] = [line for line in summary.lines() if line.startswith("  snapshot: ")]
    match = _PUBLISHED.search(line)
    assert match is not None and float(match.group(1)) == round(summary.publish_seconds, 1)


def test_build_results_stay_in_their_home(synthetic_home: BuiltWarehouse) -> None:
    """dbt's run results (which the summary counts) are written in the home that built, not in a
    folder of the checkout that every home shares: two homes building at once under pytest-xdist
    overwrote each other's run_results.json there (a KeyError in the summary, 2026-11-30)."""
    import json

    from orchestration.settings import DBT_PROJECT_DIR

    target = synthetic_home.settings.dbt_target_dir
    assert target.is_relative_to(synthetic_home.settings.home)
    assert not target.is_relative_to(DBT_PROJECT_DIR)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    assert len(models) == synthetic_home.summary.counts["model"]["success"] == 53


def test_large_ctes_read_twice_are_not_kept_in_memory(synthetic_home: BuiltWarehouse) -> None:
    """DuckDB materializes a CTE that is read twice and keeps it in memory: int_claims_enriched's
    money events (46 M rows at 10,000,000 claims) ran out of a 4 GB cap that way. Its plan must
    read them, and the biller activities, where they are used instead."""
    import re

    compiled = synthetic_home.settings.dbt_target_dir / "compiled" / "rcm" / "models" / "intermediate"
    sql = (compiled / "claims" / "int_claims_enriched.sql").read_text(encoding="utf-8")
    connection = duckdb.connect(str(synthetic_home.warehouse), read_only=True)
    try:
        connection.execute("set explain_output = 'physical_only'")
        plan = connection.execute("explain " + sql).fetchall()[0][1]
    finally:
        connection.close()
    kept = set(re.findall(r"CTE Name: (\w+)", plan))
    assert not kept & {"money_events", "events_to_date", "activities"}, kept
    assert "int_money_events_unioned" in plan


def test_claim_lifecycle(con: duckdb.DuckDBPyConnection) -> None:
    got = {
        (pcn, payer): rest
        for pcn, payer, *rest in rows(
            con,
            """
            select patient_control_number, payer_id, payer_sequence, billed_amount, paid_amount,
                contractual_amount, patient_responsibility_amount, insurance_balance_amount,
                patient_balance_amount, write_off_amount, patient_paid_amount, current_status,
                is_initially_denied, initial_denial_root_cause, is_current_claim
            from marts.fct_claims
            """,
        )
    }
    assert got == {
        ("CSV0000001", "COM04"): [
            "primary",
            D("75.00"),
            0,
            0,
            0,
            D("75.00"),
            0,
            0,
            0,
            "submitted",
            False,
            None,
            True,
        ],
        ("MG000000001", "COM01"): [
            "primary",
            D("200.00"),
            D("120.00"),
            D("50.00"),
            D("30.00"),
            0,
            D("10.00"),
            0,
            D("20.00"),
            "paid",
            False,
            None,
            True,
        ],
        ("MG000000002", "MCR01"): [
            "primary",
            D("300.00"),
            D("180.00"),
            D("120.00"),
            0,
            0,
            0,
            0,
            0,
            "overturned",
            True,
            "authorization_referral",
            True,
        ],
        ("MG000000003", "COM02"): [
            "primary",
            D("500.00"),
            0,
            0,
            0,
            D("500.00"),
            0,
            0,
            0,
            "no_response",
            False,
            None,
            True,
        ],
        ("MG000000004", "MCD01"): [
            "secondary",
            0,
            D("42.50"),
            D("7.50"),
            0,
            0,
            0,
            0,
            0,
            "paid",
            False,
            None,
            True,
        ],
        ("MG000000004", "MCR01"): [
            "primary",
            D("400.00"),
            D("200.00"),
            D("150.00"),
            D("50.00"),
            0,
            0,
            0,
            0,
            "paid",
            False,
            None,
            False,
        ],
        ("MG000000005", "COM01"): ["primary", D("250.00"), 0, 0, 0, 0, 0, 0, 0, "voided", False, None, True],
        ("MG000000006", "COM01"): [
            "primary",
            D("180.00"),
            D("70.00"),
            D("30.00"),
            0,
            0,
            0,
            D("80.00"),
            0,
            "written_off",
            True,
            "coding_bundling",
            True,
        ],
        ("MGLONGPCN0000000000000123", "COM03"): [
            "primary",
            D("100.00"),
            D("90.00"),
            D("10.00"),
            0,
            0,
            0,
            0,
            0,
            "paid",
            False,
            None,
            True,
        ],
    }


def test_superseded_and_quarantined_files_do_not_count(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        one(con, "select count(*) from marts.fct_claims where patient_control_number = 'CSVQUARANTINED'") == 0
    )
    assert one(con, "select sum(billed_amount) from marts.fct_claims where source_system = 'csv'") == D(
        "75.00"
    )


def test_truncated_pcn_matches_and_unknown_pcn_is_listed(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "select patient_control_number, paid_amount from marts.fct_unmatched_remits") == [
        ("ZZUNKNOWN01", D("55.00"))
    ]
    assert one(
        con, "select first_payment_date from marts.fct_claims where patient_control_number like 'MGLONG%'"
    ) == dt.date(2024, 3, 25)
    assert rows(con, "select patient_control_number from marts.fct_unmatched_claims order by 1") == [
        ("CSV0000001",),
        ("MG000000003",),
    ]


def test_insurance_paid_reconciles_to_raw(con: duckdb.DuckDBPyConnection) -> None:
    raw = one(con, "select sum(paid_amount) from raw.era_claims")
    marts = one(con, "select sum(insurance_paid_amount) from marts.mart_collections_monthly")
    on_claims = one(con, "select sum(paid_amount) from marts.fct_claims")
    assert raw == marts == D("757.50")
    assert on_claims == D("702.50")  # the other 55.00 is the unmatched remit


def test_collections_months(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select month, charges_amount, insurance_paid_amount, patient_paid_amount, contractual_amount,
            other_adjustment_amount, provider_adjustment_amount, bpr02_amount, cash_posted_amount,
            deposits_amount, point_of_service_amount
        from marts.mart_collections_monthly order by month
        """,
    )
    assert got == [
        (
            dt.date(2024, 1, 1),
            D("1150.00"),
            D("120.00"),
            0,
            D("50.00"),
            0,
            D("-2.00"),
            D("122.00"),
            D("122.00"),
            D("122.00"),
            0,
        ),
        # February: void of E (-250) + C 500 + F 180; B denial; D 200 + 42.50; E 200; U 55.
        (
            dt.date(2024, 2, 1),
            D("430.00"),
            D("497.50"),
            D("20.00"),
            D("232.50"),
            0,
            0,
            D("497.50"),
            D("517.50"),
            0,
            0,
        ),
        (
            dt.date(2024, 3, 1),
            D("175.00"),
            D("140.00"),
            D("10.00"),
            D("110.00"),
            D("80.00"),
            0,
            D("140.00"),
            D("150.00"),
            0,
            D("10.00"),
        ),
    ]


def test_denials_and_outcomes(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select patient_control_number, adjustment_level, group_code, carc_code, rarc_codes, root_cause,
            denied_amount, outcome, recovered_amount, resolution_date, days_to_resolution, is_initial
        from marts.fct_denials order by patient_control_number
        """,
    )
    assert got == [
        (
            "MG000000002",
            "claim",
            "CO",
            "197",
            "N54",
            "authorization_referral",
            D("300.00"),
            "overturned",
            D("180.00"),
            dt.date(2024, 3, 20),
            48,
            True,
        ),
        (
            "MG000000006",
            "line",
            "CO",
            "97",
            "M15",
            "coding_bundling",
            D("80.00"),
            "written_off",
            0,
            dt.date(2024, 3, 20),
            19,
            True,
        ),
    ]


def test_ar_aging_exact_days(con: duckdb.DuckDBPyConnection) -> None:
    def day(date: str) -> set[tuple]:
        return set(
            rows(
                con,
                f"""
                select payer_id, aging_bucket, balance_amount, claim_count, credit_balance_amount
                from marts.mart_ar_aging_daily where as_of_date = date '{date}'
                """,
            )
        )

    # 02-06: E (250, COM01, day 17), C (500, day 5), B (300, day 27); A's patient share 30 (day 32),
    # D's patient share 50 (MCR01 forwarded it on 02-05; day 22).
    assert day("2024-02-06") == {
        ("COM01", "0-30", D("250.00"), 1, 0),
        ("COM02", "0-30", D("500.00"), 1, 0),
        ("MCR01", "0-30", D("300.00"), 1, 0),
        ("PATIENT", "31-60", D("30.00"), 1, 0),
        ("PATIENT", "0-30", D("50.00"), 1, 0),
    }
    # 02-20: E voided before its reversal arrives: a credit of -250 (not in net A/R); MCD01 paid D.
    assert day("2024-02-20") == {
        ("COM01", "31-60", 0, 0, D("-250.00")),
        ("COM01", "0-30", D("180.00"), 1, 0),
        ("COM02", "0-30", D("500.00"), 1, 0),
        ("MCR01", "31-60", D("300.00"), 1, 0),
        ("PATIENT", "31-60", D("10.00"), 1, 0),
    }
    assert day("2024-03-25") == {
        ("COM02", "31-60", D("500.00"), 1, 0),
        ("COM04", "0-30", D("75.00"), 1, 0),
        ("PATIENT", "61-90", D("10.00"), 1, 0),
    }
    assert one(con, "select min(as_of_date) from marts.mart_ar_aging_daily") == dt.date(2024, 1, 5)
    assert one(con, "select max(as_of_date) from marts.mart_ar_aging_daily") == dt.date(2024, 3, 25)


def test_kpis_march(con: duckdb.DuckDBPyConnection) -> None:
    got = dict(rows(con, "select kpi_id, value from marts.mart_kpis_monthly where month = date '2024-03-01'"))
    # Net A/R 585 at 03-25 (500 + 75 + 10); net revenue of the 90 days to 03-25 = 1755 - 392.50.
    assert got["days_in_ar"] == pytest.approx(585 / ((1755 - 392.5) / 90), rel=1e-12)
    assert got["initial_denial_rate"] == 0.5  # F denied in March ÷ 2 primary claims first sent in March
    assert got["net_collection_rate"] == (140 + 10) / (175 - 110)
    assert got["cash_collected"] == 150.0
    assert got["denial_write_off_pct"] == 80 / 65
    assert got["initial_denial_rate_prior_3m"] is None  # fewer than three months of history


def test_work_list(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select patient_control_number, root_cause, insurance_balance_amount, deadline_type, deadline_date,
            days_to_deadline, last_action, assigned_biller, priority_rank, priority_reasons
        from marts.mart_work_list order by priority_rank
        """,
    )
    # Paid ratio of answered claims with a bill (A, B, D's primary, E, F, L): 660.00 ÷ 1,430.00;
    # COM02 has no answered claim of its own, so the all-payer ratio applies.
    rate = 660.00 / 1430.00
    assert [row[:9] for row in got] == [
        (
            "MG000000003",
            "no_response",
            D("500.00"),
            "timely_filing",
            dt.date(2024, 4, 29),
            35,
            "status_call",
            "s.okafor",
            1,
        ),
        (
            "CSV0000001",
            "awaiting_response",
            D("75.00"),
            "timely_filing",
            dt.date(2025, 3, 4),
            344,
            None,
            "t.lindqvist",
            2,
        ),
    ]
    assert (
        got[0][9] == f"timely filing limit in 35 days; ${round(500 * rate):,} expected of $500 (no response)"
    )
    assert got[1][9].endswith("(awaiting response); not due yet")


def test_claim_timeline(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select row_number() over (order by event_date, type_rank, file_id, source_order, event_id),
            event_type, event_date, amount, claim_status_code, carc_code
        from marts.fct_claim_events where patient_control_number = 'MG000000005' order by 1
        """,
    )
    assert got == [
        (1, "submitted", dt.date(2024, 1, 20), D("250.00"), None, None),
        (2, "remit", dt.date(2024, 2, 10), D("200.00"), "1", None),
        (3, "adjustment", dt.date(2024, 2, 10), D("50.00"), "1", "45"),
        (4, "void", dt.date(2024, 2, 20), D("250.00"), None, None),
        (5, "reversal", dt.date(2024, 3, 1), D("-200.00"), "22", None),
        (6, "adjustment", dt.date(2024, 3, 1), D("-50.00"), "22", "45"),
    ]


def test_payer_lag_medians(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select payer_id, claims, paid_claims, submission_to_payment_median, share_paid_within_30_days
        from marts.mart_payer_lag where month = date '2024-01-01' order by payer_id
        """,
    )
    # COM01: A 20 days, E 21 days. MCR01: B 70 days (paid after the appeal), D 21 days.
    assert got == [("COM01", 2, 2, 20.5, 1.0), ("MCR01", 2, 2, 45.5, 0.5)]


def test_remit_lines_match_their_submitted_lines(con: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        con,
        """
        select remit_lines.procedure_code, remit_lines.line_match_method, submission_lines.line_number
        from intermediate.int_remit_lines_matched as remit_lines
        left join intermediate.int_submission_lines_unioned as submission_lines
            on remit_lines.submission_line_id = submission_lines.submission_line_id
        where remit_lines.claim_id = (
            select claim_id from marts.fct_claims where patient_control_number = 'MG000000006')
        order by remit_lines.line_position
        """,
    )
    assert got == [("99213", "line_item_control_number", 1), ("93000", "procedure_date_charge", 2)]
    # The other synthetic 835 lines carry neither REF*6R nor a date: unmatched rather than guessed.
    assert (
        one(
            con,
            "select count(*) from intermediate.int_remit_lines_matched where line_match_method = 'unmatched'",
        )
        == 8
    )
