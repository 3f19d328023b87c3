-- One row per loaded file whose rows may have changed since the last recorded build
-- (build_state.built_files): a current version the record did not have as current (is_current),
-- or a replaced version the record did not have as replaced, whose rows must go. The second also
-- catches a version loaded and replaced between two recorded builds: a failed or subset build
-- in between may have written its rows. With no recorded build, every loaded file.
-- The incremental models read and replace only these files' rows, or their match keys'
-- (int_changed_match_keys_listed); docs/adr/0007-incremental-daily-build.md.
with

ledger as (

    select * from {{ ref('stg_raw__load_ledger') }}

),

built_files as (

    select * from {{ source('build_state', 'built_files') }}

),

final as (

    {{ rcm_changed_files('ledger', 'built_files') }}

)

select * from final
