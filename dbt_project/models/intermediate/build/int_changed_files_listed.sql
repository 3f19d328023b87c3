-- One row per file whose rows changed since the last recorded build (build_state.built_files):
-- a file that is now a current version and was not then (is_current), or one that was and no
-- longer is (a replaced file version). With no recorded build, every current file.
-- The incremental models read and replace only these files' rows, or their match keys'
-- (int_changed_match_keys_listed); docs/adr/0007-incremental-daily-build.md.
with

ledger as (

    select * from {{ ref('stg_raw__load_ledger') }}

),

built_files as (

    select * from {{ source('build_state', 'built_files') }}

),

current_files as (

    select file_id from ledger
    where is_current_version

),

final as (

    select
        file_id,
        true as is_current
    from current_files
    where file_id not in (select file_id from built_files)

    union all

    select
        file_id,
        false as is_current
    from built_files
    where file_id not in (select file_id from current_files)

)

select * from final
