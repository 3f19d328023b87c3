-- A claim is initially denied in fct_claims exactly when fct_denials holds a principal denial on
-- its first adjudication, with the same root cause.
-- Shown in Dagster as a check on fct_denials.
{{ config(meta={'dagster': {'ref': {'name': 'fct_denials'}}}) }}
with

claims as (

    select claim_id, initial_denial_root_cause
    from {{ ref('fct_claims') }}
    where is_initially_denied

),

denials as (

    select claim_id, root_cause
    from {{ ref('fct_denials') }}
    where is_initial
        and is_principal_in_record

)

select
    coalesce(claims.claim_id, denials.claim_id) as claim_id,
    claims.initial_denial_root_cause,
    denials.root_cause
from claims
full outer join denials
    on claims.claim_id = denials.claim_id
where claims.claim_id is null
    or denials.claim_id is null
    or claims.initial_denial_root_cause <> denials.root_cause
