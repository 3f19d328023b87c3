-- One row per 837 claim (CLM) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'x837_claims') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        claim_type,
        version_code,
        interchange_control_number,
        transaction_control_number,
        batch_reference,
        creation_date as submission_date,
        submitter_id,
        receiver_id,
        nullif(trim(billing_provider_npi), '') as billing_provider_npi,
        billing_provider_name,
        billing_provider_tax_id,
        nullif(trim(payer_responsibility_code), '') as payer_responsibility_code,
        claim_filing_indicator_code,
        payer_name,
        nullif(trim(payer_id), '') as payer_id,
        nullif(trim(patient_id), '') as patient_id,
        nullif(trim(patient_control_number), '') as patient_control_number,
        total_charge_amount,
        nullif(trim(facility_code), '') as facility_code,
        facility_code_qualifier,
        nullif(trim(claim_frequency_code), '') as claim_frequency_code,
        nullif(trim(payer_claim_control_number), '') as payer_claim_control_number,
        prior_authorization_number,
        nullif(trim(rendering_provider_npi), '') as rendering_provider_npi,
        nullif(trim(attending_provider_npi), '') as attending_provider_npi,
        nullif(trim(service_facility_id), '') as service_facility_id,
        statement_from_date,
        statement_to_date,
        admission_date,
        discharge_date,
        prior_payer_paid_amount,
        line_count,
        sum_line_charge_amount,
        {{ rcm_left('trim(patient_control_number)', 20) }} as pcn_match_key
    from source

)

select * from renamed
