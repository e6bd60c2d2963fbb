-- One row per user, typed and renamed.
with

source as (
    select * from {{ source('raw_events', 'users') }}
),

renamed as (
    select
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(signed_up_at as {{ dbt.type_timestamp() }}) as signed_up_at,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(lower(device) as {{ dbt.type_string() }}) as primary_device,
        cast(lower(plan) as {{ dbt.type_string() }}) as plan
    from source
)

select * from renamed
