-- The merged Hà Quảng district (GSO 045, 2020-2025) on each catalogue indicator, combined with the arithmetic the indicator allows.
-- grain: one row per catalogue indicator reported by either former district
-- unique: indicator_code
-- not_null: method
-- references: indicator_code -> indicators.indicator_code
-- column gso_code: GSO code of the merged district (045)
-- column district_name: name of the merged district
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column unit: canonical unit of value and inputs; for an indicator only one half reports, the unit its figures are in (a count it kept: harmonised_results.harmonisation_rules counts_kept_as_counts)
-- column value: the merged district's figure; NULL when not aggregable
-- column method: sum, area_weighted_mean, population_weighted_mean, not_aggregable or single_source
-- column ha_quang_value: old Hà Quảng's harmonised result (input)
-- column thong_nong_value: old Thông Nông's harmonised result (input)
-- column count_base: for a count of administrative units: the base it counts against, the sum of the bases its two halves counted (a single source's own base), e.g. 30 pre-2020 communes, never the merged district's own 2020-2025 units; NULL for other units
-- column count_base_label: what count_base counts, e.g. 'pre-2020 communes' (both halves' labels joined by ' + ' when they differ)
-- column target: the merged district's target, combined from the two targets with the same method as value (the upper bound of a range)
-- column target_low: the merged district's lower target bound, the two lower bounds combined with the same method as value (NULL when either is open)
-- column target_high: the merged district's upper target bound, combined the same way (NULL for 'at least')
-- column attainment_pct: value / target × 100 (for a single source, that district's own attainment, ranges included); NULL when an input's target attainment is undetermined (a figure in doubt or a source contradicting itself: the caveat names both readings) or the targets combine to no bound
-- column weight_kind: area or population, the kind of figure both weights of a weighted mean are (NULL for other methods)
-- column weight_unit: unit of the two weights (km2 or persons)
-- column ha_quang_weight: old Hà Quảng's weight: the figure of the kind whose reference year is nearest its period_end
-- column ha_quang_weight_figure: the district figure it is (view district_figures): area, population or a variant such as population_2025_successors
-- column ha_quang_weight_year: the year that figure refers to; NULL when the source does not say (chosen only when no dated figure exists)
-- column ha_quang_weight_basis: stated (the reference states it for the district) or derived (the merged district's figure of that year minus old Thông Nông's)
-- column ha_quang_weight_source: where old Hà Quảng's weight comes from; for a derived one, the figures it is derived from and their sources
-- column thong_nong_weight: old Thông Nông's weight, chosen the same way for its own period_end
-- column thong_nong_weight_figure: the district figure it is (view district_figures)
-- column thong_nong_weight_year: the year that figure refers to; NULL when the source does not say
-- column thong_nong_weight_basis: stated or derived, as for old Hà Quảng
-- column thong_nong_weight_source: where old Thông Nông's weight comes from
-- column weight_summary: the two weights in a few words, e.g. 'ha_quang population 2019 (derived), thong_nong population 2019'
-- column ha_quang_period_end: date old Hà Quảng's figure refers to
-- column thong_nong_period_end: date old Thông Nông's figure refers to
-- column caveats: what an analyst must know before using the value

-- Two former districts, by design: the merge is written for exactly ha_quang and thong_nong, the two
-- districts of schemas/districts.csv, as one block of ha_quang_* and one of thong_nong_* columns.
-- A third district would be a third weight column in weights, a third term in every sum and
-- weighted mean of macro combine_districts, and a third block of <district>_* inputs and caveats in final.
-- Written the same way: int_indicator_pairs, int_comparability, int_indicator_weights, district_comparison,
-- merged_district_indicators and DISTRICTS in flows/publish/dashboard.py. tests/test_models.py
-- fails while schemas/districts.csv lists any other district (README: "How the two former
-- districts are combined").
with pairs as (
    select * from int_indicator_pairs
),

comparability as (
    select * from int_comparability
),

indicators as (
    select * from stg_indicators
),

units as (
    select * from stg_units
),

attainment as (
    select * from int_district_attainment
),

undetermined_inputs as (
    select
        indicator_code,
        string_agg('target attainment undetermined in ' || district || ': ' || status_reason, '; '
                   order by district) as caveat
    from attainment
    where status = 'undetermined'
    group by indicator_code
),

merged_district as (
    select code, name from stg_admin_units where period = '2020_2025' and level = 'district'
),

-- each half's weight, chosen for that half's period (int_indicator_weights)
weights as (
    select
        indicator_code,
        any_value(weight) as weight,
        any_value(unit) filter (where source_district = 'ha_quang') as ha_quang_unit,
        any_value(unit) filter (where source_district = 'thong_nong') as thong_nong_unit,
        any_value(value) filter (where source_district = 'ha_quang') as ha_quang_weight,
        any_value(figure) filter (where source_district = 'ha_quang') as ha_quang_weight_figure,
        any_value(reference_year) filter (where source_district = 'ha_quang') as ha_quang_weight_year,
        any_value(basis) filter (where source_district = 'ha_quang') as ha_quang_weight_basis,
        any_value(source) filter (where source_district = 'ha_quang') as ha_quang_weight_source,
        any_value(value) filter (where source_district = 'thong_nong') as thong_nong_weight,
        any_value(figure) filter (where source_district = 'thong_nong') as thong_nong_weight_figure,
        any_value(reference_year) filter (where source_district = 'thong_nong') as thong_nong_weight_year,
        any_value(basis) filter (where source_district = 'thong_nong') as thong_nong_weight_basis,
        any_value(source) filter (where source_district = 'thong_nong') as thong_nong_weight_source,
        string_agg(source_district || ' ' || figure || ' ' || coalesce(reference_year::varchar, 'year not stated')
                   || case when basis = 'derived' then ' (derived)' else '' end, ', ' order by source_district)
            as summary,
        string_agg(source_district || ' ' || description, '; ' order by source_district) as descriptions
    from int_indicator_weights
    group by indicator_code
),

-- two weights in different units would weigh one unit against another: no mean then
checked_weights as (
    select
        *,
        ha_quang_unit <> thong_nong_unit as units_differ,
        if(ha_quang_unit = thong_nong_unit, ha_quang_weight, null) as ha_quang_factor,
        if(ha_quang_unit = thong_nong_unit, thong_nong_weight, null) as thong_nong_factor
    from weights
),

methods as (
    select
        pairs.*,
        coalesce(pairs.ha_quang_target_high, pairs.ha_quang_target_low) as ha_quang_target,
        coalesce(pairs.thong_nong_target_high, pairs.thong_nong_target_low) as thong_nong_target,
        comparability.reasons,
        comparability.same_period,
        indicators.name_vi,
        indicators.name_en,
        -- one half alone: the unit its figures are in (a count it kept), else the catalogue's
        case when comparability.is_in_both then indicators.unit
            else coalesce(pairs.ha_quang_unit, pairs.thong_nong_unit, indicators.unit) end as unit,
        indicators.weight_note,
        units.counts_level is not null as is_unit_count,
        comparability.is_qualitative,
        case
            when comparability.is_qualitative then 'not_aggregable'
            when not comparability.is_in_both then 'single_source'
            when indicators.aggregation = 'not_aggregable'
                or not comparability.same_definition or not comparability.same_unit then 'not_aggregable'
            else indicators.aggregation
        end as method,
        indicators.weight as weight_kind
    from pairs
    inner join comparability using (indicator_code)
    inner join indicators using (indicator_code)
    left join units on units.unit = case when comparability.is_in_both then indicators.unit
        else coalesce(pairs.ha_quang_unit, pairs.thong_nong_unit, indicators.unit) end
),

valued as (
    select
        methods.*,
        weights.ha_quang_unit as weight_unit,
        weights.ha_quang_weight,
        weights.ha_quang_weight_figure,
        weights.ha_quang_weight_year,
        weights.ha_quang_weight_basis,
        weights.ha_quang_weight_source,
        weights.thong_nong_weight,
        weights.thong_nong_weight_figure,
        weights.thong_nong_weight_year,
        weights.thong_nong_weight_basis,
        weights.thong_nong_weight_source,
        weights.summary as weight_summary,
        weights.descriptions as weight_descriptions,
        weights.units_differ as weight_units_differ,
        combine_districts(methods.method, methods.ha_quang_actual, methods.thong_nong_actual, weights.ha_quang_factor,
                          weights.thong_nong_factor) as value,
        combine_districts(methods.method, methods.ha_quang_target, methods.thong_nong_target, weights.ha_quang_factor,
                          weights.thong_nong_factor) as target,
        combine_districts(methods.method, methods.ha_quang_target_low, methods.thong_nong_target_low, weights.ha_quang_factor,
                          weights.thong_nong_factor) as target_low,
        combine_districts(methods.method, methods.ha_quang_target_high, methods.thong_nong_target_high,
                          weights.ha_quang_factor, weights.thong_nong_factor) as target_high,
        -- a count's base: the units both halves counted (a sum), or the one half's
        case when methods.is_unit_count and methods.method in ('sum', 'single_source')
            then combine_districts(methods.method, methods.ha_quang_count_base, methods.thong_nong_count_base, null, null)::bigint
        end as count_base,
        case when methods.is_unit_count and methods.method in ('sum', 'single_source') then
            case when methods.method = 'single_source' or methods.ha_quang_count_base_label = methods.thong_nong_count_base_label
                then coalesce(methods.ha_quang_count_base_label, methods.thong_nong_count_base_label)
                else methods.ha_quang_count_base_label || ' + ' || methods.thong_nong_count_base_label
            end
        end as count_base_label
    from methods
    -- the weights only of a weighted mean (the indicator's kind: area or population)
    left join checked_weights as weights
        on weights.indicator_code = methods.indicator_code
        and methods.method in ('area_weighted_mean', 'population_weighted_mean')
),

final as (
    select
        merged_district.code as gso_code,
        merged_district.name as district_name,
        indicator_code,
        name_vi,
        name_en,
        unit,
        value,
        method,
        ha_quang_actual as ha_quang_value,
        thong_nong_actual as thong_nong_value,
        count_base,
        count_base_label,
        target,
        target_low,
        target_high,
        -- no percentage where an input's attainment is undetermined (the caveat names the readings),
        -- nor where the two targets combine to no bound
        case
            when undetermined_inputs.caveat is not null then null
            when method = 'single_source' then coalesce(ha_quang_computed_pct, thong_nong_computed_pct)
            when target_low is null and target_high is null then null
            else attainment_pct(value, target, target)
        end as attainment_pct,
        case when method like '%weighted_mean' then weight_kind end as weight_kind,
        weight_unit,
        ha_quang_weight,
        ha_quang_weight_figure,
        ha_quang_weight_year,
        ha_quang_weight_basis,
        ha_quang_weight_source,
        thong_nong_weight,
        thong_nong_weight_figure,
        thong_nong_weight_year,
        thong_nong_weight_basis,
        thong_nong_weight_source,
        weight_summary,
        ha_quang_period_end,
        thong_nong_period_end,
        list_filter([
            undetermined_inputs.caveat,
            case when method = 'single_source' then reasons[1] end,
            case when is_qualitative then 'qualitative result: '
                || array_to_string(list_filter([ha_quang_actual_text, thong_nong_actual_text], lambda t: t is not null), ' / ')
            end,
            case when method = 'not_aggregable' and not is_qualitative
                then coalesce(weight_note, array_to_string(reasons, '; ')) end,
            case when method in ('sum', 'area_weighted_mean', 'population_weighted_mean') and not same_period
                then list_filter(reasons, lambda r: starts_with(r, 'different period'))[1]
                    || ': the value mixes two dates' end,
            case when method in ('sum', 'area_weighted_mean', 'population_weighted_mean') and value is null
                then 'a district figure is missing, so the value is too' end,
            case when method like '%weighted_mean' and weight_units_differ
                then 'the two weights are in different units (' || weight_summary || '), so they are not combined' end,
            case when method like '%weighted_mean' then 'weights: ' || weight_descriptions end,
            case when method like '%weighted_mean' and weight_note is not null then weight_note end,
            case when ha_quang_is_estimate or thong_nong_is_estimate then 'includes an estimate' end,
            case when method = 'sum' and count_base is not null then
                'counts ' || count_text(value, count_base, count_base_label) || ': ha_quang '
                || count_text(ha_quang_actual, ha_quang_count_base, ha_quang_count_base_label) || ', thong_nong '
                || count_text(thong_nong_actual, thong_nong_count_base, thong_nong_count_base_label) end,
            case when len(coalesce(ha_quang_harmonisation_rules, [])) + len(coalesce(thong_nong_harmonisation_rules, [])) > 0
                then 'harmonised: '
                    || array_to_string(list_distinct(list_concat(
                        coalesce(ha_quang_harmonisation_rules, []), coalesce(thong_nong_harmonisation_rules, []))), ', ')
                end,
            case when len(coalesce(ha_quang_harmonisation_notes, [])) > 0
                then 'ha_quang: ' || array_to_string(ha_quang_harmonisation_notes, '; ') end,
            case when len(coalesce(thong_nong_harmonisation_notes, [])) > 0
                then 'thong_nong: ' || array_to_string(thong_nong_harmonisation_notes, '; ') end
        ], lambda caveat: caveat is not null) as caveats
    from valued
    cross join merged_district
    left join undetermined_inputs using (indicator_code)
)

select * from final
order by indicator_code
