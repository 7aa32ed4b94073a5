-- One row per accepted source row per load, as parsed by flows/parse/rows.py (raw text beside values).
create table if not exists landing_indicator_rows (
    load_id integer not null,
    source_district varchar not null,
    source_file varchar not null,
    source_sheet varchar not null,
    source_row integer not null,
    reporting_unit varchar,            -- who the figures are about: the former district for district tables
    label_key varchar,                 -- normalised row label (flows/core/labels.py), identifies unmapped rows
    row_number varchar,
    row_label varchar not null,
    parent_label varchar,
    row_kind varchar not null,
    unit varchar,
    unit_raw varchar,
    target_unit varchar,               -- a unit written in the target cell ("90%") that is not the row's
    actual_unit varchar,               -- a unit written in the result cell ("02 xã") that is not the row's
    target_raw varchar,
    target_kind varchar,
    target_strict boolean,             -- a bound that excludes its number ("trên 70": above 70); NULL unless a bound
    target_low double,
    target_high double,
    target_note varchar,
    actual_raw varchar,
    actual_value double,
    actual_text varchar,
    reported_pct_raw varchar,
    reported_pct double,
    computed_pct double,
    pct_basis varchar,                 -- target | plan_total | unexplained: what the reported % was computed from
    plan_years integer,
    scale_fix_factor double,           -- set when a plausibility rule knows the slip (‰ typed as %)
    scale_fix_rule varchar,
    indicator_code varchar,
    definition_variant varchar,
    note varchar,
    period_end date,
    is_estimate boolean not null,
    label_column varchar,
    unit_column varchar,
    target_column varchar,
    actual_column varchar,
    reported_pct_column varchar
);
