-- grain: one row per file seen per load
with source as (
    select * from landing_load_files
),

final as (
    select
        load_id,
        source_district,
        source_file,
        sha256,
        size_bytes,
        loaded,
        rows_loaded
    from source
)

select * from final
