-- One row per submitted claim: patient control number (PCN) × payer, from its submissions.
-- The claim's "original submission" is its first frequency-1 submission (else its first one that is
-- not a void); it gives the billed amount, providers, location and dates of service.
-- first_submission_date is the BHT04 of the first file that carried the original submission.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

submissions as (

    select * from {{ ref('int_submissions_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_submissions_unioned')) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by patient_control_number, payer_id
            order by
                case when claim_frequency_code = '1' then 0 when claim_frequency_code = '8' then 2 else 1 end,
                submission_order
        ) as original_rank
    from submissions

),

originals as (

    select * from ranked
    where original_rank = 1

),

claim_summaries as (

    select
        patient_control_number,
        payer_id,
        min(submission_date) as any_first_submission_date,
        max(submission_date) as last_submission_date,
        count(*) as submission_count,
        sum(case when claim_frequency_code = '1' then 1 else 0 end) as original_submission_count,
        min(case when claim_frequency_code = '1' then submission_date end) as original_first_submission_date,
        min(case when claim_frequency_code = '8' then submission_date end) as void_date,
        max(case when claim_frequency_code = '7' then 1 else 0 end) = 1 as has_replacement,
        max(case when claim_frequency_code = '8' then 1 else 0 end) = 1 as is_voided
    from submissions
    group by patient_control_number, payer_id

),

joined as (

    select
        originals.patient_control_number,
        originals.pcn_match_key,
        originals.payer_id,
        originals.payer_name,
        originals.payer_sequence_number as stated_payer_sequence_number,
        originals.source_system,
        originals.claim_type,
        originals.claim_frequency_code as original_frequency_code,
        originals.submission_id as original_submission_id,
        originals.charge_amount as billed_amount,
        originals.billing_provider_npi,
        originals.rendering_provider_npi,
        originals.location_id,
        originals.patient_id,
        originals.service_date,
        originals.line_count,
        originals.place_of_service_code,
        coalesce(claim_summaries.original_first_submission_date, originals.submission_date)
            as first_submission_date,
        claim_summaries.last_submission_date,
        claim_summaries.submission_count,
        claim_summaries.original_submission_count,
        claim_summaries.void_date,
        claim_summaries.has_replacement,
        claim_summaries.is_voided
    from originals
    inner join claim_summaries
        on originals.patient_control_number = claim_summaries.patient_control_number
        and originals.payer_id = claim_summaries.payer_id

),

sequenced as (

    select
        *,
        -- A claim without a stated sequence (claims CSV, SBR01 = U) takes its place by date among the
        -- encounter's claims.
        coalesce(
            stated_payer_sequence_number,
            row_number() over (
                partition by patient_control_number
                order by stated_payer_sequence_number nulls last, first_submission_date, payer_id
            )
        ) as payer_sequence_number
    from joined

),

final as (

    select
        {{ rcm_key(['patient_control_number', 'payer_id']) }} as claim_id,
        patient_control_number,
        pcn_match_key,
        payer_id,
        payer_name,
        cast(least(payer_sequence_number, 3) as integer) as payer_sequence_number,
        source_system,
        claim_type,
        original_frequency_code,
        original_submission_id,
        billed_amount,
        billing_provider_npi,
        rendering_provider_npi,
        location_id,
        patient_id,
        service_date,
        line_count,
        place_of_service_code,
        first_submission_date,
        last_submission_date,
        cast(submission_count as integer) as submission_count,
        cast(original_submission_count as integer) as original_submission_count,
        void_date,
        has_replacement,
        is_voided
    from sequenced

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
