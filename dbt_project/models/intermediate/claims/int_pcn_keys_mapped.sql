-- One row per PCN match key (the first 20 characters of CLM01, all a payer must echo in CLP01):
-- the encounter it stands for. Everything that names a claim by PCN (835s, CSV payments,
-- adjustments, activities) joins through this key. When two PCNs share their first 20 characters
-- (is_ambiguous) the lowest PCN wins: no payer could have told them apart either.
with

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}

),

final as (

    select
        pcn_match_key,
        min(patient_control_number) as patient_control_number,
        count(*) > 1 as is_ambiguous
    from encounters
    group by pcn_match_key

)

select * from final
