-- materialized: table
-- Whether each target was met, not met, or cannot be decided from what the source says: decided here, once, for every reader.
-- grain: one row per former district (schemas/districts.csv) and catalogue indicator it reported against a target, and per successor unit of a boundary change (view boundary_changes: the merged district; a 2025 commune of monthly reports), indicator and round (merged_district_indicators)
-- unique: district, indicator_code, period_end
-- not_null: district, indicator_code, status, status_reason, status_reason_vi, reported_by
-- references: indicator_code -> indicators.indicator_code
-- Met or not met compares the value with the target's bounds in the indicator's direction, never the rounded percentage: a higher-is-better result must reach the lower bound (at least; the lower end of a range), a lower-is-better one may not pass the upper bound, a within-range one must lie inside the bounds; a value equal to an inclusive bound (≥, tối thiểu, từ … trở lên, không quá, tối đa) meets it. A strict bound (trên, hơn, >, vượt, dưới, <; column target_strict of indicator_results) is quoted as such ('more than 70', 'less than 2'): a value beyond it is met; a value exactly on it is decided by the source's own verdict, its reported percentage (100 % or more: reached) or else a verdict word, and the reason says so ("70 equals the bound 'more than 70'; the source counts it as reached (100 %)"); without either it is not met on the letter. A successor's derived bound is strict where a predecessor's is (v1 > b1 and v2 >= b2 give v1 + v2 > b1 + b2), and a successor value exactly on it is not met on the letter. Qualitative results are decided by their verdict word, as the catalogue of verdict words (schemas/verdict_words.csv) says it (Đạt, Hoàn thành, Đảm bảo, Giữ vững, Duy trì, Vượt, Ổn định: met; Không/Chưa đạt, Không/Chưa hoàn thành: not met); "Cơ bản ..." (basically: hedged) and any other words are undetermined, and so is a verdict in the percentage column that contradicts the figures.
-- Unresolved findings make a row undetermined: the registry of checks says which do (view dq_checks, column blocks_attainment): every error, and every warning except those that do not bear on comparing the row's figures with its own target, or that the row's reported percentage resolves where it agrees with the harmonised figures (macro pct_agrees: the percentage is the evidence that decided the reading). An 'info' finding is never unresolved: the loader resolved that reading with the evidence it names. Any other check, present or future, counts.
-- A successor unit (schemas/boundary_changes.csv): partial when its figure is (its predecessors with a figure hold less of its weight than the method needs: schemas/aggregation_methods.csv), with no met or not met of its own; else undetermined when any predecessor's attainment is; else the successor's value against the bounds combined with the same method (a derived target: nobody set it); undetermined when they cannot be combined, with one exception (dominance). A weighted mean whose weights stand in for its true denominator (population for households) is undetermined when the verdict would turn with the weights moved by the method's stand_in_margin: it must hold for every weight within that share of the stand-in's, which it does when |Σ w (v - b)| > margin × Σ w |v - b| over the predecessors' figures v and bounds b. The reason says where the periods combined differ, and which predecessors missed (met) their own targets where the successor met (missed) its derived one.
-- Dominance: an indicator whose merged figure is a weighted mean the reference has no weights for (method not_aggregable, catalogue missing_weight set, the same definition and unit in both halves; not where the districts measured different things or used different criteria, nor a qualitative result) is met when every predecessor meets its own bound, not_met when every predecessor misses it, whatever the weights: any weighted mean of the results meets (misses) the same weighted mean of the targets. Bounds combine as int_successor_figures does (a bound only when every predecessor has it): at least (higher_is_better) is judged on the lower bounds, at most (lower_is_better) on the upper bounds, a range on each bound separately (met when every half is within every combined bound, not_met when every half misses the same bound; halves missing a range on opposite sides stay undetermined). A mixed result stays undetermined. value, targets and attainment_pct stay NULL (no number can be computed); status_reason names the missing weights and each half's comparison.
-- An undetermined row carries no attainment_pct and no shortfall_pct, whatever made it undetermined (a figure in doubt, a source contradicting itself, nothing to compare, figures that cannot be combined): value and targets stay as read, and status_reason names the readings (reported x %, computed y %) where the source contradicts itself.
-- column district: a former district (its raw/ folder, schemas/districts.csv) or a successor unit (view boundary_changes names each: the merged Hà Quảng district, GSO 045, and the communes of 2025)
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column unit: canonical unit of value and target (a district's reported unit where its conversion was refused: harmonised_results.unit_refusal)
-- column value: the harmonised result as read (for a successor, the combined value); NULL for a qualitative result, a partial successor figure and one that cannot be combined (its status may still be decided by dominance)
-- column count_base: for a count of administrative units: how many units of that level the figures count against (for a successor, the sum of the bases its predecessors counted: 30 pre-2020 communes, not the 21 communes of 2020-2025); NULL for other units
-- column count_base_label: what count_base counts, named with its period, e.g. 'pre-2020 communes'; status_reason writes a count as '27 of 30 pre-2020 communes'
-- column target_low: lower bound of the target in the canonical unit (an exact target has low = high)
-- column target_high: upper bound of the target (NULL for 'at least')
-- column unit_name_vi: the unit of value and target as a Vietnamese reader writes it (%, ha, xã, người/năm); NULL where the figures have no unit
-- column value_reported: a former district's result as the sheet writes it, before any harmonisation (9.2 where the unit is in doubt, 100 where the sheet gives a percentage of communes); NULL for a successor (its predecessors' are in merger_contributions)
-- column target_low_reported: the lower target bound as the sheet writes it (95 for '95 %' of communes that harmonised_results counts as at least 11 of 11)
-- column target_high_reported: the upper target bound as the sheet writes it
-- column unit_reported: the unit cell as written ('%', 'người', '0'); NULL for a successor
-- column harmonisation_rules: the rules that changed a former district's figures from the reported to value and targets (harmonised_results); empty when the figures are as reported
-- column harmonisation_notes: the arithmetic behind them in words ('target 95 % of 11 pre-2020 communes = 10.45, so at least 11'), and a unit the figures keep or take
-- column harmonisation_notes_vi: the same notes in Vietnamese, one for one, as harmonised_results.harmonisation_notes_vi says them ('chỉ tiêu 95 % trên tổng số 11 xã là 10,45, nên lấy tối thiểu 11'); status_reason_vi quotes them where status_reason quotes the English
-- column target_basis: stated (the source's own target: a former district's) or derived (a successor's, combined from its predecessors' targets: nobody set it; merged_district_indicators.target_derivation says how)
-- column direction: higher_is_better, lower_is_better or within_range (view indicators)
-- column attainment_pct: percentage of target: as the source reports it where it agrees with the figures (or there are no figures), computed from value and target otherwise; never decides the status; NULL unless status is met or not_met
-- column status: 'met', 'not_met', 'undetermined' (the source contradicts itself, a figure is in doubt, or there is nothing to compare) or, for a successor only, 'partial' (its figure covers too little of it: coverage); a successor without a combined value is met or not_met only by dominance
-- column status_reason: why, in words for an official: the comparison made, or why it cannot be decided and which checks (view dq_issues) a person must clear
-- column status_reason_vi: the same reason in Vietnamese, case for case, from the message catalogue's sentences (reason.*): units by name, checks by what they mean, figures as Vietnamese writes them (87,06; 17.889), dates as 31/12/2019; never a code, view or file name
-- column shortfall_pct: how far the value falls short of the target, in % of the target; 0 or negative when met (for ordering); NULL unless status is met or not_met
-- column period_end: date the figures refer to (for a successor, the latest of its predecessors' dates)
-- column period_end_earliest: the earliest date of the figures (for a successor whose predecessors' figures are of different dates, e.g. 2019-12-31 beside a period_end of 2020-12-31)
-- column period_basis: aligned (one period and kind of figure) or mixed (a successor combining, e.g., an estimate to end-2020 with an actual to end-2019)
-- column is_estimate: true when the figures are (or, for a successor, include) an estimate
-- column coverage: for a successor: the share (0 to 1) of its weight held by the predecessors with a figure (merged_district_indicators.coverage_basis); 1 for a former district's own row
-- column reported_by: whose figures the row is: the district itself; for a successor, the predecessors that reported the indicator, joined by ' + '
-- column target_strict: true when the source wrote the bound the value is compared with strictly ('Trên 70%', '> 40', 'dưới 2': the bound's own number does not reach it), and for a successor whose derived bound combines a predecessor's strict one; false for an inclusive bound
with district_rows as (
    select * from int_district_attainment
    -- a former district's own report (a commune's monthly figure never stands for its district's), its
    -- latest period, and in one period its first row in sheet order, as it reported the indicator
    where reporting_unit = district
    qualify row_number() over (
        partition by district, indicator_code order by period_end desc nulls last, source_file, source_sheet, source_row
    ) = 1
),

successors as (
    select * from int_successor_figures
),

merged_district as (
    select * from merged_district_indicators
),

-- the catalogue's Vietnamese sentences by message id
vi as (
    select map_from_entries(list({'k': message_id, 'v': vi})) as say from stg_messages
),

compared as (
    select
        successors.*,
        merged_district.attainment_pct,
        merged_district.caveats,
        merged_district.unit,
        unit_names.name_vi as unit_vi,
        methods.name_vi as method_vi,
        vi.say,
        -- a weighted mean the reference has no weights for, of predecessors that measured the same thing in the
        -- same unit: decided by dominance below
        successors.method = 'not_aggregable' and successors.value is null and successors.missing_weight is not null
            and successors.same_definition and successors.same_unit and not successors.is_qualitative
            as is_unweighted_mean,
        successors.valued_count = successors.predecessor_count as all_valued,
        successors.met_count = successors.predecessor_count as all_met,
        successors.not_met_count = successors.predecessor_count as all_not_met,
        successors.low_count = successors.valued_count as all_low,
        successors.high_count = successors.valued_count as all_high,
        successors.low_count = 0 as no_low,
        successors.high_count = 0 as no_high,
        successors.met_count > 0 and successors.not_met_count > 0 as is_mixed,
        target_bar(successors.direction, successors.target_low, successors.target_high) as bar
    from successors
    inner join merged_district using (change_code, successor, indicator_code, period_round)
    left join stg_units as unit_names on unit_names.unit = merged_district.unit
    inner join stg_aggregation_methods as methods on methods.method = successors.method
    cross join vi
),

-- dominance: with positive weights w, sum(w v) / sum(w) >= sum(w b) / sum(w) when every v >= b,
-- and < when every v < b; so where every predecessor meets (misses) the bound the successor's bar is drawn
-- from, every weighted mean of the results meets (misses) the same weighted mean of the targets.
-- The bar is the bound the targets combine to (a bound combines only when every predecessor has it):
-- higher-is-better the lower bound (else the upper), lower-is-better the upper (else the lower), so every
-- predecessor's own status was judged on that same bound; a range each bound it combines, separately (met
-- when every predecessor is within its bounds, missed when every one misses the same bound; on opposite
-- sides it depends on the weights).
dominance as (
    select
        *,
        case
            when not is_unweighted_mean or undetermined_count > 0 or not all_valued then null
            when direction = 'higher_is_better' and (all_low or (no_low and all_high))
                or direction = 'lower_is_better' and (all_high or (no_high and all_low)) then
                case when all_met then 'met' when all_not_met then 'not_met' end
            when direction = 'within_range' and (all_low or all_high) then
                case
                    when all_met then 'met'
                    when all_not_met and ((all_low and max_from_low < 0) or (all_high and min_from_high > 0)) then 'not_met'
                end
        end as dominance_status,
        -- figures met the combined bound; NULL when there is nothing to compare. A strict derived bar (a
        -- predecessor's "trên 800") is passed, not reached; on it, nothing but the figures speaks for the
        -- successor, so it is not met on the letter
        meets_target(value, target_low, target_high, bar, direction, target_strict) as figures_met,
        -- a verdict on stand-in weights that weights within the margin could turn
        is_stand_in_weight and direction <> 'within_range' and bar_margin_abs > 0
            and abs(bar_margin_sum) <= stand_in_margin * bar_margin_abs as is_within_stand_in_margin
    from compared
),

successor_judged as (
    select
        successor as district,
        indicator_code,
        unit,
        count_base,
        count_base_label,
        value,
        target_low,
        target_high,
        target_basis,
        direction,
        attainment_pct,
        case
            when coverage_status = 'partial' then 'partial'
            when undetermined_count > 0 then 'undetermined'
            when dominance_status is not null then dominance_status
            when figures_met is null or is_within_stand_in_margin then 'undetermined'
            when figures_met then 'met'
            else 'not_met'
        end as status,
        concat_ws('; ', case
            when coverage_status = 'partial' then 'partial figure: only ' || coalesce(reported_by, 'no predecessor')
                || ' reported, ' || round(coverage * 100, 1) || ' % of the successor''s ' || coverage_basis
                || ' (at least ' || round(min_coverage * 100, 1) || ' % needed); no figure from ' || missing_names
                || case when unit_refusals <> '' then ' (' || unit_refusals || ')' else '' end
                || '; each predecessor''s own figure and status are in merger_contributions'
            when undetermined_count > 0 then 'undetermined in a predecessor: ' || undetermined_reasons
            when dominance_status = 'met' then 'every predecessor met its own target: any weighted mean of the results '
                || 'meets the same weighted mean of the targets; the weights (' || missing_weight
                || ') are not in the reference (' || predecessors_reasons || ')'
            when dominance_status = 'not_met' then 'no predecessor met its own target: any weighted mean of the results '
                || 'misses the same weighted mean of the targets; the weights (' || missing_weight
                || ') are not in the reference (' || predecessors_reasons || ')'
            when is_unweighted_mean and is_mixed then 'some predecessors met their targets and others did not, so the '
                || 'successor''s result depends on the weights (' || missing_weight || '), which are not in the reference ('
                || predecessors_reasons || ')'
            -- the first caveat of a value not combined says why (no input is undetermined here)
            when value is null then 'the predecessors'' figures cannot be combined: ' || caveats[1]
            when coalesce(target_low, target_high) is null then 'the predecessors'' targets cannot be combined: '
                || 'one is open-ended the other way'
            else concat_ws('; ',
                case when is_within_stand_in_margin then 'undetermined: the verdict would turn if the weights ('
                    || weight_note || ') were off by ' || figure_text(stand_in_margin * 100) || ' %' end,
                case when figures_met and not is_within_stand_in_margin and not_met_count > 0 then 'met overall' end,
                count_text(value, count_base, count_base_label) || ' against a derived target of '
                    || target_text(target_low, target_high, bar, direction, target_strict) || ' (' || method || ' of ' || reported_by
                    || case when method like '%weighted_mean' then coalesce(', weights ' || weight_summary, '') else '' end
                    || ')',
                case when figures_met then missed_text else met_text end)
        end,
        -- where the figures combined are of different periods, every reason says so
        case when period_basis = 'mixed' and coverage_status = 'full' then 'mixes periods: ' || periods_text end
        ) as status_reason,
        -- the same cases, in the catalogue's Vietnamese
        concat_ws('; ', case
            when coverage_status = 'partial' then fill(fill(fill(fill(fill(say['reason.partial'],
                'reported', coalesce(with_figure_vi, say['reason.nobody'])),
                'coverage', figure_text_vi(round(coverage * 100, 1))),
                'basis', coalesce(say['reason.basis.' || coverage_basis], '')),
                'needed', figure_text_vi(round(min_coverage * 100, 1))),
                'missing', missing_names_vi)
            when undetermined_count > 0 then fill(say['reason.predecessor_undetermined'], 'reasons', undetermined_reasons_vi)
            when dominance_status = 'met' then fill(say['reason.dominance_met'], 'reasons', predecessors_reasons_vi)
            when dominance_status = 'not_met' then fill(say['reason.dominance_not_met'], 'reasons', predecessors_reasons_vi)
            when is_unweighted_mean and is_mixed then fill(say['reason.weights_decide'], 'reasons', predecessors_reasons_vi)
            -- why the value could not be made, as the first caveat says it in English
            when value is null then fill(say['reason.not_combined'], 'why', case
                when is_qualitative then say['reason.why.qualitative']
                when not same_definition then say['reason.different_definition']
                when not same_unit then say['reason.different_unit']
                else say['reason.why.weight'] end)
            when coalesce(target_low, target_high) is null then say['reason.targets_not_combined']
            else concat_ws('; ',
                case when is_within_stand_in_margin
                    then fill(say['reason.stand_in'], 'margin', figure_text_vi(stand_in_margin * 100)) end,
                case when figures_met and not is_within_stand_in_margin and not_met_count > 0
                    then say['reason.met_overall'] end,
                fill(fill(fill(fill(say['reason.derived'],
                    'value', count_text_vi(say, value, count_base, unit_vi)),
                    'target', target_text_vi(say, target_low, target_high, bar, direction, target_strict, unit_vi)),
                    'method', method_vi), 'units', reported_by_vi),
                case when figures_met then missed_text_vi else met_text_vi end)
        end,
        case when period_basis = 'mixed' and coverage_status = 'full'
            then fill(say['reason.mixed_periods'], 'periods', periods_text_vi) end
        ) as status_reason_vi,
        shortfall_pct(value, target_low, target_high, bar, direction) as shortfall_pct,
        coalesce(period_end_latest, round_end) as period_end,
        period_end_earliest,
        period_basis,
        is_estimate,
        coverage,
        reported_by,
        judged_count,
        target_strict
    from dominance
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
        value_reported,
        target_low_reported,
        target_high_reported,
        unit_reported,
        harmonisation_rules,
        harmonisation_notes,
        harmonisation_notes_vi,
        'stated' as target_basis,
        direction,
        attainment_pct,
        status,
        status_reason,
        status_reason_vi,
        shortfall_pct,
        period_end,
        period_end as period_end_earliest,
        'aligned' as period_basis,
        is_estimate,
        1.0 as coverage,
        district as reported_by,
        target_strict
    from district_rows
),

unioned as (
    select * from districts
    union all by name
    -- a successor's row where it has a target to be judged against, as its predecessors' rows do
    select * from successor_judged
    where judged_count > 0
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
        units.name_vi as unit_name_vi,
        unioned.value_reported,
        unioned.target_low_reported,
        unioned.target_high_reported,
        unioned.unit_reported,
        unioned.harmonisation_rules,
        unioned.harmonisation_notes,
        unioned.harmonisation_notes_vi,
        unioned.target_basis,
        unioned.direction,
        -- no percentage where nothing is decided (a figure in doubt, nothing to compare, a partial figure)
        case when unioned.status in ('met', 'not_met') then unioned.attainment_pct end as attainment_pct,
        unioned.status,
        unioned.status_reason,
        unioned.status_reason_vi,
        case when unioned.status in ('met', 'not_met') then unioned.shortfall_pct end as shortfall_pct,
        unioned.period_end,
        unioned.period_end_earliest,
        unioned.period_basis,
        unioned.is_estimate,
        unioned.coverage,
        unioned.reported_by,
        unioned.target_strict
    from unioned
    inner join stg_indicators as indicators using (indicator_code)
    left join stg_units as units on units.unit = unioned.unit
)

select * from final
order by district, indicator_code, period_end
