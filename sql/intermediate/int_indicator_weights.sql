-- grain: one row per catalogue indicator that names a weight kind (area, population) and former
-- district reporting it: the weight its half of a weighted mean takes. That is the candidate of
-- the kind (int_district_weights) whose reference_year is nearest the year of the district's own
-- period_end, so the two halves of one mean may take different years; a figure without a year
-- ranks after every dated one; on a tie, a stated figure before a derived one, then the earlier
-- year (a figure known at the time), then the figure's name.
-- unique: indicator_code, source_district
-- not_null: indicator_code, source_district, weight, figure, value, basis, source, description
-- references: indicator_code -> stg_indicators.indicator_code
-- references: source_district -> stg_districts.source_district

-- Two former districts, by design: the halves are read from the ha_quang_* and thong_nong_* columns
-- of int_indicator_pairs. A third district would be a third select in halves (the weights
-- themselves are chosen per district already). README: "How the two former districts are combined".
with pairs as (
    select * from int_indicator_pairs
),

indicators as (
    select * from stg_indicators
),

candidates as (
    select * from int_district_weights
),

halves as (
    select indicator_code, 'ha_quang' as source_district, ha_quang_period_end as period_end
    from pairs where ha_quang_label is not null
    union all
    select indicator_code, 'thong_nong' as source_district, thong_nong_period_end as period_end
    from pairs where thong_nong_label is not null
),

ranked as (
    select
        halves.indicator_code,
        halves.source_district,
        halves.period_end,
        candidates.weight,
        candidates.figure,
        candidates.value,
        candidates.unit,
        candidates.reference_year,
        candidates.basis,
        candidates.source,
        candidates.description,
        abs(year(halves.period_end) - candidates.reference_year) as years_from_period
    from halves
    inner join indicators using (indicator_code)
    inner join candidates
        on candidates.weight = indicators.weight
        and candidates.source_district = halves.source_district
    qualify row_number() over (
        partition by halves.indicator_code, halves.source_district
        order by years_from_period nulls last, candidates.basis = 'derived', candidates.reference_year nulls last,
            candidates.figure
    ) = 1
),

final as (
    select * from ranked
)

select * from final
