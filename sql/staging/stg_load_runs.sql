-- grain: one row per load run
-- unique: load_id
-- not_null: load_id, started_at, status, mode
with source as (
    select * from landing_load_runs
),

final as (
    select
        load_id,
        started_at,
        finished_at,
        -- the run's time in load order, for history intervals: a clock set back between two loads must
        -- not make the later one earlier (a valid_to before its valid_from finds no version as of a date)
        max(finished_at) over (order by load_id rows between unbounded preceding and current row) as ordered_at,
        status,
        raw_dir,
        coalesce(mode, 'full') as mode,
        parser_version,
        files_seen,
        coalesce(files_skipped, 0) as files_skipped,
        coalesce(files_missing, 0) as files_missing,
        coalesce(files_restored, 0) as files_restored,
        files_loaded,
        files_rejected,
        coalesce(files_pending, 0) as files_pending,
        rows_loaded,
        rows_rejected,
        warnings,
        errors
    from source
)

select * from final
