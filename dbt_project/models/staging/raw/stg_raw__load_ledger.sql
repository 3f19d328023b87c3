-- One row per file the loader recorded, with whether it is the current version of its name.
-- A file name received again with other content gets a higher version_number and replaces the
-- earlier version; duplicates (same sha256) and quarantined files never count.
with

source as (

    select * from {{ source('raw', 'load_ledger') }}

),

renamed as (

    select
        file_id,
        file_sha256,
        file_name,
        source_path,
        stored_path,
        size_bytes,
        file_kind,
        received_at,
        loaded_at,
        status,
        reasons,
        supersedes_file_id,
        version_number,
        row_counts,
        money_totals,
        parse_seconds,
        status in ('loaded', 'loaded_with_warnings') as is_loaded
    from source

),

ranked as (

    select
        *,
        case
            when is_loaded
                then row_number() over (
                    partition by file_name, is_loaded
                    order by version_number desc, loaded_at desc, file_id
                )
        end as version_rank
    from renamed

),

final as (

    select
        file_id,
        file_sha256,
        file_name,
        source_path,
        stored_path,
        size_bytes,
        file_kind,
        received_at,
        loaded_at,
        status,
        reasons,
        supersedes_file_id,
        version_number,
        row_counts,
        money_totals,
        parse_seconds,
        is_loaded,
        coalesce(version_rank = 1, false) as is_current_version
    from ranked

)

select * from final
