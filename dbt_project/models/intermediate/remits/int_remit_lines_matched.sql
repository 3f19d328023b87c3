-- One row per 835 service line (SVC) of a known claim, with the submitted line it answers: first by
-- line item control number (835 REF*6R = 837 REF*6R), else by procedure (SVC06 when the payer
-- changed the code) + date of service + charge (|SVC02|: a reversal negates it), taking the latest
-- submission that has such a line. The claim's own submissions come first, then the encounter's
-- other claims: a crossover 835 echoes the lines of the primary's 837. line_match_method says which.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

era_lines as (

    select * from {{ ref('stg_raw__era_service_lines') }}

),

remits as (

    select * from {{ ref('int_remits_matched') }}
    where claim_id is not null
        and {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

submission_lines as (

    select * from {{ ref('int_submission_lines_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_submission_lines_unioned')) }}

),

claim_lines as (

    select
        {{ rcm_key(['patient_control_number', 'payer_id']) }} as claim_id,
        submission_line_id,
        patient_control_number,
        line_item_control_number,
        procedure_code,
        service_date,
        charge_amount,
        submission_order,
        line_number
    from submission_lines

),

-- The line's md5 key is computed once, in final: the matching below groups and joins on the
-- natural key (file_id, line_position); with the content match below limited to unplaced lines,
-- the model spilled 22.9 GB instead of 40.4 at 10,000,000 claims (docs/benchmarks.md).
remit_lines as (

    select
        remits.remit_id,
        remits.claim_id,
        remits.encounter_patient_control_number,
        remits.pcn_match_key,
        era_lines.file_id,
        era_lines.claim_position,
        era_lines.line_position,
        era_lines.line_item_control_number,
        coalesce(era_lines.original_procedure_code, era_lines.procedure_code) as billed_procedure_code,
        era_lines.procedure_code,
        era_lines.service_date,
        era_lines.charge_amount,
        era_lines.paid_amount
    from era_lines
    inner join remits
        on era_lines.file_id = remits.file_id
        and era_lines.claim_position = remits.claim_position

),

by_control_number as (

    -- The best candidate per remit line by an aggregate, not a window: arg_min keeps one value per
    -- group, where row_number() sorted every candidate row. The key puts the claim's own
    -- submissions first, then the latest (a NULL in the key sorts last, as in an ORDER BY).
    select
        remit_lines.file_id,
        remit_lines.line_position,
        arg_min(
            claim_lines.submission_line_id,
            -- the line id last: two candidates equal on the rest must not be picked by row order
            {'rank': [case when claim_lines.claim_id = remit_lines.claim_id then 0 else 1 end,
                -claim_lines.submission_order], 'id': claim_lines.submission_line_id}
        ) as submission_line_id
    from remit_lines
    inner join claim_lines
        on remit_lines.encounter_patient_control_number = claim_lines.patient_control_number
        and remit_lines.line_item_control_number = claim_lines.line_item_control_number
    group by remit_lines.file_id, remit_lines.line_position

),

-- Only the lines the control number did not place are matched by content (joining every line
-- and discarding the placed ones afterwards cost 21 million joined rows at 10,000,000 claims).
unplaced_lines as (

    select * from remit_lines
    where not exists (
        select 1 from by_control_number
        where by_control_number.file_id = remit_lines.file_id
            and by_control_number.line_position = remit_lines.line_position
    )

),

by_content as (

    select
        unplaced_lines.file_id,
        unplaced_lines.line_position,
        arg_min(
            claim_lines.submission_line_id,
            {'rank': [case when claim_lines.claim_id = unplaced_lines.claim_id then 0 else 1 end,
                -claim_lines.submission_order, claim_lines.line_number], 'id': claim_lines.submission_line_id}
        ) as submission_line_id
    from unplaced_lines
    inner join claim_lines
        on unplaced_lines.encounter_patient_control_number = claim_lines.patient_control_number
        and unplaced_lines.billed_procedure_code = claim_lines.procedure_code
        and unplaced_lines.service_date = claim_lines.service_date
        and abs(unplaced_lines.charge_amount) = claim_lines.charge_amount
    group by unplaced_lines.file_id, unplaced_lines.line_position

),

final as (

    select
        {{ rcm_key(['remit_lines.file_id', 'remit_lines.line_position']) }} as remit_line_id,
        remit_lines.*,
        coalesce(by_control_number.submission_line_id, by_content.submission_line_id) as submission_line_id,
        case
            when by_control_number.submission_line_id is not null then 'line_item_control_number'
            when by_content.submission_line_id is not null then 'procedure_date_charge'
            else 'unmatched'
        end as line_match_method
    from remit_lines
    left join by_control_number
        on remit_lines.file_id = by_control_number.file_id
        and remit_lines.line_position = by_control_number.line_position
    left join by_content
        on remit_lines.file_id = by_content.file_id
        and remit_lines.line_position = by_content.line_position

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
