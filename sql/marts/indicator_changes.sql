-- What changed: one row per figure whose parsed value, unit or flags changed between two consecutive versions, with the old and new of each, the two loads and the file; also the figures a revision added, and those a load removed or a withdrawal took away.
-- grain: one row per change of one figure. A figure is matched across versions by its district, reporting unit, period, indicator code (the label key when unmapped) and its occurrence among that indicator's rows in the file, never by row number: a row that only moved, or a file read again with the same figures, is no change. Cell text that reads the same ('7,40' for '7.4') is no change either.
-- unique: old_load_id, old_source_file, old_source_sheet, old_source_row, new_load_id, new_source_file, new_source_sheet, new_source_row
-- not_null: change_kind, changed_fields, source_district, reporting_unit, source_file, new_load_id
-- references: old_load_id -> load_runs.load_id
-- references: new_load_id -> load_runs.load_id
-- column change_kind: 'changed' (a new version with other figures, unit or flags), 'added' (a figure with no previous version, brought by a workbook read again or by one that replaced another workbook's figures), 'removed' (a workbook read again no longer has it) or 'withdrawn' (haquang withdraw took its workbook out)
-- column changed_fields: what differs for 'changed': actual_value, actual_text, target (kind or bounds), reported_pct, unit, dq_flags; empty for the other kinds
-- column source_district: former district: its raw/ folder (schemas/districts.csv)
-- column reporting_unit: who the figures are about
-- column period_end: date the figures refer to
-- column indicator_code: catalogue indicator (view indicators); NULL for an unmapped label
-- column row_label: indicator name as printed (the new version's, or the old one's when removed)
-- column source_file: workbook whose load (or withdrawal) made the change: the new version's file, or the old one's when removed or withdrawn
-- column old_load_id: load that brought the previous version (view load_runs); NULL when added
-- column new_load_id: load that made the change: brought the new version, or ended the old one (view load_runs)
-- column changed_at: when the load that made the change finished (never earlier than an earlier load's finish)
-- column old_source_file: workbook of the previous version; NULL when added
-- column old_source_sheet: sheet of the previous version
-- column old_source_row: row of the previous version in its sheet
-- column new_source_file: workbook of the new version (another file when a corrected workbook under a new name replaced the figure); NULL when removed or withdrawn
-- column new_source_sheet: sheet of the new version
-- column new_source_row: row of the new version in its sheet (differs from old_source_row when rows moved)
-- column old_actual_raw: result cell text as printed, previous version
-- column new_actual_raw: result cell text as printed, new version
-- column old_actual_value: the result as a number, previous version
-- column new_actual_value: the result as a number, new version
-- column old_actual_text: the result as words (qualitative rows), previous version
-- column new_actual_text: the result as words (qualitative rows), new version
-- column old_target_raw: target cell text as printed, previous version
-- column new_target_raw: target cell text as printed, new version
-- column old_target_low: lower bound of the target, previous version
-- column new_target_low: lower bound of the target, new version
-- column old_target_high: upper bound of the target, previous version
-- column new_target_high: upper bound of the target, new version
-- column old_reported_pct: percentage of target reported, previous version
-- column new_reported_pct: percentage of target reported, new version
-- column old_unit: canonical unit code, previous version
-- column new_unit: canonical unit code, new version
-- column old_dq_flags: check names of the data-quality findings on the previous version
-- column new_dq_flags: check names of the data-quality findings on the new version
with versions as (
    -- A version superseded by the very load that brought it lost a conflict between two
    -- workbooks of that load: it was never shown, so it is no one's previous or next version.
    select * from int_row_versions
    where superseded_by_load_id is distinct from load_id
),

events as (
    select * from stg_load_files
),

runs as (
    select * from stg_load_runs
),

-- Each version beside the one that followed it: the version of the same figure brought by the
-- load that superseded it. A side is missing where the figure ended (old only) or began (new only).
successions as (
    select
        old.source_district as old_source_district,
        old.reporting_unit as old_reporting_unit,
        old.period_end as old_period_end,
        old.indicator_code as old_indicator_code,
        old.row_label as old_row_label,
        old.load_id as old_load_id,
        old.superseded_by_load_id as old_superseded_by_load_id,
        old.source_file as old_source_file,
        old.source_sheet as old_source_sheet,
        old.source_row as old_source_row,
        old.actual_raw as old_actual_raw,
        old.actual_value as old_actual_value,
        old.actual_text as old_actual_text,
        old.target_raw as old_target_raw,
        old.target_kind as old_target_kind,
        old.target_low as old_target_low,
        old.target_high as old_target_high,
        old.reported_pct as old_reported_pct,
        old.unit as old_unit,
        old.dq_flags as old_dq_flags,
        new.source_district as new_source_district,
        new.reporting_unit as new_reporting_unit,
        new.period_end as new_period_end,
        new.indicator_code as new_indicator_code,
        new.row_label as new_row_label,
        new.load_id as new_load_id,
        new.source_file as new_source_file,
        new.source_sheet as new_source_sheet,
        new.source_row as new_source_row,
        new.actual_raw as new_actual_raw,
        new.actual_value as new_actual_value,
        new.actual_text as new_actual_text,
        new.target_raw as new_target_raw,
        new.target_kind as new_target_kind,
        new.target_low as new_target_low,
        new.target_high as new_target_high,
        new.reported_pct as new_reported_pct,
        new.unit as new_unit,
        new.dq_flags as new_dq_flags
    from versions as old
    full outer join versions as new
        on new.load_id = old.superseded_by_load_id
        and new.source_district = old.source_district
        and new.reporting_unit = old.reporting_unit
        and new.period_end is not distinct from old.period_end
        and new.fact_key is not distinct from old.fact_key
        and new.fact_occurrence = old.fact_occurrence
),

-- Workbooks that, in a load, replaced figures of another workbook (a correction under a new name).
replacing_files as (
    select distinct new_load_id as load_id, new_source_file as source_file
    from successions
    where old_load_id is not null and new_load_id is not null and old_source_file <> new_source_file
),

compared as (
    select
        *,
        [field for field in [
            case when old_actual_value is distinct from new_actual_value then 'actual_value' end,
            case when old_actual_text is distinct from new_actual_text then 'actual_text' end,
            case when old_target_kind is distinct from new_target_kind
                or old_target_low is distinct from new_target_low
                or old_target_high is distinct from new_target_high then 'target' end,
            case when old_reported_pct is distinct from new_reported_pct then 'reported_pct' end,
            case when old_unit is distinct from new_unit then 'unit' end,
            case when old_dq_flags is distinct from new_dq_flags then 'dq_flags' end
        ] if field is not null] as differing
    from successions
),

classified as (
    select
        *,
        case
            when old_load_id is not null and new_load_id is not null then 'changed'
            when new_load_id is not null then 'added'
            when exists (
                select 1 from events
                where events.load_id = compared.old_superseded_by_load_id
                and events.source_file = compared.old_source_file
                and events.action = 'withdrawn'
            ) then 'withdrawn'
            else 'removed'
        end as change_kind
    from compared
    where
        (old_load_id is not null and new_load_id is not null and len(differing) > 0)
        -- ended, not merely still current
        or (new_load_id is null and old_superseded_by_load_id is not null)
        -- began in a revision: the workbook was read before (a resubmission), or it replaced another
        -- workbook's figures in this load; a workbook's first reading of new figures is no change
        or (old_load_id is null and (
            exists (
                select 1 from events
                where events.source_file = compared.new_source_file
                and events.load_id < compared.new_load_id
                and events.action = 'loaded'
            )
            or exists (
                select 1 from replacing_files
                where replacing_files.load_id = compared.new_load_id
                and replacing_files.source_file = compared.new_source_file
            )
        ))
),

final as (
    select
        classified.change_kind,
        case when classified.change_kind = 'changed' then classified.differing else []::varchar[] end
            as changed_fields,
        coalesce(classified.new_source_district, classified.old_source_district) as source_district,
        coalesce(classified.new_reporting_unit, classified.old_reporting_unit) as reporting_unit,
        coalesce(classified.new_period_end, classified.old_period_end) as period_end,
        coalesce(classified.new_indicator_code, classified.old_indicator_code) as indicator_code,
        coalesce(classified.new_row_label, classified.old_row_label) as row_label,
        coalesce(classified.new_source_file, classified.old_source_file) as source_file,
        classified.old_load_id,
        coalesce(classified.new_load_id, classified.old_superseded_by_load_id) as new_load_id,
        runs.ordered_at as changed_at,
        classified.old_source_file,
        classified.old_source_sheet,
        classified.old_source_row,
        classified.new_source_file,
        classified.new_source_sheet,
        classified.new_source_row,
        classified.old_actual_raw,
        classified.new_actual_raw,
        classified.old_actual_value,
        classified.new_actual_value,
        classified.old_actual_text,
        classified.new_actual_text,
        classified.old_target_raw,
        classified.new_target_raw,
        classified.old_target_low,
        classified.new_target_low,
        classified.old_target_high,
        classified.new_target_high,
        classified.old_reported_pct,
        classified.new_reported_pct,
        classified.old_unit,
        classified.new_unit,
        classified.old_dq_flags,
        classified.new_dq_flags
    from classified
    left join runs on runs.load_id = coalesce(classified.new_load_id, classified.old_superseded_by_load_id)
)

select * from final
order by new_load_id, source_district, source_file, coalesce(new_source_row, old_source_row), old_load_id
