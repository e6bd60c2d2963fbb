-- One row per episode play, typed and renamed; no filtering (tests flag bad rows).
with

source as (
    select * from {{ source('raw_events', 'viewing_events') }}
),

renamed as (
    select
        cast(event_id as {{ dbt.type_bigint() }}) as event_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(anime_id as {{ dbt.type_string() }}) as anime_id,
        cast(episode_number as {{ dbt.type_int() }}) as episode_number,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(watched_seconds as {{ dbt.type_int() }}) as watched_seconds,
        cast(episode_duration_seconds as {{ dbt.type_int() }}) as episode_duration_seconds,
        cast(lower(device) as {{ dbt.type_string() }}) as device
    from source
)

select * from renamed
