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
        name_en
    from source
)

select * from final
