-- One row per run of the load flow, written by flows/warehouse/build.py (WarehouseBuild.finish) when the run ends.
create table if not exists landing_load_runs (
    load_id integer primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,           -- succeeded | succeeded_with_errors (errors found or still open) | failed
    raw_dir varchar not null,
    mode varchar,                      -- incremental | full | withdraw
    parser_version varchar,            -- hash of the parsing code and catalogues (flows/warehouse/state.py)
    files_seen integer not null,
    files_skipped integer,             -- unchanged since they were last read
    files_missing integer,             -- known files no longer in the raw folder
    files_restored integer,            -- missing files that came back unchanged
    files_loaded integer not null,
    files_rejected integer not null,
    files_pending integer,             -- could not be read this time; read again by the next run
    rows_loaded integer not null,
    rows_rejected integer not null,
    warnings integer not null,
    errors integer not null
);
