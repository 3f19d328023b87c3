-- One row per PM-system adjustment of a current extract.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'csv_adjustments') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        row_number,
        adjustment_id,
        posted_date,
        nullif(trim(patient_control_number), '') as patient_control_number,
        nullif(trim(payer_id), '') as payer_id,
        adjustment_type,
        nullif(trim(reason_code), '') as reason_code,
        amount,
        user_id,
        {{ rcm_left('trim(patient_control_number)', 20) }} as pcn_match_key
    from source

)

select * from renamed
