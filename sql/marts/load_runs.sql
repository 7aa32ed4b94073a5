-- The history of loads: when each ran, what it saw, loaded and rejected.
-- grain: one row per run of the load flow
-- unique: load_id
-- not_null: started_at, status, mode
-- column load_id: the load's number, increasing
-- column started_at: when the run started (UTC)
-- column finished_at: when the run finished writing (UTC)
-- column status: 'succeeded' or 'succeeded_with_errors' (an error found by this run, or still open in dq_issues after it; the rest was published)
-- column raw_dir: folder the run read
-- column mode: incremental (read only what changed), full (read everything) or withdraw (a file withdrawn by hand)
-- column parser_version: hash of the parsing code and catalogues; when it changes, every file is read again
-- column files_seen: files found under the raw folder
-- column files_skipped: files unchanged since they were last read, so not read again
-- column files_missing: known files no longer in the raw folder (their figures stay, marked)
-- column files_restored: missing files that came back unchanged
-- column files_loaded: files read, with at least one row loaded
-- column files_rejected: files rejected as a whole for what they contain (read again only when they change)
-- column files_pending: files that could not be read this time (gone, still being copied, unreadable, the loader failed); the next run reads them again
-- column rows_loaded: indicator rows loaded
-- column rows_rejected: rows rejected by a structural check
-- column warnings: warning findings of the run
-- column errors: error findings of the run
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
        mode,
        parser_version,
        files_seen,
        files_skipped,
        files_missing,
        files_restored,
        files_loaded,
        files_rejected,
        files_pending,
        rows_loaded,
        rows_rejected,
        warnings,
        errors
    from runs
)

select * from final
order by load_id
