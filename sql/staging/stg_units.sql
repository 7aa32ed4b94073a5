-- grain: one row per unit of the unit catalogue (schemas/units.csv)
-- unique: unit
-- not_null: unit
with source as (
    select * from ref_units
),

final as (
    select
        code as unit,
        name_vi,
        name_en,
        nullif(counts_level, '') as counts_level,
        nullif(base_noun, '') as base_noun
    from source
)

select * from final
