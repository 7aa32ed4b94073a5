-- grain: one row per catalogue indicator reported by either former district, the two districts'
-- harmonised rows side by side (the first row in sheet order if a workbook repeats an indicator).
-- A row whose conversion was refused (unit_refusal) has no figures here: they are not in the canonical unit.
-- unique: indicator_code
-- not_null: indicator_code

-- Two former districts, by design: the merge is written for exactly ha_quang and thong_nong, the two
-- districts of schemas/districts.csv, as one block of ha_quang_* and one of thong_nong_* columns.
-- A third district would be a third CTE beside ha_quang and thong_nong, a third full outer
-- join on indicator_code and a third block of <district>_* columns in final.
-- Written the same way: int_indicator_pairs, int_comparability, int_indicator_weights, district_comparison,
-- merged_district_indicators and DISTRICTS in flows/publish/dashboard.py. tests/test_models.py
-- fails while schemas/districts.csv lists any other district (README: "How the two former
-- districts are combined").
with rows as (
    select *
    from int_harmonised_rows
    qualify row_number() over (
        partition by source_district, indicator_code order by source_file, source_sheet, source_row
    ) = 1
),

ha_quang as (
    select * from rows where source_district = 'ha_quang'
),

thong_nong as (
    select * from rows where source_district = 'thong_nong'
),

final as (
    select
        coalesce(ha_quang.indicator_code, thong_nong.indicator_code) as indicator_code,
        ha_quang.row_label as ha_quang_label,
        ha_quang.row_kind as ha_quang_row_kind,
        ha_quang.definition_variant as ha_quang_definition_variant,
        ha_quang.unit_factor as ha_quang_unit_factor,
        -- the unit of the figures here: canonical, or a count the row kept (counts_kept_as_counts)
        case when ha_quang.unit_refusal is null then ha_quang.harmonised_unit end as ha_quang_unit,
        ha_quang.unit_raw as ha_quang_unit_raw,
        case when ha_quang.unit_refusal is null then ha_quang.harmonised_target_low end as ha_quang_target_low,
        case when ha_quang.unit_refusal is null then ha_quang.harmonised_target_high end as ha_quang_target_high,
        case when ha_quang.unit_refusal is null then ha_quang.harmonised_actual end as ha_quang_actual,
        ha_quang.actual_value as ha_quang_actual_reported,
        ha_quang.actual_text as ha_quang_actual_text,
        ha_quang.reported_pct as ha_quang_reported_pct,
        case when ha_quang.unit_refusal is null then ha_quang.harmonised_computed_pct end as ha_quang_computed_pct,
        ha_quang.harmonisation_rules as ha_quang_harmonisation_rules,
        ha_quang.harmonisation_notes as ha_quang_harmonisation_notes,
        ha_quang.unit_refusal as ha_quang_unit_refusal,
        ha_quang.count_base as ha_quang_count_base,
        ha_quang.count_base_label as ha_quang_count_base_label,
        ha_quang.period_end as ha_quang_period_end,
        ha_quang.is_estimate as ha_quang_is_estimate,
        thong_nong.row_label as thong_nong_label,
        thong_nong.row_kind as thong_nong_row_kind,
        thong_nong.definition_variant as thong_nong_definition_variant,
        thong_nong.unit_factor as thong_nong_unit_factor,
        -- the unit of the figures here: canonical, or a count the row kept (counts_kept_as_counts)
        case when thong_nong.unit_refusal is null then thong_nong.harmonised_unit end as thong_nong_unit,
        thong_nong.unit_raw as thong_nong_unit_raw,
        case when thong_nong.unit_refusal is null then thong_nong.harmonised_target_low end as thong_nong_target_low,
        case when thong_nong.unit_refusal is null then thong_nong.harmonised_target_high end as thong_nong_target_high,
        case when thong_nong.unit_refusal is null then thong_nong.harmonised_actual end as thong_nong_actual,
        thong_nong.actual_value as thong_nong_actual_reported,
        thong_nong.actual_text as thong_nong_actual_text,
        thong_nong.reported_pct as thong_nong_reported_pct,
        case when thong_nong.unit_refusal is null then thong_nong.harmonised_computed_pct end as thong_nong_computed_pct,
        thong_nong.harmonisation_rules as thong_nong_harmonisation_rules,
        thong_nong.harmonisation_notes as thong_nong_harmonisation_notes,
        thong_nong.unit_refusal as thong_nong_unit_refusal,
        thong_nong.count_base as thong_nong_count_base,
        thong_nong.count_base_label as thong_nong_count_base_label,
        thong_nong.period_end as thong_nong_period_end,
        thong_nong.is_estimate as thong_nong_is_estimate
    from ha_quang
    full outer join thong_nong using (indicator_code)
)

select * from final
