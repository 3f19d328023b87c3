-- One row per patient payment of a current extract (negative = refund).
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'csv_patient_payments') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        row_number,
        payment_id,
        payment_date,
        account_id,
        nullif(trim(patient_control_number), '') as patient_control_number,
        amount,
        method,
        channel,
        nullif(trim(payment_plan_id), '') as payment_plan_id,
        nullif(trim(deposit_id), '') as deposit_id,
        {{ rcm_left('trim(patient_control_number)', 20) }} as pcn_match_key
    from source

)

select * from renamed
