-- One row per calendar month: charges, cash and adjustments; see _payments__models.yml.
with

money_events as (

    select * from {{ ref('int_money_events_unioned') }}

),

as_of as (

    select * from {{ ref('int_as_of_date_selected') }}

),

remits as (

    select int_remits_joined.*
    from {{ ref('int_remits_joined') }} as int_remits_joined
    cross join as_of
    where int_remits_joined.payment_date <= as_of.as_of_date

),

transactions as (

    select stg_raw__era_transactions.*
    from {{ ref('stg_raw__era_transactions') }} as stg_raw__era_transactions
    cross join as_of
    where stg_raw__era_transactions.payment_date <= as_of.as_of_date

),

provider_adjustments as (

    select * from {{ ref('stg_raw__era_provider_adjustments') }}

),

patient_payments as (

    select stg_raw__csv_patient_payments.*
    from {{ ref('stg_raw__csv_patient_payments') }} as stg_raw__csv_patient_payments
    cross join as_of
    where stg_raw__csv_patient_payments.payment_date <= as_of.as_of_date

),

adjustments as (

    select stg_raw__csv_adjustments.*
    from {{ ref('stg_raw__csv_adjustments') }} as stg_raw__csv_adjustments
    cross join as_of
    where stg_raw__csv_adjustments.posted_date <= as_of.as_of_date

),

deposits as (

    -- Deposits are kept to the end of the as-of month: a deposit a few days after the last remit
    -- of the month reconciles that month's cash.
    select stg_raw__csv_bank_deposits.*
    from {{ ref('stg_raw__csv_bank_deposits') }} as stg_raw__csv_bank_deposits
    cross join as_of
    where stg_raw__csv_bank_deposits.deposit_date <= {{ rcm_month_end('as_of.as_of_date') }}

),

monthly_facts as (

    select
        {{ rcm_month('money_events.event_date') }} as month,
        sum(money_events.insurance_delta_amount) as charges_amount,
        0 as insurance_paid_amount,
        0 as contractual_amount,
        0 as patient_paid_amount,
        0 as refunds_amount,
        0 as point_of_service_amount,
        0 as other_adjustment_amount,
        0 as provider_adjustment_amount,
        0 as bpr02_amount,
        0 as deposits_amount
    from money_events
    cross join as_of
    where money_events.event_type in ('charge', 'void')
        and money_events.event_date <= as_of.as_of_date
    group by {{ rcm_month('money_events.event_date') }}
    union all
    select
        {{ rcm_month('payment_date') }},
        0,
        sum(paid_amount),
        sum(contractual_amount),
        0, 0, 0, 0, 0, 0, 0
    from remits
    group by {{ rcm_month('payment_date') }}
    union all
    select
        {{ rcm_month('payment_date') }},
        0, 0, 0,
        sum(case when amount > 0 then amount else 0 end),
        sum(case when amount < 0 then -amount else 0 end),
        sum(case when channel = 'point_of_service' then amount else 0 end),
        0, 0, 0, 0
    from patient_payments
    group by {{ rcm_month('payment_date') }}
    union all
    select
        {{ rcm_month('posted_date') }},
        0, 0, 0, 0, 0, 0,
        sum(amount),
        0, 0, 0
    from adjustments
    group by {{ rcm_month('posted_date') }}
    union all
    select
        {{ rcm_month('transactions.payment_date') }},
        0, 0, 0, 0, 0, 0, 0,
        sum(provider_adjustments.adjustment_amount),
        0, 0
    from provider_adjustments
    inner join transactions
        on provider_adjustments.file_id = transactions.file_id
        and provider_adjustments.transaction_position = transactions.transaction_position
    group by {{ rcm_month('transactions.payment_date') }}
    union all
    select
        {{ rcm_month('payment_date') }},
        0, 0, 0, 0, 0, 0, 0, 0,
        sum(total_paid_amount),
        0
    from transactions
    group by {{ rcm_month('payment_date') }}
    union all
    select
        {{ rcm_month('deposit_date') }},
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        sum(amount)
    from deposits
    group by {{ rcm_month('deposit_date') }}

),

bounds as (

    select
        min(monthly_facts.month) as first_month,
        max({{ rcm_month('as_of.as_of_date') }}) as last_month
    from monthly_facts
    cross join as_of

),

months as (

    select {{ rcm_date_series('first_month', 'last_month', 'month') }} as month
    from bounds
    where first_month <= last_month

),

totals as (

    select
        months.month,
        sum(coalesce(monthly_facts.charges_amount, 0)) as charges_amount,
        sum(coalesce(monthly_facts.insurance_paid_amount, 0)) as insurance_paid_amount,
        sum(coalesce(monthly_facts.contractual_amount, 0)) as contractual_amount,
        sum(coalesce(monthly_facts.patient_paid_amount, 0)) as patient_paid_amount,
        sum(coalesce(monthly_facts.refunds_amount, 0)) as refunds_amount,
        sum(coalesce(monthly_facts.point_of_service_amount, 0)) as point_of_service_amount,
        sum(coalesce(monthly_facts.other_adjustment_amount, 0)) as other_adjustment_amount,
        sum(coalesce(monthly_facts.provider_adjustment_amount, 0)) as provider_adjustment_amount,
        sum(coalesce(monthly_facts.bpr02_amount, 0)) as bpr02_amount,
        sum(coalesce(monthly_facts.deposits_amount, 0)) as deposits_amount
    from months
    left join monthly_facts
        on months.month = monthly_facts.month
    group by months.month

),

final as (

    select
        month,
        {{ rcm_money('charges_amount') }} as charges_amount,
        {{ rcm_money('insurance_paid_amount') }} as insurance_paid_amount,
        {{ rcm_money('patient_paid_amount') }} as patient_paid_amount,
        {{ rcm_money('contractual_amount') }} as contractual_amount,
        {{ rcm_money('other_adjustment_amount') }} as other_adjustment_amount,
        {{ rcm_money('refunds_amount') }} as refunds_amount,
        {{ rcm_money('provider_adjustment_amount') }} as provider_adjustment_amount,
        {{ rcm_money('bpr02_amount + patient_paid_amount - refunds_amount') }} as cash_posted_amount,
        {{ rcm_money('deposits_amount') }} as deposits_amount,
        {{ rcm_money('bpr02_amount + patient_paid_amount - refunds_amount - deposits_amount') }}
            as unreconciled_amount,
        {{ rcm_money('point_of_service_amount') }} as point_of_service_amount,
        cast(insurance_paid_amount + patient_paid_amount - refunds_amount as double)
            / nullif(cast(charges_amount - contractual_amount as double), 0) as net_collection_rate,
        cast(insurance_paid_amount + patient_paid_amount - refunds_amount as double)
            / nullif(cast(charges_amount as double), 0) as gross_collection_rate,
        {{ rcm_money('bpr02_amount') }} as bpr02_amount
    from totals

)

select * from final
