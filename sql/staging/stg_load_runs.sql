-- grain: one row per load run
with source as (
    select * from landing_load_runs
),

final as (
    select
        load_id,
        started_at,
        finished_at,
        status,
        raw_dir,
        files_seen,
        files_loaded,
        files_rejected,
        rows_loaded,
        rows_rejected,
        warnings,
        errors
    from source
)

select * from final
