-- One row per month × payer × root cause × group-CARC with denial activity; see the YAML for the
-- two initial-denial-rate denominators (same month, and the Task Force's prior-3-month average).
with

denials as (

    select * from {{ ref('fct_denials') }}

),

claims as (

    select * from {{ ref('fct_claims') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

denial_rows as (

    select
        denial_month as month,
        payer_id,
        root_cause,
        {{ dbt.concat(['group_code', "'-'", 'carc_code']) }} as carc_code,
        sum(denied_amount) as denied_amount,
        count(distinct claim_id) as denied_claims,
        count(distinct case when outcome = 'overturned' then claim_id end) as overturned_claims,
        sum(recovered_amount) as recovered_amount,
        sum(case when outcome = 'written_off' then denied_amount else 0 end) as written_off_amount,
        sum(case when outcome = 'open' then denied_amount else 0 end) as open_denied_amount
    from denials
    group by denial_month, payer_id, root_cause, {{ dbt.concat(['group_code', "'-'", 'carc_code']) }}

),

initial_denials as (

    -- A claim counts once, under its first adjudication's largest denial (accounting model).
    select
        denials.denial_month as month,
        denials.payer_id,
        denials.root_cause,
        {{ dbt.concat(['denials.group_code', "'-'", 'denials.carc_code']) }} as carc_code,
        count(*) as initially_denied_claims,
        sum(claims.billed_amount) as initially_denied_billed_amount
    from denials
    inner join claims
        on denials.claim_id = claims.claim_id
    where denials.is_initial
        and denials.is_principal_in_record
    group by denials.denial_month, denials.payer_id, denials.root_cause,
        {{ dbt.concat(['denials.group_code', "'-'", 'denials.carc_code']) }}

),

submitted as (

    -- The denominators: primary claims by payer and month of first submission.
    select
        {{ rcm_month('first_submission_date') }} as month,
        payer_id,
        count(*) as claims_submitted,
        sum(billed_amount) as billed_amount_submitted
    from claims
    where payer_sequence = 'primary'
        and first_submission_date is not null
    group by {{ rcm_month('first_submission_date') }}, payer_id

),

data_start as (

    select min(month) as first_month from submitted

),

submitted_prior as (

    -- Task Force denominator: the mean of the three calendar months before the month (months with
    -- no submissions count as 0); null until three prior months of data exist.
    select
        months.month,
        months.payer_id,
        case
            when {{ dbt.datediff('data_start.first_month', 'months.month', 'month') }} >= 3
                then coalesce(sum(prior.claims_submitted), 0) / 3.0
        end as claims_submitted_prior_3m_avg,
        case
            when {{ dbt.datediff('data_start.first_month', 'months.month', 'month') }} >= 3
                then coalesce(sum(prior.billed_amount_submitted), 0) / 3
        end as billed_amount_submitted_prior_3m_avg
    from (select distinct month, payer_id from denial_rows) as months
    cross join data_start
    left join submitted as prior
        on months.payer_id = prior.payer_id
        and prior.month >= {{ dbt.dateadd('month', -3, 'months.month') }}
        and prior.month < months.month
    group by months.month, months.payer_id, data_start.first_month

),

final as (

    select
        denial_rows.month,
        denial_rows.payer_id,
        coalesce(payers.payer_name, denial_rows.payer_id) as payer_name,
        denial_rows.root_cause,
        denial_rows.carc_code,
        cast(coalesce(submitted.claims_submitted, 0) as bigint) as claims_submitted,
        {{ rcm_money('coalesce(submitted.billed_amount_submitted, 0)') }} as billed_amount_submitted,
        cast(coalesce(initial_denials.initially_denied_claims, 0) as bigint) as initially_denied_claims,
        {{ rcm_money('coalesce(initial_denials.initially_denied_billed_amount, 0)') }}
            as initially_denied_billed_amount,
        cast(coalesce(initial_denials.initially_denied_claims, 0) as double)
            / nullif(submitted.claims_submitted, 0) as initial_denial_rate_count,
        cast(coalesce(initial_denials.initially_denied_billed_amount, 0) as double)
            / nullif(cast(submitted.billed_amount_submitted as double), 0) as initial_denial_rate_amount,
        {{ rcm_money('denial_rows.denied_amount') }} as denied_amount,
        cast(denial_rows.overturned_claims as bigint) as overturned_claims,
        cast(denial_rows.overturned_claims as double) / nullif(denial_rows.denied_claims, 0) as overturn_rate,
        {{ rcm_money('denial_rows.recovered_amount') }} as recovered_amount,
        {{ rcm_money('denial_rows.written_off_amount') }} as written_off_amount,
        {{ rcm_money('denial_rows.open_denied_amount') }} as open_denied_amount,
        cast(denial_rows.denied_claims as bigint) as denied_claims,
        cast(submitted_prior.claims_submitted_prior_3m_avg as double) as claims_submitted_prior_3m_avg,
        {{ rcm_money('submitted_prior.billed_amount_submitted_prior_3m_avg') }}
            as billed_amount_submitted_prior_3m_avg,
        cast(coalesce(initial_denials.initially_denied_claims, 0) as double)
            / nullif(submitted_prior.claims_submitted_prior_3m_avg, 0) as initial_denial_rate_count_prior_3m,
        cast(coalesce(initial_denials.initially_denied_billed_amount, 0) as double)
            / nullif(cast(submitted_prior.billed_amount_submitted_prior_3m_avg as double), 0)
            as initial_denial_rate_amount_prior_3m
    from denial_rows
    left join initial_denials
        on denial_rows.month = initial_denials.month
        and denial_rows.payer_id = initial_denials.payer_id
        and denial_rows.root_cause = initial_denials.root_cause
        and denial_rows.carc_code = initial_denials.carc_code
    left join submitted
        on denial_rows.month = submitted.month
        and denial_rows.payer_id = submitted.payer_id
    left join submitted_prior
        on denial_rows.month = submitted_prior.month
        and denial_rows.payer_id = submitted_prior.payer_id
    left join payers
        on denial_rows.payer_id = payers.payer_id

)

select * from final
