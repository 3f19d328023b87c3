-- Nothing dated after the as-of date reaches the marts (it matters when --as-of pins an earlier
-- date than the data's last event): no claim submitted, no event, no denial after it.
-- Shown in Dagster as a check on fct_claim_events.
{{ config(meta={'dagster': {'ref': {'name': 'fct_claim_events'}}}) }}
with

as_of as (

    select as_of_date from {{ ref('int_as_of_date_selected') }}

),

claims as (

    select 'fct_claims' as source, first_submission_date as dated from {{ ref('fct_claims') }}

),

events as (

    select 'fct_claim_events' as source, event_date as dated from {{ ref('fct_claim_events') }}

),

denials as (

    select 'fct_denials' as source, denial_date as dated from {{ ref('fct_denials') }}

),

dated as (

    select * from claims
    union all
    select * from events
    union all
    select * from denials

)

select dated.*
from dated
cross join as_of
where dated.dated > as_of.as_of_date
