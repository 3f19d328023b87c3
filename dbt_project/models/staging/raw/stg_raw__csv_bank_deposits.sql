-- One row per bank deposit of a current extract.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'csv_bank_deposits') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        row_number,
        nullif(trim(deposit_id), '') as deposit_id,
        deposit_date,
        bank_account,
        amount,
        deposit_type,
        nullif(trim(trace_number), '') as trace_number,
        nullif(trim(payer_id), '') as payer_id
    from source

)

select * from renamed
