-- One row per open insurance claim, ranked for follow-up; see _ar__models.yml.
-- priority_score = expected recoverable dollars × deadline urgency × (1.2 when untouched for 30+ days)
-- × (0.1 while the claim is still within the payer's expected payment days: nothing to chase yet).
-- Recovery rate: the payer × root cause's history of resolved denials (recovered ÷ denied) when it
-- has var('recovery_rate_min_resolved') of them, else the root cause's across payers, else all
-- denials; for a claim never denied, the payer's paid ÷ billed on its answered claims, else all
-- payers'; else 0.5.
with

claims as (

    select * from {{ ref('fct_claims') }}

),

denials as (

    select * from {{ ref('fct_denials') }}

),

activities as (

    select * from {{ ref('int_claim_activities_mapped') }}

),

billers as (

    select * from {{ ref('billers') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

open_claims as (

    select * from claims
    where is_current_claim
        and insurance_balance_amount > 0
        and not is_voided

),

latest_open_denials as (

    select
        claim_id,
        root_cause,
        {{ dbt.concat(['group_code', "'-'", 'carc_code']) }} as carc_code,
        row_number() over (
            partition by claim_id
            order by denial_date desc, is_principal_in_record desc, denied_amount desc, denial_id
        ) as recency_rank
    from denials
    where outcome = 'open'

),

resolved_history as (

    select payer_id, root_cause, recovered_amount, denied_amount
    from denials
    where outcome <> 'open'

),

payer_root_rates as (

    select
        payer_id,
        root_cause,
        count(*) as resolved_count,
        cast(sum(recovered_amount) as double) / nullif(cast(sum(denied_amount) as double), 0) as rate
    from resolved_history
    group by payer_id, root_cause

),

root_rates as (

    select
        root_cause,
        count(*) as resolved_count,
        cast(sum(recovered_amount) as double) / nullif(cast(sum(denied_amount) as double), 0) as rate
    from resolved_history
    group by root_cause

),

overall_rate as (

    select
        count(*) as resolved_count,
        cast(sum(recovered_amount) as double) / nullif(cast(sum(denied_amount) as double), 0) as rate
    from resolved_history

),

payer_paid_rates as (

    select
        payer_id,
        cast(sum(paid_amount) as double) / nullif(cast(sum(billed_amount) as double), 0) as rate
    from claims
    where first_remit_date is not null
        and billed_amount > 0
    group by payer_id

),

all_paid_rate as (

    select cast(sum(paid_amount) as double) / nullif(cast(sum(billed_amount) as double), 0) as rate
    from claims
    where first_remit_date is not null
        and billed_amount > 0

),

latest_activities as (

    select
        activities.claim_id,
        activities.activity_type,
        activities.activity_date,
        activities.assigned_to,
        row_number() over (
            partition by activities.claim_id
            order by activities.activity_date desc, activities.row_number desc, activities.file_id desc
        ) as recency_rank
    from activities
    cross join as_of
    where activities.claim_id is not null
        and activities.activity_date <= as_of.as_of_date

),

payer_billers as (

    select
        open_claims.claim_id,
        min(billers.biller_id) as biller_id
    from open_claims
    inner join billers
        on {{ dbt.concat(["';'", 'billers.payer_ids', "';'"]) }} like {{ dbt.concat(["'%;'", 'open_claims.payer_id', "';%'"]) }}
    group by open_claims.claim_id

),

rated as (

    select
        open_claims.*,
        coalesce(
            latest_open_denials.root_cause,
            case
                when open_claims.current_status = 'submitted' then 'awaiting_response'
                when open_claims.first_remit_date is null then 'no_response'
                else 'balance_after_payment'
            end
        ) as work_root_cause,
        latest_open_denials.carc_code as work_carc_code,
        latest_open_denials.claim_id is not null as has_open_denial,
        case
            when latest_open_denials.claim_id is null and payer_paid_rates.rate is not null
                then payer_paid_rates.rate
            when latest_open_denials.claim_id is null and all_paid_rate.rate is not null
                then all_paid_rate.rate
            when payer_root_rates.resolved_count >= {{ var('recovery_rate_min_resolved') }}
                then payer_root_rates.rate
            when root_rates.resolved_count >= {{ var('recovery_rate_min_resolved') }}
                then root_rates.rate
            when overall_rate.resolved_count >= {{ var('recovery_rate_min_resolved') }}
                then overall_rate.rate
            else 0.5
        end as raw_recovery_rate,
        case
            when latest_open_denials.claim_id is null and payer_paid_rates.rate is not null then 'payer_paid_ratio'
            when latest_open_denials.claim_id is null and all_paid_rate.rate is not null then 'overall_paid_ratio'
            when payer_root_rates.resolved_count >= {{ var('recovery_rate_min_resolved') }} then 'payer_root_cause'
            when root_rates.resolved_count >= {{ var('recovery_rate_min_resolved') }} then 'root_cause'
            when overall_rate.resolved_count >= {{ var('recovery_rate_min_resolved') }} then 'overall'
            else 'default'
        end as recovery_rate_basis,
        latest_activities.activity_type as last_action,
        latest_activities.activity_date as last_action_date,
        coalesce(latest_activities.assigned_to, payer_billers.biller_id) as assigned_biller
    from open_claims
    cross join overall_rate
    cross join all_paid_rate
    left join latest_open_denials
        on open_claims.claim_id = latest_open_denials.claim_id
        and latest_open_denials.recency_rank = 1
    left join payer_root_rates
        on open_claims.payer_id = payer_root_rates.payer_id
        and latest_open_denials.root_cause = payer_root_rates.root_cause
    left join root_rates
        on latest_open_denials.root_cause = root_rates.root_cause
    left join payer_paid_rates
        on open_claims.payer_id = payer_paid_rates.payer_id
    left join latest_activities
        on open_claims.claim_id = latest_activities.claim_id
        and latest_activities.recency_rank = 1
    left join payer_billers
        on open_claims.claim_id = payer_billers.claim_id

),

deadlines as (

    select
        rated.*,
        least(greatest(coalesce(rated.raw_recovery_rate, 0.5), 0), 1) as recovery_rate,
        case when rated.has_open_denial and rated.appeal_deadline is not null
            then 'appeal' else 'timely_filing' end as deadline_type,
        case when rated.has_open_denial and rated.appeal_deadline is not null
            then rated.appeal_deadline else rated.timely_filing_deadline end as deadline_date
    from rated

),

scored as (

    select
        deadlines.*,
        {{ rcm_money('deadlines.insurance_balance_amount * deadlines.recovery_rate') }} as expected_recoverable_amount,
        {{ rcm_days_between('as_of.as_of_date', 'deadlines.deadline_date') }} as days_to_deadline,
        deadlines.days_since_submission as age_days,
        {{ rcm_days_between('coalesce(deadlines.last_action_date, deadlines.last_submission_date, deadlines.first_submission_date)',
            'as_of.as_of_date') }} as days_since_touched
    from deadlines
    cross join as_of

),

reasoned as (

    select
        scored.*,
        case
            when scored.days_to_deadline is null or scored.days_to_deadline > 60 then ''
            when scored.days_to_deadline < 0
                then {{ dbt.concat(["replace(scored.deadline_type, '_', ' ')", "' deadline passed '",
                    "cast(-scored.days_to_deadline as " ~ dbt.type_string() ~ ")", "' days ago; '"]) }}
            when scored.deadline_type = 'appeal'
                then {{ dbt.concat(["'appeal window closes in '",
                    "cast(scored.days_to_deadline as " ~ dbt.type_string() ~ ")", "' days; '"]) }}
            else {{ dbt.concat(["'timely filing limit in '",
                    "cast(scored.days_to_deadline as " ~ dbt.type_string() ~ ")", "' days; '"]) }}
        end as deadline_reason,
        {{ dbt.concat(["'$'", rcm_format_dollars('scored.expected_recoverable_amount'), "' expected of $'",
            rcm_format_dollars('scored.insurance_balance_amount'), "' ('",
            "replace(scored.work_root_cause, '_', ' ')"]) }} as money_reason,
        case when scored.work_carc_code is null then ')'
            else {{ dbt.concat(["' '", 'scored.work_carc_code', "')'"]) }} end as code_reason,
        case when scored.days_since_touched >= 30
            then {{ dbt.concat(["'; untouched for '",
                "cast(scored.days_since_touched as " ~ dbt.type_string() ~ ")", "' days'"]) }}
            else '' end as touch_reason,
        case
            when scored.current_status = 'submitted' then '; not due yet'
            when scored.age_days > 120 then '; over 120 days old'
            else ''
        end as age_reason
    from scored

),

prioritized as (

    select
        reasoned.*,
        cast(reasoned.expected_recoverable_amount as double)
            * case
                when reasoned.days_to_deadline is null then 1.0
                when reasoned.days_to_deadline < 0 then 0.25
                when reasoned.days_to_deadline <= {{ var('deadline_urgent_days') }} then 3.0
                when reasoned.days_to_deadline <= 30 then 2.0
                when reasoned.days_to_deadline <= 60 then 1.5
                else 1.0
            end
            * case when reasoned.days_since_touched >= 30 then 1.2 else 1.0 end
            -- A claim still inside the payer's expected payment days needs no work yet.
            * case when reasoned.current_status = 'submitted' then 0.1 else 1.0 end as priority_score,
        {{ dbt.concat(['reasoned.deadline_reason', 'reasoned.money_reason', 'reasoned.code_reason',
            'reasoned.touch_reason', 'reasoned.age_reason']) }} as priority_reasons
    from reasoned

),

final as (

    select
        claim_id,
        patient_control_number,
        payer_id,
        payer_name,
        payer_category,
        billing_provider_npi,
        provider_name,
        location_id,
        location_name,
        service_date,
        first_submission_date,
        current_status,
        work_root_cause as root_cause,
        work_carc_code as carc_code,
        insurance_balance_amount,
        cast(recovery_rate as double) as recovery_rate,
        recovery_rate_basis,
        expected_recoverable_amount,
        cast(age_days as integer) as age_days,
        deadline_type,
        deadline_date,
        cast(days_to_deadline as integer) as days_to_deadline,
        last_action,
        last_action_date,
        assigned_biller,
        cast(priority_score as double) as priority_score,
        cast(row_number() over (
            order by priority_score desc, insurance_balance_amount desc, claim_id
        ) as integer) as priority_rank,
        priority_reasons
    from prioritized

)

select * from final
