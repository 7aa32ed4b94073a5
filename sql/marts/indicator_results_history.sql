-- Every version of every indicator row ever published, with the load that brought it and the load that replaced it.
-- grain: one row per indicator row per load that brought it
-- unique: load_id, source_file, source_sheet, source_row
-- not_null: is_current
-- references: load_id -> load_runs.load_id
-- references: superseded_by_load_id -> load_runs.load_id
-- column source_district: former district: its raw/ folder (schemas/districts.csv)
-- column source_file: workbook path under raw/
-- column source_sheet: sheet name
-- column source_row: row number in the sheet (1-based)
-- column reporting_unit: who the figures are about
-- column row_label: indicator name as printed
-- column indicator_code: catalogue indicator (view indicators)
-- column row_kind: measured, qualitative or group
-- column unit: canonical unit code of the reported unit
-- column target_raw: target cell text as printed
-- column actual_raw: result cell text as printed
-- column reported_pct_raw: percentage cell text as printed
-- column target_low: lower bound of the target
-- column target_high: upper bound of the target
-- column actual_value: the result as a number
-- column reported_pct: percentage of target reported
-- column period_end: date the figures refer to
-- column dq_flags: check names of the data-quality findings on this version (view dq_issues shows the open ones; indicator_changes compares them between versions)
-- column load_id: load that brought this version (view load_runs)
-- column superseded_by_load_id: load that replaced it (a resubmission, a newer file for the same figure, or a withdrawal); NULL while current
-- column valid_from: when this version was published (the finish of its load, never earlier than an earlier load's: history follows load order even when the clock was set back)
-- column valid_to: when it stopped being current; NULL while current. What a figure was on night T: valid_from <= T and (valid_to is null or valid_to > T)
-- column is_current: true for the version indicator_results shows
with versions as (
    select * from int_row_versions
),

file_status as (
    select * from int_file_status
),

final as (
    select
        versions.source_district,
        versions.source_file,
        versions.source_sheet,
        versions.source_row,
        versions.reporting_unit,
        versions.row_label,
        versions.indicator_code,
        versions.row_kind,
        versions.unit,
        versions.target_raw,
        versions.actual_raw,
        versions.reported_pct_raw,
        versions.target_low,
        versions.target_high,
        versions.actual_value,
        versions.reported_pct,
        versions.period_end,
        versions.dq_flags,
        versions.load_id,
        versions.superseded_by_load_id,
        versions.valid_from,
        versions.valid_to,
        versions.superseded_by_load_id is null and file_status.last_action <> 'withdrawn' as is_current
    from versions
    inner join file_status using (source_file)
)

select * from final
order by source_district, source_file, source_sheet, source_row, load_id
