-- Example (compiled, never run by the build): show the official CARC texts next to our denials.
-- We never commit X12's descriptions. Load your licensed file into the warehouse yourself, e.g.
--   create or replace table main.carc_descriptions as
--   select * from read_csv('/path/outside/the/repo/carc_descriptions.csv', all_varchar = true);
-- with columns carc_code, description (docs/warehouse.md), then
--   dbt compile --select denials_with_official_descriptions
-- and run the SQL in target/compiled/ against the warehouse.
with

denials as (

    select * from {{ ref('fct_denials') }}

),

final as (

    select
        denials.denial_id,
        denials.denial_date,
        denials.payer_id,
        denials.group_code,
        denials.carc_code,
        carc_descriptions.description as carc_description,
        denials.root_cause,
        denials.denied_amount,
        denials.outcome
    from denials
    left join main.carc_descriptions as carc_descriptions
        on denials.carc_code = carc_descriptions.carc_code

)

select * from final
