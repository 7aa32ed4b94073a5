-- grain: one row per (reported unit, canonical unit) conversion (schemas/unit_conversions.csv)
-- unique: from_unit, to_unit
-- not_null: from_unit, to_unit, rule
-- references: from_unit -> stg_units.unit
-- references: to_unit -> stg_units.unit
with source as (
    select * from ref_unit_conversions
),

final as (
    select
        from_unit,
        to_unit,
        try_cast(nullif(factor, '') as double) as factor,
        rule,
        note
    from source
)

select * from final
