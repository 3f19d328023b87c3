-- One row per encounter × interval of days over which its balances, its responsible payer and
-- its aging bucket all stay the same, from its first submission on. Intervals break at every
-- money event (dated before the first submission: counted from the first submission, when A/R
-- starts), at every change of responsible payer, and at the aging bucket boundaries (days 31, 61,
-- 91 and 121 after the first submission, also those still ahead). The last interval is open
-- (valid_to_date 9999-12-31): nothing here depends on the as-of date beyond cutting later events,
-- so a day that leaves an encounter unchanged leaves its rows unchanged (incremental, ADR 0007);
-- int_ar_deltas_aggregated cuts at the as-of date. This is what lets mart_ar_aging_daily state the
-- exact A/R of any day without crossing claims with days.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key',
    rcm_replace_column='substring(patient_control_number, 1, 20)') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

money_events as (

    select * from {{ ref('int_money_events_unioned') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_money_events_unioned')) }}

),

responsibility_changes as (

    select * from {{ ref('int_responsibility_changes_sequenced') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_responsibility_changes_sequenced')) }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

live_encounters as (

    select
        encounters.patient_control_number,
        encounters.first_submission_date,
        as_of.as_of_date
    from encounters
    cross join as_of
    where encounters.first_submission_date <= as_of.as_of_date

),

balance_points as (

    select
        money_events.patient_control_number,
        greatest(money_events.event_date, live_encounters.first_submission_date) as point_date,
        money_events.insurance_delta_amount,
        money_events.patient_delta_amount,
        cast(null as integer) as chain_position
    from money_events
    inner join live_encounters
        on money_events.patient_control_number = live_encounters.patient_control_number
    where money_events.event_date <= live_encounters.as_of_date

),

responsibility_points as (

    select
        responsibility_changes.patient_control_number,
        responsibility_changes.change_date as point_date,
        {{ rcm_money('0') }} as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        responsibility_changes.chain_position
    from responsibility_changes
    inner join live_encounters
        on responsibility_changes.patient_control_number = live_encounters.patient_control_number
    where responsibility_changes.change_date <= live_encounters.as_of_date

),

boundary_offsets as (

    select 31 as day_offset
    union all
    select 61
    union all
    select 91
    union all
    select 121

),

boundary_points as (

    select
        live_encounters.patient_control_number,
        {{ rcm_add_days('live_encounters.first_submission_date', 'boundary_offsets.day_offset') }} as point_date,
        {{ rcm_money('0') }} as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        cast(null as integer) as chain_position
    from live_encounters
    cross join boundary_offsets

),

points as (

    select
        patient_control_number,
        point_date,
        sum(insurance_delta_amount) as insurance_delta_amount,
        sum(patient_delta_amount) as patient_delta_amount,
        max(chain_position) as chain_position
    from (
        select * from balance_points
        union all
        select * from responsibility_points
        union all
        select * from boundary_points
    ) as all_points
    group by patient_control_number, point_date

),

running as (

    select
        points.patient_control_number,
        points.point_date as valid_from_date,
        coalesce(
            {{ rcm_add_days(
                'lead(points.point_date) over (partition by points.patient_control_number order by points.point_date)',
                -1) }},
            cast('9999-12-31' as date)
        ) as valid_to_date,
        live_encounters.first_submission_date,
        sum(points.insurance_delta_amount) over (
            partition by points.patient_control_number order by points.point_date
            rows between unbounded preceding and current row
        ) as insurance_balance_amount,
        sum(points.patient_delta_amount) over (
            partition by points.patient_control_number order by points.point_date
            rows between unbounded preceding and current row
        ) as patient_balance_amount,
        -- The responsible chain position only rises, so the running maximum is the latest change.
        max(points.chain_position) over (
            partition by points.patient_control_number order by points.point_date
            rows between unbounded preceding and current row
        ) as chain_position
    from points
    inner join live_encounters
        on points.patient_control_number = live_encounters.patient_control_number

),

final as (

    select
        running.patient_control_number,
        running.valid_from_date,
        running.valid_to_date,
        {{ rcm_days_between('running.first_submission_date', 'running.valid_from_date') }} as age_days,
        {{ aging_bucket(rcm_days_between('running.first_submission_date', 'running.valid_from_date')) }}
            as aging_bucket,
        {{ aging_bucket_order(rcm_days_between('running.first_submission_date', 'running.valid_from_date')) }}
            as bucket_order,
        responsibility_changes.payer_id as responsible_payer_id,
        responsibility_changes.claim_id as responsible_claim_id,
        {{ rcm_money('running.insurance_balance_amount') }} as insurance_balance_amount,
        {{ rcm_money('running.patient_balance_amount') }} as patient_balance_amount
    from running
    left join responsibility_changes
        on running.patient_control_number = responsibility_changes.patient_control_number
        and running.chain_position = responsibility_changes.chain_position

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
