-- One row per payer: the seed, plus payers seen in the data that the seed lacks, plus 'PATIENT'.
with

payers as (

    select * from {{ ref('payers') }}

),

payer_rules as (

    select * from {{ ref('payer_rules') }}

),

submissions as (

    select * from {{ ref('int_submissions_unioned') }}

),

remits as (

    select * from {{ ref('int_remits_joined') }}

),

seen_payers as (

    select payer_id, min(payer_name) as payer_name
    from (
        select payer_id, payer_name from submissions
        union all
        select payer_id, payer_name from remits
    ) as seen
    where payer_id is not null
    group by payer_id

),

all_payers as (

    select
        payer_id,
        payer_name,
        payer_category,
        claim_filing_indicator_code,
        true as is_in_seed
    from payers
    union all
    select
        seen_payers.payer_id,
        coalesce(seen_payers.payer_name, seen_payers.payer_id),
        'other',
        cast(null as {{ dbt.type_string() }}),
        false
    from seen_payers
    where seen_payers.payer_id not in (select payer_id from payers)
        and seen_payers.payer_id <> 'PATIENT'
    union all
    select
        'PATIENT',
        'Patient responsibility',
        'patient',
        cast(null as {{ dbt.type_string() }}),
        false
    union all
    -- Insurance A/R whose responsible payer cannot be named (should not happen; kept visible).
    select
        'UNKNOWN',
        'Unknown payer',
        'other',
        cast(null as {{ dbt.type_string() }}),
        false

),

final as (

    select
        all_payers.payer_id,
        all_payers.payer_name,
        all_payers.payer_category,
        all_payers.claim_filing_indicator_code,
        cast(coalesce(own_rules.timely_filing_days, default_rules.timely_filing_days) as integer)
            as timely_filing_days,
        cast(coalesce(own_rules.appeal_window_days, default_rules.appeal_window_days) as integer)
            as appeal_window_days,
        cast(coalesce(own_rules.expected_payment_days, default_rules.expected_payment_days) as integer)
            as expected_payment_days,
        cast(coalesce(own_rules.corrected_claim_days, default_rules.corrected_claim_days) as integer)
            as corrected_claim_days,
        all_payers.is_in_seed
    from all_payers
    left join payer_rules as own_rules
        on all_payers.payer_id = own_rules.payer_id
    left join payer_rules as default_rules
        on default_rules.payer_id = '*'

)

select * from final
