-- One row per 835 claim record (CLP) with its transaction's payer and dates, and its adjustments
-- summed by meaning: contractual (CO-45/CO-253), patient responsibility (group PR), denials
-- (seed is_denial, positive amounts). Payment date = BPR16; adjudication date = DTM*405 when
-- present, else BPR16. The record's principal denial is its largest denial adjustment (ties: the
-- lowest CARC as text), which names the root cause of an initial denial.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='file', rcm_replace_column='file_id') }}
-- depends_on: {{ ref('int_changed_files_listed') }}
with

era_claims as (

    select * from {{ ref('stg_raw__era_claims') }}
    where {{ rcm_changed_only('file', 'file_id') }}

),

era_transactions as (

    select * from {{ ref('stg_raw__era_transactions') }}
    where {{ rcm_changed_only('file', 'file_id') }}

),

ledger as (

    select * from {{ ref('stg_raw__load_ledger') }}

),

adjustments as (

    select * from {{ ref('int_remit_adjustments_classified') }}
    where {{ rcm_changed_only('file', 'file_id') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

-- Summed and ranked per 835 record by its natural key (file, CLP position), not its md5 remit_id,
-- so the joins below no longer compute the md5 three times per record. At 10,000,000 claims alone:
-- 84.8 s before, 81.7 s after (within the run-to-run spread; docs/benchmarks.md).
adjustment_sums as (

    select
        file_id,
        claim_position,
        sum(case when is_contractual then adjustment_amount else 0 end) as contractual_amount,
        sum(case when is_patient_responsibility then adjustment_amount else 0 end) as patient_responsibility_amount,
        sum(case when is_denial and adjustment_amount > 0 then adjustment_amount else 0 end) as denial_amount,
        sum(case when is_denial and adjustment_amount > 0 then 1 else 0 end) as denial_adjustment_count,
        sum(case when is_denial and adjustment_amount > 0 and adjustment_level = 'line' then 1 else 0 end)
            as line_denial_adjustment_count,
        sum(adjustment_amount) as total_adjustment_amount
    from adjustments
    group by file_id, claim_position

),

principal_denials as (

    select
        file_id,
        claim_position,
        root_cause as principal_denial_root_cause,
        group_carc_code as principal_denial_group_carc_code,
        carc_code as principal_denial_carc_code,
        row_number() over (partition by file_id, claim_position order by adjustment_amount desc, carc_code, segment_position,
            triplet_number) as denial_rank
    from adjustments
    where is_denial
        and adjustment_amount > 0

),

joined as (

    select
        {{ rcm_key(['era_claims.file_id', 'era_claims.claim_position']) }} as remit_id,
        era_claims.file_id,
        era_claims.transaction_position,
        era_claims.claim_position,
        era_transactions.payer_id,
        era_transactions.payer_name,
        era_transactions.payment_date,
        coalesce(era_transactions.production_date, era_transactions.payment_date) as adjudication_date,
        era_transactions.trace_number,
        era_transactions.payment_method_code,
        era_claims.patient_control_number,
        era_claims.pcn_match_key,
        era_claims.claim_status_code,
        coalesce(era_claims.claim_status_code = '22', false) as is_reversal,
        era_claims.charge_amount,
        era_claims.paid_amount,
        era_claims.patient_responsibility_amount as stated_patient_responsibility_amount,
        era_claims.payer_claim_control_number,
        era_claims.rendering_provider_npi,
        era_claims.claim_received_date,
        era_claims.is_balanced,
        {{ rcm_money('coalesce(adjustment_sums.contractual_amount, 0)') }} as contractual_amount,
        {{ rcm_money('coalesce(adjustment_sums.patient_responsibility_amount, 0)') }} as patient_responsibility_amount,
        {{ rcm_money('coalesce(adjustment_sums.denial_amount, 0)') }} as denial_amount,
        cast(coalesce(adjustment_sums.denial_adjustment_count, 0) as integer) as denial_adjustment_count,
        cast(coalesce(adjustment_sums.line_denial_adjustment_count, 0) as integer) as line_denial_adjustment_count,
        principal_denials.principal_denial_root_cause,
        principal_denials.principal_denial_group_carc_code,
        principal_denials.principal_denial_carc_code,
        ledger.received_at as file_received_at
    from era_claims
    left join era_transactions
        on era_claims.file_id = era_transactions.file_id
        and era_claims.transaction_position = era_transactions.transaction_position
    left join adjustment_sums
        on era_claims.file_id = adjustment_sums.file_id
        and era_claims.claim_position = adjustment_sums.claim_position
    left join principal_denials
        on era_claims.file_id = principal_denials.file_id
        and era_claims.claim_position = principal_denials.claim_position
        and principal_denials.denial_rank = 1
    left join ledger
        on era_claims.file_id = ledger.file_id

),

final as (

    select
        joined.*,
        joined.denial_adjustment_count > 0 and not joined.is_reversal as has_denial,
        -- Accounting model: denied in full when CLP02 = 4, or nothing paid with a denial adjustment.
        not joined.is_reversal
            and (joined.claim_status_code = '4' or (joined.paid_amount = 0 and joined.denial_adjustment_count > 0))
            as is_full_denial
    from joined
    cross join as_of
    -- 835s paid after the as-of date have not arrived yet as far as the marts are concerned.
    where joined.payment_date <= as_of.as_of_date

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
