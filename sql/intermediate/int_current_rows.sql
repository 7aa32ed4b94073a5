-- grain: one row per indicator row of a source workbook, from the latest load that loaded it,
-- with the check names of the findings on that row
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
        rows.*,
        coalesce(row_flags.dq_flags, []::varchar[]) as dq_flags
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
