-- Each mapped indicator row in its catalogue unit and period basis, the reported figures beside the harmonised ones.
-- grain: one row per current indicator row that maps to a catalogue indicator
-- unique: source_file, source_sheet, source_row
-- references: source_file, source_sheet, source_row -> indicator_results.source_file, source_sheet, source_row
-- references: indicator_code -> indicators.indicator_code
-- column source_district: former district: its raw/ folder (schemas/districts.csv)
-- column source_file: workbook path under raw/
-- column source_sheet: sheet name in the workbook (a workbook may hold a table per sheet)
-- column source_row: row number in the sheet (1-based)
-- column row_label: indicator name as printed
-- column indicator_code: catalogue indicator (view indicators)
-- column definition_variant: how this source defines the indicator when it differs from the catalogue
-- column row_kind: measured or qualitative
-- column unit_reported: unit code as reported (NULL when not a unit)
-- column unit_raw: unit as written
-- column target_unit_reported: unit of the reported target: the one its cell writes ("90%"), else unit_reported
-- column actual_unit_reported: unit of the reported result: the one its cell writes ("02 xã"), else unit_reported
-- column unit: unit of target_low, target_high and actual: the indicator's canonical unit, a count of units where the row's own figures count them and the indicator is a share of them (counts_kept_as_counts), or the reported unit when the conversion was refused (unit_refusal); NULL when the unit cell is written but is no unit ("0": finding invalid_unit), as the indicator's unit is not assumed for it (a blank unit cell takes the indicator's unit, in harmonisation_notes)
-- column target_low_reported: lower target bound as reported
-- column target_high_reported: upper target bound as reported
-- column actual_reported: result as reported
-- column target_low: lower target bound in `unit`
-- column target_high: upper target bound in `unit`
-- column actual: result in `unit` and the canonical period basis
-- column reported_pct: percentage of target the workbook reports
-- column computed_pct: harmonised result / harmonised target × 100
-- column harmonisation_rules: rules that changed the figures, in order (e.g. per_mille_typed_as_percent, applied only where the row's own percentage of target agrees with the scaled figure, unit_completed_from_label, percent_of_communes_to_count, percent_of_communes_not_whole: refused, units_not_convertible: refused, counts_kept_as_counts, plan_total_to_per_year)
-- column harmonisation_notes: the arithmetic behind a rule in words, e.g. 'target 95 % of 11 pre-2020 communes = 10.45, so at least 11'
-- column harmonisation_notes_vi: the same notes in Vietnamese, one for one and in the same order, from the message catalogue's sentences (harmonisation.*): figures as Vietnamese writes them (10,45; 1.020), units by their Vietnamese names, a count's base by its unit ('chỉ tiêu 95 % trên tổng số 11 xã là 10,45, nên lấy tối thiểu 11')
-- column unit_refusal: why a conversion was refused (a percentage of units that fits no single whole count, a target holding no whole count, a target and a result in units that do not convert to one); NULL when converted or nothing to convert
-- column count_base: for a count of administrative units (or a share of them): how many units of that level the district had in the period the figures count (schemas/units.csv counts_level; reference admin_units); NULL for other units or when the reference lists none
-- column count_base_label: what count_base counts, named with its period from the reference's validity dates, e.g. 'pre-2020 communes'
-- column is_changed: true when harmonisation changed the result or the target
-- column period_end: date the figures refer to
-- column is_estimate: true when the figures are an estimate
-- column dq_flags: check names of the findings on the row
with rows as (
    select * from int_harmonised_rows
),

final as (
    select
        source_district,
        source_file,
        source_sheet,
        source_row,
        row_label,
        indicator_code,
        definition_variant,
        row_kind,
        unit as unit_reported,
        unit_raw,
        target_unit_read as target_unit_reported,
        actual_unit_read as actual_unit_reported,
        harmonised_unit as unit,
        target_low as target_low_reported,
        target_high as target_high_reported,
        actual_value as actual_reported,
        harmonised_target_low as target_low,
        harmonised_target_high as target_high,
        harmonised_actual as actual,
        reported_pct,
        harmonised_computed_pct as computed_pct,
        harmonisation_rules,
        harmonisation_notes,
        harmonisation_notes_vi,
        unit_refusal,
        count_base,
        count_base_label,
        is_changed,
        period_end,
        is_estimate,
        dq_flags
    from rows
)

select * from final
order by indicator_code, source_district
