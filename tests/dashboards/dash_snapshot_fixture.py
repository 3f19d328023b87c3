"""A small synthetic published snapshot for the dashboard tests and for development.

Why: the dashboards read only Parquet files laid out as docs/mart_contracts.md says, and the real
marts come from the whole pipeline. This builder writes every table of the contract with exactly its
columns and types (money decimal(18,2), dates as date) from a few hundred synthetic claims, so every
chart has data and tests can recompute truths from the same rows.

The three base tables (fct_claims, fct_denials, fct_claim_events) are generated in Python with integer
cents; every other table is derived from them with SQL in DuckDB, as the marts would be.

Run ``python tests/dashboards/dash_snapshot_fixture.py RCM_HOME`` to publish one for `rcm serve`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.lib.publish import PUBLISH_LAYOUT

AS_OF = dt.date(2024, 12, 31)
# Snapshot ids in the publisher's format (orchestration/lib/publish.py: YYYYMMDDTHHMMSSffffffZ).
FIRST_SNAPSHOT = "20250101T000000000001Z"
SECOND_SNAPSHOT = "20250101T000000000002Z"
FIRST_SERVICE = dt.date(2024, 1, 2)

PAYERS = [  # payer_id, name, category, mean lag days, contractual share, patient share, filing limit
    ("MCR01", "Medicare Part B", "medicare", 16, 0.42, 0.20, 365),
    ("MCD01", "State Medicaid", "medicaid", 34, 0.55, 0.00, 365),
    ("BCX01", "Bluecrest Health", "commercial", 22, 0.30, 0.12, 180),
    ("NRT01", "Northtide Insurance", "commercial", 47, 0.28, 0.15, 180),
    ("MAP01", "Meadow Advantage", "medicare_advantage", 27, 0.38, 0.10, 365),
]
PAYER_WEIGHTS = [30, 15, 25, 15, 15]
PROVIDERS = [  # npi, name, specialty, extra charge lag days
    ("1000000001", "Avery Quinn MD", "family_medicine", 0),
    ("1000000002", "Jordan Ellis DO", "internal_medicine", 2),
    ("1000000003", "Riley Moss NP", "family_medicine", 7),
    ("1000000004", "Casey Park MD", "cardiology", 1),
]
LOCATIONS = [("LOC1", "Main Street Clinic"), ("LOC2", "Riverside Office"), ("LOC3", "Hillview Center")]
BILLERS = ["bea", "carl", "dana", None]
# root cause -> (carc codes, is_avoidable, owning stage, is_appealable, core scenario, recovery rate)
ROOT_CAUSES: dict[str, tuple[list[str], bool, str, bool, str, float]] = {
    "eligibility_registration": (["27", "31"], True, "front_end", True, "data", 0.55),
    "authorization_referral": (["197", "15"], True, "front_end", True, "documentation", 0.45),
    "coding_bundling": (["97", "4"], True, "mid_cycle", True, "data", 0.60),
    "medical_necessity": (["50"], True, "mid_cycle", True, "documentation", 0.35),
    "timely_filing": (["29"], True, "back_end", False, "none", 0.05),
    "missing_information": (["16"], True, "mid_cycle", True, "data", 0.70),
    "non_covered": (["96", "204"], False, "front_end", False, "not_covered", 0.10),
    "coordination_of_benefits": (["22"], True, "front_end", True, "data", 0.50),
}
ROOT_WEIGHTS = [24, 14, 16, 10, 5, 14, 9, 8]
SCENARIOS = ["paid", "denied_open", "overturned", "written_off", "partial", "no_response"]
SCENARIO_WEIGHTS = [62, 7, 6, 4, 6, 15]

# The contract's tables and column types, in the contract's column order.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "fct_claims": [
        ("claim_id", "varchar"),
        ("patient_control_number", "varchar"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("payer_category", "varchar"),
        ("payer_sequence", "varchar"),
        ("claim_type", "varchar"),
        ("billing_provider_npi", "varchar"),
        ("rendering_provider_npi", "varchar"),
        ("provider_name", "varchar"),
        ("location_id", "varchar"),
        ("location_name", "varchar"),
        ("patient_id", "varchar"),
        ("service_date", "date"),
        ("service_month", "date"),
        ("first_submission_date", "date"),
        ("last_submission_date", "date"),
        ("submission_count", "integer"),
        ("first_remit_date", "date"),
        ("first_adjudication_date", "date"),
        ("first_payment_date", "date"),
        ("last_activity_date", "date"),
        ("billed_amount", "decimal(18,2)"),
        ("paid_amount", "decimal(18,2)"),
        ("contractual_amount", "decimal(18,2)"),
        ("patient_responsibility_amount", "decimal(18,2)"),
        ("denied_amount", "decimal(18,2)"),
        ("write_off_amount", "decimal(18,2)"),
        ("patient_paid_amount", "decimal(18,2)"),
        ("insurance_balance_amount", "decimal(18,2)"),
        ("patient_balance_amount", "decimal(18,2)"),
        ("current_status", "varchar"),
        ("is_first_pass_paid", "boolean"),
        ("is_initially_denied", "boolean"),
        ("initial_denial_root_cause", "varchar"),
        ("was_reversed", "boolean"),
        ("has_replacement", "boolean"),
        ("timely_filing_deadline", "date"),
        ("appeal_deadline", "date"),
        ("days_since_submission", "integer"),
        ("source_system", "varchar"),
        ("is_voided", "boolean"),
        ("is_current_claim", "boolean"),
        ("latest_claim_status_code", "varchar"),
        ("as_of_date", "date"),
    ],
    "fct_denials": [
        ("denial_id", "varchar"),
        ("claim_id", "varchar"),
        ("patient_control_number", "varchar"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("payer_category", "varchar"),
        ("billing_provider_npi", "varchar"),
        ("rendering_provider_npi", "varchar"),
        ("location_id", "varchar"),
        ("procedure_code", "varchar"),
        ("service_date", "date"),
        ("denial_date", "date"),
        ("denial_month", "date"),
        ("adjustment_level", "varchar"),
        ("group_code", "varchar"),
        ("carc_code", "varchar"),
        ("rarc_codes", "varchar"),
        ("root_cause", "varchar"),
        ("core_scenario", "varchar"),
        ("is_avoidable", "boolean"),
        ("owning_stage", "varchar"),
        ("is_appealable", "boolean"),
        ("is_initial", "boolean"),
        ("denied_amount", "decimal(18,2)"),
        ("outcome", "varchar"),
        ("recovered_amount", "decimal(18,2)"),
        ("resolution_date", "date"),
        ("days_to_resolution", "integer"),
    ],
    "mart_denial_reasons": [
        ("month", "date"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("root_cause", "varchar"),
        ("carc_code", "varchar"),
        ("claims_submitted", "bigint"),
        ("billed_amount_submitted", "decimal(18,2)"),
        ("initially_denied_claims", "bigint"),
        ("initially_denied_billed_amount", "decimal(18,2)"),
        ("initial_denial_rate_count", "double"),
        ("initial_denial_rate_amount", "double"),
        ("denied_amount", "decimal(18,2)"),
        ("overturned_claims", "bigint"),
        ("overturn_rate", "double"),
        ("recovered_amount", "decimal(18,2)"),
        ("written_off_amount", "decimal(18,2)"),
        ("open_denied_amount", "decimal(18,2)"),
    ],
    "mart_payer_lag": [
        ("month", "date"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("claims", "bigint"),
        ("paid_claims", "bigint"),
        ("charge_lag_median", "double"),
        ("charge_lag_p75", "double"),
        ("charge_lag_p90", "double"),
        ("submission_to_first_remit_median", "double"),
        ("submission_to_first_remit_p75", "double"),
        ("submission_to_first_remit_p90", "double"),
        ("submission_to_payment_median", "double"),
        ("submission_to_payment_p75", "double"),
        ("submission_to_payment_p90", "double"),
        ("dos_to_payment_median", "double"),
        ("dos_to_payment_p75", "double"),
        ("dos_to_payment_p90", "double"),
        ("share_paid_within_30_days", "double"),
    ],
    "fct_claim_payment_lags": [
        ("claim_id", "varchar"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("billing_provider_npi", "varchar"),
        ("rendering_provider_npi", "varchar"),
        ("location_id", "varchar"),
        ("service_date", "date"),
        ("first_submission_date", "date"),
        ("first_payment_date", "date"),
        ("charge_lag_days", "integer"),
        ("submission_to_payment_days", "integer"),
        ("dos_to_payment_days", "integer"),
        ("payer_category", "varchar"),
        ("is_voided", "boolean"),
    ],
    "mart_ar_aging_daily": [
        ("as_of_date", "date"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("responsibility", "varchar"),
        ("aging_bucket", "varchar"),
        ("bucket_order", "integer"),
        ("balance_amount", "decimal(18,2)"),
        ("claim_count", "bigint"),
    ],
    "mart_collections_monthly": [
        ("month", "date"),
        ("charges_amount", "decimal(18,2)"),
        ("insurance_paid_amount", "decimal(18,2)"),
        ("patient_paid_amount", "decimal(18,2)"),
        ("contractual_amount", "decimal(18,2)"),
        ("other_adjustment_amount", "decimal(18,2)"),
        ("refunds_amount", "decimal(18,2)"),
        ("provider_adjustment_amount", "decimal(18,2)"),
        ("cash_posted_amount", "decimal(18,2)"),
        ("deposits_amount", "decimal(18,2)"),
        ("unreconciled_amount", "decimal(18,2)"),
        ("point_of_service_amount", "decimal(18,2)"),
        ("net_collection_rate", "double"),
        ("gross_collection_rate", "double"),
    ],
    "mart_kpis_monthly": [
        ("month", "date"),
        ("kpi_id", "varchar"),
        ("kpi_name", "varchar"),
        ("value", "double"),
        ("numerator", "double"),
        ("denominator", "double"),
        ("unit", "varchar"),
        ("target", "double"),
        ("higher_is_better", "boolean"),
        ("definition", "varchar"),
    ],
    "mart_work_list": [
        ("claim_id", "varchar"),
        ("patient_control_number", "varchar"),
        ("payer_id", "varchar"),
        ("payer_name", "varchar"),
        ("payer_category", "varchar"),
        ("billing_provider_npi", "varchar"),
        ("provider_name", "varchar"),
        ("location_id", "varchar"),
        ("location_name", "varchar"),
        ("service_date", "date"),
        ("first_submission_date", "date"),
        ("current_status", "varchar"),
        ("root_cause", "varchar"),
        ("carc_code", "varchar"),
        ("insurance_balance_amount", "decimal(18,2)"),
        ("recovery_rate", "double"),
        ("expected_recoverable_amount", "decimal(18,2)"),
        ("age_days", "integer"),
        ("deadline_type", "varchar"),
        ("deadline_date", "date"),
        ("days_to_deadline", "integer"),
        ("last_action", "varchar"),
        ("last_action_date", "date"),
        ("assigned_biller", "varchar"),
        ("priority_score", "double"),
        ("priority_rank", "integer"),
        ("priority_reasons", "varchar"),
    ],
    "fct_claim_events": [
        ("event_id", "varchar"),
        ("claim_id", "varchar"),
        ("patient_control_number", "varchar"),
        ("event_date", "date"),
        ("type_rank", "tinyint"),
        ("source_order", "bigint"),
        ("event_type", "varchar"),
        ("file_id", "varchar"),
        ("amount", "decimal(18,2)"),
        ("claim_status_code", "varchar"),
        ("group_code", "varchar"),
        ("carc_code", "varchar"),
        ("rarc_code", "varchar"),
        ("label", "varchar"),
        ("detail", "varchar"),
    ],
    "dim_payers": [("payer_id", "varchar"), ("payer_name", "varchar"), ("payer_category", "varchar")],
    "dim_providers": [("npi", "varchar"), ("provider_name", "varchar"), ("specialty", "varchar")],
    "dim_locations": [("location_id", "varchar"), ("location_name", "varchar")],
}


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _file_id(kind: str, day: dt.date) -> str:
    return hashlib.sha256(f"{kind}{day.isoformat()}".encode()).hexdigest()[:16]


def _generate(n_claims: int, seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Claims, denial events and claim events, with every money figure in integer cents."""
    rng = random.Random(seed)
    claims: list[dict] = []
    denials: list[dict] = []
    events: list[dict] = []
    for index in range(n_claims):
        payer = rng.choices(PAYERS, PAYER_WEIGHTS)[0]
        payer_id, payer_name, category, mean_lag, contractual_share, patient_share, filing_limit = payer
        npi, provider_name, _, extra_lag = rng.choice(PROVIDERS)
        location_id, location_name = rng.choice(LOCATIONS)
        pcn = f"PCN{200000 + index}"
        claim_id = _md5(f"{pcn}|{payer_id}")
        service_date = FIRST_SERVICE + dt.timedelta(days=rng.randrange(0, 320))
        submitted = service_date + dt.timedelta(days=rng.randrange(0, 6) + extra_lag)
        if submitted > AS_OF:
            submitted = AS_OF
        billed = rng.randrange(8_000, 260_000)
        scenario = rng.choices(SCENARIOS, SCENARIO_WEIGHTS)[0]
        remit = submitted + dt.timedelta(days=max(5, int(rng.gauss(mean_lag, mean_lag / 3))))
        if remit > AS_OF:
            scenario = "no_response"
        voided = scenario == "no_response" and index % 7 == 0  # sent, then cancelled (frequency 8)
        root_cause = rng.choices(list(ROOT_CAUSES), ROOT_WEIGHTS)[0]
        carcs, avoidable, stage, appealable, core, _ = ROOT_CAUSES[root_cause]
        carc = rng.choice(carcs)
        paid = contractual = patient_resp = denied_open = write_off = 0
        first_payment: dt.date | None = None
        first_remit: dt.date | None = None
        status = "submitted"
        is_initially_denied = False
        appeal_deadline: dt.date | None = None
        claim_events: list[tuple] = [(submitted, "submitted", billed, None, None, None, None, "Claim sent")]

        def adjudicate(
            amount: int, contractual_share: float = contractual_share, patient_share: float = patient_share
        ) -> tuple[int, int, int]:
            contractual_part = round(amount * contractual_share)
            patient_part = round((amount - contractual_part) * patient_share)
            return contractual_part, patient_part, amount - contractual_part - patient_part

        if scenario == "paid":
            first_remit = first_payment = remit
            contractual, patient_resp, paid = adjudicate(billed)
            status = "paid"
        elif scenario in ("denied_open", "overturned", "written_off"):
            first_remit = remit
            is_initially_denied = True
            appeal_deadline = remit + dt.timedelta(days=120)
            claim_events.append((remit, "remit", 0, "4", None, None, None, "Denied in full"))
            claim_events.append((remit, "adjustment", billed, None, "CO", carc, "N130", "Denial"))
            outcome = {"denied_open": "open", "overturned": "overturned", "written_off": "written_off"}[
                scenario
            ]
            recovered = 0
            resolution: dt.date | None = None
            if scenario == "denied_open":
                denied_open = billed
                status = "appealed" if appealable and rng.random() < 0.4 else "denied"
                if status == "appealed":
                    claim_events.append(
                        (
                            remit + dt.timedelta(days=9),
                            "activity",
                            None,
                            None,
                            None,
                            None,
                            None,
                            "Appeal sent",
                        )
                    )
            elif scenario == "overturned":
                resolution = remit + dt.timedelta(days=rng.randrange(20, 60))
                if resolution > AS_OF:
                    resolution = AS_OF
                first_payment = resolution
                contractual, patient_resp, paid = adjudicate(billed)
                recovered = paid
                status = "overturned"
            else:
                resolution = remit + dt.timedelta(days=rng.randrange(30, 90))
                if resolution > AS_OF:
                    resolution = AS_OF
                write_off = billed
                status = "written_off"
            denials.append(
                {
                    "claim_id": claim_id,
                    "n": 1,
                    "level": "claim",
                    "procedure_code": None,
                    "denial_date": remit,
                    "carc": carc,
                    "root_cause": root_cause,
                    "amount": billed,
                    "outcome": outcome,
                    "recovered": recovered,
                    "resolution": resolution,
                }
            )
            if scenario == "overturned" and resolution is not None:
                claim_events.append((resolution, "remit", paid, "1", None, None, None, "Paid after appeal"))
            if scenario == "written_off" and resolution is not None:
                claim_events.append(
                    (resolution, "write_off", write_off, None, None, None, None, "Denial written off")
                )
        elif scenario == "partial":
            first_remit = first_payment = remit
            is_initially_denied = True
            appeal_deadline = remit + dt.timedelta(days=120)
            denied_open = round(billed * rng.uniform(0.2, 0.4))
            contractual, patient_resp, paid = adjudicate(billed - denied_open)
            status = "partially_paid"
            denials.append(
                {
                    "claim_id": claim_id,
                    "n": 1,
                    "level": "line",
                    "procedure_code": "99214",
                    "denial_date": remit,
                    "carc": carc,
                    "root_cause": root_cause,
                    "amount": denied_open,
                    "outcome": "open",
                    "recovered": 0,
                    "resolution": None,
                }
            )
            claim_events.append((remit, "adjustment", denied_open, None, "CO", carc, "M20", "Line denied"))
        else:
            status = "no_response" if (AS_OF - submitted).days > 30 else "submitted"
        if paid:
            paid_date = first_payment or remit
            if scenario != "overturned":
                claim_events.append((paid_date, "remit", paid, "1", None, None, None, "Processed as primary"))
            claim_events.append(
                (paid_date, "adjustment", contractual, None, "CO", "45", None, "Above contracted rate")
            )
            if patient_resp:
                claim_events.append(
                    (paid_date, "adjustment", patient_resp, None, "PR", "2", None, "Coinsurance")
                )
        patient_paid = 0
        if patient_resp and rng.random() < 0.6:
            patient_paid = patient_resp if rng.random() < 0.7 else patient_resp // 2
            pay_date = min(AS_OF, (first_payment or remit) + dt.timedelta(days=rng.randrange(5, 40)))
            claim_events.append(
                (pay_date, "patient_payment", patient_paid, None, None, None, None, "Patient payment")
            )
        insurance_balance = 0 if voided else billed - paid - contractual - write_off - patient_resp
        if voided:
            status = "voided"
            claim_events.append((submitted, "void", billed, None, None, None, None, "Claim voided"))
        claims.append(
            {
                "claim_id": claim_id,
                "patient_control_number": pcn,
                "payer_id": payer_id,
                "payer_name": payer_name,
                "payer_category": category,
                "payer_sequence": "primary",
                "claim_type": "professional",
                "billing_provider_npi": npi,
                "rendering_provider_npi": npi,
                "provider_name": provider_name,
                "location_id": location_id,
                "location_name": location_name,
                "patient_id": f"PAT{rng.randrange(10_000, 99_999)}",
                "service_date": service_date,
                "service_month": service_date.replace(day=1),
                "first_submission_date": submitted,
                "last_submission_date": submitted,
                "submission_count": 1,
                "first_remit_date": first_remit,
                "first_adjudication_date": first_remit,  # no reversals or price quotes here
                "first_payment_date": first_payment,
                "last_activity_date": max(e[0] for e in claim_events),
                "billed_amount": billed,
                "paid_amount": paid,
                "contractual_amount": contractual,
                "patient_responsibility_amount": patient_resp,
                "denied_amount": denied_open,
                "write_off_amount": write_off,
                "patient_paid_amount": patient_paid,
                "insurance_balance_amount": insurance_balance,
                "patient_balance_amount": patient_resp - patient_paid,
                "current_status": status,
                "is_first_pass_paid": scenario == "paid",
                "is_initially_denied": is_initially_denied,
                "initial_denial_root_cause": root_cause if is_initially_denied else None,
                "was_reversed": False,
                "has_replacement": False,
                "timely_filing_deadline": service_date + dt.timedelta(days=filing_limit),
                "appeal_deadline": appeal_deadline,
                "days_since_submission": (AS_OF - submitted).days,
                "source_system": "x837",
                "is_voided": voided,
                "is_current_claim": True,
                "latest_claim_status_code": {"paid": "1", "overturned": "1", "partially_paid": "1"}.get(
                    status, "4" if is_initially_denied else None
                ),
                "as_of_date": AS_OF,
                "_root_cause": root_cause,
                "_carc": carc,
                "_avoidable": avoidable,
                "_stage": stage,
                "_appealable": appealable,
                "_core": core,
                "_biller": BILLERS[index % len(BILLERS)],
            }
        )
        for order, (when, kind, amount, status_code, group, carc_code, rarc, label) in enumerate(
            sorted(claim_events, key=lambda e: e[0]), start=1
        ):
            events.append(
                {
                    "event_id": f"{claim_id[:16]}{order:016x}",
                    "claim_id": claim_id,
                    "patient_control_number": pcn,
                    "event_date": when,
                    "type_rank": 1 if kind == "submitted" else 2,
                    "source_order": order,
                    "event_type": kind,
                    "file_id": _file_id(kind, when),
                    "amount": amount,
                    "claim_status_code": status_code,
                    "group_code": group,
                    "carc_code": carc_code,
                    "rarc_code": rarc,
                    "label": label,
                    "detail": None if group is None else f"{group}-{carc_code}",
                }
            )
    return claims, denials, events


def _to_arrow(rows: list[dict], money: set[str]) -> pa.Table:
    converted = [{k: (_money(v) if k in money and v is not None else v) for k, v in r.items()} for r in rows]
    return pa.Table.from_pylist(converted)


def _select_list(table: str) -> str:
    return ",\n    ".join(f"cast({name} as {kind}) as {name}" for name, kind in SCHEMAS[table])


DERIVED_SQL: dict[str, str] = {
    "fct_denials": """
        select
            md5(d.claim_id || '|' || d.n) as denial_id, d.claim_id, c.patient_control_number, c.payer_id,
            c.payer_name, c.payer_category, c.billing_provider_npi, c.rendering_provider_npi, c.location_id,
            d.procedure_code, c.service_date, d.denial_date, date_trunc('month', d.denial_date) as denial_month,
            d.level as adjustment_level, 'CO' as group_code, d.carc as carc_code,
            case when d.level = 'claim' then 'N130' else 'M20' end as rarc_codes, d.root_cause,
            c._core as core_scenario, c._avoidable as is_avoidable, c._stage as owning_stage,
            c._appealable as is_appealable, true as is_initial, d.amount as denied_amount, d.outcome,
            d.recovered as recovered_amount, d.resolution as resolution_date,
            d.resolution - d.denial_date as days_to_resolution
        from denials_raw as d
        inner join claims_raw as c on c.claim_id = d.claim_id
    """,
    "mart_denial_reasons": """
        with submitted as (
            select service_month as month, payer_id, count(*) as claims_submitted,
                sum(billed_amount) as billed_amount_submitted
            from claims_raw group by all
        ),
        denied as (
            select d.denial_month as month, d.payer_id, d.payer_name, d.root_cause, d.carc_code,
                count(distinct d.claim_id) filter (where d.is_initial) as initially_denied_claims,
                sum(c.billed_amount) filter (where d.is_initial) as initially_denied_billed_amount,
                sum(d.denied_amount) as denied_amount,
                count(*) filter (where d.outcome = 'overturned') as overturned_claims,
                sum(d.recovered_amount) as recovered_amount,
                coalesce(sum(d.denied_amount) filter (where d.outcome = 'written_off'), 0) as written_off_amount,
                coalesce(sum(d.denied_amount) filter (where d.outcome = 'open'), 0) as open_denied_amount
            from fct_denials as d inner join claims_raw as c on c.claim_id = d.claim_id
            group by all
        )
        select denied.month, denied.payer_id, denied.payer_name, denied.root_cause, denied.carc_code,
            coalesce(submitted.claims_submitted, 0) as claims_submitted,
            coalesce(submitted.billed_amount_submitted, 0) as billed_amount_submitted,
            initially_denied_claims, initially_denied_billed_amount,
            initially_denied_claims / nullif(submitted.claims_submitted, 0) as initial_denial_rate_count,
            initially_denied_billed_amount / nullif(submitted.billed_amount_submitted, 0)
                as initial_denial_rate_amount,
            denied_amount, overturned_claims, overturned_claims / nullif(initially_denied_claims, 0)
                as overturn_rate,
            recovered_amount, written_off_amount, open_denied_amount
        from denied left join submitted using (month, payer_id)
    """,
    "fct_claim_payment_lags": """
        select claim_id, payer_id, payer_name, billing_provider_npi, rendering_provider_npi, location_id,
            service_date, first_submission_date, first_payment_date,
            first_submission_date - service_date as charge_lag_days,
            first_payment_date - first_submission_date as submission_to_payment_days,
            first_payment_date - service_date as dos_to_payment_days, payer_category, is_voided
        from claims_raw where first_payment_date is not null
    """,
    "mart_payer_lag": """
        select date_trunc('month', c.first_submission_date) as month, c.payer_id, c.payer_name,
            count(*) as claims, count(l.claim_id) as paid_claims,
            quantile_cont(c.first_submission_date - c.service_date, 0.5) as charge_lag_median,
            quantile_cont(c.first_submission_date - c.service_date, 0.75) as charge_lag_p75,
            quantile_cont(c.first_submission_date - c.service_date, 0.9) as charge_lag_p90,
            quantile_cont(c.first_remit_date - c.first_submission_date, 0.5) as submission_to_first_remit_median,
            quantile_cont(c.first_remit_date - c.first_submission_date, 0.75) as submission_to_first_remit_p75,
            quantile_cont(c.first_remit_date - c.first_submission_date, 0.9) as submission_to_first_remit_p90,
            quantile_cont(l.submission_to_payment_days, 0.5) as submission_to_payment_median,
            quantile_cont(l.submission_to_payment_days, 0.75) as submission_to_payment_p75,
            quantile_cont(l.submission_to_payment_days, 0.9) as submission_to_payment_p90,
            quantile_cont(l.dos_to_payment_days, 0.5) as dos_to_payment_median,
            quantile_cont(l.dos_to_payment_days, 0.75) as dos_to_payment_p75,
            quantile_cont(l.dos_to_payment_days, 0.9) as dos_to_payment_p90,
            count(*) filter (where l.submission_to_payment_days <= 30) / count(*) as share_paid_within_30_days
        from claims_raw as c left join fct_claim_payment_lags as l using (claim_id)
        group by all
    """,
    "mart_ar_aging_daily": """
        with days as (
            select cast(range as date) as as_of_date
            from range(date '2024-01-02', date '2024-12-31' + interval 1 day, interval 1 day)
        ),
        settled as (
            select c.*, coalesce(
                (select max(e.event_date) from claim_events_raw as e
                 where e.claim_id = c.claim_id and e.event_type in ('remit', 'write_off') and e.amount > 0),
                c.first_remit_date
            ) as settle_date
            from claims_raw as c
            where not c.is_voided
        ),
        balances as (
            select days.as_of_date, s.claim_id, s.payer_id, s.payer_name,
                days.as_of_date - s.first_submission_date as age,
                case when s.settle_date is null or days.as_of_date < s.settle_date then s.billed_amount
                     else s.insurance_balance_amount end as insurance_balance,
                case when s.settle_date is null or days.as_of_date < s.settle_date then 0
                     else s.patient_balance_amount end as patient_balance
            from days inner join settled as s on s.first_submission_date <= days.as_of_date
        ),
        split as (
            select as_of_date, payer_id, payer_name, 'insurance' as responsibility, age, insurance_balance as amount,
                claim_id from balances where insurance_balance > 0
            union all
            select as_of_date, 'PATIENT', 'Patient', 'patient', age, patient_balance, claim_id
            from balances where patient_balance > 0
        )
        select as_of_date, payer_id, payer_name, responsibility,
            case when age <= 30 then '0-30' when age <= 60 then '31-60' when age <= 90 then '61-90'
                 when age <= 120 then '91-120' else '120+' end as aging_bucket,
            case when age <= 30 then 1 when age <= 60 then 2 when age <= 90 then 3
                 when age <= 120 then 4 else 5 end as bucket_order,
            sum(amount) as balance_amount, count(distinct claim_id) as claim_count
        from split group by all
    """,
    "mart_collections_monthly": """
        with charges as (
            select date_trunc('month', first_submission_date) as month, sum(billed_amount) as charges_amount
            from claims_raw group by all
        ),
        money as (
            select date_trunc('month', event_date) as month,
                coalesce(sum(amount) filter (where event_type = 'remit'), 0) as insurance_paid_amount,
                coalesce(sum(amount) filter (where event_type = 'patient_payment'), 0) as patient_paid_amount,
                coalesce(sum(amount) filter (where event_type = 'adjustment' and group_code = 'CO'
                    and carc_code = '45'), 0) as contractual_amount,
                coalesce(sum(amount) filter (where event_type = 'write_off'), 0) as other_adjustment_amount
            from claim_events_raw group by all
        ),
        months as (select month from charges union select month from money)
        select months.month, coalesce(charges_amount, 0) as charges_amount,
            coalesce(insurance_paid_amount, 0) as insurance_paid_amount,
            coalesce(patient_paid_amount, 0) as patient_paid_amount,
            coalesce(contractual_amount, 0) as contractual_amount,
            coalesce(other_adjustment_amount, 0) as other_adjustment_amount,
            0 as refunds_amount, 0 as provider_adjustment_amount,
            coalesce(insurance_paid_amount, 0) + coalesce(patient_paid_amount, 0) as cash_posted_amount,
            coalesce(insurance_paid_amount, 0) + coalesce(patient_paid_amount, 0) as deposits_amount,
            0 as unreconciled_amount, 0 as point_of_service_amount,
            (coalesce(insurance_paid_amount, 0) + coalesce(patient_paid_amount, 0))
                / nullif(coalesce(charges_amount, 0) - coalesce(contractual_amount, 0), 0) as net_collection_rate,
            (coalesce(insurance_paid_amount, 0) + coalesce(patient_paid_amount, 0))
                / nullif(coalesce(charges_amount, 0), 0) as gross_collection_rate
        from months left join charges using (month) left join money using (month)
    """,
    "mart_kpis_monthly": """
        with month_ends as (
            select month, cast(month + interval 1 month - interval 1 day as date) as month_end
            from mart_collections_monthly where month <= date '2024-12-01'
        ),
        ar as (
            select m.month, sum(a.balance_amount) as net_ar,
                coalesce(sum(a.balance_amount) filter (where a.bucket_order >= 4), 0) as aged_ar
            from month_ends as m inner join mart_ar_aging_daily as a on a.as_of_date = m.month_end
            group by all
        ),
        revenue as (
            select m.month, sum(c.charges_amount - c.contractual_amount) as net_revenue_90
            from month_ends as m inner join mart_collections_monthly as c
                on c.month between m.month - interval 2 month and m.month
            group by all
        ),
        denials as (
            select service_month as month, count(*) filter (where is_initially_denied) as denied,
                count(*) filter (where is_first_pass_paid) as first_pass, count(*) as submitted
            from claims_raw where not is_voided group by all
        ),
        kpis as (
            select ar.month, 'days_in_ar' as kpi_id, 'Days in A/R' as kpi_name,
                ar.net_ar / (revenue.net_revenue_90 / 90) as value, ar.net_ar as numerator,
                revenue.net_revenue_90 / 90 as denominator, 'days' as unit, 40.0 as target,
                false as higher_is_better, 'Net A/R at month end / average daily net revenue (90 days)' as definition
            from ar inner join revenue using (month)
            union all
            select month, 'aged_ar_over_90_pct', 'Aged A/R over 90 days', aged_ar / net_ar, aged_ar, net_ar,
                'percent', 0.15, false, 'A/R older than 90 days / total A/R at month end'
            from ar
            union all
            select month, 'initial_denial_rate', 'Initial denial rate', denied / submitted, denied, submitted,
                'percent', 0.10, false, 'Claims denied on first remittance / claims submitted'
            from denials
            union all
            select month, 'first_pass_resolution_rate', 'First-pass resolution', first_pass / submitted,
                first_pass, submitted, 'percent', 0.85, true, 'Claims paid on first submission / claims submitted'
            from denials
            union all
            select month, 'net_collection_rate', 'Net collection rate', net_collection_rate,
                cash_posted_amount, charges_amount - contractual_amount, 'percent', 0.95, true,
                'Payments / (charges - contractual adjustments)'
            from mart_collections_monthly where net_collection_rate is not null
            union all
            select month, 'cash_collected', 'Cash collected', cash_posted_amount, cash_posted_amount, null,
                'dollars', 60000.0, true, 'Insurance and patient payments posted in the month'
            from mart_collections_monthly
        )
        select * from kpis where month <= date '2024-11-01'
    """,
    "mart_work_list": """
        with open_claims as (
            select c.*, d.carc_code as denial_carc,
                coalesce(c.appeal_deadline, c.timely_filing_deadline) as deadline_date,
                case when c.appeal_deadline is not null then 'appeal' else 'timely_filing' end as deadline_type
            from claims_raw as c left join fct_denials as d on d.claim_id = c.claim_id and d.outcome = 'open'
            where c.insurance_balance_amount > 0
        ),
        scored as (
            select *, coalesce(recovery, 0.8) as recovery_rate,
                cast(insurance_balance_amount * coalesce(recovery, 0.8) as decimal(18,2))
                    as expected_recoverable_amount,
                deadline_date - date '2024-12-31' as days_to_deadline,
                -- a passed deadline leaves little to recover; a near one is urgent
                case when deadline_date < date '2024-12-31'
                     then cast(insurance_balance_amount as double) * coalesce(recovery, 0.8) * 0.05
                     else cast(insurance_balance_amount as double) * coalesce(recovery, 0.8)
                          * 30 / greatest(deadline_date - date '2024-12-31', 7) end as score
            from open_claims left join recovery_rates on recovery_rates.root_cause = open_claims._root_cause
                and open_claims.is_initially_denied
        )
        select claim_id, patient_control_number, payer_id, payer_name, payer_category, billing_provider_npi,
            provider_name, location_id, location_name, service_date, first_submission_date, current_status,
            case when is_initially_denied then _root_cause end as root_cause,
            case when is_initially_denied then denial_carc end as carc_code,
            insurance_balance_amount, recovery_rate, expected_recoverable_amount,
            days_since_submission as age_days, deadline_type, deadline_date, days_to_deadline,
            case when current_status = 'appealed' then 'appeal_sent' else 'claim_sent' end as last_action,
            last_activity_date as last_action_date, _biller as assigned_biller,
            round(score, 4) as priority_score,
            row_number() over (order by score desc, claim_id) as priority_rank,
            case when days_to_deadline < 0 then 'deadline passed ' || (-days_to_deadline) || ' days ago'
                 else replace(deadline_type, '_', ' ') || ' window closes in ' || days_to_deadline || ' days' end
                || '; $' || format('{:,.2f}', cast(expected_recoverable_amount as double)) || ' expected'
                as priority_reasons
        from scored
    """,
}


def build_fixture_snapshot(
    home: Path, snapshot_id: str = FIRST_SNAPSHOT, n_claims: int = 320, seed: int = 7
) -> Path:
    """Write ``home/snapshots/<snapshot_id>/<table>.parquet`` for every contract table and point CURRENT
    at it. Returns the snapshot directory. Deterministic for a given seed."""
    claims, denials, events = _generate(n_claims, seed)
    snapshot_dir = home / "snapshots" / snapshot_id
    snapshot_dir.mkdir(parents=True, exist_ok=True)
    claim_money = {name for name, kind in SCHEMAS["fct_claims"] if kind.startswith("decimal")}
    con = duckdb.connect()
    try:
        con.register("claims_raw", _to_arrow(claims, claim_money))
        con.register("denials_raw", _to_arrow(denials, {"amount", "recovered"}))
        con.register("claim_events_raw", _to_arrow(events, {"amount"}))
        con.register(
            "recovery_rates",
            pa.table(
                {
                    "root_cause": list(ROOT_CAUSES),
                    "recovery": [spec[5] for spec in ROOT_CAUSES.values()],
                }
            ),
        )
        dims = {
            "dim_payers": pa.table(
                {
                    "payer_id": [p[0] for p in PAYERS],
                    "payer_name": [p[1] for p in PAYERS],
                    "payer_category": [p[2] for p in PAYERS],
                }
            ),
            "dim_providers": pa.table(
                {
                    "npi": [p[0] for p in PROVIDERS],
                    "provider_name": [p[1] for p in PROVIDERS],
                    "specialty": [p[2] for p in PROVIDERS],
                }
            ),
            "dim_locations": pa.table(
                {"location_id": [x[0] for x in LOCATIONS], "location_name": [x[1] for x in LOCATIONS]}
            ),
        }
        for name, table in dims.items():
            con.register(f"{name}_src", table)
            con.execute(f"create table {name} as select {_select_list(name)} from {name}_src")
        con.execute(f"create table fct_claims as select {_select_list('fct_claims')} from claims_raw")
        con.execute(
            f"create table fct_claim_events as select {_select_list('fct_claim_events')} from claim_events_raw"
        )
        for name in (
            "fct_denials",
            "mart_denial_reasons",
            "fct_claim_payment_lags",
            "mart_payer_lag",
            "mart_ar_aging_daily",
            "mart_collections_monthly",
            "mart_kpis_monthly",
            "mart_work_list",
        ):
            con.execute(f"create table {name} as select {_select_list(name)} from ({DERIVED_SQL[name]})")
        for name in SCHEMAS:
            target = snapshot_dir / f"{name}.parquet"
            # laid out as the publisher lays it out (the dashboards rely on the work list's order)
            order_by, _ = PUBLISH_LAYOUT.get(name, (None, None))
            order = f" order by {order_by}" if order_by else ""
            con.execute(f"copy (select * from {name}{order}) to '{target}' (format parquet)")
    finally:
        con.close()
    pointer = home / "snapshots" / "CURRENT"
    temp = pointer.with_suffix(".tmp")
    temp.write_text(snapshot_id + "\n")
    temp.replace(pointer)
    return snapshot_dir


if __name__ == "__main__":
    target_home = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var")
    print(build_fixture_snapshot(target_home.resolve()))
