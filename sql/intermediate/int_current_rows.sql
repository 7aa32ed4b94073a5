-- materialized: table
-- grain: one row per current indicator row: a version not superseded, from a file not
-- withdrawn, with its file's status (and, from int_row_versions, the check names of the findings on that row)
-- unique: source_file, source_sheet, source_row
-- not_null: load_id, source_district, file_status, dq_flags
-- references: load_id, source_file -> stg_load_files.load_id, source_file
with versions as (
    select * from int_row_versions where superseded_by_load_id is null
),

file_status as (
    select * from int_file_status
),

final as (
    select
        versions.*,
        case when file_status.last_action = 'missing' then 'missing_from_raw' else 'present' end as file_status
    from versions
    inner join file_status
        on file_status.source_file = versions.source_file
        and file_status.last_action <> 'withdrawn'
)

select * from final
-- stored in the order analysts filter by, so a district-and-indicator lookup reads few blocks
order by source_district, indicator_code, reporting_unit, period_end
