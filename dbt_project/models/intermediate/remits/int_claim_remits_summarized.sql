-- One row per claim with at least one 835 record: its remittance history in one row.
-- Records are ordered by BPR16, file arrival, position. The first and latest *adjudications* skip
-- reversals, predeterminations (CLP02 = 25) and duplicate-claim rejections of a claim the payer had
-- already decided (int_remits_matched.is_duplicate_rejection). First payment = earliest BPR16 of a
-- record with CLP04 > 0 (accounting model).
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
{% set adjudication -%}
    not is_reversal and coalesce(claim_status_code, '') <> '25' and not is_duplicate_rejection
{%- endset %}

with

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

remits as (

    -- Records dated after the as-of date have not happened yet as far as the marts are concerned.
    select int_remits_matched.*
    from {{ ref('int_remits_matched') }} as int_remits_matched
    cross join as_of
    where int_remits_matched.claim_id is not null
        and {{ rcm_changed_only('match_key', 'int_remits_matched.pcn_match_key', of=ref('int_remits_matched')) }}
        and int_remits_matched.payment_date <= as_of.as_of_date

),

claim_status_codes as (

    select * from {{ ref('claim_status_codes') }}

),

remit_totals as (

    select
        claim_id,
        -- every record of a claim has its match key (int_remits_matched matches within one)
        min(pcn_match_key) as pcn_match_key,
        min(payer_name) as remit_payer_name,
        min(payment_date) as first_remit_date,
        max(payment_date) as last_remit_date,
        min(case when paid_amount > 0 then payment_date end) as first_payment_date,
        min(case when is_forwarded then payment_date end) as first_forward_date,
        count(*) as remit_count,
        sum(paid_amount) as paid_amount,
        sum(contractual_amount) as contractual_amount,
        sum(patient_responsibility_amount) as patient_responsibility_amount,
        max(case when is_reversal then 1 else 0 end) = 1 as was_reversed,
        max(case when has_denial and not is_duplicate_rejection then payment_date end) as last_denial_date,
        sum(denial_adjustment_count) as denial_adjustment_count,
        -- First and latest of the records that decide the claim (the header says which). remit_order
        -- is unique within a claim, so each pick is exact, and no window sorts whole records.
        -- The picked records' fields travel in the aggregate as one struct each, so nothing joins back
        -- to the 835 records on their md5 key: at 10,000,000 claims those two joins were a third of
        -- this model's time and most of its spill (docs/benchmarks.md).
        arg_min(
            {{ rcm_struct(['remit_id', 'payment_date', 'claim_status_code', 'paid_amount',
                'patient_responsibility_amount', 'has_denial', 'principal_denial_root_cause',
                'principal_denial_group_carc_code', 'match_method']) }},
            remit_order
        ) filter (where {{ adjudication }}) as first_remit,
        arg_max(
            {{ rcm_struct(['remit_id', 'claim_status_code', 'payment_date', 'paid_amount', 'has_denial',
                'is_full_denial', 'denial_amount', 'principal_denial_root_cause',
                'principal_denial_group_carc_code']) }},
            remit_order
        ) filter (where {{ adjudication }}) as latest_remit
    from (
        select
            remits.*,
            coalesce(claim_status_codes.is_forwarded, false) as is_forwarded
        from remits
        left join claim_status_codes
            on remits.claim_status_code = claim_status_codes.claim_status_code
    ) as remits_with_status
    group by claim_id

),

final as (

    select
        remit_totals.claim_id,
        remit_totals.pcn_match_key,
        remit_totals.remit_payer_name,
        remit_totals.first_remit_date,
        remit_totals.last_remit_date,
        remit_totals.first_payment_date,
        remit_totals.first_forward_date,
        cast(remit_totals.remit_count as integer) as remit_count,
        {{ rcm_money('remit_totals.paid_amount') }} as paid_amount,
        {{ rcm_money('remit_totals.contractual_amount') }} as contractual_amount,
        {{ rcm_money('remit_totals.patient_responsibility_amount') }} as patient_responsibility_amount,
        remit_totals.was_reversed,
        remit_totals.denial_adjustment_count > 0 as has_any_denial,
        remit_totals.last_denial_date,
        remit_totals.first_remit.remit_id as first_remit_id,
        remit_totals.first_remit.payment_date as first_adjudication_date,
        remit_totals.first_remit.claim_status_code as first_claim_status_code,
        remit_totals.first_remit.paid_amount as first_paid_amount,
        remit_totals.first_remit.patient_responsibility_amount as first_patient_responsibility_amount,
        remit_totals.first_remit.has_denial as first_remit_has_denial,
        remit_totals.first_remit.principal_denial_root_cause as first_remit_denial_root_cause,
        remit_totals.first_remit.principal_denial_group_carc_code as first_remit_denial_group_carc_code,
        remit_totals.first_remit.match_method as match_method,
        remit_totals.latest_remit.remit_id as latest_remit_id,
        remit_totals.latest_remit.claim_status_code as latest_claim_status_code,
        remit_totals.latest_remit.payment_date as latest_remit_date,
        remit_totals.latest_remit.paid_amount as latest_paid_amount,
        remit_totals.latest_remit.has_denial as latest_remit_has_denial,
        remit_totals.latest_remit.is_full_denial as latest_remit_is_full_denial,
        remit_totals.latest_remit.denial_amount as latest_denial_amount,
        remit_totals.latest_remit.principal_denial_root_cause as latest_denial_root_cause,
        remit_totals.latest_remit.principal_denial_group_carc_code as latest_denial_group_carc_code
    from remit_totals

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
