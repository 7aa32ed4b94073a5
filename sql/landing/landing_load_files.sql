-- One row per file event of a run: read and loaded or rejected, pending (could not be read
-- this time: the next run tries again), found missing from the raw folder, back unchanged
-- (restored), or withdrawn by hand. Unchanged files write nothing.
create table if not exists landing_load_files (
    load_id integer not null,
    source_district varchar,
    source_file varchar not null,
    action varchar,                    -- loaded | rejected | pending | missing | restored | withdrawn | ignored | gone
    sha256 varchar,
    modified_at timestamptz,
    size_bytes bigint,
    loaded boolean not null,
    rows_loaded integer not null,
    primary key (load_id, source_file)
);
