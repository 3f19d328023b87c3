-- One row per 835 transaction set (ST/SE) of a current file.
-- Only files that are the latest loaded version of their name (stg_raw__load_ledger) pass, so a
-- replaced file is never counted twice.
with

current_files as (

    select file_id from {{ ref('stg_raw__load_ledger') }}
    where is_current_version

),

source as (

    select * from {{ source('raw', 'era_transactions') }}
    where file_id in (select file_id from current_files)

),

renamed as (

    select
        file_id,
        transaction_position,
        interchange_control_number,
        interchange_sender_id,
        interchange_date,
        group_control_number,
        version_code,
        transaction_control_number,
        handling_code,
        total_paid_amount,
        credit_debit_flag,
        payment_method_code,
        payment_format_code,
        payment_date,
        nullif(trim(trace_number), '') as trace_number,
        trace_originator_id,
        production_date,
        payer_name,
        nullif(trim(payer_id), '') as payer_id,
        payee_name,
        payee_id_qualifier,
        payee_id,
        payee_tax_id,
        claim_count,
        sum_claim_paid_amount,
        sum_provider_adjustment_amount,
        is_balanced,
        balance_difference_amount,
        declared_segment_count,
        actual_segment_count
    from source

)

select * from renamed
