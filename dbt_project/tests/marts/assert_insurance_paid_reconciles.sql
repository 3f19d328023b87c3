-- Money identity: every 835 dollar paid (Σ CLP04) lands once, either on a claim or in the
-- unmatched-remit list, and the collections mart carries the same total.
-- Shown in Dagster as a check on mart_collections_monthly.
{{ config(meta={'dagster': {'ref': {'name': 'mart_collections_monthly'}}}) }}
with

claims as (

    select coalesce(sum(paid_amount), 0) as paid_amount from {{ ref('fct_claims') }}

),

unmatched as (

    select coalesce(sum(paid_amount), 0) as paid_amount from {{ ref('fct_unmatched_remits') }}

),

collections as (

    select coalesce(sum(insurance_paid_amount), 0) as paid_amount from {{ ref('mart_collections_monthly') }}

)

select
    claims.paid_amount as claims_paid_amount,
    unmatched.paid_amount as unmatched_paid_amount,
    collections.paid_amount as collections_paid_amount
from claims
cross join unmatched
cross join collections
where claims.paid_amount + unmatched.paid_amount <> collections.paid_amount
