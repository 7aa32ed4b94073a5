-- grain: one row per run of the load flow
with runs as (
    select * from stg_load_runs
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
    from runs
)

select * from final
order by load_id
