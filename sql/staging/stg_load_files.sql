-- grain: one row per file event per load (loaded, rejected, pending, missing, restored, withdrawn, ignored, gone)
-- unique: load_id, source_file
-- not_null: action
-- references: load_id -> stg_load_runs.load_id
with source as (
    select * from landing_load_files
),

final as (
    select
        load_id,
        source_district,
        source_file,
        coalesce(action, case when loaded then 'loaded' else 'rejected' end) as action,
        sha256,
        modified_at,
        size_bytes,
        loaded,
        rows_loaded
    from source
)

select * from final
