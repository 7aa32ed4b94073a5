-- grain: one row per catalogue indicator (schemas/indicators.csv)
-- unique: indicator_code
-- not_null: indicator_code, name_vi, direction, target_basis, aggregation
-- references: unit -> stg_units.unit
with source as (
    select * from ref_indicators
),

final as (
    select
        indicator_code,
        name_vi,
        name_en,
        nullif(unit, '') as unit,
        direction,
        target_basis,
        aggregation,
        nullif(weight, '') as weight,
        nullif(weight_note, '') as weight_note,
        nullif(weight_note_vi, '') as weight_note_vi,
        nullif(missing_weight, '') as missing_weight,
        -- a count of administrative units counts only units of this reference type (blank: all of the level)
        nullif(counted_unit_type, '') as counted_unit_type,
        nullif(counted_noun, '') as counted_noun
    from source
)

select * from final
