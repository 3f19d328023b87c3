-- The A/R of the as-of day in mart_ar_aging_daily (net + credit balances) equals the balances on
-- fct_claims, for insurance and for patients: the interval/delta construction loses nothing.
-- Shown in Dagster as a check on mart_ar_aging_daily.
{{ config(meta={'dagster': {'ref': {'name': 'mart_ar_aging_daily'}}}) }}
with

as_of as (

    select as_of_date from {{ ref('int_as_of_date_selected') }}

),

aging as (

    select
        sum(case when aging.responsibility = 'insurance'
            then aging.balance_amount + aging.credit_balance_amount else 0 end) as insurance_amount,
        sum(case when aging.responsibility = 'patient'
            then aging.balance_amount + aging.credit_balance_amount else 0 end) as patient_amount
    from {{ ref('mart_ar_aging_daily') }} as aging
    inner join as_of
        on aging.as_of_date = as_of.as_of_date

),

claims as (

    select
        sum(insurance_balance_amount) as insurance_amount,
        sum(patient_balance_amount) as patient_amount
    from {{ ref('fct_claims') }}
    where first_submission_date is null
        or first_submission_date <= (select as_of_date from as_of)
        or source_system = 'remit_only'

)

select
    aging.insurance_amount as aging_insurance_amount,
    claims.insurance_amount as claims_insurance_amount,
    aging.patient_amount as aging_patient_amount,
    claims.patient_amount as claims_patient_amount
from aging
cross join claims
where coalesce(aging.insurance_amount, 0) <> coalesce(claims.insurance_amount, 0)
    or coalesce(aging.patient_amount, 0) <> coalesce(claims.patient_amount, 0)
