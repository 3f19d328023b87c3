-- One row per encounter: a patient control number (PCN) with its primary claim.
-- The charge is the primary claim's original CLM02, counted once per PCN, dated at its first
-- submission; a frequency-8 void of the primary claim reverses the whole charge on the void's date
-- (docs/accounting_model.md). A/R starts at the primary claim's first submission date.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

claims as (

    select * from {{ ref('int_claims_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_aggregated')) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by patient_control_number
            order by payer_sequence_number, first_submission_date, payer_id
        ) as claim_rank,
        count(*) over (partition by patient_control_number) as claim_count
    from claims

),

final as (

    select
        patient_control_number,
        pcn_match_key,
        claim_id as primary_claim_id,
        payer_id as primary_payer_id,
        billed_amount as charge_amount,
        original_frequency_code = '1' as has_original_submission,
        first_submission_date,
        service_date,
        line_count,
        is_voided,
        void_date,
        cast(claim_count as integer) as submitted_claim_count
    from ranked
    where claim_rank = 1

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
