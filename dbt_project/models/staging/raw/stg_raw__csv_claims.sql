-- One row per claim line of a current claims extract.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'csv_claims') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        row_number,
        nullif(trim(patient_control_number), '') as patient_control_number,
        line_number,
        claim_type,
        nullif(trim(payer_id), '') as payer_id,
        payer_name,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(billing_provider_npi), '') as billing_provider_npi,
        nullif(trim(rendering_provider_npi), '') as rendering_provider_npi,
        nullif(trim(location_id), '') as location_id,
        service_date,
        submission_date,
        nullif(trim(procedure_code), '') as procedure_code,
        modifiers,
        nullif(trim(revenue_code), '') as revenue_code,
        units,
        charge_amount,
        diagnosis_codes,
        nullif(trim(place_of_service_code), '') as place_of_service_code,
        nullif(trim(claim_frequency_code), '') as claim_frequency_code,
        {{ rcm_left('trim(patient_control_number)', 20) }} as pcn_match_key
    from source

)

select * from renamed
