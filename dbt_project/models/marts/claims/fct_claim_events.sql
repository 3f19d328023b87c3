-- One row per dated event on a claim (the claim-detail timeline); see _claims__models.yml.
-- Timeline order: event_date, type_rank, file_id, source_order, event_id (dashboards/queries.py).
-- Patient payments and patient write-offs belong to the encounter: they appear on its primary claim.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='substring(patient_control_number, 1, 20)') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

submissions as (

    select * from {{ ref('int_submissions_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_submissions_unioned')) }}

),

remits as (

    select * from {{ ref('int_remits_matched') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

remit_adjustments as (

    select * from {{ ref('int_remit_adjustments_classified') }}
    {%- if rcm_incremental() %}
    where file_id in (select file_id from remits)
    {%- endif %}

),

money_events as (

    select * from {{ ref('int_money_events_unioned') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_money_events_unioned')) }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

activities as (

    select * from {{ ref('int_claim_activities_mapped') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_claim_activities_mapped')) }}

),

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

claim_status_codes as (

    select * from {{ ref('claim_status_codes') }}

),

era_remarks as (

    select * from {{ ref('stg_raw__era_remarks') }}
    {%- if rcm_incremental() %}
    where file_id in (select file_id from remits)
    {%- endif %}

),

claim_remarks as (

    select
        file_id,
        claim_position,
        {{ rcm_string_agg_distinct('rarc_code') }} as rarc_codes
    from era_remarks
    where remark_level = 'claim'
    group by file_id, claim_position

),

submission_events as (

    select
        {{ rcm_key(["'submission'", 'submission_id']) }} as event_id,
        {{ rcm_key(['patient_control_number', 'payer_id']) }} as claim_id,
        patient_control_number,
        submission_date as event_date,
        1 as type_rank,
        source_position as source_order,
        case claim_frequency_code when '7' then 'replacement' when '8' then 'void' else 'submitted' end
            as event_type,
        file_id,
        charge_amount as amount,
        cast(null as {{ dbt.type_string() }}) as claim_status_code,
        cast(null as {{ dbt.type_string() }}) as group_code,
        cast(null as {{ dbt.type_string() }}) as carc_code,
        cast(null as {{ dbt.type_string() }}) as rarc_code,
        case claim_frequency_code
            when '7' then 'Replacement claim sent'
            when '8' then 'Void sent'
            else case when submission_order > 1 then 'Claim sent again' else 'Claim sent' end
        end as label,
        {{ dbt.concat(["'via '", 'source_system', "', frequency '", 'claim_frequency_code']) }} as detail
    from submissions

),

remit_events as (

    select
        {{ rcm_key(["'remit'", 'remits.remit_id']) }} as event_id,
        remits.claim_id,
        remits.encounter_patient_control_number as patient_control_number,
        remits.payment_date as event_date,
        2 as type_rank,
        remits.claim_position as source_order,
        case when remits.is_reversal then 'reversal' else 'remit' end as event_type,
        remits.file_id,
        remits.paid_amount as amount,
        remits.claim_status_code,
        cast(null as {{ dbt.type_string() }}) as group_code,
        cast(null as {{ dbt.type_string() }}) as carc_code,
        claim_remarks.rarc_codes as rarc_code,
        coalesce(claim_status_codes.short_label, 'Remittance') as label,
        {{ dbt.concat(["'payer claim number '", "coalesce(remits.payer_claim_control_number, '-')",
            "', trace '", "coalesce(remits.trace_number, '-')"]) }} as detail
    from remits
    left join claim_status_codes
        on remits.claim_status_code = claim_status_codes.claim_status_code
    left join claim_remarks
        on remits.file_id = claim_remarks.file_id
        and remits.claim_position = claim_remarks.claim_position
    where remits.claim_id is not null

),

adjustment_events as (

    select
        {{ rcm_key(["'adjustment'", 'remit_adjustments.adjustment_id']) }} as event_id,
        remits.claim_id,
        remits.encounter_patient_control_number as patient_control_number,
        remits.payment_date as event_date,
        3 as type_rank,
        remit_adjustments.segment_position * 10 + remit_adjustments.triplet_number as source_order,
        'adjustment' as event_type,
        remit_adjustments.file_id,
        remit_adjustments.adjustment_amount as amount,
        remits.claim_status_code,
        remit_adjustments.group_code,
        remit_adjustments.carc_code,
        remit_adjustments.rarc_codes as rarc_code,
        remit_adjustments.short_label as label,
        {{ dbt.concat(["remit_adjustments.adjustment_level", "' level; '",
            "replace(remit_adjustments.root_cause, '_', ' ')",
            "case when remit_adjustments.is_denial then '; denial' else '' end"]) }} as detail
    from remit_adjustments
    inner join remits
        on remit_adjustments.file_id = remits.file_id
        and remit_adjustments.claim_position = remits.claim_position
    where remits.claim_id is not null

),

encounter_money_events as (

    select
        {{ rcm_key(["'money'", 'money_events.money_event_id']) }} as event_id,
        coalesce(money_events.claim_id, encounters.primary_claim_id) as claim_id,
        money_events.patient_control_number,
        money_events.event_date,
        4 as type_rank,
        0 as source_order,
        case when money_events.event_type = 'patient_payment' then 'patient_payment' else 'write_off' end
            as event_type,
        cast(null as {{ dbt.type_string() }}) as file_id,
        money_events.amount,
        cast(null as {{ dbt.type_string() }}) as claim_status_code,
        cast(null as {{ dbt.type_string() }}) as group_code,
        cast(null as {{ dbt.type_string() }}) as carc_code,
        cast(null as {{ dbt.type_string() }}) as rarc_code,
        case
            when money_events.event_type = 'patient_payment' and money_events.amount < 0 then 'Refund to patient'
            when money_events.event_type = 'patient_payment' then 'Patient payment'
            when money_events.event_type = 'patient_write_off' then 'Patient balance written off'
            else 'Insurance balance written off'
        end as label,
        money_events.adjustment_type as detail
    from money_events
    inner join encounters
        on money_events.patient_control_number = encounters.patient_control_number
    where money_events.event_type in ('patient_payment', 'insurance_write_off', 'patient_write_off')

),

activity_events as (

    select
        {{ rcm_key(["'activity'", 'activity_key']) }} as event_id,
        claim_id,
        patient_control_number,
        activity_date as event_date,
        5 as type_rank,
        row_number as source_order,
        'activity' as event_type,
        file_id,
        cast(null as decimal(18, 2)) as amount,
        cast(null as {{ dbt.type_string() }}) as claim_status_code,
        cast(null as {{ dbt.type_string() }}) as group_code,
        cast(null as {{ dbt.type_string() }}) as carc_code,
        cast(null as {{ dbt.type_string() }}) as rarc_code,
        replace(activity_type, '_', ' ') as label,
        {{ dbt.concat(["coalesce(assigned_to, '-')", "': '", "coalesce(note, '')"]) }} as detail
    from activities
    where claim_id is not null

),

unioned as (

    select * from submission_events
    union all
    select * from remit_events
    union all
    select * from adjustment_events
    union all
    select * from encounter_money_events
    union all
    select * from activity_events

),

final as (

    select
        unioned.event_id,
        unioned.claim_id,
        unioned.patient_control_number,
        unioned.event_date,
        -- a claim's events read in order by (event_date, type_rank, file_id, source_order, event_id);
        -- sorted when one claim is read, not here: a row_number() over the ~7 million events of a
        -- 1,000,000-claim warehouse cost ~35 s of CPU and 3.7 GB of spill (ADR 0006)
        cast(unioned.type_rank as tinyint) as type_rank,
        cast(unioned.source_order as bigint) as source_order,
        unioned.event_type,
        unioned.file_id,
        {{ rcm_money('unioned.amount') }} as amount,
        unioned.claim_status_code,
        unioned.group_code,
        unioned.carc_code,
        unioned.rarc_code,
        unioned.label,
        unioned.detail
    from unioned
    where unioned.claim_id in (select claim_id from claims)

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
