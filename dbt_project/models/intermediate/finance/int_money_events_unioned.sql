-- One row per dated money event of an encounter, with its effect on the encounter's insurance
-- and patient balances (docs/accounting_model.md):
--   insurance balance = charge − void − insurance payments − contractual − insurance write-offs − patient share
--   patient balance   = patient share − patient payments − patient write-offs
-- where the patient share is the last adjudicating payer's PR (int_patient_responsibility_tracked).
-- Events that name no known encounter (unknown PCN, payments without a PCN) are not here: they
-- stay in the cash totals of mart_collections_monthly. Events after the as-of date are cut.
{{ config(materialized='incremental', incremental_strategy='rcm_replace', rcm_replace_by='match_key', rcm_replace_column='substring(patient_control_number, 1, 20)') }}
-- depends_on: {{ ref('int_changed_match_keys_listed') }}
with

encounters as (

    select * from {{ ref('int_encounters_aggregated') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_encounters_aggregated')) }}

),

claims as (

    select * from {{ ref('int_claims_unioned') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_claims_unioned')) }}

),

remits as (

    select * from {{ ref('int_remits_matched') }}
    where claim_id is not null
        and {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_remits_matched')) }}

),

patient_shares as (

    select * from {{ ref('int_patient_responsibility_tracked') }}
    where {{ rcm_changed_only('match_key', 'substring(patient_control_number, 1, 20)', of=ref('int_patient_responsibility_tracked')) }}

),

pcn_keys as (

    select * from {{ ref('int_pcn_keys_mapped') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('int_pcn_keys_mapped')) }}

),

adjustments as (

    select * from {{ ref('stg_raw__csv_adjustments') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__csv_adjustments')) }}

),

patient_payments as (

    select * from {{ ref('stg_raw__csv_patient_payments') }}
    where {{ rcm_changed_only('match_key', 'pcn_match_key', of=ref('stg_raw__csv_patient_payments')) }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

charges as (

    select
        {{ rcm_key(["'charge'", 'patient_control_number']) }} as money_event_id,
        patient_control_number,
        primary_claim_id as claim_id,
        primary_payer_id as payer_id,
        first_submission_date as event_date,
        'charge' as event_type,
        charge_amount as amount,
        charge_amount as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from encounters

),

voids as (

    select
        {{ rcm_key(["'void'", 'patient_control_number']) }} as money_event_id,
        patient_control_number,
        primary_claim_id as claim_id,
        primary_payer_id as payer_id,
        void_date as event_date,
        'void' as event_type,
        charge_amount as amount,
        -charge_amount as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from encounters
    where is_voided

),

insurance_payments as (

    select
        {{ rcm_key(["'payment'", 'remits.remit_id']) }} as money_event_id,
        remits.encounter_patient_control_number as patient_control_number,
        remits.claim_id,
        remits.payer_id,
        remits.payment_date as event_date,
        'insurance_payment' as event_type,
        remits.paid_amount as amount,
        -remits.paid_amount as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from remits
    where remits.paid_amount <> 0

),

contractuals as (

    select
        {{ rcm_key(["'contractual'", 'remits.remit_id']) }} as money_event_id,
        remits.encounter_patient_control_number as patient_control_number,
        remits.claim_id,
        remits.payer_id,
        remits.payment_date as event_date,
        'contractual' as event_type,
        remits.contractual_amount as amount,
        -remits.contractual_amount as insurance_delta_amount,
        {{ rcm_money('0') }} as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from remits
    where remits.contractual_amount <> 0

),

shares as (

    select
        {{ rcm_key(["'patient_share'", 'patient_control_number', 'event_date']) }} as money_event_id,
        patient_control_number,
        cast(null as {{ dbt.type_string() }}) as claim_id,
        cast(null as {{ dbt.type_string() }}) as payer_id,
        event_date,
        'patient_share' as event_type,
        pr_delta_amount as amount,
        -pr_delta_amount as insurance_delta_amount,
        pr_delta_amount as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from patient_shares
    where pr_delta_amount <> 0

),

write_offs as (

    select
        {{ rcm_key(["'write_off'", 'adjustments.file_id', 'adjustments.row_number']) }} as money_event_id,
        pcn_keys.patient_control_number,
        claims.claim_id,
        adjustments.payer_id,
        adjustments.posted_date as event_date,
        case when adjustments.payer_id is null then 'patient_write_off' else 'insurance_write_off' end
            as event_type,
        adjustments.amount,
        case when adjustments.payer_id is null then {{ rcm_money('0') }} else -adjustments.amount end
            as insurance_delta_amount,
        case when adjustments.payer_id is null then -adjustments.amount else {{ rcm_money('0') }} end
            as patient_delta_amount,
        adjustments.adjustment_type
    from adjustments
    inner join pcn_keys
        on adjustments.pcn_match_key = pcn_keys.pcn_match_key
    left join claims
        on pcn_keys.patient_control_number = claims.patient_control_number
        and adjustments.payer_id = claims.payer_id

),

payments_from_patients as (

    select
        {{ rcm_key(["'patient_payment'", 'patient_payments.file_id', 'patient_payments.row_number']) }}
            as money_event_id,
        pcn_keys.patient_control_number,
        cast(null as {{ dbt.type_string() }}) as claim_id,
        cast(null as {{ dbt.type_string() }}) as payer_id,
        patient_payments.payment_date as event_date,
        'patient_payment' as event_type,
        patient_payments.amount,
        {{ rcm_money('0') }} as insurance_delta_amount,
        -patient_payments.amount as patient_delta_amount,
        cast(null as {{ dbt.type_string() }}) as adjustment_type
    from patient_payments
    inner join pcn_keys
        on patient_payments.pcn_match_key = pcn_keys.pcn_match_key

),

unioned as (

    select * from charges
    union all
    select * from voids
    union all
    select * from insurance_payments
    union all
    select * from contractuals
    union all
    select * from shares
    union all
    select * from write_offs
    union all
    select * from payments_from_patients

),

final as (

    select
        money_event_id,
        patient_control_number,
        claim_id,
        payer_id,
        event_date,
        event_type,
        {{ rcm_money('amount') }} as amount,
        {{ rcm_money('insurance_delta_amount') }} as insurance_delta_amount,
        {{ rcm_money('patient_delta_amount') }} as patient_delta_amount,
        adjustment_type
    from unioned
    cross join as_of
    where unioned.event_date <= as_of.as_of_date

)

select
    final.*,
    {{ rcm_built_at() }} as rcm_built_at
from final
