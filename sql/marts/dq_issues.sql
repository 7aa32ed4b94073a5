-- grain: one row per data-quality finding from the latest load that looked at each source file
with findings as (
    select * from stg_dq_findings
),

latest_attempts as (
    select * from int_latest_file_attempts
),

final as (
    select
        findings.load_id,
        findings.source_district,
        findings.source_file,
        findings.source_sheet,
        findings.source_row,
        findings.source_column,
        findings.check_name,
        findings.severity,
        findings.message,
        findings.raw_value
    from findings
    inner join latest_attempts
        on findings.source_file = latest_attempts.source_file
        and findings.load_id = latest_attempts.load_id
)

select * from final
order by source_district, source_file, source_sheet, source_row, check_name
