-- One row per claim submission: an 837 CLM, or the rows of one claims-CSV file for one
-- (patient control number, payer, frequency). source_system says which.
-- The payer sequence comes from 837 SBR01 (P/S/T; later letters count as tertiary); the claims CSV
-- has no sequence column, so int_claims_aggregated ranks a CSV encounter's payers by date.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

x837_claims as (

    select * from {{ ref('stg_raw__x837_claims') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__x837_claims')) }}

),

x837_service_lines as (

    select * from {{ ref('stg_raw__x837_service_lines') }} as lines
    {%- if rcm_incremental() %}
    where exists (
        select 1 from x837_claims
        where x837_claims.file_id = lines.file_id
            and x837_claims.claim_position = lines.claim_position
    )
    {%- endif %}

),

csv_claims as (

    select * from {{ ref('stg_raw__csv_claims') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__csv_claims')) }}

),

ledger as (

    select * from {{ ref('stg_raw__load_ledger') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

x837_line_summaries as (

    select
        file_id,
        claim_position,
        min(service_date) as first_service_date,
        count(*) as line_count,
        min(rendering_provider_npi) as line_rendering_provider_npi,
        min(place_of_service_code) as line_place_of_service_code
    from x837_service_lines
    group by file_id, claim_position

),

x837_submissions as (

    select
        'x837' as source_system,
        x837_claims.file_id,
        x837_claims.claim_position as source_position,
        x837_claims.patient_control_number,
        x837_claims.pcn_match_key,
        x837_claims.payer_id,
        x837_claims.payer_name,
        case
            when x837_claims.payer_responsibility_code = 'P' then 1
            when x837_claims.payer_responsibility_code = 'S' then 2
            when x837_claims.payer_responsibility_code in ('T', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H') then 3
        end as payer_sequence_number,
        x837_claims.claim_type,
        coalesce(x837_claims.claim_frequency_code, '1') as claim_frequency_code,
        x837_claims.submission_date,
        x837_claims.total_charge_amount as charge_amount,
        x837_claims.billing_provider_npi,
        coalesce(x837_claims.rendering_provider_npi, x837_claims.attending_provider_npi,
            x837_line_summaries.line_rendering_provider_npi) as rendering_provider_npi,
        x837_claims.service_facility_id as location_id,
        x837_claims.patient_id,
        x837_claims.payer_claim_control_number,
        coalesce(x837_line_summaries.first_service_date, x837_claims.statement_from_date) as service_date,
        coalesce(x837_line_summaries.line_count, x837_claims.line_count, 0) as line_count,
        case
            when x837_claims.claim_type = 'professional'
                then coalesce(x837_line_summaries.line_place_of_service_code, x837_claims.facility_code)
        end as place_of_service_code
    from x837_claims
    left join x837_line_summaries
        on x837_claims.file_id = x837_line_summaries.file_id
        and x837_claims.claim_position = x837_line_summaries.claim_position

),

csv_submissions as (

    select
        'csv' as source_system,
        file_id,
        min(row_number) as source_position,
        patient_control_number,
        min(pcn_match_key) as pcn_match_key,
        payer_id,
        min(payer_name) as payer_name,
        cast(null as integer) as payer_sequence_number,
        min(claim_type) as claim_type,
        coalesce(claim_frequency_code, '1') as claim_frequency_code,
        -- An extract row without a submission date was billed when the extract was made: the
        -- earliest date of service is the only date it carries.
        coalesce(min(submission_date), min(service_date)) as submission_date,
        sum(charge_amount) as charge_amount,
        min(billing_provider_npi) as billing_provider_npi,
        min(rendering_provider_npi) as rendering_provider_npi,
        min(location_id) as location_id,
        min(patient_id) as patient_id,
        cast(null as {{ dbt.type_string() }}) as payer_claim_control_number,
        min(service_date) as service_date,
        count(*) as line_count,
        min(place_of_service_code) as place_of_service_code
    from csv_claims
    group by file_id, patient_control_number, payer_id, coalesce(claim_frequency_code, '1')

),

unioned as (

    select * from x837_submissions
    union all
    select * from csv_submissions

),

final as (

    select
        {{ rcm_key(['unioned.source_system', 'unioned.file_id', 'unioned.source_position']) }} as submission_id,
        unioned.source_system,
        unioned.file_id,
        unioned.source_position,
        unioned.patient_control_number,
        unioned.pcn_match_key,
        unioned.payer_id,
        unioned.payer_name,
        unioned.payer_sequence_number,
        unioned.claim_type,
        unioned.claim_frequency_code,
        unioned.submission_date,
        {{ rcm_money('unioned.charge_amount') }} as charge_amount,
        unioned.billing_provider_npi,
        unioned.rendering_provider_npi,
        unioned.location_id,
        unioned.patient_id,
        unioned.payer_claim_control_number,
        unioned.service_date,
        cast(unioned.line_count as integer) as line_count,
        unioned.place_of_service_code,
        ledger.received_at as file_received_at,
        -- Order of submissions of one claim: date, then the file's arrival, then position in it.
        row_number() over (
            partition by unioned.patient_control_number, unioned.payer_id
            order by unioned.submission_date, ledger.received_at, unioned.file_id, unioned.source_position
        ) as submission_order
    from unioned
    cross join as_of
    left join ledger
        on unioned.file_id = ledger.file_id
    where unioned.patient_control_number is not null
        and unioned.payer_id is not null
        -- Submissions after the as-of date have not happened yet as far as the marts are concerned.
        and unioned.submission_date <= as_of.as_of_date

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
