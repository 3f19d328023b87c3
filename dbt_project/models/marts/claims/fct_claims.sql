-- One row per claim (PCN × payer); see _claims__models.yml.
with

claims as (

    select * from {{ ref('int_claims_unioned') }}

),

remit_summaries as (

    select * from {{ ref('int_claim_remits_summarized') }}

),

money_events as (

    select * from {{ ref('int_money_events_unioned') }}

),

responsibility_changes as (

    select * from {{ ref('int_responsibility_changes_sequenced') }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}

),

activities as (

    select * from {{ ref('int_claim_activities_mapped') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

providers as (

    select * from {{ ref('dim_providers') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

events_to_date as (

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

payer_rules as (

    select * from {{ ref('payer_rules') }}

),

rules as (

    -- A payer's own terms, else the '*' defaults.
    select
        payers.payer_id,
        coalesce(own_rules.timely_filing_days, default_rules.timely_filing_days) as timely_filing_days,
        coalesce(own_rules.appeal_window_days, default_rules.appeal_window_days) as appeal_window_days,
        coalesce(own_rules.expected_payment_days, default_rules.expected_payment_days) as expected_payment_days
    from payers
    left join payer_rules as own_rules
        on payers.payer_id = own_rules.payer_id
    left join payer_rules as default_rules
        on default_rules.payer_id = '*'

),

joined as (

    select
        claims.*,
        as_of.as_of_date,
        remit_summaries.claim_id is not null as has_remit,
        remit_summaries.remit_payer_name,
        remit_summaries.first_remit_date,
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
        appeals.last_appeal_date,
        rules.timely_filing_days,
        rules.appeal_window_days,
        rules.expected_payment_days
    from claims
    cross join as_of
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
    left join rules
        on claims.payer_id = rules.payer_id

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
            when not has_remit then
                case
                    when {{ rcm_days_between('coalesce(last_submission_date, first_submission_date)', 'as_of_date') }}
                        > coalesce(expected_payment_days, 30)
                        then 'no_response'
                    else 'submitted'
                end
            when coalesce(claim_write_off_amount, 0) > 0
                and (not is_current_claim or insurance_balance_amount <= 0)
                then 'written_off'
            when latest_remit_has_denial and last_appeal_date >= latest_remit_date then 'appealed'
            when latest_remit_has_denial and latest_remit_is_full_denial then 'denied'
            when latest_remit_has_denial then 'partially_paid'
            when first_remit_has_denial and paid_amount > 0 then 'overturned'
            else 'paid'
        end as current_status
    from balanced

),

final as (

    select
        statused.claim_id,
        statused.patient_control_number,
        statused.payer_id,
        coalesce(payers.payer_name, statused.payer_name, statused.remit_payer_name) as payer_name,
        coalesce(payers.payer_category, 'other') as payer_category,
        statused.payer_sequence,
        statused.claim_type,
        statused.billing_provider_npi,
        statused.rendering_provider_npi,
        coalesce(rendering_providers.provider_name, billing_providers.provider_name) as provider_name,
        statused.location_id,
        locations.location_name,
        statused.patient_id,
        statused.service_date,
        {{ rcm_month('statused.service_date') }} as service_month,
        statused.first_submission_date,
        statused.last_submission_date,
        cast(statused.submission_count as integer) as submission_count,
        statused.first_remit_date,
        statused.first_payment_date,
        nullif(greatest(
            coalesce(statused.last_submission_date, cast('1900-01-01' as date)),
            coalesce(statused.last_remit_date, cast('1900-01-01' as date)),
            coalesce(statused.last_write_off_date, cast('1900-01-01' as date)),
            coalesce(statused.last_biller_activity_date, cast('1900-01-01' as date)),
            case when statused.is_current_claim
                then coalesce(statused.last_money_event_date, cast('1900-01-01' as date))
                else cast('1900-01-01' as date)
            end
        ), cast('1900-01-01' as date)) as last_activity_date,
        {{ rcm_money('coalesce(statused.billed_amount, 0)') }} as billed_amount,
        {{ rcm_money('coalesce(statused.paid_amount, 0)') }} as paid_amount,
        {{ rcm_money('coalesce(statused.contractual_amount, 0)') }} as contractual_amount,
        {{ rcm_money('coalesce(statused.patient_responsibility_amount, 0)') }} as patient_responsibility_amount,
        {{ rcm_money("case when statused.current_status in ('denied', 'appealed', 'partially_paid')
            then coalesce(statused.latest_denial_amount, 0) else 0 end") }} as denied_amount,
        {{ rcm_money('statused.write_off_amount') }} as write_off_amount,
        {{ rcm_money('statused.patient_paid_amount') }} as patient_paid_amount,
        {{ rcm_money('statused.insurance_balance_amount') }} as insurance_balance_amount,
        {{ rcm_money('statused.patient_balance_amount') }} as patient_balance_amount,
        statused.current_status,
        coalesce(
            statused.has_remit
            and statused.first_claim_status_code not in ('4', '22')
            and not statused.first_remit_has_denial
            and statused.first_paid_amount + statused.first_patient_responsibility_amount > 0,
            false
        ) as is_first_pass_paid,
        coalesce(statused.is_primary_claim and statused.first_remit_has_denial, false) as is_initially_denied,
        case when statused.is_primary_claim and statused.first_remit_has_denial
            then statused.first_remit_denial_root_cause end as initial_denial_root_cause,
        coalesce(statused.was_reversed, false) as was_reversed,
        statused.has_replacement,
        {{ rcm_add_days('statused.service_date', 'statused.timely_filing_days') }} as timely_filing_deadline,
        {{ rcm_add_days('statused.last_denial_date', 'statused.appeal_window_days') }} as appeal_deadline,
        {{ rcm_days_between('statused.first_submission_date', 'statused.as_of_date') }} as days_since_submission,
        statused.source_system,
        statused.is_voided,
        statused.is_current_claim,
        statused.latest_claim_status_code,
        statused.as_of_date
    from statused
    left join payers
        on statused.payer_id = payers.payer_id
    left join providers as rendering_providers
        on statused.rendering_provider_npi = rendering_providers.npi
    left join providers as billing_providers
        on statused.billing_provider_npi = billing_providers.npi
    left join locations
        on statused.location_id = locations.location_id

)

select * from final
