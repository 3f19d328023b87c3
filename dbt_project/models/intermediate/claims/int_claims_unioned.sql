-- One row per claim (PCN × payer): every submitted claim, plus the crossover claims known only from
-- a payer's 835 (the prior payer forwarded them). Carries the payer sequence and the date the
-- claim's payer became responsible for the encounter's insurance balance: the primary from the
-- encounter's first submission; a later payer from the first of its own submission, its first 835,
-- or a prior payer's 835 that says it forwarded the claim (CLP02 19/20/21/23).
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

claims as (

    select * from {{ ref('int_claims_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_aggregated')) }}

),

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

remits as (

    select * from {{ ref('int_remits_matched') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

remit_summaries as (

    select * from {{ ref('int_claim_remits_summarized') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claim_remits_summarized')) }}

),

claim_status_codes as (

    select * from {{ ref('claim_status_codes') }}

),

encounter_sequences as (

    select
        patient_control_number,
        max(payer_sequence_number) as max_submitted_sequence_number
    from claims
    group by patient_control_number

),

crossover_remits as (

    select
        remits.claim_id,
        remits.encounter_patient_control_number as patient_control_number,
        remits.pcn_match_key,
        remits.payer_id,
        remits.payer_name,
        remits.rendering_provider_npi,
        case claim_status_codes.payer_sequence
            when 'primary' then 1
            when 'secondary' then 2
            when 'tertiary' then 3
        end as stated_sequence_number,
        row_number() over (partition by remits.claim_id order by remits.remit_order) as remit_rank
    from remits
    left join claim_status_codes
        on remits.claim_status_code = claim_status_codes.claim_status_code
    where remits.match_method = 'crossover'

),

crossover_claims as (

    select
        crossover_remits.claim_id,
        crossover_remits.patient_control_number,
        crossover_remits.pcn_match_key,
        crossover_remits.payer_id,
        crossover_remits.payer_name,
        -- A crossover comes after the payers we billed: never let it displace the primary.
        cast(least(greatest(coalesce(crossover_remits.stated_sequence_number, 0),
            encounter_sequences.max_submitted_sequence_number + 1), 3) as integer) as payer_sequence_number,
        'remit_only' as source_system,
        primary_claims.claim_type,
        cast(null as {{ dbt.type_string() }}) as original_frequency_code,
        cast(null as {{ dbt.type_string() }}) as original_submission_id,
        {{ rcm_money('0') }} as billed_amount,
        primary_claims.billing_provider_npi,
        coalesce(crossover_remits.rendering_provider_npi, primary_claims.rendering_provider_npi)
            as rendering_provider_npi,
        primary_claims.location_id,
        primary_claims.patient_id,
        primary_claims.service_date,
        cast(0 as integer) as line_count,
        primary_claims.place_of_service_code,
        cast(null as date) as first_submission_date,
        cast(null as date) as last_submission_date,
        cast(0 as integer) as submission_count,
        cast(0 as integer) as original_submission_count,
        cast(null as date) as void_date,
        false as has_replacement,
        false as is_voided
    from crossover_remits
    inner join encounter_sequences
        on crossover_remits.patient_control_number = encounter_sequences.patient_control_number
    inner join encounters
        on crossover_remits.patient_control_number = encounters.patient_control_number
    inner join claims as primary_claims
        on encounters.primary_claim_id = primary_claims.claim_id
    where crossover_remits.remit_rank = 1

),

all_claims as (

    select
        claim_id, patient_control_number, pcn_match_key, payer_id, payer_name, payer_sequence_number,
        source_system, claim_type, original_frequency_code, original_submission_id, billed_amount,
        billing_provider_npi, rendering_provider_npi, location_id, patient_id, service_date, line_count,
        place_of_service_code, first_submission_date, last_submission_date, submission_count,
        original_submission_count, void_date, has_replacement, is_voided
    from claims
    union all
    select
        claim_id, patient_control_number, pcn_match_key, payer_id, payer_name, payer_sequence_number,
        source_system, claim_type, original_frequency_code, original_submission_id, billed_amount,
        billing_provider_npi, rendering_provider_npi, location_id, patient_id, service_date, line_count,
        place_of_service_code, first_submission_date, last_submission_date, submission_count,
        original_submission_count, void_date, has_replacement, is_voided
    from crossover_claims

),

with_remits as (

    select
        all_claims.*,
        -- One strict order of the encounter's claims (two claims may both say "primary" when the
        -- first payer was the wrong one): sequence, then date, then payer.
        row_number() over (
            partition by all_claims.patient_control_number
            order by all_claims.payer_sequence_number,
                coalesce(all_claims.first_submission_date, remit_summaries.first_remit_date),
                all_claims.payer_id
        ) as chain_position,
        all_claims.claim_id = encounters.primary_claim_id as is_primary_claim,
        encounters.first_submission_date as encounter_first_submission_date,
        remit_summaries.first_remit_date,
        remit_summaries.first_forward_date
    from all_claims
    inner join encounters
        on all_claims.patient_control_number = encounters.patient_control_number
    left join remit_summaries
        on all_claims.claim_id = remit_summaries.claim_id

),

forwarded as (

    -- For each claim, the earliest forward by a payer earlier in the encounter's chain.
    select
        later.claim_id,
        min(earlier.first_forward_date) as prior_payer_forward_date
    from with_remits as later
    inner join with_remits as earlier
        on later.patient_control_number = earlier.patient_control_number
        and earlier.chain_position < later.chain_position
    where earlier.first_forward_date is not null
    group by later.claim_id

),

final as (

    select
        with_remits.claim_id,
        with_remits.patient_control_number,
        with_remits.pcn_match_key,
        with_remits.payer_id,
        with_remits.payer_name,
        with_remits.payer_sequence_number,
        case with_remits.payer_sequence_number
            when 1 then 'primary'
            when 2 then 'secondary'
            else 'tertiary'
        end as payer_sequence,
        with_remits.is_primary_claim,
        cast(with_remits.chain_position as integer) as chain_position,
        with_remits.source_system,
        with_remits.claim_type,
        with_remits.original_frequency_code,
        with_remits.original_submission_id,
        with_remits.billed_amount,
        with_remits.billing_provider_npi,
        with_remits.rendering_provider_npi,
        with_remits.location_id,
        with_remits.patient_id,
        with_remits.service_date,
        with_remits.line_count,
        with_remits.place_of_service_code,
        with_remits.first_submission_date,
        with_remits.last_submission_date,
        with_remits.submission_count,
        with_remits.original_submission_count,
        with_remits.void_date,
        with_remits.has_replacement,
        with_remits.is_voided,
        with_remits.encounter_first_submission_date,
        case
            when with_remits.is_primary_claim then with_remits.encounter_first_submission_date
            else greatest(
                with_remits.encounter_first_submission_date,
                least(
                    coalesce(with_remits.first_submission_date, cast('9999-12-31' as date)),
                    coalesce(with_remits.first_remit_date, cast('9999-12-31' as date)),
                    coalesce(forwarded.prior_payer_forward_date, cast('9999-12-31' as date))
                )
            )
        end as responsible_from_date
    from with_remits
    left join forwarded
        on with_remits.claim_id = forwarded.claim_id

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
