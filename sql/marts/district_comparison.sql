-- The two former districts side by side on each catalogue indicator, in the indicator's canonical unit.
-- grain: one row per catalogue indicator reported by either former district
-- unique: indicator_code
-- not_null: indicator_code, name_vi, comparable
-- references: indicator_code -> indicators.indicator_code
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column unit: canonical unit of the indicator; each district's figures are in its <district>_unit
-- column ha_quang_label: the old Hà Quảng row label as printed
-- column ha_quang_unit: unit of old Hà Quảng's figures here: the canonical unit, or a count of units its row kept (counts_kept_as_counts); NULL when its conversion was refused
-- column ha_quang_target_low: old Hà Quảng target, lower bound, in ha_quang_unit
-- column ha_quang_target_high: old Hà Quảng target, upper bound, in ha_quang_unit
-- column ha_quang_actual: old Hà Quảng result, in ha_quang_unit and the canonical period basis
-- column ha_quang_actual_reported: old Hà Quảng result as reported
-- column ha_quang_actual_text: old Hà Quảng result in words (qualitative rows)
-- column ha_quang_reported_pct: percentage of target old Hà Quảng reported
-- column ha_quang_computed_pct: old Hà Quảng harmonised result / target × 100
-- column ha_quang_harmonisation_rules: rules that changed old Hà Quảng's figures
-- column ha_quang_period_end: date old Hà Quảng's figures refer to
-- column ha_quang_is_estimate: true when old Hà Quảng's figures are an estimate
-- column thong_nong_label: the old Thông Nông row label as printed
-- column thong_nong_unit: unit of old Thông Nông's figures here: the canonical unit, or a count of units its row kept (counts_kept_as_counts); NULL when its conversion was refused
-- column thong_nong_target_low: old Thông Nông target, lower bound, in thong_nong_unit
-- column thong_nong_target_high: old Thông Nông target, upper bound, in thong_nong_unit
-- column thong_nong_actual: old Thông Nông result, in thong_nong_unit and the canonical period basis
-- column thong_nong_actual_reported: old Thông Nông result as reported
-- column thong_nong_actual_text: old Thông Nông result in words (qualitative rows)
-- column thong_nong_reported_pct: percentage of target old Thông Nông reported
-- column thong_nong_computed_pct: old Thông Nông harmonised result / target × 100
-- column thong_nong_harmonisation_rules: rules that changed old Thông Nông's figures
-- column thong_nong_period_end: date old Thông Nông's figures refer to
-- column thong_nong_is_estimate: true when old Thông Nông's figures are an estimate
-- column same_definition: both districts define the indicator the same way
-- column same_unit: both districts' figures could be put in one unit, the canonical one or the same count
-- column same_period: both districts' figures refer to the same date and are both actual or both estimates
-- column comparable: true when the indicator is in both districts with the same definition, unit and period and is not qualitative
-- column comparable_reason: why not, when comparable is false

-- Two former districts, by design: the merge is written for exactly ha_quang and thong_nong, the two
-- districts of schemas/districts.csv, as one block of ha_quang_* and one of thong_nong_* columns.
-- A third district would be a third block of <district>_* columns after thong_nong's, read from
-- int_indicator_pairs.
-- Written the same way: int_indicator_pairs, int_comparability, int_indicator_weights, district_comparison,
-- merged_district_indicators and DISTRICTS in flows/publish/dashboard.py. tests/test_models.py
-- fails while schemas/districts.csv lists any other district (README: "How the two former
-- districts are combined").
with pairs as (
    select * from int_indicator_pairs
),

comparability as (
    select * from int_comparability
),

indicators as (
    select * from stg_indicators
),

final as (
    select
        pairs.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        indicators.unit,
        pairs.ha_quang_label,
        pairs.ha_quang_unit,
        pairs.ha_quang_target_low,
        pairs.ha_quang_target_high,
        pairs.ha_quang_actual,
        pairs.ha_quang_actual_reported,
        pairs.ha_quang_actual_text,
        pairs.ha_quang_reported_pct,
        pairs.ha_quang_computed_pct,
        pairs.ha_quang_harmonisation_rules,
        pairs.ha_quang_period_end,
        pairs.ha_quang_is_estimate,
        pairs.thong_nong_label,
        pairs.thong_nong_unit,
        pairs.thong_nong_target_low,
        pairs.thong_nong_target_high,
        pairs.thong_nong_actual,
        pairs.thong_nong_actual_reported,
        pairs.thong_nong_actual_text,
        pairs.thong_nong_reported_pct,
        pairs.thong_nong_computed_pct,
        pairs.thong_nong_harmonisation_rules,
        pairs.thong_nong_period_end,
        pairs.thong_nong_is_estimate,
        comparability.same_definition,
        comparability.same_unit,
        comparability.same_period,
        len(comparability.reasons) = 0 as comparable,
        nullif(array_to_string(comparability.reasons, '; '), '') as comparable_reason
    from pairs
    inner join comparability using (indicator_code)
    inner join indicators using (indicator_code)
)

select * from final
order by indicator_code
