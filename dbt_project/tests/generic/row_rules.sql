{#- A model's row-level rules in one test: one scan of the model instead of one per rule, one dbt
    node and one Dagster check instead of one per rule (docs/adr/0011-row-rules-in-one-test.md).

    - not_null: columns that must never be null (dbt's `not_null`);
    - accepted_values: column -> the values it may hold; a null passes, as with dbt's
      `accepted_values` (add the column to not_null as well to forbid it). Strings are quoted,
      numbers are not;
    - expressions: SQL conditions every row must meet; a row fails where one is false or null
      (this project's `expression_is_true`).

    Returns one row per broken rule, with the rule and its failing rows (`failing_rows`); the test's
    failure count is the sum of those rows, so dbt's "Got N results" counts rows, as the separate
    tests did. A rule that holds returns nothing. -#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append(('not_null(' ~ column ~ ')', column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set rendered = [] -%}
    {%- for value in values -%}
        {%- if value is string -%}
            {%- do rendered.append("'" ~ value | replace("'", "''") ~ "'") -%}
        {%- else -%}
            {%- do rendered.append(value | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do rules.append(('accepted_values(' ~ column ~ ')', column ~ ' not in (' ~ rendered | join(', ') ~ ')')) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- do rules.append(('expression(' ~ expression ~ ')', 'not coalesce((' ~ expression ~ '), false)')) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error("row_rules on " ~ model ~ ": no rule given") }}
{%- endif %}

with counts as (

    select
    {%- for rule in rules %}
        count(*) filter (where {{ rule[1] }}) as rule_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}

)

{% for rule in rules -%}
select '{{ rule[0] | replace("'", "''") }}' as rule, rule_{{ loop.index }} as failing_rows
from counts
where rule_{{ loop.index }} > 0
{{ 'union all' if not loop.last }}
{% endfor %}
{% endtest %}
