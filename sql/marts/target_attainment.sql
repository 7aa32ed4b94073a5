-- Whether each target was met, not met, or cannot be decided from what the source says: decided here, once, for every reader.
-- grain: one row per district ('ha_quang', 'thong_nong' and the merged district 'merged') and catalogue indicator reported against a target
-- unique: district, indicator_code
-- not_null: district, indicator_code, status, status_reason, reported_by
-- references: indicator_code -> indicators.indicator_code
-- Met or not met compares the value with the target's bounds in the indicator's direction, never the rounded percentage: a higher-is-better result must reach the lower bound (at least; the lower end of a range), a lower-is-better one may not pass the upper bound, a within-range one must lie inside the bounds; a value equal to an inclusive bound (≥, tối thiểu, từ … trở lên, không quá, tối đa) meets it. A strict bound (trên, hơn, >, vượt, dưới, <; column target_strict of indicator_results) is quoted as such ('more than 70', 'less than 2'): a value beyond it is met; a value exactly on it is decided by the source's own verdict, its reported percentage (100 % or more: reached) or else a verdict word, and the reason says so ("70 equals the bound 'more than 70'; the source counts it as reached (100 %)"); without either it is not met on the letter. The merged district compares inclusively. Qualitative results are decided by their verdict word (Đạt, Hoàn thành, Đảm bảo, Giữ vững, Duy trì, Vượt, Ổn định: met; Không/Chưa đạt, Không/Chưa hoàn thành: not met); "Cơ bản ..." (basically) and any other words are undetermined, and so is a verdict in the percentage column that contradicts the figures.
-- Unresolved findings make a row undetermined: every error on the input row (an 'info' finding is never unresolved: the loader resolved that reading with the evidence it names); every warning except those that do not bear on comparing the row's figures with its own target (hidden_row, hidden_sheet, legacy_encoding_converted, period_assumed, and invalid_unit: figures whose units do not convert into one another are undetermined by the unit rule instead, is_unit_mix); and ambiguous_number, attainment_mismatch and compound_value unless the row's reported percentage agrees with the harmonised figures (macro pct_agrees: the percentage is the evidence that decided the reading), implausible_value unless harmonisation changed the figures and the reported percentage agrees with the result. Any other check, present or future, counts.
-- The merged district: undetermined when any input is (its reason names the district); a single-source indicator takes that district's status; else the merged value (view merged_district_indicators) against the bounds combined with the same method; undetermined when the two cannot be combined, with one exception.
-- Dominance: an indicator whose merged figure is a weighted mean the reference has no weights for (method not_aggregable, catalogue missing_weight set, the same definition and unit in both halves; not where the districts measured different things or used different criteria, nor a qualitative result) is met when every half meets its own bound, not_met when every half misses it, whatever the weights: any weighted mean of the results meets (misses) the same weighted mean of the targets. Bounds combine as combine_districts does (a bound only when every half has it): at least (higher_is_better) is judged on the lower bounds, at most (lower_is_better) on the upper bounds, a range on each bound separately (met when every half is within every combined bound, not_met when every half misses the same bound; halves missing a range on opposite sides stay undetermined). A mixed result stays undetermined. value, targets and attainment_pct stay NULL (no number can be computed); status_reason names the missing weights and each half's comparison.
-- An undetermined row carries no attainment_pct and no shortfall_pct, whatever made it undetermined (a figure in doubt, a source contradicting itself, nothing to compare, figures that cannot be combined): value and targets stay as read, and status_reason names the readings (reported x %, computed y %) where the source contradicts itself.
-- column district: 'ha_quang' (old Hà Quảng), 'thong_nong' (old Thông Nông) or 'merged' (the merged Hà Quảng district, GSO 045)
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column unit: canonical unit of value and target (a district's reported unit where its conversion was refused: harmonised_results.unit_refusal)
-- column value: the harmonised result as read (for 'merged', the combined value); NULL for a qualitative result and for a merged figure that cannot be combined (its status may still be decided by dominance)
-- column count_base: for a count of administrative units: how many units of that level the figures count against (for 'merged', the sum of the bases its halves counted: 30 pre-2020 communes, not the 21 communes of 2020-2025); NULL for other units
-- column count_base_label: what count_base counts, named with its period, e.g. 'pre-2020 communes'; status_reason writes a count as '27 of 30 pre-2020 communes'
-- column target_low: lower bound of the target in the canonical unit (an exact target has low = high)
-- column target_high: upper bound of the target (NULL for 'at least')
-- column direction: higher_is_better, lower_is_better or within_range (view indicators)
-- column attainment_pct: percentage of target: as the source reports it where it agrees with the figures (or there are no figures), computed from value and target otherwise; never decides the status; NULL when status is undetermined (status_reason names the readings) or no figure can be computed (a merged status decided by dominance)
-- column status: 'met', 'not_met' or 'undetermined' (the source contradicts itself, a figure is in doubt, or there is nothing to compare); for 'merged' without a combined value, met or not_met only by dominance (both halves met, or both missed)
-- column status_reason: why, in words for an official: the comparison made, or why it cannot be decided and which checks (view dq_issues) a person must clear
-- column shortfall_pct: how far the value falls short of the target, in % of the target; 0 or negative when met (for ordering); NULL when status is undetermined or there is no value
-- column period_end: date the figures refer to (for 'merged', the later of its inputs' dates)
-- column is_estimate: true when the figures are (or, for 'merged', include) an estimate
-- column reported_by: whose figures the row is: the district itself; for 'merged', the one former district that reported the indicator against a target ('ha_quang' or 'thong_nong': the merged row is that district's figure only) or both, joined by ' + ' ('ha_quang + thong_nong')
-- column target_strict: true when the source wrote the bound the value is compared with strictly ('Trên 70%', '> 40', 'dưới 2': the bound's own number does not reach it); false for an inclusive bound and for the merged district, which compares inclusively
with district_rows as (
    select * from int_district_attainment
),

merged_district as (
    select * from merged_district_indicators
),

indicators as (
    select * from stg_indicators
),

comparability as (
    select * from int_comparability
),

merged_inputs as (
    select
        indicator_code,
        count(*) as inputs,
        string_agg(district, ' + ' order by district) as reported_by,
        any_value(district) filter (where status = 'undetermined') is not null as has_undetermined_input,
        string_agg(district || ': ' || status_reason, '; ' order by district)
            filter (where status = 'undetermined') as undetermined_reasons,
        max(period_end) as period_end,
        bool_or(is_estimate) as is_estimate,
        -- for dominance: every half has a figure and the bound; where each half's value lies from
        -- its own bound (-1 below, 0 on, 1 above): the most from the lower, the least from the upper
        count(value) = count(*) as all_valued,
        bool_and(status = 'met') as all_met,
        bool_and(status = 'not_met') as all_not_met,
        count(target_low) = count(*) as all_low,
        count(target_high) = count(*) as all_high,
        count(target_low) = 0 as no_low,
        count(target_high) = 0 as no_high,
        max(sign(value - target_low)) as max_from_low,
        min(sign(value - target_high)) as min_from_high,
        count(distinct status) filter (where status in ('met', 'not_met')) > 1 as is_mixed,
        string_agg(district || ': ' || status_reason, '; ' order by district) as halves_reasons
    from district_rows
    group by indicator_code
),

merged_compared as (
    select
        merged_inputs.*,
        merged_district.method,
        merged_district.value,
        merged_district.target_low,
        merged_district.target_high,
        merged_district.attainment_pct,
        merged_district.caveats,
        merged_district.weight_summary,
        merged_district.unit,
        merged_district.count_base,
        merged_district.count_base_label,
        indicators.direction,
        indicators.missing_weight,
        -- a weighted mean the reference has no weights for, of halves that measured the same thing
        -- in the same unit: decided by dominance below
        merged_district.method = 'not_aggregable' and merged_district.value is null and indicators.missing_weight is not null
            and comparability.same_definition and comparability.same_unit and not comparability.is_qualitative
            as is_unweighted_mean,
        case indicators.direction
            when 'higher_is_better' then coalesce(merged_district.target_low, merged_district.target_high)
            when 'lower_is_better' then coalesce(merged_district.target_high, merged_district.target_low)
        end as bar
    from merged_inputs
    inner join merged_district using (indicator_code)
    inner join indicators using (indicator_code)
    inner join comparability using (indicator_code)
),

-- dominance: with positive weights w, sum(w v) / sum(w) >= sum(w b) / sum(w) when every v >= b,
-- and < when every v < b; so where every half meets (misses) the bound the merged bar is drawn
-- from, every weighted mean of the results meets (misses) the same weighted mean of the targets.
-- The bar is the bound combine_districts would combine (a bound combines only when every half
-- has it): higher-is-better the lower bound (else the upper), lower-is-better the upper (else the
-- lower), so every half's own status was judged on that same bound; a range each bound it
-- combines, separately (met when every half is within its bounds, missed when every half misses
-- the same bound; on opposite sides it depends on the weights).
merged_dominance as (
    select
        *,
        case
            when not is_unweighted_mean or has_undetermined_input or not all_valued then null
            -- at least / at most: every half's own status (a strict bound on its number as the source
            -- counts it), where every half's bar is the same bound
            when direction = 'higher_is_better' and (all_low or (no_low and all_high))
                or direction = 'lower_is_better' and (all_high or (no_high and all_low)) then
                case when all_met then 'met' when all_not_met then 'not_met' end
            -- a range: met when every half is within its own bounds (so within each combined one);
            -- not met only when every half misses the same combined bound
            when direction = 'within_range' and (all_low or all_high) then
                case
                    when all_met then 'met'
                    when all_not_met and ((all_low and max_from_low < 0) or (all_high and min_from_high > 0)) then 'not_met'
                end
        end as dominance_status
    from merged_compared
),

merged_combined as (
    select
        'merged' as district,
        indicator_code,
        unit,
        count_base,
        count_base_label,
        value,
        target_low,
        target_high,
        direction,
        attainment_pct,
        case
            when has_undetermined_input then 'undetermined'
            when dominance_status is not null then dominance_status
            when value is null or coalesce(target_low, target_high) is null then 'undetermined'
            when direction = 'within_range' then
                case when (target_low is null or value >= target_low) and (target_high is null or value <= target_high)
                    then 'met' else 'not_met' end
            when direction = 'higher_is_better' then case when value >= bar then 'met' else 'not_met' end
            else case when value <= bar then 'met' else 'not_met' end
        end as status,
        case
            when has_undetermined_input then 'undetermined in a former district: ' || undetermined_reasons
            when dominance_status = 'met' then 'both former districts met their targets: any weighted mean of the results '
                || 'meets the same weighted mean of the targets; the weights (' || missing_weight
                || ') are not in the reference (' || halves_reasons || ')'
            when dominance_status = 'not_met' then 'neither former district met its target: any weighted mean of the results '
                || 'misses the same weighted mean of the targets; the weights (' || missing_weight
                || ') are not in the reference (' || halves_reasons || ')'
            when is_unweighted_mean and is_mixed then 'one former district met its target and the other did not, so the '
                || 'merged result depends on the weights (' || missing_weight || '), which are not in the reference ('
                || halves_reasons || ')'
            -- the first caveat of a value not combined says why (no input is undetermined here)
            when value is null then 'the two former districts'' figures cannot be combined: ' || caveats[1]
            when coalesce(target_low, target_high) is null then 'the two former districts'' targets cannot be combined: '
                || 'one is open-ended the other way'
            else count_text(value, count_base, count_base_label) || ' against a target of '
                || target_text(target_low, target_high, bar, direction) || ' (' || method || ' of the two former districts'
                || coalesce(', weights ' || weight_summary, '') || ')'
        end as status_reason,
        shortfall_pct(value, target_low, target_high, bar, direction) as shortfall_pct,
        period_end,
        is_estimate,
        reported_by,
        false as target_strict  -- the merged district compares inclusively
    from merged_dominance
    where inputs > 1
),

-- an indicator only one former district reported: the merged district's figure is that one
merged_single as (
    select
        'merged' as district,
        district_rows.indicator_code,
        district_rows.unit,
        district_rows.count_base,
        district_rows.count_base_label,
        district_rows.value,
        district_rows.target_low,
        district_rows.target_high,
        district_rows.direction,
        district_rows.attainment_pct,
        district_rows.status,
        case when district_rows.status = 'undetermined'
            then 'undetermined in a former district: ' || district_rows.district || ': ' || district_rows.status_reason
            else district_rows.status_reason || ' (reported by ' || district_rows.district || ' only)'
        end as status_reason,
        district_rows.shortfall_pct,
        district_rows.period_end,
        district_rows.is_estimate,
        district_rows.district as reported_by,
        district_rows.target_strict
    from district_rows
    inner join merged_inputs using (indicator_code)
    where merged_inputs.inputs = 1
),

districts as (
    select
        district,
        indicator_code,
        unit,
        count_base,
        count_base_label,
        value,
        target_low,
        target_high,
        direction,
        attainment_pct,
        status,
        status_reason,
        shortfall_pct,
        period_end,
        is_estimate,
        district as reported_by,
        target_strict
    from district_rows
),

unioned as (
    select * from districts
    union all by name
    select * from merged_combined
    union all by name
    select * from merged_single
),

final as (
    select
        unioned.district,
        unioned.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        unioned.unit,
        unioned.count_base,
        unioned.count_base_label,
        unioned.value,
        unioned.target_low,
        unioned.target_high,
        unioned.direction,
        -- no percentage where nothing is decided (a figure in doubt, or nothing to compare)
        case when unioned.status <> 'undetermined' then unioned.attainment_pct end as attainment_pct,
        unioned.status,
        unioned.status_reason,
        case when unioned.status <> 'undetermined' then unioned.shortfall_pct end as shortfall_pct,
        unioned.period_end,
        unioned.is_estimate,
        unioned.reported_by,
        unioned.target_strict
    from unioned
    inner join indicators using (indicator_code)
)

select * from final
order by district, indicator_code
