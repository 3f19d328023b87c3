-- One row per encounter × date on which the patient's share changes. The patient owes the PR
-- adjustments of the last payer in the encounter's chain that has adjudicated it so far
-- (docs/accounting_model.md): when a secondary adjudicates, its PR replaces the primary's; later
-- 835s of an earlier payer do not move it. pr_delta is the change of that amount on the date.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='substring(patient_control_number, 1, 20)') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

remits as (

    select * from {{ ref('int_remits_matched') }}
    where claim_id is not null
        and {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

records_by_day as (

    select
        claims.patient_control_number,
        claims.chain_position,
        remits.payment_date,
        sum(remits.patient_responsibility_amount) as patient_responsibility_amount
    from remits
    inner join claims
        on remits.claim_id = claims.claim_id
    group by claims.patient_control_number, claims.chain_position, remits.payment_date

),

cumulative as (

    select
        patient_control_number,
        chain_position,
        payment_date,
        sum(patient_responsibility_amount) over (
            partition by patient_control_number, chain_position
            order by payment_date
            rows between unbounded preceding and current row
        ) as cumulative_patient_responsibility_amount,
        max(chain_position) over (
            partition by patient_control_number
            order by payment_date
            range between unbounded preceding and current row
        ) as last_chain_position
    from records_by_day

),

effective as (

    select
        patient_control_number,
        payment_date,
        cumulative_patient_responsibility_amount as patient_share_amount
    from cumulative
    where chain_position = last_chain_position

),

final as (

    select
        patient_control_number,
        payment_date as event_date,
        patient_share_amount,
        {{ rcm_money("patient_share_amount - coalesce(lag(patient_share_amount) over (
            partition by patient_control_number order by payment_date), 0)") }} as pr_delta_amount
    from effective

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
