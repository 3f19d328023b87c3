-- One row per PCN match key (the first 20 characters of CLM01, all a payer must echo in CLP01):
-- the encounter it stands for. Everything that names a claim by PCN (835s, CSV payments,
-- adjustments, activities) joins through this key. When two PCNs share their first 20 characters
-- (is_ambiguous) the lowest PCN wins: no payer could have told them apart either.
-- Incremental by match key (ADR 0007): int_encounters_aggregated replaces every encounter of a
-- changed key, so a changed key's encounters are all among its rows of this run.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

final as (

    select
        pcn_match_key,
        min(patient_control_number) as patient_control_number,
        count(*) > 1 as is_ambiguous
    from encounters
    group by pcn_match_key

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
