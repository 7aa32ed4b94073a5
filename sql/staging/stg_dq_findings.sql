-- grain: one row per data-quality finding per load
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
        raw_value
    from source
)

select * from final
