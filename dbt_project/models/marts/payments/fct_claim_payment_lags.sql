-- One row per paid primary claim: its lags in days (see _payments__models.yml).
with

claims as (

    select * from {{ ref('fct_claims') }}

),

final as (

    select
        claim_id,
        payer_id,
        payer_name,
        billing_provider_npi,
        rendering_provider_npi,
        location_id,
        service_date,
        first_submission_date,
        first_payment_date,
        {{ rcm_days_between('service_date', 'first_submission_date') }} as charge_lag_days,
        {{ rcm_days_between('first_submission_date', 'first_payment_date') }} as submission_to_payment_days,
        {{ rcm_days_between('service_date', 'first_payment_date') }} as dos_to_payment_days,
        payer_category,
        is_voided
    from claims
    where payer_sequence = 'primary'
        and first_payment_date is not null
        and first_submission_date is not null

)

select * from final
