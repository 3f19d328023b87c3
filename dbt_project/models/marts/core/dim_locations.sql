-- One row per location: the seed, plus location ids seen on claims that the seed lacks.
with

locations as (

    select * from {{ ref('locations') }}

),

submissions as (

    select * from {{ ref('int_submissions_unioned') }}

),

seen_locations as (

    select distinct location_id
    from submissions
    where location_id is not null

),

final as (

    select
        location_id,
        location_name,
        location_type,
        place_of_service_code,
        city,
        state,
        true as is_in_seed
    from locations
    union all
    select
        location_id,
        {{ dbt.concat(["'Location '", 'location_id']) }},
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        false
    from seen_locations
    where location_id not in (select location_id from locations)

)

select * from final
