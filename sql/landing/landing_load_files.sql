-- One row per file seen by a run: its fingerprint and whether it was loaded.
create table if not exists landing_load_files (
    load_id integer not null,
    source_district varchar,
    source_file varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    loaded boolean not null,
    rows_loaded integer not null,
    primary key (load_id, source_file)
);
