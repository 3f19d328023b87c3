-- One row per 835 CAS triplet (claim or line level), classified by seeds/carc_categories.
-- The most specific seed row wins: exact group beats '*', then exact CARC, then a RARC override
-- (a RARC at the same level: the line's LQ, or the claim's MOA/MIA). Codes the seed lacks are
-- 'other', not a denial, and not contractual (docs/accounting_model.md: a denial is what the
-- seed marks). Classification runs on the distinct code combinations, then joins back, so the
-- non-equi match never touches millions of rows.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='file', rcm_replace_column='file_id') }}
-- depends_on: {{ ref('int_changed_files_listed') }}
with

adjustments as (

    select * from {{ ref('stg_raw__era_adjustments') }}
    where {{ rcm_changed_only('file', 'file_id') }}

),

remarks as (

    select * from {{ ref('stg_raw__era_remarks') }}
    where {{ rcm_changed_only('file', 'file_id') }}

),

carc_categories as (

    select * from {{ ref('carc_categories') }}

),

remark_sets as (

    select
        file_id,
        claim_position,
        coalesce(line_position, -1) as line_key,
        {{ rcm_string_agg_distinct('rarc_code') }} as rarc_codes
    from remarks
    group by file_id, claim_position, coalesce(line_position, -1)

),

adjustments_with_remarks as (

    select
        adjustments.*,
        remark_sets.rarc_codes,
        coalesce(adjustments.group_code, '') as group_key,
        coalesce(adjustments.carc_code, '') as carc_key,
        coalesce(remark_sets.rarc_codes, '') as rarc_key
    from adjustments
    left join remark_sets
        on adjustments.file_id = remark_sets.file_id
        and adjustments.claim_position = remark_sets.claim_position
        and coalesce(adjustments.line_position, -1) = remark_sets.line_key

),

code_combinations as (

    select distinct
        group_key,
        carc_key,
        rarc_key
    from adjustments_with_remarks

),

candidate_matches as (

    select
        code_combinations.group_key,
        code_combinations.carc_key,
        code_combinations.rarc_key,
        carc_categories.short_label,
        carc_categories.root_cause,
        carc_categories.is_denial,
        carc_categories.core_scenario,
        carc_categories.is_avoidable,
        carc_categories.owning_stage,
        carc_categories.is_appealable,
        carc_categories.is_contractual,
        carc_categories.rarc_code as matched_rarc_code,
        row_number() over (
            partition by code_combinations.group_key, code_combinations.carc_key, code_combinations.rarc_key
            order by
                case when carc_categories.group_code = '*' then 1 else 0 end,
                case when carc_categories.carc_code = '*' then 1 else 0 end,
                case when carc_categories.rarc_code = '*' then 1 else 0 end,
                carc_categories.rarc_code
        ) as match_rank
    from code_combinations
    inner join carc_categories
        on (carc_categories.group_code = code_combinations.group_key or carc_categories.group_code = '*')
        and (carc_categories.carc_code = code_combinations.carc_key or carc_categories.carc_code = '*')
        and (
            carc_categories.rarc_code = '*'
            or {{ dbt.concat(["','", "code_combinations.rarc_key", "','"]) }}
                like {{ dbt.concat(["'%,'", "carc_categories.rarc_code", "',%'"]) }}
        )

),

best_matches as (

    select * from candidate_matches
    where match_rank = 1

),

final as (

    select
        {{ rcm_key(['adjustments_with_remarks.file_id', 'adjustments_with_remarks.segment_position',
                    'adjustments_with_remarks.triplet_number']) }} as adjustment_id,
        {{ rcm_key(['adjustments_with_remarks.file_id', 'adjustments_with_remarks.claim_position']) }} as remit_id,
        adjustments_with_remarks.file_id,
        adjustments_with_remarks.transaction_position,
        adjustments_with_remarks.claim_position,
        adjustments_with_remarks.line_position,
        adjustments_with_remarks.adjustment_level,
        adjustments_with_remarks.segment_position,
        adjustments_with_remarks.triplet_number,
        adjustments_with_remarks.group_code,
        adjustments_with_remarks.carc_code,
        {{ dbt.concat(["coalesce(adjustments_with_remarks.group_code, '')", "'-'",
                       "coalesce(adjustments_with_remarks.carc_code, '')"]) }} as group_carc_code,
        adjustments_with_remarks.rarc_codes,
        adjustments_with_remarks.adjustment_amount,
        adjustments_with_remarks.adjustment_quantity,
        coalesce(best_matches.short_label, 'Code not in our mapping') as short_label,
        coalesce(best_matches.root_cause, 'other') as root_cause,
        coalesce(best_matches.is_denial, false) as is_denial,
        coalesce(best_matches.core_scenario, 'none') as core_scenario,
        coalesce(best_matches.is_avoidable, false) as is_avoidable,
        coalesce(best_matches.owning_stage, 'back_end') as owning_stage,
        coalesce(best_matches.is_appealable, false) as is_appealable,
        coalesce(best_matches.is_contractual, false) as is_contractual,
        adjustments_with_remarks.group_code = 'PR' as is_patient_responsibility,
        best_matches.root_cause is not null as is_mapped
    from adjustments_with_remarks
    left join best_matches
        on adjustments_with_remarks.group_key = best_matches.group_key
        and adjustments_with_remarks.carc_key = best_matches.carc_key
        and adjustments_with_remarks.rarc_key = best_matches.rarc_key

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
