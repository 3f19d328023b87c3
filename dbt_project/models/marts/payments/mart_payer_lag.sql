-- One row per payer × month of first submission (primary claims); see _payments__models.yml.
with

claims as (

    select * from {{ ref('fct_claims') }}

),

lags as (

    select
        {{ rcm_month('first_submission_date') }} as month,
        payer_id,
        payer_name,
        {{ rcm_days_between('service_date', 'first_submission_date') }} as charge_lag_days,
        {{ rcm_days_between('first_submission_date', 'first_remit_date') }} as submission_to_first_remit_days,
        {{ rcm_days_between('first_submission_date', 'first_payment_date') }} as submission_to_payment_days,
        {{ rcm_days_between('service_date', 'first_payment_date') }} as dos_to_payment_days
    from claims
    where payer_sequence = 'primary'
        and first_submission_date is not null

),

final as (

    select
        month,
        payer_id,
        min(payer_name) as payer_name,
        count(*) as claims,
        count(submission_to_payment_days) as paid_claims,
        cast({{ rcm_percentile('charge_lag_days', 0.5) }} as double) as charge_lag_median,
        cast({{ rcm_percentile('charge_lag_days', 0.75) }} as double) as charge_lag_p75,
        cast({{ rcm_percentile('charge_lag_days', 0.9) }} as double) as charge_lag_p90,
        cast({{ rcm_percentile('submission_to_first_remit_days', 0.5) }} as double) as submission_to_first_remit_median,
        cast({{ rcm_percentile('submission_to_first_remit_days', 0.75) }} as double) as submission_to_first_remit_p75,
        cast({{ rcm_percentile('submission_to_first_remit_days', 0.9) }} as double) as submission_to_first_remit_p90,
        cast({{ rcm_percentile('submission_to_payment_days', 0.5) }} as double) as submission_to_payment_median,
        cast({{ rcm_percentile('submission_to_payment_days', 0.75) }} as double) as submission_to_payment_p75,
        cast({{ rcm_percentile('submission_to_payment_days', 0.9) }} as double) as submission_to_payment_p90,
        cast({{ rcm_percentile('dos_to_payment_days', 0.5) }} as double) as dos_to_payment_median,
        cast({{ rcm_percentile('dos_to_payment_days', 0.75) }} as double) as dos_to_payment_p75,
        cast({{ rcm_percentile('dos_to_payment_days', 0.9) }} as double) as dos_to_payment_p90,
        cast(sum(case when submission_to_payment_days <= 30 then 1 else 0 end) as double) / count(*)
            as share_paid_within_30_days,
        count(submission_to_first_remit_days) as remitted_claims
    from lags
    group by month, payer_id

)

select * from final
