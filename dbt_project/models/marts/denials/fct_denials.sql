-- One row per denial adjustment event; see _denials__models.yml and int_denials_resolved.
with

denials as (

    select * from {{ ref('int_denials_resolved') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

final as (

    select
        denials.denial_id,
        denials.claim_id,
        denials.patient_control_number,
        denials.payer_id,
        coalesce(payers.payer_name, denials.payer_id) as payer_name,
        coalesce(payers.payer_category, 'other') as payer_category,
        denials.billing_provider_npi,
        denials.rendering_provider_npi,
        denials.location_id,
        denials.procedure_code,
        denials.service_date,
        denials.denial_date,
        {{ rcm_month('denials.denial_date') }} as denial_month,
        denials.adjustment_level,
        denials.group_code,
        denials.carc_code,
        denials.rarc_codes,
        denials.root_cause,
        denials.core_scenario,
        denials.is_avoidable,
        denials.owning_stage,
        denials.is_appealable,
        denials.is_initial,
        denials.is_principal_in_record,
        denials.denied_amount,
        denials.outcome,
        denials.recovered_amount,
        denials.resolution_date,
        denials.days_to_resolution,
        denials.denial_order,
        denials.is_full_denial,
        denials.file_id,
        denials.claim_position
    from denials
    left join payers
        on denials.payer_id = payers.payer_id

)

select * from final
