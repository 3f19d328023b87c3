-- One row per biller activity (claim_activities CSV) with the claim it is about: the PCN's claim
-- with the activity's payer, else (no payer given, or a payer we never billed) the encounter's
-- primary claim. Activities naming an unknown PCN keep claim_id null.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

activities as (

    select * from {{ ref('stg_raw__csv_claim_activities') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__csv_claim_activities')) }}

),

pcn_keys as (

    select * from {{ ref('int_pcn_keys_mapped') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_pcn_keys_mapped')) }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

final as (

    select
        {{ rcm_key(["'activity'", 'activities.file_id', 'activities.row_number']) }} as activity_key,
        activities.activity_id,
        activities.file_id,
        activities.row_number,
        activities.activity_date,
        activities.pcn_match_key,
        pcn_keys.patient_control_number,
        activities.payer_id,
        coalesce(claims.claim_id, encounters.primary_claim_id) as claim_id,
        activities.activity_type,
        activities.assigned_to,
        activities.note
    from activities
    cross join as_of
    left join pcn_keys
        on activities.pcn_match_key = pcn_keys.pcn_match_key
    left join encounters
        on pcn_keys.patient_control_number = encounters.patient_control_number
    left join claims
        on pcn_keys.patient_control_number = claims.patient_control_number
        and activities.payer_id = claims.payer_id
    where activities.activity_date <= as_of.as_of_date

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
