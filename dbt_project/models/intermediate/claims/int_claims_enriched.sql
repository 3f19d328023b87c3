-- One row per claim (PCN × payer): everything fct_claims says about it that depends on the as-of
-- date only through the cut of rows dated after it (which the default date never triggers, and a
-- pinned date is a full refresh), so that it can be rebuilt a match key at a time (ADR 0007). fct_claims adds the
-- as-of date's parts (the no-response status, days since submission), the payer's rules and the
-- dimensions' names. The status here is null for a live claim without any remittance: whether it is
-- 'submitted' or 'no_response' depends on its age at the as-of date.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

remit_summaries as (

    select * from {{ ref('int_claim_remits_summarized') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claim_remits_summarized')) }}

),

-- `not materialized` here, on activities and on events_to_date: DuckDB materializes a CTE that is
-- read twice and holds it in memory while the joins below build their hash tables. At 10,000,000
-- claims the money events (46 million rows, 23 million to date) then ran this model out of a 4 GB
-- cap (2026-11-30; marking events_to_date alone moved the materialization to money_events).
-- Read where they are used, they cost one more scan each.
money_events as not materialized (

    select * from {{ ref('int_money_events_unioned') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_money_events_unioned')) }}

),

responsibility_changes as (

    select * from {{ ref('int_responsibility_changes_sequenced') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_responsibility_changes_sequenced')) }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

activities as not materialized (

    select * from {{ ref('int_claim_activities_mapped') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claim_activities_mapped')) }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

events_to_date as not materialized (

    select money_events.*
    from money_events
    cross join as_of
    where money_events.event_date <= as_of.as_of_date

),

encounter_balances as (

    select
        patient_control_number,
        sum(insurance_delta_amount) as insurance_balance_amount,
        sum(patient_delta_amount) as patient_balance_amount,
        sum(case when event_type = 'patient_payment' then amount else 0 end) as patient_paid_amount,
        sum(case when event_type = 'patient_write_off' then amount else 0 end) as patient_write_off_amount,
        max(event_date) as last_money_event_date
    from events_to_date
    group by patient_control_number

),

claim_write_offs as (

    select
        claim_id,
        sum(amount) as write_off_amount,
        max(event_date) as last_write_off_date
    from events_to_date
    where event_type = 'insurance_write_off'
        and claim_id is not null
    group by claim_id

),

current_claims as (

    -- The encounter's responsible claim: its latest change by chain position (an aggregate, where a
    -- row_number() window sorted all changes).
    select
        responsibility_changes.patient_control_number,
        arg_max(responsibility_changes.claim_id, responsibility_changes.chain_position) as claim_id
    from responsibility_changes
    cross join as_of
    where responsibility_changes.change_date <= as_of.as_of_date
    group by responsibility_changes.patient_control_number

),

claim_activities as (

    select
        activities.claim_id,
        max(activities.activity_date) as last_activity_date
    from activities
    cross join as_of
    where activities.activity_date <= as_of.as_of_date
        and activities.claim_id is not null
    group by activities.claim_id

),

appeals as (

    select
        activities.claim_id,
        max(activities.activity_date) as last_appeal_date
    from activities
    cross join as_of
    where activities.activity_type in ('appeal_sent', 'corrected_claim_sent')
        and activities.activity_date <= as_of.as_of_date
        and activities.claim_id is not null
    group by activities.claim_id

),

joined as (

    select
        claims.*,
        remit_summaries.claim_id is not null as has_remit,
        remit_summaries.remit_payer_name,
        remit_summaries.first_remit_date,
        remit_summaries.first_adjudication_date,
        remit_summaries.last_remit_date,
        remit_summaries.first_payment_date,
        remit_summaries.paid_amount,
        remit_summaries.contractual_amount,
        remit_summaries.patient_responsibility_amount,
        remit_summaries.was_reversed,
        remit_summaries.last_denial_date,
        remit_summaries.first_claim_status_code,
        remit_summaries.first_paid_amount,
        remit_summaries.first_patient_responsibility_amount,
        remit_summaries.first_remit_has_denial,
        remit_summaries.first_remit_denial_root_cause,
        remit_summaries.latest_claim_status_code,
        remit_summaries.latest_remit_date,
        remit_summaries.latest_paid_amount,
        remit_summaries.latest_remit_has_denial,
        remit_summaries.latest_remit_is_full_denial,
        remit_summaries.latest_denial_amount,
        coalesce(current_claims.claim_id, encounters.primary_claim_id) = claims.claim_id as is_current_claim,
        encounter_balances.insurance_balance_amount as encounter_insurance_balance_amount,
        encounter_balances.patient_balance_amount as encounter_patient_balance_amount,
        encounter_balances.patient_paid_amount as encounter_patient_paid_amount,
        encounter_balances.patient_write_off_amount as encounter_patient_write_off_amount,
        encounter_balances.last_money_event_date,
        claim_write_offs.write_off_amount as claim_write_off_amount,
        claim_write_offs.last_write_off_date,
        claim_activities.last_activity_date as last_biller_activity_date,
        appeals.last_appeal_date
    from claims
    inner join encounters
        on claims.patient_control_number = encounters.patient_control_number
    left join remit_summaries
        on claims.claim_id = remit_summaries.claim_id
    left join current_claims
        on claims.patient_control_number = current_claims.patient_control_number
    left join encounter_balances
        on claims.patient_control_number = encounter_balances.patient_control_number
    left join claim_write_offs
        on claims.claim_id = claim_write_offs.claim_id
    left join claim_activities
        on claims.claim_id = claim_activities.claim_id
    left join appeals
        on claims.claim_id = appeals.claim_id

),

balanced as (

    select
        *,
        case when is_current_claim then coalesce(encounter_insurance_balance_amount, 0) else 0 end
            as insurance_balance_amount,
        case when is_current_claim then coalesce(encounter_patient_balance_amount, 0) else 0 end
            as patient_balance_amount,
        coalesce(claim_write_off_amount, 0)
            + case when is_current_claim then coalesce(encounter_patient_write_off_amount, 0) else 0 end
            as write_off_amount,
        case when is_current_claim then coalesce(encounter_patient_paid_amount, 0) else 0 end
            as patient_paid_amount
    from joined

),

statused as (

    select
        *,
        case
            when is_voided then 'voided'
            when not has_remit then null
            when coalesce(claim_write_off_amount, 0) > 0
                and (not is_current_claim or insurance_balance_amount <= 0)
                then 'written_off'
            when latest_remit_has_denial and last_appeal_date >= latest_remit_date then 'appealed'
            when latest_remit_has_denial and latest_remit_is_full_denial then 'denied'
            when latest_remit_has_denial then 'partially_paid'
            when first_remit_has_denial and paid_amount > 0 then 'overturned'
            else 'paid'
        end as remit_status
    from balanced

),

final as (

    select
        claim_id,
        patient_control_number,
        pcn_match_key,
        payer_id,
        payer_name,
        remit_payer_name,
        payer_sequence,
        claim_type,
        billing_provider_npi,
        rendering_provider_npi,
        location_id,
        patient_id,
        service_date,
        first_submission_date,
        last_submission_date,
        cast(submission_count as integer) as submission_count,
        first_remit_date,
        first_adjudication_date,
        first_payment_date,
        nullif(greatest(
            coalesce(last_submission_date, cast('1900-01-01' as date)),
            coalesce(last_remit_date, cast('1900-01-01' as date)),
            coalesce(last_write_off_date, cast('1900-01-01' as date)),
            coalesce(last_biller_activity_date, cast('1900-01-01' as date)),
            case when is_current_claim
                then coalesce(last_money_event_date, cast('1900-01-01' as date))
                else cast('1900-01-01' as date)
            end
        ), cast('1900-01-01' as date)) as last_activity_date,
        last_denial_date,
        {{ rcm_money('coalesce(billed_amount, 0)') }} as billed_amount,
        {{ rcm_money('coalesce(paid_amount, 0)') }} as paid_amount,
        {{ rcm_money('coalesce(contractual_amount, 0)') }} as contractual_amount,
        {{ rcm_money('coalesce(patient_responsibility_amount, 0)') }} as patient_responsibility_amount,
        {{ rcm_money("case when remit_status in ('denied', 'appealed', 'partially_paid')
            then coalesce(latest_denial_amount, 0) else 0 end") }} as denied_amount,
        {{ rcm_money('write_off_amount') }} as write_off_amount,
        {{ rcm_money('patient_paid_amount') }} as patient_paid_amount,
        {{ rcm_money('insurance_balance_amount') }} as insurance_balance_amount,
        {{ rcm_money('patient_balance_amount') }} as patient_balance_amount,
        remit_status,
        coalesce(
            has_remit
            and first_claim_status_code not in ('4', '22')
            and not first_remit_has_denial
            and first_paid_amount + first_patient_responsibility_amount > 0,
            false
        ) as is_first_pass_paid,
        coalesce(is_primary_claim and first_remit_has_denial, false) as is_initially_denied,
        case when is_primary_claim and first_remit_has_denial
            then first_remit_denial_root_cause end as initial_denial_root_cause,
        coalesce(was_reversed, false) as was_reversed,
        has_replacement,
        source_system,
        is_voided,
        is_current_claim,
        latest_claim_status_code
    from statused

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
