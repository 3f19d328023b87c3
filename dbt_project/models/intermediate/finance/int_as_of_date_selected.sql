-- One row: the date the marts are "as of". The dbt var as_of_date when given (e.g.
-- --vars '{as_of_date: 2024-06-30}'), else the latest event date in the data: submissions, 835
-- payment dates, patient payments, adjustments, deposits and biller activities.
with

submissions as (

    select * from {{ ref('int_submissions_unioned') }}

),

remits as (

    select * from {{ ref('int_remits_joined') }}

),

patient_payments as (

    select * from {{ ref('stg_raw__csv_patient_payments') }}

),

adjustments as (

    select * from {{ ref('stg_raw__csv_adjustments') }}

),

deposits as (

    select * from {{ ref('stg_raw__csv_bank_deposits') }}

),

activities as (

    select * from {{ ref('stg_raw__csv_claim_activities') }}

),

event_dates as (

    select max(submission_date) as event_date from submissions
    union all
    select max(payment_date) from remits
    union all
    select max(payment_date) from patient_payments
    union all
    select max(posted_date) from adjustments
    union all
    select max(deposit_date) from deposits
    union all
    select max(activity_date) from activities

),

final as (

    select
        {%- if var('as_of_date', none) %}
        cast('{{ var("as_of_date") }}' as date) as as_of_date
        {%- else %}
        coalesce(max(event_date), current_date) as as_of_date
        {%- endif %}
    from event_dates

)

select * from final
