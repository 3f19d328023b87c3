-- One row per 835 CAS triplet (claim or line level) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'era_adjustments') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        line_position,
        adjustment_level,
        segment_position,
        triplet_number,
        nullif(trim(group_code), '') as group_code,
        nullif(trim(carc_code), '') as carc_code,
        adjustment_amount,
        adjustment_quantity
    from source

)

select * from renamed
