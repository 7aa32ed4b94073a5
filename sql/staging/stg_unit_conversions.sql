-- grain: one row per (reported unit, canonical unit) conversion (schemas/unit_conversions.csv)
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
