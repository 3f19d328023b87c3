-- One row per denial adjustment: a CAS triplet whose code the seed marks as a denial, with a
-- positive amount, on an 835 record of a known claim that is neither a reversal nor a duplicate
-- rejection of an already-decided claim. With its outcome by the as-of date (accounting model):
--   overturned  the claim's later 835 records pay, net of reversals, more than nothing;
--   written_off a denial or timely-filing write-off of the payer's balance on or after the denial;
--   patient     later records move dollars to the patient (net PR > 0);
--   open        none of these.
-- Recovered dollars (net later payments) are shared among the record's denials, largest first, so
-- two denials on one record never count the same dollars twice.
-- Incremental by match key (ADR 0007): a denial's record, claim, later records, write-offs and lines
-- all belong to one claim, so to one match key; the as-of cuts change nothing unless the date is
-- pinned, and a pinned run is a full refresh.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='pcn_match_key') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

remits as (

    select * from {{ ref('int_remits_matched') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

adjustments as (

    -- keyed by file: the files of the changed keys' records (the join to their records narrows it)
    select * from {{ ref('int_remit_adjustments_classified') }}
    {%- if rcm_incremental() %}
    where file_id in (select file_id from remits)
    {%- endif %}

),

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

remit_summaries as (

    select * from {{ ref('int_claim_remits_summarized') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claim_remits_summarized')) }}

),

write_offs as (

    select * from {{ ref('int_money_events_unioned') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_money_events_unioned')) }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

remit_lines as (

    select * from {{ ref('int_remit_lines_matched') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remit_lines_matched')) }}

),

submission_lines as (

    select * from {{ ref('int_submission_lines_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_submission_lines_unioned')) }}

),

-- Only the columns the outcome needs: at 10,000,000 claims the whole 835 records (12 million rows,
-- ~4 GB) held here ran the model out of a 4 GB cap (docs/benchmarks.md).
remits_to_date as (

    select
        remits.remit_id,
        remits.claim_id,
        remits.payer_id,
        remits.payment_date,
        remits.remit_order,
        remits.paid_amount,
        remits.patient_responsibility_amount,
        remits.is_reversal,
        remits.is_full_denial,
        remits.has_denial,
        remits.is_duplicate_rejection
    from remits
    cross join as_of
    where remits.claim_id is not null
        and remits.payment_date <= as_of.as_of_date

),

denied_records as (

    select * from remits_to_date
    where has_denial
        and not is_duplicate_rejection

),

-- The records of claims with a denial: the only ones a later outcome can come from.
records_of_denied_claims as (

    select * from remits_to_date
    where claim_id in (select claim_id from denied_records)

),

later_outcomes as (

    -- For each record with a denial: what the claim's later records did.
    select
        denied_records.remit_id,
        sum(later.paid_amount) as later_paid_amount,
        min(case when later.paid_amount > 0 then later.payment_date end) as first_later_payment_date,
        sum(later.patient_responsibility_amount) as later_patient_responsibility_amount,
        min(case when later.patient_responsibility_amount > 0 and not later.is_reversal
            then later.payment_date end) as first_later_patient_date
    from denied_records
    inner join records_of_denied_claims as later
        on denied_records.claim_id = later.claim_id
        and later.remit_order > denied_records.remit_order
    group by denied_records.remit_id

),

denial_write_offs as (

    select
        write_offs.claim_id,
        write_offs.event_date as posted_date
    from write_offs
    cross join as_of
    where write_offs.event_type = 'insurance_write_off'
        and write_offs.adjustment_type in ('denial_write_off', 'timely_filing_write_off')
        and write_offs.claim_id is not null
        and write_offs.event_date <= as_of.as_of_date

),

denial_adjustments as (

    select
        adjustments.*,
        denied_records.claim_id,
        denied_records.payment_date as denial_date,
        denied_records.remit_order,
        denied_records.is_full_denial,
        denied_records.payer_id as remit_payer_id,
        row_number() over (
            partition by adjustments.remit_id
            order by adjustments.adjustment_amount desc, adjustments.carc_code, adjustments.segment_position,
                adjustments.triplet_number
        ) as rank_in_record,
        coalesce(sum(adjustments.adjustment_amount) over (
            partition by adjustments.remit_id
            order by adjustments.adjustment_amount desc, adjustments.carc_code, adjustments.segment_position,
                adjustments.triplet_number
            rows between unbounded preceding and 1 preceding
        ), 0) as denied_before_amount
    from adjustments
    inner join denied_records
        on adjustments.remit_id = denied_records.remit_id
    where adjustments.is_denial
        and adjustments.adjustment_amount > 0

),

-- The service lines the denials sit on and the submitted lines they answer, narrowed before the
-- final join: joined whole, the 18 million submitted lines of a 10,000,000-claim warehouse became
-- one hash table.
denied_lines as (

    select
        remit_lines.file_id,
        remit_lines.line_position,
        remit_lines.procedure_code,
        remit_lines.service_date,
        remit_lines.submission_line_id
    from remit_lines
    inner join (
        select distinct file_id, line_position from denial_adjustments
    ) as denied_line_keys
        on remit_lines.file_id = denied_line_keys.file_id
        and remit_lines.line_position = denied_line_keys.line_position

),

denied_submission_lines as (

    select
        submission_line_id,
        line_number,
        service_date
    from submission_lines
    where submission_line_id in (select submission_line_id from denied_lines)

),

write_off_dates as (

    select
        denial_adjustments.adjustment_id,
        min(denial_write_offs.posted_date) as write_off_date
    from denial_adjustments
    inner join denial_write_offs
        on denial_adjustments.claim_id = denial_write_offs.claim_id
        and denial_write_offs.posted_date >= denial_adjustments.denial_date
    group by denial_adjustments.adjustment_id

),

resolved as (

    select
        denial_adjustments.*,
        coalesce(later_outcomes.later_paid_amount, 0) as later_paid_amount,
        case
            when coalesce(later_outcomes.later_paid_amount, 0) > 0 then 'overturned'
            when write_off_dates.write_off_date is not null then 'written_off'
            when coalesce(later_outcomes.later_patient_responsibility_amount, 0) > 0 then 'patient'
            else 'open'
        end as outcome,
        case
            when coalesce(later_outcomes.later_paid_amount, 0) > 0 then later_outcomes.first_later_payment_date
            when write_off_dates.write_off_date is not null then write_off_dates.write_off_date
            when coalesce(later_outcomes.later_patient_responsibility_amount, 0) > 0
                then later_outcomes.first_later_patient_date
        end as resolution_date
    from denial_adjustments
    left join later_outcomes
        on denial_adjustments.remit_id = later_outcomes.remit_id
    left join write_off_dates
        on denial_adjustments.adjustment_id = write_off_dates.adjustment_id

),

final as (

    select
        resolved.adjustment_id as denial_id,
        resolved.remit_id,
        resolved.claim_id,
        claims.patient_control_number,
        claims.payer_id,
        claims.billing_provider_npi,
        claims.rendering_provider_npi,
        claims.location_id,
        remit_lines.procedure_code,
        coalesce(remit_lines.service_date, submission_lines.service_date, claims.service_date) as service_date,
        submission_lines.line_number as submitted_line_number,
        resolved.denial_date,
        resolved.adjustment_level,
        resolved.group_code,
        resolved.carc_code,
        resolved.group_carc_code,
        resolved.rarc_codes,
        resolved.short_label,
        resolved.root_cause,
        resolved.core_scenario,
        resolved.is_avoidable,
        resolved.owning_stage,
        resolved.is_appealable,
        coalesce(claims.is_primary_claim and resolved.remit_id = remit_summaries.first_remit_id, false)
            as is_initial,
        resolved.rank_in_record = 1 as is_principal_in_record,
        {{ rcm_money('resolved.adjustment_amount') }} as denied_amount,
        resolved.outcome,
        {{ rcm_money("case when resolved.outcome = 'overturned'
            then greatest(0, least(resolved.adjustment_amount,
                resolved.later_paid_amount - resolved.denied_before_amount))
            else 0 end") }} as recovered_amount,
        resolved.resolution_date,
        {{ rcm_days_between('resolved.denial_date', 'resolved.resolution_date') }} as days_to_resolution,
        cast(row_number() over (
            partition by resolved.claim_id
            order by resolved.remit_order, resolved.rank_in_record
        ) as integer) as denial_order,
        resolved.is_full_denial,
        resolved.file_id,
        resolved.claim_position,
        claims.pcn_match_key
    from resolved
    inner join claims
        on resolved.claim_id = claims.claim_id
    left join remit_summaries
        on resolved.claim_id = remit_summaries.claim_id
    left join denied_lines as remit_lines
        on resolved.file_id = remit_lines.file_id
        and resolved.line_position = remit_lines.line_position
    left join denied_submission_lines as submission_lines
        on remit_lines.submission_line_id = submission_lines.submission_line_id

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
