-- Money identity per encounter (docs/accounting_model.md):
--   insurance balance + patient balance
--     = charge (0 once voided) − insurance payments − contractual − write-offs − patient payments
-- computed from fct_claims' own columns, summed over the encounter's claims.
-- Shown in Dagster as a check on fct_claims.
{{ config(meta={'dagster': {'ref': {'name': 'fct_claims'}}}) }}
with

claims as (

    select * from {{ ref('fct_claims') }}

),

encounters as (

    select
        patient_control_number,
        sum(case when payer_sequence = 'primary' and source_system <> 'remit_only' and not is_voided
            then billed_amount else 0 end) as charge_amount,
        sum(paid_amount) as paid_amount,
        sum(contractual_amount) as contractual_amount,
        sum(write_off_amount) as write_off_amount,
        sum(patient_paid_amount) as patient_paid_amount,
        sum(insurance_balance_amount + patient_balance_amount) as balance_amount
    from claims
    group by patient_control_number

)

select *
from encounters
where balance_amount
    <> charge_amount - paid_amount - contractual_amount - write_off_amount - patient_paid_amount
