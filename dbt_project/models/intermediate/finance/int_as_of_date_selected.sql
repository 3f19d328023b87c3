-- One row: the date the marts are "as of". The dbt var as_of_date when given (e.g.
-- --vars '{as_of_date: 2024-06-30}'), else the latest event date in the data: submissions, 835
-- payment dates, patient payments, adjustments and biller activities. Bank deposits are left out:
-- a bank extract runs days past the claims data (settlement lag) and would move the date on.
-- Read from staging, so the intermediate models can cut everything dated after it.
with

x837_claims as (

    select * from {{ ref('stg_raw__x837_claims') }}

),

csv_claims as (

    select * from {{ ref('stg_raw__csv_claims') }}

),

era_transactions as (

    select * from {{ ref('stg_raw__era_transactions') }}

),

patient_payments as (

    select * from {{ ref('stg_raw__csv_patient_payments') }}

),

adjustments as (

    select * from {{ ref('stg_raw__csv_adjustments') }}

),

activities as (

    select * from {{ ref('stg_raw__csv_claim_activities') }}

),

event_dates as (

    select max(submission_date) as event_date from x837_claims
    union all
    select max(coalesce(submission_date, service_date)) from csv_claims
    union all
    select max(payment_date) from era_transactions
    union all
    select max(payment_date) from patient_payments
    union all
    select max(posted_date) from adjustments
    union all
    select max(activity_date) from activities

),

final as (

    {%- if var('as_of_date', none) %}
    select cast('{{ var("as_of_date") }}' as date) as as_of_date
    {%- else %}
    select coalesce(max(event_date), current_date) as as_of_date
    from event_dates
    {%- endif %}

)

select * from final
