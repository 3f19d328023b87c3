-- One row per 837 diagnosis (HI composite) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'x837_diagnoses') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        claim_position,
        segment_position,
        diagnosis_sequence,
        code_list_qualifier,
        diagnosis_code,
        present_on_admission
    from source

)

select * from renamed
