{#- Fails on every row where the expression is not true (false or null). On a column, the
    expression is appended to the column name: `expression: ">= 0"`. Written here because dbt deps
    (dbt_utils) would need the internet. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
{%- if column_name is none %}
where not coalesce(({{ expression }}), false)
{%- else %}
where not coalesce(({{ column_name }} {{ expression }}), false)
{%- endif %}

{% endtest %}
