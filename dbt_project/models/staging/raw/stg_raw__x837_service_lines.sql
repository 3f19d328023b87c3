-- One row per 837 service line (SV1/SV2) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'x837_service_lines') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        line_position,
        line_number,
        procedure_qualifier,
        nullif(trim(procedure_code), '') as procedure_code,
        nullif(trim(modifier_1), '') as modifier_1,
        nullif(trim(modifier_2), '') as modifier_2,
        nullif(trim(modifier_3), '') as modifier_3,
        nullif(trim(modifier_4), '') as modifier_4,
        nullif(trim(revenue_code), '') as revenue_code,
        charge_amount,
        unit_basis_code,
        units,
        nullif(trim(place_of_service_code), '') as place_of_service_code,
        diagnosis_pointers,
        non_covered_charge_amount,
        nullif(trim(line_item_control_number), '') as line_item_control_number,
        service_date,
        service_end_date,
        nullif(trim(rendering_provider_npi), '') as rendering_provider_npi
    from source

)

select * from renamed
