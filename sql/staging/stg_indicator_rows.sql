-- grain: one row per accepted source row per load
-- unique: load_id, source_file, source_sheet, source_row
-- not_null: source_district, row_label, row_kind, is_estimate
-- references: load_id, source_file -> stg_load_files.load_id, source_file
with source as (
    select * from landing_indicator_rows
),

final as (
    select
        load_id,
        source_district,
        source_file,
        source_sheet,
        source_row,
        coalesce(reporting_unit, source_district) as reporting_unit,
        label_key,
        row_number,
        row_label,
        parent_label,
        row_kind,
        unit,
        unit_raw,
        target_unit,
        actual_unit,
        target_raw,
        target_kind,
        target_strict,
        target_low,
        target_high,
        target_note,
        actual_raw,
        actual_value,
        actual_text,
        reported_pct_raw,
        reported_pct,
        computed_pct,
        pct_basis,
        plan_years,
        scale_fix_factor,
        scale_fix_rule,
        indicator_code,
        definition_variant,
        note as source_note,
        period_end,
        is_estimate
    from source
)

select * from final
