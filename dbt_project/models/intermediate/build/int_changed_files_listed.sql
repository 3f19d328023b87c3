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

    select
        file_id,
        is_current_version as is_current
    from ledger
    where is_loaded
        and file_id not in (
            select file_id from built_files
            where is_current = ledger.is_current_version
        )

)

select * from final
