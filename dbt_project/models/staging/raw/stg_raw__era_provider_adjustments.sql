-- One row per 835 PLB reason/amount pair of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'era_provider_adjustments') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        segment_position,
        pair_number,
        nullif(trim(provider_id), '') as provider_id,
        fiscal_period_date,
        nullif(trim(reason_code), '') as plb_reason_code,
        nullif(trim(reference_id), '') as reference_id,
        adjustment_amount
    from source

)

select * from renamed
