-- materialized: table
-- grain: one row per indicator row per load that brought it: every version ever published.
-- A version is superseded by the next load that loaded the same file again (a resubmission
-- replaces the file's facts; a rejected one replaces nothing), by a withdrawal of
-- the file, or by a newer version of the same fact (same district, reporting unit, period and
-- indicator) from any file. Within one load, the most recently modified file wins.
-- A figure is identified across versions by its fact (district, reporting unit, period and
-- indicator code, or label key for an unmapped row) and fact_occurrence, its place among the
-- rows of that fact in the file (1 unless a file repeats it): not by its row number, which a
-- row inserted above shifts. dq_flags are the check names of the findings on each version.
-- unique: load_id, source_file, source_sheet, source_row
-- unique: load_id, source_file, source_district, reporting_unit, period_end, fact_key, fact_occurrence
-- not_null: fact_occurrence, dq_flags
-- references: superseded_by_load_id -> stg_load_runs.load_id
with rows as (
    select
        *,
        coalesce(indicator_code, label_key) as fact_key,
        row_number() over (
            partition by load_id, source_file, source_district, reporting_unit, period_end,
                coalesce(indicator_code, label_key)
            order by source_sheet, source_row
        ) as fact_occurrence
    from stg_indicator_rows
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

events as (
    select * from stg_load_files
),

runs as (
    select * from stg_load_runs
),

file_versions as (
    select distinct load_id, source_file from rows
),

next_file_event as (
    select
        file_versions.load_id,
        file_versions.source_file,
        min(events.load_id) as next_load_id
    from file_versions
    inner join events
        on events.source_file = file_versions.source_file
        and events.load_id > file_versions.load_id
        and events.action in ('loaded', 'withdrawn')  -- a rejected resubmission replaces nothing
    group by all
),

fact_versions as (
    select distinct
        rows.source_district, rows.reporting_unit, rows.period_end, rows.fact_key,
        rows.load_id, rows.source_file, events.modified_at
    from rows
    left join events
        on events.load_id = rows.load_id and events.source_file = rows.source_file
),

next_fact_version as (
    select
        *,
        lead(load_id) over (
            partition by source_district, reporting_unit, period_end, fact_key
            order by load_id, modified_at nulls first, source_file
        ) as next_load_id
    from fact_versions
),

versions as (
    select
        rows.*,
        least(next_file_event.next_load_id, next_fact_version.next_load_id) as superseded_by_load_id
    from rows
    left join next_file_event using (load_id, source_file)
    left join next_fact_version
        on next_fact_version.load_id = rows.load_id
        and next_fact_version.source_file = rows.source_file
        and next_fact_version.source_district = rows.source_district
        and next_fact_version.reporting_unit = rows.reporting_unit
        and next_fact_version.period_end is not distinct from rows.period_end
        and next_fact_version.fact_key = rows.fact_key
),

final as (
    select
        versions.*,
        coalesce(row_flags.dq_flags, []::varchar[]) as dq_flags,
        brought.ordered_at as valid_from,
        superseding.ordered_at as valid_to
    from versions
    left join row_flags using (load_id, source_file, source_sheet, source_row)
    left join runs as brought on brought.load_id = versions.load_id
    left join runs as superseding on superseding.load_id = versions.superseded_by_load_id
)

select * from final
