-- One row per provider NPI: the seed, plus NPIs seen on claims that the seed lacks.
with

providers as (

    select * from {{ ref('providers') }}

),

submissions as (

    select * from {{ ref('int_submissions_unioned') }}

),

seen_npis as (

    select distinct npi
    from (
        select billing_provider_npi as npi from submissions
        union all
        select rendering_provider_npi from submissions
    ) as seen
    where npi is not null

),

final as (

    select
        npi,
        provider_name,
        specialty,
        entity_type,
        taxonomy_code,
        location_id,
        true as is_in_seed
    from providers
    union all
    select
        npi,
        {{ dbt.concat(["'NPI '", 'npi']) }},
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        false
    from seen_npis
    where npi not in (select npi from providers)

)

select * from final
