-- Data-quality findings a district clerk can act on: errors were not loaded, warnings were loaded and need a look; info rows record a reading the loader resolved with the evidence their message names (no action, not counted as open issues).
-- grain: one row per finding about each source file's current state: from the latest load that read it, and the finding that it is missing or pending while it is, or that it is superseded (a later load of another file took over all its figures) while it still sits in the raw folder.
-- A finding on a row whose figure a later load of another file replaced (int_row_versions) is closed: that row is no longer current. A file-level finding stays open until its file is read again or withdrawn, or, for a file that never brought a figure (rejected, pending), until it leaves the raw folder.
-- no_unique_key: a finding has no identity beyond its text: one check may flag one cell twice (stg_dq_findings)
-- not_null: load_id, source_file, check_name, severity, message, problem_vi, action_vi, message_vi
-- references: load_id -> load_runs.load_id
-- column load_id: load that made the finding (view load_runs)
-- column source_district: former district folder of the file (NULL when the file is outside one)
-- column source_file: file path under raw/
-- column source_sheet: sheet name (NULL for findings about the whole file)
-- column source_row: row number in the sheet, 1-based (NULL for findings about a sheet or file)
-- column source_column: column letter of the cell the finding points at
-- column check_name: the check, e.g. ambiguous_number, attainment_mismatch, invalid_unit; what each means and what to do: the view dq_checks
-- column severity: 'error' (the row or file was not loaded), 'warning' (loaded; check it) or 'info' (loaded; the loader resolved the reading with the evidence the message names; nothing to do)
-- column message: what is wrong and what to do, in words for the clerk
-- column raw_value: the cell text the finding is about
-- column problem_vi: what is wrong, in Vietnamese: the finding's own sentence, else what its check means
-- column action_vi: what the clerk should do, in Vietnamese (the check's action)
-- column message_vi: the finding in Vietnamese for the clerk: where (cell, row, sheet or the whole file), what is wrong (the finding's own sentence, else what the check means), the cell's text, what to do (the message catalogue's sentences; the English message may say more)
with findings as (
    select * from stg_dq_findings
),

checks as (
    select * from stg_dq_checks
),

templates as (
    select
        max(vi) filter (where message_id = 'finding.where.cell') as at_cell,
        max(vi) filter (where message_id = 'finding.where.row') as at_row,
        max(vi) filter (where message_id = 'finding.where.sheet') as at_sheet,
        max(vi) filter (where message_id = 'finding.where.file') as at_file,
        max(vi) filter (where message_id = 'finding.text') as text,
        max(vi) filter (where message_id = 'finding.text_with_value') as text_with_value
    from stg_messages
),

file_status as (
    select * from int_file_status
),

row_versions as (
    select * from int_row_versions
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
        findings.raw_value,
        coalesce(findings.detail_vi, checks.meaning_vi) as problem_vi,
        checks.action_vi,
        fill(fill(fill(fill(
            case when findings.raw_value is null then templates.text else templates.text_with_value end,
            'where', case
                when findings.source_row is not null and findings.source_column is not null
                    then fill(fill(templates.at_cell, 'cell', findings.source_column || findings.source_row),
                              'sheet', findings.source_sheet)
                when findings.source_row is not null
                    then fill(fill(templates.at_row, 'row', findings.source_row::varchar), 'sheet', findings.source_sheet)
                when findings.source_sheet is not null then fill(templates.at_sheet, 'sheet', findings.source_sheet)
                else templates.at_file
            end),
            'meaning', problem_vi), 'action', checks.action_vi), 'raw_value', findings.raw_value) as message_vi
    from findings
    cross join templates
    inner join checks using (check_name)
    inner join file_status
        on findings.source_file = file_status.source_file
        and (findings.load_id = file_status.last_read_load_id
             or (findings.load_id = file_status.last_event_load_id and file_status.last_action in ('missing', 'pending'))
             -- figures made current again by the withdrawal of a file that had taken them over: the copies of
             -- their rows' findings and the finding that says so are of that withdrawal's load
             or (findings.load_id = file_status.last_event_load_id and file_status.last_action in ('restored', 'ignored'))
             -- made by the build once the file was wholly superseded, after its last reading; a file missing
             -- from the raw folder has its file_missing warning instead
             or (findings.check_name = 'superseded_file' and findings.load_id > file_status.last_read_load_id
                 and file_status.last_action <> 'missing'))
    -- the version the finding was made on; none for a file-level finding or a rejected row
    left join row_versions
        on row_versions.load_id = findings.load_id
        and row_versions.source_file = findings.source_file
        and row_versions.source_sheet = findings.source_sheet
        and row_versions.source_row = findings.source_row
    -- withdrawn, or gone from the raw folder without ever having brought a figure (flows/warehouse/state.py)
    where file_status.last_action not in ('withdrawn', 'gone')
        -- replaced by a later load (a conflict's loser, replaced within its own load, stays open)
        and not coalesce(row_versions.superseded_by_load_id > row_versions.load_id, false)
)

select * from final
order by source_district, source_file, source_sheet, source_row, check_name
