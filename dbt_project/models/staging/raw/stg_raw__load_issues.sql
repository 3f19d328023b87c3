-- One row per problem the loader reported (all files, current or not).
with

source as (

    select * from {{ source('raw', 'load_issues') }}

),

renamed as (

    select
        file_id,
        severity,
        issue_code,
        segment_position,
        segment_id,
        transaction_control_number,
        message
    from source

)

select * from renamed
