-- One row per PCN match key (the first 20 characters of CLM01; '' for none) that a changed file
-- names (int_changed_files_listed): claims, 835 claim records, patient payments, adjustments and
-- biller activities. Read from the raw tables, not staging, so a replaced file version's keys
-- count too: its rows vanish from those keys. Every row of an encounter group depends only on
-- rows of its own match key, so these are the groups an incremental model recomputes.
with

changed_files as (

    select file_id from {{ ref('int_changed_files_listed') }}

),

{%- set tables = ['x837_claims', 'era_claims', 'csv_claims', 'csv_patient_payments', 'csv_adjustments',
                  'csv_claim_activities'] %}

named_keys as (

    {%- for table in tables %}
    select {{ rcm_left('trim(patient_control_number)', 20) }} as match_key
    from {{ source('raw', table) }}
    where file_id in (select file_id from changed_files)
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select distinct coalesce(match_key, '') as match_key
    from named_keys

)

select * from final
