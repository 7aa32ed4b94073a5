-- grain: one row per aggregation method (schemas/aggregation_methods.csv): the rules a successor's figure follows
-- unique: method
-- not_null: method, min_coverage, coverage_weight, name_vi, name_en
with source as (
    select * from ref_aggregation_methods
),

final as (
    select
        method,
        cast(min_coverage as double) as min_coverage,
        try_cast(nullif(stand_in_margin, '') as double) as stand_in_margin,
        coverage_weight,
        name_vi,
        name_en
    from source
)

select * from final
