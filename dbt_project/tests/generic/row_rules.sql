{#- A model's row-level rules in one test: one scan of the model instead of one per rule, one dbt
    node and one Dagster check instead of one per rule (docs/adr/0011-row-rules-in-one-test.md).

    - not_null: columns that must never be null (dbt's `not_null`);
    - accepted_values: column -> the values it may hold; a null passes, as with dbt's
      `accepted_values` (add the column to not_null as well to forbid it). Strings are quoted,
      integers and decimals are not; any other YAML value (a date, a boolean, null) is refused:
      quote it in the YAML;
    - expressions: SQL conditions every row must meet; a row fails where one is false or null
      (this project's `expression_is_true`). Each must look at its own row only (no window or
      subquery over the model): on an incremental build the model is filtered to the changed rows
      (macros/test_scope.sql).

    - primary_key: columns that each hold a key: never null, never twice (not_null and unique of
      the column; this project's `primary_key` test, in the same scan);
    - unique: column lists whose combination occurs at most once, nulls compared as values (what
      `unique_combination_of_columns` checks).
    The key rules are the ones that compare rows with each other; on an incremental build they
    compare the changed rows among themselves, which holds because every key here names one source
    row, so one file or one match key (macros/test_scope.sql).

    Returns one row per broken rule: the rule and its count of failing rows (`failing_rows`), not
    the rows themselves; for a key, the rows beyond the first of each value. The test's failure
    count is the sum of those counts, so dbt's "Got N results" counts rows (dbt's `accepted_values`
    counted distinct bad values, `unique` the values). A rule that holds returns nothing. -#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[], primary_key=[], unique=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set prefix = "row_rules on " ~ model ~ ": " -%}
{%- set lists = [not_null, expressions, primary_key, unique] -%}
{%- if accepted_values is not mapping or lists | select('string') | list or lists | select('mapping') | list -%}
    {{ exceptions.raise_compiler_error(prefix ~ "not_null, expressions, primary_key and unique take lists, accepted_values a mapping of column to values") }}
{%- endif -%}
{%- set rules = [] -%}
{#- each rule: (its name, the aggregate that counts its failing rows) -#}
{%- for column in primary_key -%}
    {%- if column is not string -%}
        {{ exceptions.raise_compiler_error(prefix ~ "primary_key: " ~ column ~ " is not a column name") }}
    {%- endif -%}
    {%- if column not in not_null -%}
        {%- do rules.append(('not_null(' ~ column ~ ')', 'count(*) filter (where ' ~ column ~ ' is null)')) -%}
    {%- endif -%}
    {%- do rules.append(('unique(' ~ column ~ ')', 'count(' ~ column ~ ') - count(distinct ' ~ column ~ ')')) -%}
{%- endfor -%}
{%- for columns in unique -%}
    {%- if columns is string or columns is mapping or not columns or columns | reject('string') | list -%}
        {{ exceptions.raise_compiler_error(prefix ~ "unique: " ~ columns ~ " is not a list of column names") }}
    {%- endif -%}
    {#- row(): a null is a value here, as in a GROUP BY; two rows (null, 1) are a duplicate -#}
    {%- do rules.append(('unique(' ~ columns | join(', ') ~ ')', 'count(*) - count(distinct row(' ~ columns | join(', ') ~ '))')) -%}
{%- endfor -%}
{%- for column in not_null -%}
    {%- if column is not string -%}
        {{ exceptions.raise_compiler_error(prefix ~ "not_null: " ~ column ~ " is not a column name") }}
    {%- endif -%}
    {%- do rules.append(('not_null(' ~ column ~ ')', 'count(*) filter (where ' ~ column ~ ' is null)')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- if values is string or values is mapping or not values -%}
        {{ exceptions.raise_compiler_error(prefix ~ "accepted_values of " ~ column ~ " must be a list of values, not empty") }}
    {%- endif -%}
    {%- set rendered = [] -%}
    {%- for value in values -%}
        {%- if value is string -%}
            {%- do rendered.append("'" ~ value | replace("'", "''") ~ "'") -%}
        {%- elif value is number and value is not boolean -%}
            {%- do rendered.append(value | string) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(prefix ~ "accepted_values of " ~ column ~ ": " ~ value ~ " is neither a string nor a number (quote it)") }}
        {%- endif -%}
    {%- endfor -%}
    {%- do rules.append(('accepted_values(' ~ column ~ ')', 'count(*) filter (where ' ~ column ~ ' not in (' ~ rendered | join(', ') ~ '))')) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- if expression is not string -%}
        {{ exceptions.raise_compiler_error(prefix ~ "expression " ~ expression ~ " is not a string") }}
    {%- endif -%}
    {%- do rules.append(('expression(' ~ expression ~ ')', 'count(*) filter (where not coalesce((' ~ expression ~ '), false))')) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error(prefix ~ "no rule given") }}
{%- endif %}

with counts as (

    select
    {%- for rule in rules %}
        {{ rule[1] }} as rule_{{ loop.index }}{{ ',' if not loop.last }}
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
