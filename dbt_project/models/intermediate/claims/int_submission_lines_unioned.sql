-- One row per service line of a claim submission (837 SV1/SV2 or a claims-CSV row), keyed to
-- int_submissions_unioned.submission_id. Used to match 835 lines (REF*6R, else procedure + date +
-- charge) and to count the lines of original submissions.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

x837_service_lines as (

    select * from {{ ref('stg_raw__x837_service_lines') }} as lines
    {%- if rcm_incremental() %}
    where exists (
        select 1 from {{ ref('int_submissions_unioned') }} as submissions
        where submissions.source_system = 'x837'
            and submissions.file_id = lines.file_id
            and submissions.source_position = lines.claim_position
            and {{ rcm_changed_only('match_key', 'submissions.pcn_match_key', of=ref('int_submissions_unioned')) }}
    )
    {%- endif %}

),

csv_claims as (

    select * from {{ ref('stg_raw__csv_claims') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__csv_claims')) }}

),

submissions as (

    select * from {{ ref('int_submissions_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_submissions_unioned')) }}

),

x837_lines as (

    select
        'x837' as source_system,
        x837_service_lines.file_id,
        x837_service_lines.claim_position as source_position,
        x837_service_lines.line_position,
        x837_service_lines.line_number,
        x837_service_lines.procedure_code,
        x837_service_lines.modifier_1,
        x837_service_lines.revenue_code,
        x837_service_lines.charge_amount,
        x837_service_lines.units,
        x837_service_lines.service_date,
        x837_service_lines.line_item_control_number
    from x837_service_lines

),

csv_lines as (

    select
        'csv' as source_system,
        csv_claims.file_id,
        min(csv_claims.row_number) over (
            partition by csv_claims.file_id, csv_claims.patient_control_number, csv_claims.payer_id,
                coalesce(csv_claims.claim_frequency_code, '1')
        ) as source_position,
        csv_claims.row_number as line_position,
        csv_claims.line_number,
        csv_claims.procedure_code,
        {{ dbt.split_part('csv_claims.modifiers', "':'", 1) }} as modifier_1,
        csv_claims.revenue_code,
        csv_claims.charge_amount,
        csv_claims.units,
        csv_claims.service_date,
        cast(null as {{ dbt.type_string() }}) as line_item_control_number
    from csv_claims

),

unioned as (

    select * from x837_lines
    union all
    select * from csv_lines

),

final as (

    select
        {{ rcm_key(['unioned.source_system', 'unioned.file_id', 'unioned.line_position']) }} as submission_line_id,
        submissions.submission_id,
        submissions.patient_control_number,
        submissions.pcn_match_key,
        submissions.payer_id,
        submissions.claim_frequency_code,
        submissions.submission_order,
        unioned.line_number,
        unioned.procedure_code,
        nullif(unioned.modifier_1, '') as modifier_1,
        unioned.revenue_code,
        {{ rcm_money('unioned.charge_amount') }} as charge_amount,
        unioned.units,
        unioned.service_date,
        unioned.line_item_control_number
    from unioned
    inner join submissions
        on unioned.source_system = submissions.source_system
        and unioned.file_id = submissions.file_id
        and unioned.source_position = submissions.source_position

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
