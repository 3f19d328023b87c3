{#-
    Data tests on an incremental run check only what that run rebuilt (docs/adr/0007-incremental-daily-build.md).

    dbt hands every generic test its model as `get_where_subquery(ref(...))`; this project's
    version adds, on an incremental run, a filter to the rows this run wrote when the tested model
    is one of the incremental models: those stamped with this run's `rcm_built_at`, which are
    exactly the rows of the changed files or match keys (`rcm_replace` deleted their older rows and
    inserted these; macros/incremental.sql). The stamp is the filter rather than the file or key
    lists because the new rows are the table's last: DuckDB skips the other row groups by their
    min/max, where a semi-join on the file id or match key read every row (0.2 s a test on the
    7-million-row fct_claim_events at 1,000,000 claims). Their other rows are the ones the last
    recorded build wrote and tested, untouched since: `rcm_replace` deletes and rewrites whole files
    or keys, and a build is recorded only when every test passed. Every test on these models is about
    rows of one file or one key:
      - row_rules' not null, accepted values and expressions, and expression_is_true: one row at
        a time (an expression must not look at other rows: tests/generic/row_rules.sql);
      - unique, primary_key, unique_combination_of_columns and row_rules' primary_key and unique:
        each id names one source row, so one file or key (a claim id, a remit id, a PCN with a
        date);
      - relationships: the child rows are filtered, the parent (`to`) never is.
    fct_claims is incremental by match key too, with two differences: a run also rewrites (and
    stamps) the keys whose stored dimension names went stale, and its post-hook moves the as-of
    columns of the other rows to the day's as-of date, with values from the closed set its tests
    accept (a current_status of 'submitted' or 'no_response', a day count, a date). In all else,
    the rows left out are those the last recorded build wrote and tested.
    The staging views of raw files (models/staging/raw, `meta: {rcm_test_scope: file}`) are
    filtered to the rows of the changed files, computed live from the ledger and the record
    (rcm_changed_files): their tests may run before int_changed_files_listed is rebuilt. A file's
    rows never change once loaded, and every test there is keyed by file (file_id is in each
    unique key); a new test there must be too.
    Models built in full every run (the other marts) are tested in full, and so is everything
    on a full refresh or with a pinned as-of date, the runs where rcm_incremental() is false.
    Singular tests (tests/) do not go through here and always read whole tables.

    Only `rcm build` asks for this, by setting RCM_TEST_SCOPE=changed for a whole incremental run
    (orchestration/defs/dbt_assets.py): `dbt build` or `dbt test` by hand, and a subset run from
    the Dagster UI (which may not rebuild the change lists), test every row. env_var() is read only
    at execution, so dbt's partial parsing does not track it.
    An incremental model whose table was dropped by hand is rebuilt whole on an incremental run, so
    every row carries this run's stamp and is tested.

    A `where:` config, dbt's own filter, still applies, and together with this one.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do predicates.append(where) -%}
    {%- endif -%}
    {%- set scope = rcm_test_scope(relation) -%}
    {%- if scope -%}
        {%- do predicates.append(scope) -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ predicates | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The predicate that limits a test of `relation` to what this run rebuilt, or '' for the whole table:
    '' unless `rcm build` runs incrementally (rcm_whole_incremental_build) and `relation` is an
    incremental model with strategy rcm_replace or a model with `meta: {rcm_test_scope: file}`. -#}
{% macro rcm_test_scope(relation) -%}
    {%- if not rcm_whole_incremental_build() -%}
        {{ return('') }}
    {%- endif -%}
    {#- models are looked up by name: no model of this project has an alias -#}
    {%- set model = graph.nodes.get('model.' ~ project_name ~ '.' ~ relation.identifier) -%}
    {%- if model is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- if model.config.get('meta', {}).get('rcm_test_scope') == 'file' -%}
        {%- set ledger = graph.nodes['model.' ~ project_name ~ '.stg_raw__load_ledger'] -%}
        {%- set built_files = graph.sources['source.' ~ project_name ~ '.build_state.built_files'] -%}
        {{ return('file_id in (select file_id from (' ~ rcm_changed_files(ledger.relation_name, built_files.relation_name) ~ '))') }}
    {%- endif -%}
    {%- set replaced_by = rcm_replaced_by(relation) -%}
    {%- if replaced_by is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- if replaced_by not in ('file', 'match_key') -%}
        {{ exceptions.raise_compiler_error("rcm_test_scope: " ~ model.name ~ " has no rcm_replace_by 'file' or 'match_key'") }}
    {%- endif -%}
    {{ return('rcm_built_at = ' ~ rcm_built_at()) }}
{%- endmacro %}
