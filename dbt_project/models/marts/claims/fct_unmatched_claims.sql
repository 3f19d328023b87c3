-- One row per submitted, not voided claim without any 835 record by the as-of date.
with

claims as (

    select * from {{ ref('fct_claims') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

final as (

    select
        claims.claim_id,
        claims.patient_control_number,
        claims.payer_id,
        claims.payer_name,
        claims.payer_sequence,
        claims.first_submission_date,
        claims.last_submission_date,
        claims.submission_count,
        claims.billed_amount,
        claims.days_since_submission,
        payers.expected_payment_days,
        coalesce(claims.days_since_submission > payers.expected_payment_days, false) as is_overdue
    from claims
    left join payers
        on claims.payer_id = payers.payer_id
    where claims.first_remit_date is null
        and not claims.is_voided
        and claims.source_system <> 'remit_only'

)

select * from final
