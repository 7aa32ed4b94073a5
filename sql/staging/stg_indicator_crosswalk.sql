-- grain: one row per source label mapped to a catalogue indicator (schemas/indicator_crosswalk.csv)
-- unique: source_district, parent_label, label
-- not_null: label, indicator_code
-- references: indicator_code -> stg_indicators.indicator_code
with source as (
    select * from ref_indicator_crosswalk
),

final as (
    select
        nullif(source_district, '') as source_district,
        nullif(parent_label, '') as parent_label,
        label,
        indicator_code,
        nullif(definition_variant, '') as definition_variant
    from source
)

select * from final
