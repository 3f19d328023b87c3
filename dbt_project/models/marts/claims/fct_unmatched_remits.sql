-- One row per 835 claim record whose PCN matches no claim we sent; see _claims__models.yml.
with

remits as (

    select * from {{ ref('int_remits_matched') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

final as (

    select
        remit_id,
        file_id,
        claim_position,
        patient_control_number,
        payer_id,
        payer_name,
        claim_status_code,
        payment_date,
        charge_amount,
        paid_amount,
        patient_responsibility_amount,
        payer_claim_control_number,
        trace_number
    from remits
    cross join as_of
    where remits.match_method = 'unmatched'
        and remits.payment_date <= as_of.as_of_date

)

select * from final
