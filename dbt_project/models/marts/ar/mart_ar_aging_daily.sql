-- One row per as_of_date × payer_id × responsibility × aging bucket with A/R: the running sum of
-- the A/R deltas over a day spine, so every day from the first submission to the as-of date has
-- its exact A/R (see the model description).
with

deltas as (

    select * from {{ ref('int_ar_deltas_aggregated') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

bounds as (

    select
        min(deltas.delta_date) as start_date,
        max(as_of.as_of_date) as end_date
    from deltas
    cross join as_of

),

days as (

    select {{ rcm_date_series('start_date', 'end_date') }} as as_of_date
    from bounds
    where start_date <= end_date

),

cells as (

    select distinct
        payer_id,
        responsibility,
        aging_bucket,
        bucket_order
    from deltas

),

grid as (

    select
        days.as_of_date,
        cells.payer_id,
        cells.responsibility,
        cells.aging_bucket,
        cells.bucket_order,
        coalesce(deltas.balance_delta_amount, 0) as balance_delta_amount,
        coalesce(deltas.claim_count_delta, 0) as claim_count_delta,
        coalesce(deltas.credit_delta_amount, 0) as credit_delta_amount
    from days
    cross join cells
    left join deltas
        on days.as_of_date = deltas.delta_date
        and cells.payer_id = deltas.payer_id
        and cells.responsibility = deltas.responsibility
        and cells.aging_bucket = deltas.aging_bucket

),

running as (

    select
        as_of_date,
        payer_id,
        responsibility,
        aging_bucket,
        bucket_order,
        sum(balance_delta_amount) over (
            partition by payer_id, responsibility, aging_bucket order by as_of_date
            rows between unbounded preceding and current row
        ) as balance_amount,
        sum(claim_count_delta) over (
            partition by payer_id, responsibility, aging_bucket order by as_of_date
            rows between unbounded preceding and current row
        ) as claim_count,
        sum(credit_delta_amount) over (
            partition by payer_id, responsibility, aging_bucket order by as_of_date
            rows between unbounded preceding and current row
        ) as credit_balance_amount
    from grid

),

final as (

    select
        running.as_of_date,
        running.payer_id,
        coalesce(payers.payer_name, running.payer_id) as payer_name,
        running.responsibility,
        running.aging_bucket,
        running.bucket_order,
        {{ rcm_money('running.balance_amount') }} as balance_amount,
        cast(running.claim_count as bigint) as claim_count,
        {{ rcm_money('running.credit_balance_amount') }} as credit_balance_amount
    from running
    left join payers
        on running.payer_id = payers.payer_id
    where running.claim_count <> 0
        or running.credit_balance_amount <> 0

)

select * from final
