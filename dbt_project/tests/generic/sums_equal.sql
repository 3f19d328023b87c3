{#- Fails when two sums of money differ by more than a cent tolerance of zero: the left and right
    expressions are aggregated over the whole model (e.g. Σ parts = Σ whole). -#}
{% test sums_equal(model, left_expression, right_expression, where_clause=none) %}

with totals as (
    select
        coalesce(sum({{ left_expression }}), 0) as left_total,
        coalesce(sum({{ right_expression }}), 0) as right_total
    from {{ model }}
    {%- if where_clause %}
    where {{ where_clause }}
    {%- endif %}
)

select *
from totals
where left_total <> right_total

{% endtest %}
