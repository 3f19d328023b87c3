-- One row per claim (PCN × payer); see _claims__models.yml. The claim's history comes from
-- int_claims_enriched (incremental, a match key at a time); what depends on the as-of date, the
-- payer's rules or the dimensions is added here, on every build.
with

claims as (

    select * from {{ ref('int_claims_enriched') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

payers as (

    select * from {{ ref('dim_payers') }}

),

providers as (

    select * from {{ ref('dim_providers') }}

),

locations as (

    select * from {{ ref('dim_locations') }}

),

payer_rules as (

    select * from {{ ref('payer_rules') }}

),

rules as (

    -- A payer's own terms, else the '*' defaults.
    select
        payers.payer_id,
        coalesce(own_rules.timely_filing_days, default_rules.timely_filing_days) as timely_filing_days,
        coalesce(own_rules.appeal_window_days, default_rules.appeal_window_days) as appeal_window_days,
        coalesce(own_rules.expected_payment_days, default_rules.expected_payment_days) as expected_payment_days
    from payers
    left join payer_rules as own_rules
        on payers.payer_id = own_rules.payer_id
    left join payer_rules as default_rules
        on default_rules.payer_id = '*'

),

final as (

    select
        claims.claim_id,
        claims.patient_control_number,
        claims.payer_id,
        coalesce(payers.payer_name, claims.payer_name, claims.remit_payer_name) as payer_name,
        coalesce(payers.payer_category, 'other') as payer_category,
        claims.payer_sequence,
        claims.claim_type,
        claims.billing_provider_npi,
        claims.rendering_provider_npi,
        coalesce(rendering_providers.provider_name, billing_providers.provider_name) as provider_name,
        claims.location_id,
        locations.location_name,
        claims.patient_id,
        claims.service_date,
        {{ rcm_month('claims.service_date') }} as service_month,
        claims.first_submission_date,
        claims.last_submission_date,
        claims.submission_count,
        claims.first_remit_date,
        claims.first_payment_date,
        claims.last_activity_date,
        claims.billed_amount,
        claims.paid_amount,
        claims.contractual_amount,
        claims.patient_responsibility_amount,
        claims.denied_amount,
        claims.write_off_amount,
        claims.patient_paid_amount,
        claims.insurance_balance_amount,
        claims.patient_balance_amount,
        -- A live claim no payer has answered: 'no_response' once older than the payer's expected
        -- payment days at the as-of date.
        coalesce(
            claims.remit_status,
            case
                when {{ rcm_days_between('coalesce(claims.last_submission_date, claims.first_submission_date)', 'as_of.as_of_date') }}
                    > coalesce(rules.expected_payment_days, 30)
                    then 'no_response'
                else 'submitted'
            end
        ) as current_status,
        claims.is_first_pass_paid,
        claims.is_initially_denied,
        claims.initial_denial_root_cause,
        claims.was_reversed,
        claims.has_replacement,
        {{ rcm_add_days('claims.service_date', 'rules.timely_filing_days') }} as timely_filing_deadline,
        {{ rcm_add_days('claims.last_denial_date', 'rules.appeal_window_days') }} as appeal_deadline,
        {{ rcm_days_between('claims.first_submission_date', 'as_of.as_of_date') }} as days_since_submission,
        claims.source_system,
        claims.is_voided,
        claims.is_current_claim,
        claims.latest_claim_status_code,
        as_of.as_of_date
    from claims
    cross join as_of
    left join rules
        on claims.payer_id = rules.payer_id
    left join payers
        on claims.payer_id = payers.payer_id
    left join providers as rendering_providers
        on claims.rendering_provider_npi = rendering_providers.npi
    left join providers as billing_providers
        on claims.billing_provider_npi = billing_providers.npi
    left join locations
        on claims.location_id = locations.location_id

)

select * from final
