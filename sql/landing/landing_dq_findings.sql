-- One row per data-quality finding per load (errors: not loaded; warnings: loaded, to check).
create table if not exists landing_dq_findings (
    load_id integer not null,
    source_district varchar,
    source_file varchar not null,
    source_sheet varchar,
    source_row integer,
    source_column varchar,
    check_name varchar not null,
    severity varchar not null,
    message varchar not null,
    raw_value varchar,
    detail_vi varchar                  -- the finding's own Vietnamese sentence (NULL: the check's meaning says it)
);
