-- One row per 835 remark code (LQ, MOA, MIA) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'era_remarks') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        line_position,
        remark_level,
        segment_position,
        source_segment,
        remark_number,
        nullif(trim(rarc_code), '') as rarc_code
    from source

)

select * from renamed
