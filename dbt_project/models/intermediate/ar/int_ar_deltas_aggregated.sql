-- One row per date × payer_id × responsibility × aging bucket on which the A/R of that cell
-- changes: each balance interval (int_ar_intervals_split) adds its amount on its first day and
-- takes it back the day after its last. Positive balances feed net A/R and the encounter count;
-- negative ones (credit balances) are kept apart (HFMA: excluded from net A/R). Intervals that
-- start after the as-of date (aging boundaries still ahead) are left out; an interval that runs
-- past it is still open.
with

intervals as (

    select * from {{ ref('int_ar_intervals_split') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

cells as (

    select
        patient_control_number,
        valid_from_date,
        valid_to_date,
        aging_bucket,
        bucket_order,
        coalesce(responsible_payer_id, 'UNKNOWN') as payer_id,
        'insurance' as responsibility,
        insurance_balance_amount as balance_amount
    from intervals
    cross join as_of
    where insurance_balance_amount <> 0
        and valid_from_date <= as_of.as_of_date
    union all
    select
        patient_control_number,
        valid_from_date,
        valid_to_date,
        aging_bucket,
        bucket_order,
        'PATIENT' as payer_id,
        'patient' as responsibility,
        patient_balance_amount as balance_amount
    from intervals
    cross join as_of
    where patient_balance_amount <> 0
        and valid_from_date <= as_of.as_of_date

),

signed as (

    select
        valid_from_date as delta_date,
        payer_id,
        responsibility,
        aging_bucket,
        bucket_order,
        case when balance_amount > 0 then balance_amount else 0 end as balance_delta_amount,
        case when balance_amount > 0 then 1 else 0 end as claim_count_delta,
        case when balance_amount < 0 then balance_amount else 0 end as credit_delta_amount
    from cells
    union all
    select
        {{ rcm_add_days('cells.valid_to_date', 1) }} as delta_date,
        cells.payer_id,
        cells.responsibility,
        cells.aging_bucket,
        cells.bucket_order,
        case when cells.balance_amount > 0 then -cells.balance_amount else 0 end,
        case when cells.balance_amount > 0 then -1 else 0 end,
        case when cells.balance_amount < 0 then -cells.balance_amount else 0 end
    from cells
    cross join as_of
    where cells.valid_to_date < as_of.as_of_date

),

final as (

    select
        delta_date,
        payer_id,
        responsibility,
        aging_bucket,
        bucket_order,
        {{ rcm_money('sum(balance_delta_amount)') }} as balance_delta_amount,
        cast(sum(claim_count_delta) as bigint) as claim_count_delta,
        {{ rcm_money('sum(credit_delta_amount)') }} as credit_delta_amount
    from signed
    group by delta_date, payer_id, responsibility, aging_bucket, bucket_order

)

select * from final
