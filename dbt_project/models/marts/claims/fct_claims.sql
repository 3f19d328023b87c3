-- One row per claim (PCN × payer); see _claims__models.yml. The claim's history comes from
-- int_claims_enriched (incremental, a match key at a time); the payer's rules and the dimensions'
-- names are added here, and so is what depends on the as-of date.
--
-- Incremental by match key (ADR 0007, addendum of 2026-12-01): a build rewrites the claims of the
-- changed match keys, and also those of every key whose stored names, payer category or
-- timely-filing deadline no longer agree with today's dimensions (`stale_keys`: a payer's name is
-- the smallest one seen in the data, so a new file can rename a payer on claims no file of the day
-- names). What depends on the as-of date (current_status of a claim no payer has answered,
-- days_since_submission, as_of_date) moves on every day for every claim: the post-hook
-- (rcm_fct_claims_restate_as_of) updates those three columns in place, where the as-of date
-- changed. At 1,000,000 claims that is ~0.1 s against ~2.5-3.5 s for writing the table anew.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key',
    rcm_replace_column='substring(patient_control_number, 1, 20)', rcm_replace_new_keys=true,
    post_hook="{{ rcm_fct_claims_restate_as_of() }}") }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
{#- A claim row's payer (with its rules: dim_payers resolves the '*' defaults), providers and
    location: the same joins for the rows built here and, on an incremental run, for the stored rows
    whose names they check (`{claim}` is the alias). -#}
{%- set dimension_joins -%}
    left join payers
        on {claim}.payer_id = payers.payer_id
    left join providers as rendering_providers
        on {claim}.rendering_provider_npi = rendering_providers.npi
    left join providers as billing_providers
        on {claim}.billing_provider_npi = billing_providers.npi
    left join locations
        on {claim}.location_id = locations.location_id
{%- endset %}
with

enriched_claims as (

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
{%- if rcm_incremental() %}

stale_keys as (

    -- The match keys of stored claims whose dimension values differ from what today's dimensions
    -- give. Exact: every payer id, NPI and location id of a stored claim has its dimension row
    -- (the dimensions take them from the same submissions and remits), so a stored value that
    -- agrees with its dimension row is the one a full build writes; a payer id without one is
    -- rewritten every time (none is expected).
    select distinct coalesce(substring(stored.patient_control_number, 1, 20), '') as match_key
    from {{ this }} as stored
    {{ dimension_joins.replace('{claim}', 'stored') }}
    where (stored.payer_id is not null
            and (payers.payer_id is null or stored.payer_name is distinct from payers.payer_name))
        or stored.payer_category is distinct from coalesce(payers.payer_category, 'other')
        or stored.provider_name is distinct from
            coalesce(rendering_providers.provider_name, billing_providers.provider_name)
        or stored.location_name is distinct from locations.location_name
        or stored.timely_filing_deadline is distinct from
            {{ rcm_add_days('stored.service_date', 'payers.timely_filing_days') }}

),
{%- endif %}

claims as (

    select * from enriched_claims
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_enriched')) }}
    {%- if rcm_incremental() %}
    union all
    -- the stale keys' claims, read whole from int_claims_enriched (the day's build did not touch them)
    select * from enriched_claims
    where coalesce(pcn_match_key, '') in (select match_key from stale_keys)
        and not ({{ rcm_changed_only('match_key', 'pcn_match_key') }})
    {%- endif %}

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
        claims.first_adjudication_date,
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
            {{ rcm_unanswered_claim_status('claims.last_submission_date', 'claims.first_submission_date',
                                           'as_of.as_of_date', 'payers.expected_payment_days') }}
        ) as current_status,
        claims.is_first_pass_paid,
        claims.is_initially_denied,
        claims.initial_denial_root_cause,
        claims.was_reversed,
        claims.has_replacement,
        {{ rcm_add_days('claims.service_date', 'payers.timely_filing_days') }} as timely_filing_deadline,
        {{ rcm_add_days('claims.last_denial_date', 'payers.appeal_window_days') }} as appeal_deadline,
        {{ rcm_days_between('claims.first_submission_date', 'as_of.as_of_date') }} as days_since_submission,
        claims.source_system,
        claims.is_voided,
        claims.is_current_claim,
        claims.latest_claim_status_code,
        as_of.as_of_date,
        {{ rcm_built_at() }} as rcm_built_at
    from claims
    cross join as_of
    {{ dimension_joins.replace('{claim}', 'claims') }}

)

select * from final
