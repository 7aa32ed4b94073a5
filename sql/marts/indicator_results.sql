-- grain: one row per indicator row of a source workbook, from the latest load of that workbook
with rows as (
    select * from stg_indicator_rows
),

current_loads as (
    select * from int_current_file_loads
),

findings as (
    select * from stg_dq_findings
),

row_flags as (
    select
        load_id,
        source_file,
        source_sheet,
        source_row,
        list_sort(list_distinct(list(check_name))) as dq_flags
    from findings
    where source_row is not null
    group by all
),

final as (
    select
        rows.source_district,
        rows.source_file,
        rows.source_sheet,
        rows.source_row,
        rows.row_number,
        rows.row_label,
        rows.parent_label,
        rows.row_kind,
        rows.unit,
        rows.unit_raw,
        rows.target_raw,
        rows.actual_raw,
        rows.reported_pct_raw,
        rows.target_kind,
        rows.target_low,
        rows.target_high,
        rows.target_note,
        rows.actual_value,
        rows.actual_text,
        rows.reported_pct,
        rows.computed_pct,
        rows.source_note,
        rows.period_end,
        rows.is_estimate,
        coalesce(row_flags.dq_flags, []::varchar[]) as dq_flags,
        rows.load_id
    from rows
    inner join current_loads
        on rows.source_file = current_loads.source_file
        and rows.load_id = current_loads.load_id
    left join row_flags
        on rows.load_id = row_flags.load_id
        and rows.source_file = row_flags.source_file
        and rows.source_sheet = row_flags.source_sheet
        and rows.source_row = row_flags.source_row
)

select * from final
order by source_district, source_file, source_sheet, source_row
