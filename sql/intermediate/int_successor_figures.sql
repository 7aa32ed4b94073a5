-- materialized: table
-- grain: one row per boundary change, successor, catalogue indicator and round (int_predecessor_figures): the successor's
-- figure made from its predecessors' by the rules of schemas/aggregation_methods.csv, what it covers, which periods
-- it mixes, whose targets it combines, and what its predecessors' own statuses were.
-- The rules: the method is the indicator's aggregation, unless the result is qualitative or the predecessors that
-- reported define or measure it differently (then not_aggregable). coverage is the share of the successor's
-- weight (the indicator's kind, else the method's coverage_weight; the share of its predecessors when a
-- predecessor has no such figure) held by the predecessors with a figure; below the method's min_coverage the
-- successor's figure is partial: no value, no combined target, no status of its own. A sum adds every
-- predecessor's figure (min_coverage 1); a weighted mean weighs the figures it has by their weights. Targets
-- combine the same way over the same predecessors (a bound only where each of them has it), strict where any of
-- theirs is; a combined target is derived, one predecessor that is the whole successor states its own.
-- unique: change_code, successor, indicator_code, period_round
-- not_null: change_code, successor, indicator_code, period_round, method, coverage_status, predecessor_count
-- references: indicator_code -> stg_indicators.indicator_code
with figures as (
    select * from int_predecessor_figures
),

indicators as (
    select * from stg_indicators
),

methods as (
    select * from stg_aggregation_methods
),

-- the catalogue's Vietnamese sentences by message id, for the *_vi texts beside the English ones
vi as (
    select map_from_entries(list({'k': message_id, 'v': vi})) as say from stg_messages
),

-- a predecessor has a figure when it reported a number in the successor's unit or words (a qualitative result)
contributions as (
    select
        figures.*,
        is_reported and (actual is not null or actual_text is not null) as has_figure,
        vi.say
    from figures
    cross join vi
),

grouped as (
    select
        change_code,
        successor,
        any_value(level) as level,
        indicator_code,
        period_round,
        any_value(predecessor_count) as predecessor_count,
        count(*) filter (where is_reported) as reporting_count,
        count(*) filter (where has_figure) as figure_count,
        string_agg(predecessor, ' + ' order by predecessor) filter (where is_reported) as reported_by,
        string_agg(predecessor_name_vi, ', ' order by predecessor) filter (where is_reported) as reported_by_vi,
        -- who gave a figure: a predecessor whose row is there with its figure unread reported, and has none
        string_agg(predecessor_name_vi, ', ' order by predecessor) filter (where has_figure) as with_figure_vi,
        coalesce(list(predecessor order by predecessor) filter (where not has_figure), []) as missing_predecessors,
        coalesce(string_agg(predecessor_name_en, ', ' order by predecessor) filter (where not has_figure), '')
            as missing_names,
        coalesce(string_agg(predecessor_name_vi, ', ' order by predecessor) filter (where not has_figure), '')
            as missing_names_vi,
        -- how the reporting predecessors compare
        count(distinct coalesce(definition_variant, '')) filter (where is_reported) <= 1 as same_definition,
        -- a figure whose unit cell could not be read has no unit, and is the same unit as nothing
        coalesce(bool_and(unit_factor is not null and unit_refusal is null and (unit is not null or actual is null))
                 filter (where is_reported), false)
            and count(distinct coalesce(unit, '')) filter (where is_reported) <= 1 as same_unit,
        count(distinct coalesce(period_end::varchar, '')) filter (where is_reported) <= 1
            and count(distinct is_estimate) filter (where is_reported) <= 1 as same_period,
        coalesce(bool_or(row_kind = 'qualitative') filter (where is_reported), false) as is_qualitative,
        coalesce(array_to_string(list(predecessor || ' ' || definition_variant order by predecessor)
            filter (where is_reported and definition_variant is not null), '; '), '') as definitions,
        coalesce(array_to_string(list(predecessor || ' ' || unit_refusal order by predecessor)
            filter (where is_reported and unit_refusal is not null), '; '), '') as unit_refusals,
        coalesce(array_to_string(list(predecessor || ' ' || coalesce(unit, 'without a unit') order by predecessor) filter (where is_reported), ', '), '') as units,
        -- the unit the reporting predecessors' figures share (canonical, or a count they kept), if one
        case when count(distinct unit) filter (where is_reported) = 1 and count(unit) filter (where is_reported) = count(*)
            filter (where is_reported) then any_value(unit) filter (where is_reported) end as common_unit,
        coalesce(array_to_string(list(predecessor || ' ' || coalesce(unit_raw, 'without a unit') order by predecessor)
            filter (where is_reported and unit_factor is null), ', '), '') as unconverted_units,
        -- coverage: the weight of the predecessors with a figure, of all of them
        count(weight) = count(*) and count(distinct weight_unit) = 1 as has_all_weights,
        sum(weight) filter (where has_figure) as covered_weight,
        sum(weight) as total_weight,
        any_value(weight_kind) as weight_kind,
        any_value(weight_unit) as weight_unit,
        -- inputs of the combination, over the predecessors with a figure
        count(actual) as valued_count,
        count(weight) filter (where actual is not null) as valued_weights,
        sum(actual) as actual_sum,
        sum(actual * weight) as actual_weighted,
        sum(weight) filter (where actual is not null) as valued_weight,
        count(target_low) filter (where actual is not null) as low_count,
        count(target_high) filter (where actual is not null) as high_count,
        count(coalesce(target_high, target_low)) filter (where actual is not null) as target_count,
        sum(target_low) filter (where actual is not null) as low_sum,
        sum(target_high) filter (where actual is not null) as high_sum,
        sum(coalesce(target_high, target_low)) filter (where actual is not null) as target_sum,
        sum(target_low * weight) filter (where actual is not null) as low_weighted,
        sum(target_high * weight) filter (where actual is not null) as high_weighted,
        sum(coalesce(target_high, target_low) * weight) filter (where actual is not null) as target_weighted,
        -- each predecessor's distance from its own bound, weighted (for a verdict on stand-in weights)
        sum(weight * (actual - target_low)) as low_margin_sum,
        sum(weight * abs(actual - target_low)) as low_margin_abs,
        sum(weight * (actual - target_high)) as high_margin_sum,
        sum(weight * abs(actual - target_high)) as high_margin_abs,
        -- where each predecessor's figure lies from its own bound (-1 below, 0 on, 1 above), for dominance
        max(sign(actual - target_low)) as max_from_low,
        min(sign(actual - target_high)) as min_from_high,
        bool_or(is_unit_count) as is_unit_count,
        count(count_base) filter (where actual is not null) as based_count,
        sum(count_base) filter (where actual is not null) as count_base_sum,
        array_to_string(list_sort(list_distinct(list(count_base_label) filter (where actual is not null))), ' + ')
            as count_base_label,
        -- periods of the figures combined
        min(period_end) filter (where has_figure) as period_end_earliest,
        max(period_end) filter (where has_figure) as period_end_latest,
        -- the round's date where no predecessor has a figure (one round per date: a key for the views)
        max(period_end) filter (where is_reported) as round_end,
        count(distinct period_end) filter (where has_figure) as period_count,
        count(distinct is_estimate) filter (where has_figure) as estimate_kinds,
        bool_or(is_estimate) filter (where has_figure) as is_estimate,
        array_to_string(list(predecessor || ' ' || case when is_estimate then 'estimated' else 'actual' end || ' to '
            || coalesce(period_end::varchar, 'an unknown date') order by predecessor) filter (where has_figure), ', ')
            as periods_text,
        array_to_string(list(period_text_vi(say, predecessor_name_vi, is_estimate, period_end) order by predecessor)
            filter (where has_figure), '; ') as periods_text_vi,
        -- the predecessors' own statuses (a figure with a target has one)
        count(*) filter (where is_reported and status is not null) as judged_count,
        -- a derived bar is strict where any predecessor's is: v1 > b1 and v2 >= b2 give v1 + v2 > b1 + b2 (and
        -- so for any positive weights), so "more than 800" and "at least 300" combine to "more than 1100"
        coalesce(bool_or(target_strict) filter (where has_figure), false) as target_strict,
        count(*) filter (where has_figure and status = 'undetermined') as undetermined_count,
        count(*) filter (where has_figure and status = 'met') as met_count,
        count(*) filter (where has_figure and status = 'not_met') as not_met_count,
        string_agg(predecessor || ': ' || status_reason, '; ' order by predecessor)
            filter (where has_figure and status = 'undetermined') as undetermined_reasons,
        string_agg(predecessor_name_en || ' missed its own target (' || status_reason || ')', '; ' order by predecessor)
            filter (where has_figure and status = 'not_met') as missed_text,
        string_agg(predecessor_name_en || ' met its own target (' || status_reason || ')', '; ' order by predecessor)
            filter (where has_figure and status = 'met') as met_text,
        string_agg(predecessor || ': ' || status_reason, '; ' order by predecessor) filter (where has_figure)
            as predecessors_reasons,
        -- the same in Vietnamese: units by name, each reason its own status_reason_vi
        string_agg(predecessor_name_vi || ': ' || status_reason_vi, '; ' order by predecessor)
            filter (where has_figure and status = 'undetermined') as undetermined_reasons_vi,
        string_agg(fill(fill(say['reason.predecessor_missed'], 'unit', predecessor_name_vi), 'reason', status_reason_vi),
                   '; ' order by predecessor) filter (where has_figure and status = 'not_met') as missed_text_vi,
        string_agg(fill(fill(say['reason.predecessor_met'], 'unit', predecessor_name_vi), 'reason', status_reason_vi),
                   '; ' order by predecessor) filter (where has_figure and status = 'met') as met_text_vi,
        string_agg(predecessor_name_vi || ': ' || status_reason_vi, '; ' order by predecessor) filter (where has_figure)
            as predecessors_reasons_vi,
        any_value(say) as say,
        array_to_string(list(predecessor || ' ' || actual_text order by predecessor)
            filter (where has_figure and actual_text is not null), ' / ') as qualitative_text,
        -- the same in Vietnamese, each unit by its name (merged_district_indicators.caveats_vi)
        array_to_string(list(predecessor_name_vi || ': ' || actual_text order by predecessor)
            filter (where has_figure and actual_text is not null), ' / ') as qualitative_text_vi,
        list_distinct(flatten(list(coalesce(harmonisation_rules, []) order by predecessor))) as harmonisation_rules,
        array_to_string(list(predecessor || ': ' || array_to_string(harmonisation_notes, '; ') order by predecessor)
            filter (where len(coalesce(harmonisation_notes, [])) > 0), '; ') as harmonisation_notes,
        -- the same in Vietnamese, each unit by its name (merged_district_indicators.caveats_vi)
        array_to_string(list(predecessor_name_vi || ': ' || array_to_string(harmonisation_notes_vi, '; ') order by predecessor)
            filter (where len(coalesce(harmonisation_notes_vi, [])) > 0), '; ') as harmonisation_notes_vi,
        array_to_string(list(predecessor || ' ' || weight_description order by predecessor)
            filter (where weight is not null), '; ') as weight_descriptions,
        array_to_string(list(fill(fill(fill(say['caveat.weight.' || weight_unit], 'unit', predecessor_name_vi),
                                       'value', figure_text_vi(weight)),
                                  'year', coalesce(weight_year::varchar, say['caveat.year_unknown'])) order by predecessor)
            filter (where weight is not null), '; ') as weight_descriptions_vi,
        array_to_string(list(predecessor || ' ' || weight_figure || ' ' || coalesce(weight_year::varchar, 'year not stated')
            || case when weight_basis = 'derived' then ' (derived)' else '' end order by predecessor)
            filter (where weight is not null), ', ') as weight_summary
    from contributions
    group by change_code, successor, indicator_code, period_round
),

ruled as (
    select
        grouped.*,
        indicators.direction,
        indicators.weight_note,
        indicators.weight_note_vi,
        indicators.missing_weight,
        indicators.aggregation,
        case
            when grouped.is_qualitative then 'not_aggregable'
            when indicators.aggregation = 'not_aggregable' or not grouped.same_definition or not grouped.same_unit
                then 'not_aggregable'
            else indicators.aggregation
        end as method,
        case
            when grouped.has_all_weights and grouped.total_weight > 0 then coalesce(grouped.covered_weight, 0) / grouped.total_weight
            else grouped.figure_count / grouped.predecessor_count
        end as coverage,
        case when grouped.has_all_weights and grouped.total_weight > 0 then grouped.weight_kind else 'predecessors' end
            as coverage_basis
    from grouped
    inner join indicators using (indicator_code)
),

combined as (
    select
        ruled.*,
        -- the rule of the method the figure is made with (a mean of different definitions is no mean at all)
        methods.min_coverage,
        methods.stand_in_margin,
        coverage >= methods.min_coverage as is_full,
        -- a weighted mean needs a weight for each figure it weighs
        ruled.method like '%weighted_mean' and valued_weights = valued_count as has_mean_weights,
        ruled.method = 'sum' and valued_count = predecessor_count as has_every_figure
    from ruled
    inner join methods on methods.method = ruled.method
),

valued as (
    select
        *,
        case
            when not is_full then null
            when has_every_figure then actual_sum
            when has_mean_weights and valued_weight > 0 then actual_weighted / valued_weight
        end as value,
        case
            when not is_full then null
            when has_every_figure and low_count = valued_count then low_sum
            when has_mean_weights and valued_weight > 0 and low_count = valued_count then low_weighted / valued_weight
        end as target_low,
        case
            when not is_full then null
            when has_every_figure and high_count = valued_count then high_sum
            when has_mean_weights and valued_weight > 0 and high_count = valued_count then high_weighted / valued_weight
        end as target_high,
        case
            when not is_full then null
            when has_every_figure and target_count = valued_count then target_sum
            when has_mean_weights and valued_weight > 0 and target_count = valued_count then target_weighted / valued_weight
        end as target
    from combined
),

final as (
    select
        change_code,
        successor,
        level,
        indicator_code,
        period_round,
        predecessor_count,
        reporting_count,
        figure_count,
        reported_by,
        reported_by_vi,
        with_figure_vi,
        missing_predecessors,
        missing_names,
        missing_names_vi,
        method,
        aggregation,
        coverage,
        coverage_basis,
        min_coverage,
        case when is_full then 'full' else 'partial' end as coverage_status,
        value,
        target,
        target_low,
        target_high,
        -- a target combined from several predecessors' is nobody's stated target
        case
            when coalesce(target_low, target_high) is null then null
            when predecessor_count = 1 then 'stated'
            else 'derived'
        end as target_basis,
        direction,
        weight_kind,
        weight_unit,
        weight_summary,
        weight_descriptions,
        weight_descriptions_vi,
        weight_note,
        weight_note_vi,
        missing_weight,
        -- a weighted mean whose weight stands in for its true denominator (indicators.csv weight_note)
        method like '%weighted_mean' and weight_note is not null as is_stand_in_weight,
        stand_in_margin,
        -- the margin of the verdict against the stand-in's: the weighted distances from each predecessor's own
        -- bound; the verdict holds for every weight within stand_in_margin of the stand-in when |sum| > margin × sum of |.|
        case direction
            when 'higher_is_better' then case when low_count = valued_count then low_margin_sum else high_margin_sum end
            when 'lower_is_better' then case when high_count = valued_count then high_margin_sum else low_margin_sum end
        end as bar_margin_sum,
        case direction
            when 'higher_is_better' then case when low_count = valued_count then low_margin_abs else high_margin_abs end
            when 'lower_is_better' then case when high_count = valued_count then high_margin_abs else low_margin_abs end
        end as bar_margin_abs,
        is_unit_count,
        case when is_unit_count and has_every_figure and based_count = valued_count then count_base_sum::bigint end
            as count_base,
        case when is_unit_count and has_every_figure and based_count = valued_count then count_base_label end
            as count_base_label,
        period_end_earliest,
        period_end_latest,
        round_end,
        case when period_count <= 1 and estimate_kinds <= 1 then 'aligned' else 'mixed' end as period_basis,
        is_estimate,
        periods_text,
        periods_text_vi,
        same_definition,
        same_unit,
        same_period,
        is_qualitative,
        definitions,
        unit_refusals,
        units,
        common_unit,
        -- why the predecessors' figures cannot be compared one to one (empty: they can)
        case when reporting_count < predecessor_count then ['reported by ' || reported_by || ' only']
        else list_filter([
            case when is_qualitative then 'qualitative result' end,
            case when not same_definition then 'different definition: ' || definitions end,
            case when not same_unit and unit_refusals <> '' then 'different unit: ' || unit_refusals
                when not same_unit and unconverted_units = '' then 'different unit: ' || units
                when not same_unit then 'different unit: no conversion to the catalogue unit from ' || unconverted_units end,
            case when not same_period then 'different period: ' || periods_text end
        ], lambda reason: reason is not null) end as comparability_reasons,
        -- the same reasons for a Vietnamese reader (the English names each definition and unit; this says they differ)
        case when reporting_count < predecessor_count then [fill(say['reason.only_reported'], 'units', reported_by_vi)]
        else list_filter([
            case when is_qualitative then say['reason.why.qualitative'] end,
            case when not same_definition then say['reason.different_definition'] end,
            case when not same_unit then say['reason.different_unit'] end,
            case when not same_period then fill(say['reason.different_period'], 'periods', periods_text_vi) end
        ], lambda reason: reason is not null) end as comparability_reasons_vi,
        qualitative_text,
        qualitative_text_vi,
        harmonisation_rules,
        harmonisation_notes,
        harmonisation_notes_vi,
        valued_count,
        low_count,
        high_count,
        max_from_low,
        min_from_high,
        judged_count,
        target_strict,
        undetermined_count,
        met_count,
        not_met_count,
        undetermined_reasons,
        met_text,
        missed_text,
        predecessors_reasons,
        undetermined_reasons_vi,
        met_text_vi,
        missed_text_vi,
        predecessors_reasons_vi
    from valued
)

select * from final
