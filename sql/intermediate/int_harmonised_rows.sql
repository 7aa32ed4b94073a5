-- materialized: table
-- grain: one row per current indicator row mapped to a catalogue indicator, with its figures in
-- the indicator's canonical unit and period basis, and the rules that changed them.
-- Order of rules: a plausibility fix (‰ typed as %), then the unit conversion, then the period
-- basis (a five-year total against a yearly target becomes a yearly average).
-- unique: source_file, source_sheet, source_row
-- references: indicator_code -> stg_indicators.indicator_code
with rows as (
    select * from int_current_rows where indicator_code is not null
),

indicators as (
    select * from stg_indicators
),

conversions as (
    select * from stg_unit_conversions
),

commune_counts as (
    select * from int_district_commune_counts
),

unit_steps as (
    select
        rows.*,
        indicators.unit as canonical_unit,
        indicators.target_basis,
        indicators.aggregation,
        case
            when rows.unit is not distinct from indicators.unit then 1.0
            when rows.unit is null then 1.0
            when conversions.rule = 'percent_of_communes_to_count' then commune_counts.communes / 100.0
            when conversions.rule = 'count_to_percent_of_communes' then 100.0 / commune_counts.communes
            else conversions.factor
        end as unit_factor,
        case
            when rows.unit is not distinct from indicators.unit then null
            when rows.unit is null and rows.unit_raw is not null then 'unit_assumed_from_catalogue'
            when rows.unit is null then null
            when conversions.rule is null then 'no_conversion_known'
            else conversions.rule
        end as unit_rule
    from rows
    inner join indicators using (indicator_code)
    left join conversions
        on conversions.from_unit = rows.unit
        and conversions.to_unit = indicators.unit
    left join commune_counts using (source_district)
),

period_steps as (
    select
        *,
        target_basis = 'per_year' and pct_basis = 'plan_total' as is_plan_total
    from unit_steps
),

harmonised as (
    select
        *,
        target_low * unit_factor as harmonised_target_low,
        target_high * unit_factor as harmonised_target_high,
        actual_value * coalesce(scale_fix_factor, 1.0) * unit_factor
            / case when is_plan_total then plan_years else 1 end as harmonised_actual,
        list_filter(
            [scale_fix_rule, unit_rule, case when is_plan_total then 'plan_total_to_per_year' end],
            lambda rule: rule is not null
        ) as harmonisation_rules
    from period_steps
),

final as (
    select
        *,
        attainment_pct(harmonised_actual, harmonised_target_low, harmonised_target_high) as harmonised_computed_pct,
        harmonised_actual is distinct from actual_value
            or harmonised_target_low is distinct from target_low
            or harmonised_target_high is distinct from target_high as is_changed
    from harmonised
)

select * from final
