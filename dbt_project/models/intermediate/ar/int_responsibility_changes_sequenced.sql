-- One row per encounter × date on which another payer becomes responsible for the encounter's
-- insurance balance. The responsible payer on a date is the claim latest in the encounter's chain
-- (chain_position: payer sequence, then date) whose responsible_from_date has come
-- (int_claims_unioned): the primary until a later payer is billed, remits or is forwarded the claim.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='substring(patient_control_number, 1, 20)') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

starts as (

    select
        patient_control_number,
        responsible_from_date as change_date,
        max(chain_position) as chain_position
    from claims
    where responsible_from_date < cast('9999-12-31' as date)
    group by patient_control_number, responsible_from_date

),

running as (

    select
        patient_control_number,
        change_date,
        chain_position,
        max(chain_position) over (
            partition by patient_control_number
            order by change_date
            rows between unbounded preceding and 1 preceding
        ) as previous_max_chain_position
    from starts

),

final as (

    select
        running.patient_control_number,
        running.change_date,
        running.chain_position,
        claims.claim_id,
        claims.payer_id
    from running
    inner join claims
        on running.patient_control_number = claims.patient_control_number
        and running.chain_position = claims.chain_position
    where running.previous_max_chain_position is null
        or running.chain_position > running.previous_max_chain_position

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
