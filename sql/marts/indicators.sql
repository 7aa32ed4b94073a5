-- The indicator catalogue: one canonical indicator per concept, as reviewed in schemas/indicators.csv.
-- grain: one row per catalogue indicator
-- unique: indicator_code
-- not_null: name_vi, name_en, direction, aggregation
-- column indicator_code: stable snake_case code
-- column name_vi: Vietnamese name
-- column name_en: English name
-- column unit: canonical unit code (schemas/units.csv) that harmonised figures are in
-- column unit_name_vi: the canonical unit as written in Vietnamese
-- column direction: higher_is_better, lower_is_better or within_range
-- column target_basis: per_year, cumulative (over the plan period) or end_level (a level reached at the end)
-- column aggregation: how the two former districts combine: sum, area_weighted_mean, population_weighted_mean or not_aggregable
-- column weight: the district figure a weighted mean uses (area or population)
-- column weight_note: why an indicator is not aggregable, or what a proxy weight stands in for
-- column missing_weight: for a not_aggregable indicator whose merged figure would be a weighted mean, the weight the reference lacks (e.g. 'cultivated area'); NULL where the districts measured different things or used different criteria, or the result is qualitative. target_attainment then decides the merged status by dominance when both halves agree
with indicators as (
    select * from stg_indicators
),

units as (
    select * from stg_units
),

final as (
    select
        indicators.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        indicators.unit,
        units.name_vi as unit_name_vi,
        indicators.direction,
        indicators.target_basis,
        indicators.aggregation,
        indicators.weight,
        indicators.weight_note,
        indicators.missing_weight
    from indicators
    left join units using (unit)
)

select * from final
order by indicator_code
