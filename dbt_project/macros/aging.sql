{#- A/R aging buckets by days since the first submission (docs/accounting_model.md):
    0-30, 31-60, 61-90, 91-120, 120+ (MGMA's buckets; day 0 is the submission date). -#}
{% macro aging_bucket(age_days) -%}
    case
        when {{ age_days }} <= 30 then '0-30'
        when {{ age_days }} <= 60 then '31-60'
        when {{ age_days }} <= 90 then '61-90'
        when {{ age_days }} <= 120 then '91-120'
        else '120+'
    end
{%- endmacro %}

{% macro aging_bucket_order(age_days) -%}
    cast(case
        when {{ age_days }} <= 30 then 1
        when {{ age_days }} <= 60 then 2
        when {{ age_days }} <= 90 then 3
        when {{ age_days }} <= 120 then 4
        else 5
    end as integer)
{%- endmacro %}
