{#- The column is the model's key: never null, never twice. What dbt's `unique` and `not_null` check
    with two tests, in one query: a build runs one node, and Dagster records one check, instead of
    two (docs/adr/0007-incremental-daily-build.md). Fails once per value that occurs more than once,
    and once for the nulls (their count in `occurrences`). -#}
{% test primary_key(model, column_name) %}

select
    {{ column_name }} as key_value,
    count(*) as occurrences
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
