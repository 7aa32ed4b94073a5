-- grain: one row per data-quality finding per load
-- no_unique_key: a finding has no identity beyond its text: one check may flag one cell twice (two pandera rules of one column are both invalid_<column>)
-- not_null: load_id, source_file, check_name, severity, message
-- references: load_id -> stg_load_runs.load_id
with source as (
    select * from landing_dq_findings
),

final as (
    select
        load_id,
        source_district,
        source_file,
        source_sheet,
        source_row,
        source_column,
        check_name,
        severity,
        message,
        raw_value,
        detail_vi
    from source
)

select * from final
