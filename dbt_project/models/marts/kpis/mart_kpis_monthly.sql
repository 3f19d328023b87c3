-- One row per month × KPI. Each KPI is numerator ÷ denominator (days_in_ar: ÷ daily revenue;
-- medians: the median itself, with the claim count as denominator); the definitions, units,
-- targets and sources come from seeds/kpi_targets.csv. A period ends at the month's last day, or
-- at the as-of date in the as-of month.
with

collections as (

    select * from {{ ref('mart_collections_monthly') }}

),

ar_daily as (

    select * from {{ ref('mart_ar_aging_daily') }}

),

claims as (

    select * from {{ ref('fct_claims') }}

),

denials as (

    select * from {{ ref('fct_denials') }}

),

remits as (

    select * from {{ ref('int_remits_matched') }}

),

money_events as (

    select * from {{ ref('int_money_events_unioned') }}

),

adjustments as (

    select * from {{ ref('stg_raw__csv_adjustments') }}

),

kpi_targets as (

    select * from {{ ref('kpi_targets') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

periods as (

    select
        collections.month,
        least({{ rcm_month_end('collections.month') }}, as_of.as_of_date) as period_end_date
    from collections
    cross join as_of

),

daily_net_revenue as (

    -- Net revenue by day: charges (less voids) − contractual adjustments.
    select event_date as revenue_date, sum(insurance_delta_amount) as net_revenue_amount
    from money_events
    where event_type in ('charge', 'void')
    group by event_date
    union all
    select payment_date, -sum(contractual_amount)
    from remits
    group by payment_date

),

trailing_revenue as (

    select
        periods.month,
        coalesce(sum(daily_net_revenue.net_revenue_amount), 0) as net_revenue_90_days
    from periods
    left join daily_net_revenue
        on daily_net_revenue.revenue_date <= periods.period_end_date
        and daily_net_revenue.revenue_date > {{ rcm_add_days('periods.period_end_date', -90) }}
    group by periods.month

),

ar_at_period_end as (

    select
        periods.month,
        coalesce(sum(ar_daily.balance_amount), 0) as net_ar_amount,
        coalesce(sum(case when ar_daily.bucket_order >= 4 then ar_daily.balance_amount else 0 end), 0)
            as aged_over_90_amount
    from periods
    left join ar_daily
        on ar_daily.as_of_date = periods.period_end_date
    group by periods.month

),

submitted as (

    select
        {{ rcm_month('first_submission_date') }} as month,
        count(*) as claims_submitted,
        sum(billed_amount) as billed_amount_submitted
    from claims
    where payer_sequence = 'primary'
        and first_submission_date is not null
    group by {{ rcm_month('first_submission_date') }}

),

initial_denials as (

    select
        denials.denial_month as month,
        count(*) as initially_denied_claims,
        sum(claims.billed_amount) as initially_denied_billed_amount,
        sum(case when denials.outcome = 'overturned' then 1 else 0 end) as overturned_claims
    from denials
    inner join claims
        on denials.claim_id = claims.claim_id
    where denials.is_initial
        and denials.is_principal_in_record
    group by denials.denial_month

),

data_start as (

    select min(month) as first_month from submitted

),

submitted_prior as (

    select
        periods.month,
        case
            when {{ dbt.datediff('data_start.first_month', 'periods.month', 'month') }} >= 3
                then coalesce(sum(prior.claims_submitted), 0) / 3.0
        end as claims_submitted_prior_3m_avg
    from periods
    cross join data_start
    left join submitted as prior
        on prior.month >= {{ dbt.dateadd('month', -3, 'periods.month') }}
        and prior.month < periods.month
    group by periods.month, data_start.first_month

),

primary_remits as (

    -- HFMA AR-5 / Task Force "primary denials": primary-payer records, not reversals or price
    -- quotes, excluding duplicate-claim denials (CARC 18).
    select
        {{ rcm_month('remits.payment_date') }} as month,
        count(*) as remits_posted,
        sum(case when remits.paid_amount = 0 then 1 else 0 end) as zero_pay_remits
    from remits
    inner join claims
        on remits.claim_id = claims.claim_id
    where claims.payer_sequence = 'primary'
        and not remits.is_reversal
        and coalesce(remits.claim_status_code, '') <> '25'
        and coalesce(remits.principal_denial_carc_code, '') <> '18'
    group by {{ rcm_month('remits.payment_date') }}

),

write_offs as (

    select
        {{ rcm_month('posted_date') }} as month,
        sum(case when adjustment_type in ('denial_write_off', 'timely_filing_write_off') then amount else 0 end)
            as denial_write_off_amount,
        sum(case when adjustment_type = 'bad_debt' then amount else 0 end) as bad_debt_amount
    from adjustments
    where posted_date <= (select as_of_date from as_of)
    group by {{ rcm_month('posted_date') }}

),

first_adjudications as (

    -- fct_claims carries its first adjudication's date (from int_claim_remits_summarized), so no
    -- join of a million claims with their remit summaries on claim_id (0.5 s at 1,000,000 claims).
    select
        {{ rcm_month('first_adjudication_date') }} as month,
        count(*) as adjudicated_claims,
        sum(case when is_first_pass_paid then 1 else 0 end) as first_pass_claims
    from claims
    where first_adjudication_date is not null
    group by {{ rcm_month('first_adjudication_date') }}

),

charge_lags as (

    select
        {{ rcm_month('first_submission_date') }} as month,
        {{ rcm_percentile(rcm_days_between('service_date', 'first_submission_date'), 0.5) }} as median_days,
        count(*) as claim_count
    from claims
    where payer_sequence = 'primary'
        and first_submission_date is not null
    group by {{ rcm_month('first_submission_date') }}

),

payer_lags as (

    select
        {{ rcm_month('first_payment_date') }} as month,
        {{ rcm_percentile(rcm_days_between('first_submission_date', 'first_payment_date'), 0.5) }} as median_days,
        count(*) as claim_count
    from claims
    where payer_sequence = 'primary'
        and first_submission_date is not null
        and first_payment_date is not null
    group by {{ rcm_month('first_payment_date') }}

),

measures as (

    select
        periods.month,
        'days_in_ar' as kpi_id,
        cast(ar_at_period_end.net_ar_amount as double) as numerator,
        cast(trailing_revenue.net_revenue_90_days as double) / 90 as denominator
    from periods
    inner join ar_at_period_end on periods.month = ar_at_period_end.month
    inner join trailing_revenue on periods.month = trailing_revenue.month
    union all
    select
        periods.month, 'aged_ar_over_90_pct',
        cast(ar_at_period_end.aged_over_90_amount as double),
        cast(ar_at_period_end.net_ar_amount as double)
    from periods
    inner join ar_at_period_end on periods.month = ar_at_period_end.month
    union all
    select
        periods.month, 'initial_denial_rate',
        cast(coalesce(initial_denials.initially_denied_claims, 0) as double),
        cast(coalesce(submitted.claims_submitted, 0) as double)
    from periods
    left join initial_denials on periods.month = initial_denials.month
    left join submitted on periods.month = submitted.month
    union all
    select
        periods.month, 'initial_denial_rate_amount',
        cast(coalesce(initial_denials.initially_denied_billed_amount, 0) as double),
        cast(coalesce(submitted.billed_amount_submitted, 0) as double)
    from periods
    left join initial_denials on periods.month = initial_denials.month
    left join submitted on periods.month = submitted.month
    union all
    select
        periods.month, 'initial_denial_rate_prior_3m',
        cast(coalesce(initial_denials.initially_denied_claims, 0) as double),
        cast(submitted_prior.claims_submitted_prior_3m_avg as double)
    from periods
    left join initial_denials on periods.month = initial_denials.month
    left join submitted_prior on periods.month = submitted_prior.month
    union all
    select
        periods.month, 'remittance_denial_rate',
        cast(coalesce(primary_remits.zero_pay_remits, 0) as double),
        cast(coalesce(primary_remits.remits_posted, 0) as double)
    from periods
    left join primary_remits on periods.month = primary_remits.month
    union all
    select
        periods.month, 'denial_write_off_pct',
        cast(coalesce(write_offs.denial_write_off_amount, 0) as double),
        cast(collections.charges_amount - collections.contractual_amount as double)
    from periods
    inner join collections on periods.month = collections.month
    left join write_offs on periods.month = write_offs.month
    union all
    select
        periods.month, 'denial_overturn_rate',
        cast(coalesce(initial_denials.overturned_claims, 0) as double),
        cast(coalesce(initial_denials.initially_denied_claims, 0) as double)
    from periods
    left join initial_denials on periods.month = initial_denials.month
    union all
    select
        periods.month, 'first_pass_resolution_rate',
        cast(coalesce(first_adjudications.first_pass_claims, 0) as double),
        cast(coalesce(first_adjudications.adjudicated_claims, 0) as double)
    from periods
    left join first_adjudications on periods.month = first_adjudications.month
    union all
    select
        collections.month, 'net_collection_rate',
        cast(collections.insurance_paid_amount + collections.patient_paid_amount - collections.refunds_amount
            as double),
        cast(collections.charges_amount - collections.contractual_amount as double)
    from collections
    union all
    select
        collections.month, 'gross_collection_rate',
        cast(collections.insurance_paid_amount + collections.patient_paid_amount - collections.refunds_amount
            as double),
        cast(collections.charges_amount as double)
    from collections
    union all
    select
        collections.month, 'cash_collected',
        cast(collections.cash_posted_amount as double),
        cast(1 as double)
    from collections
    union all
    select
        collections.month, 'pos_collection_pct',
        cast(collections.point_of_service_amount as double),
        cast(collections.patient_paid_amount - collections.refunds_amount as double)
    from collections
    union all
    select
        periods.month, 'bad_debt_pct',
        cast(coalesce(write_offs.bad_debt_amount, 0) as double),
        cast(collections.charges_amount as double)
    from periods
    inner join collections on periods.month = collections.month
    left join write_offs on periods.month = write_offs.month
    union all
    select
        periods.month, 'charge_lag_median_days',
        cast(charge_lags.median_days as double),
        cast(coalesce(charge_lags.claim_count, 0) as double)
    from periods
    left join charge_lags on periods.month = charge_lags.month
    union all
    select
        periods.month, 'payer_lag_median_days',
        cast(payer_lags.median_days as double),
        cast(coalesce(payer_lags.claim_count, 0) as double)
    from periods
    left join payer_lags on periods.month = payer_lags.month

),

final as (

    select
        measures.month,
        measures.kpi_id,
        kpi_targets.kpi_name,
        case
            when kpi_targets.kpi_id in ('charge_lag_median_days', 'payer_lag_median_days')
                then case when measures.denominator > 0 then measures.numerator end
            else measures.numerator / nullif(measures.denominator, 0)
        end as value,
        measures.numerator,
        measures.denominator,
        kpi_targets.unit,
        kpi_targets.target,
        kpi_targets.higher_is_better,
        kpi_targets.definition,
        kpi_targets.source
    from measures
    inner join kpi_targets
        on measures.kpi_id = kpi_targets.kpi_id

)

select * from final
