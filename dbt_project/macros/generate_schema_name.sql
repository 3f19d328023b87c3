{#- Layers land in their own schemas named exactly staging / intermediate / marts / seeds (not
    main_staging): the dashboards' snapshot and ad-hoc SQL read "marts.fct_claims". -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
