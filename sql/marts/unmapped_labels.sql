-- Rows whose label the indicator crosswalk does not know, with the catalogue indicators they most resemble.
-- grain: one row per current indicator row (not a group heading) without a catalogue indicator
-- unique: source_file, source_sheet, source_row
-- references: source_file, source_sheet, source_row -> indicator_results.source_file, source_sheet, source_row
-- column source_district: former district of the workbook
-- column source_file: workbook path under raw/
-- column source_sheet: sheet name
-- column source_row: row number in the sheet (1-based)
-- column row_label: the label as printed
-- column parent_label: label of the numbered row it belongs to
-- column unit_raw: unit as written
-- column best_indicator_code: the most similar catalogue indicator
-- column best_score: similarity of the best match, 0 to 1 (Jaro-Winkler on unaccented lower-case text)
-- column suggestions: the three most similar indicators: code, Vietnamese name, score
with rows as (
    select * from int_current_rows where indicator_code is null and row_kind <> 'group'
),

indicators as (
    select * from stg_indicators
),

candidates as (
    select indicator_code, search_key(label) as candidate_key from stg_indicator_crosswalk
    union
    select indicator_code, search_key(name_vi) as candidate_key from indicators
),

scored as (
    select
        rows.source_file,
        rows.source_sheet,
        rows.source_row,
        candidates.indicator_code,
        max(jaro_winkler_similarity(search_key(rows.row_label), candidates.candidate_key)) as score
    from rows
    cross join candidates
    group by all
),

ranked as (
    select
        scored.*,
        indicators.name_vi,
        row_number() over (partition by source_file, source_sheet, source_row order by score desc, indicator_code) as rank
    from scored
    inner join indicators using (indicator_code)
),

suggestions as (
    select
        source_file,
        source_sheet,
        source_row,
        list(struct_pack(indicator_code, name_vi, score := round(score, 3)) order by rank) as suggestions
    from ranked
    where rank <= 3
    group by all
),

final as (
    select
        rows.source_district,
        rows.source_file,
        rows.source_sheet,
        rows.source_row,
        rows.row_label,
        rows.parent_label,
        rows.unit_raw,
        suggestions.suggestions[1].indicator_code as best_indicator_code,
        suggestions.suggestions[1].score as best_score,
        suggestions.suggestions
    from rows
    left join suggestions using (source_file, source_sheet, source_row)
)

select * from final
order by source_district, source_file, source_row
