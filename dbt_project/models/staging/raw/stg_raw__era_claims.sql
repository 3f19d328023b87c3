-- One row per 835 claim record (CLP) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'era_claims') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        nullif(trim(patient_control_number), '') as patient_control_number,
        nullif(trim(claim_status_code), '') as claim_status_code,
        charge_amount,
        paid_amount,
        patient_responsibility_amount,
        claim_filing_indicator_code,
        nullif(trim(payer_claim_control_number), '') as payer_claim_control_number,
        facility_type_code,
        nullif(trim(claim_frequency_code), '') as claim_frequency_code,
        drg_code,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(rendering_provider_npi), '') as rendering_provider_npi,
        crossover_payer_name,
        nullif(trim(original_reference_number), '') as original_reference_number,
        statement_from_date,
        statement_to_date,
        claim_received_date,
        coverage_amount,
        interest_amount,
        line_count,
        sum_claim_adjustment_amount,
        sum_line_adjustment_amount,
        is_balanced,
        balance_difference_amount,
        {{ rcm_left('trim(patient_control_number)', 20) }} as pcn_match_key
    from source

)

select * from renamed
