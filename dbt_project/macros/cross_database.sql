{#- Every construct that is not portable SQL lives here behind adapter.dispatch, so a move to
    dbt-spark means adding spark__ variants, not rewriting models. -#}

{#- Continuous percentile (linear interpolation; the median of an even count is the mean of the
    two middle values), as an aggregate. -#}
{% macro rcm_percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('rcm_percentile', 'rcm')(expression, fraction)) }}
{%- endmacro %}

{% macro default__rcm_percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__rcm_percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__rcm_percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}


{#- One row per day between two date columns of the (one-row) relation in the from clause:
    use as `select {{ rcm_date_series('start_date', 'end_date') }} as date_day from bounds`. -#}
{% macro rcm_date_series(start_date, end_date, step='day') -%}
    {{ return(adapter.dispatch('rcm_date_series', 'rcm')(start_date, end_date, step)) }}
{%- endmacro %}

{% macro default__rcm_date_series(start_date, end_date, step) -%}
    cast(generate_series({{ start_date }}, {{ end_date }}, interval '1 {{ step }}') as date)
{%- endmacro %}

{% macro duckdb__rcm_date_series(start_date, end_date, step) -%}
    cast(unnest(generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 {{ step }})) as date)
{%- endmacro %}

{% macro spark__rcm_date_series(start_date, end_date, step) -%}
    explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 {{ step }}))
{%- endmacro %}


{#- A date plus a number of days, as a date (DuckDB's date + interval is a timestamp). -#}
{% macro rcm_add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}


{#- Whole days from first_date to second_date, as an integer. -#}
{% macro rcm_days_between(first_date, second_date) -%}
    cast({{ dbt.datediff(first_date, second_date, 'day') }} as integer)
{%- endmacro %}


{#- First day of the month of a date, as a date. -#}
{% macro rcm_month(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}


{#- Last day of the month of a date, as a date. -#}
{% macro rcm_month_end(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}


{#- The first n characters of a string (the 20 a payer must echo of CLM01). -#}
{% macro rcm_left(expression, n) -%}
    {{ return(adapter.dispatch('rcm_left', 'rcm')(expression, n)) }}
{%- endmacro %}

{% macro default__rcm_left(expression, n) -%}
    substring({{ expression }}, 1, {{ n }})
{%- endmacro %}


{#- md5 of the '|'-joined text of the given expressions: stable surrogate keys. -#}
{% macro rcm_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#- A struct of columns, each field named as its column: rcm_struct(['a', 'b']) -> {a: a, b: b}. -#}
{% macro rcm_struct(columns) -%}
    {{ return(adapter.dispatch('rcm_struct', 'rcm')(columns)) }}
{%- endmacro %}

{% macro default__rcm_struct(columns) -%}
    struct_pack({% for column in columns %}{{ column }} := {{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro spark__rcm_struct(columns) -%}
    named_struct({% for column in columns %}'{{ column }}', {{ column }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}


{#- Ordered, de-duplicated string aggregation (DuckDB: string_agg(distinct ... order by)). -#}
{% macro rcm_string_agg_distinct(expression, delimiter=',') -%}
    {{ return(adapter.dispatch('rcm_string_agg_distinct', 'rcm')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__rcm_string_agg_distinct(expression, delimiter) -%}
    string_agg(distinct {{ expression }}, '{{ delimiter }}' order by {{ expression }})
{%- endmacro %}

{% macro spark__rcm_string_agg_distinct(expression, delimiter) -%}
    array_join(array_sort(collect_set({{ expression }})), '{{ delimiter }}')
{%- endmacro %}


{#- Money: decimal(18,2) everywhere. -#}
{% macro rcm_money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}


{#- Whole dollars with thousands separators, for the reasons a biller reads: 1240.5 -> "1,241". -#}
{% macro rcm_format_dollars(expression) -%}
    {{ return(adapter.dispatch('rcm_format_dollars', 'rcm')(expression)) }}
{%- endmacro %}

{% macro default__rcm_format_dollars(expression) -%}
    to_char(round({{ expression }}, 0), 'FM999,999,999,990')
{%- endmacro %}

{% macro duckdb__rcm_format_dollars(expression) -%}
    format('{:,}', cast(round({{ expression }}, 0) as bigint))
{%- endmacro %}

{% macro spark__rcm_format_dollars(expression) -%}
    format_number(round({{ expression }}, 0), 0)
{%- endmacro %}


{#- Every column of a relation (or CTE, or alias) but the given ones, in a select list:
    `select {{ rcm_star_except('remits', ['rcm_built_at']) }} from remits`. -#}
{% macro rcm_star_except(relation, columns) -%}
    {{ return(adapter.dispatch('rcm_star_except', 'rcm')(relation, columns)) }}
{%- endmacro %}

{% macro default__rcm_star_except(relation, columns) -%}
    {{ exceptions.raise_compiler_error("rcm_star_except needs a variant for this adapter (DuckDB: * exclude, Databricks: * except)") }}
{%- endmacro %}

{% macro duckdb__rcm_star_except(relation, columns) -%}
    {{ relation }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}
