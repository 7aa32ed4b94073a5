-- materialized: table
-- Each successor unit of a boundary change (schemas/boundary_changes.csv: the merged Hà Quảng district, GSO 045; the communes of 2025) on each catalogue indicator, made from its predecessors' figures by the rules of schemas/aggregation_methods.csv.
-- grain: one row per successor unit of a boundary change, catalogue indicator any of its predecessors reported, and round (period_round)
-- unique: change_code, successor, indicator_code, period_round
-- not_null: change_code, successor, method, coverage, coverage_status
-- references: indicator_code -> indicators.indicator_code
-- A figure covering too little of the successor is partial: no value, no combined target, no status; its
-- predecessors' figures are in merger_contributions as theirs.
-- column change_code: the boundary change (view boundary_changes)
-- column successor: the successor unit's code, as target_attainment.district names it (view boundary_changes)
-- column level: district or commune
-- column gso_code: GSO code of the successor unit (045 for the merged district)
-- column district_name: name of the successor unit
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column period_round: the figures combined: 'plan' (each predecessor's latest figures on the plan) or, for monthly reports, the period_end they share (ISO date)
-- column unit: unit of value and target: the one the predecessors' figures share (canonical, or a count they kept: harmonised_results.harmonisation_rules counts_kept_as_counts), else the catalogue's
-- column value: the successor's figure; NULL when partial or not aggregable
-- column method: sum, area_weighted_mean, population_weighted_mean or not_aggregable (the indicator's aggregation, unless the predecessors' figures are qualitative or defined or measured differently)
-- column coverage: the share (0 to 1) of the successor's weight held by the predecessors with a figure: of coverage_basis
-- column coverage_basis: what coverage is a share of: population or area (the predecessors' reference figures), or predecessors (their number, where a predecessor has no reference figure)
-- column min_coverage: the least coverage the method publishes a figure with (1 for a sum: every predecessor; two thirds for a weighted mean)
-- column coverage_status: full (coverage reaches min_coverage) or partial (no value, no combined target, no status of its own)
-- column predecessor_count: how many predecessors the change has
-- column reported_by: the predecessors that reported the indicator, joined by ' + '
-- column missing_predecessors: the predecessors without a figure of the indicator in this round
-- column count_base: for a count of administrative units: the sum of the bases its predecessors counted (30 pre-2020 communes, never the successor's own units); NULL for other units
-- column count_base_label: what count_base counts, e.g. 'pre-2020 communes' (the predecessors' labels joined by ' + ' when they differ)
-- column target: the successor's target, the predecessors' targets combined with the same method as value (the upper bound of a range)
-- column target_low: the successor's lower target bound, the predecessors' lower bounds combined (NULL when one is open)
-- column target_high: the successor's upper target bound, combined the same way (NULL for 'at least')
-- column target_basis: derived (combined from the predecessors' targets: nobody set it), stated (the one predecessor that is the whole successor set it); NULL without a target
-- column target_derivation: how a derived target was made, e.g. 'sum of the predecessors' targets'
-- column attainment_pct: value / target × 100; NULL when partial, when a predecessor's attainment is undetermined (a figure in doubt or a source contradicting itself: the caveat names the readings), or the targets combine to no bound
-- column weight_kind: area or population, the kind of figure the weights of a weighted mean are (NULL for other methods)
-- column weight_unit: unit of the weights (km2 or persons)
-- column weight_summary: the predecessors' weights in a few words, each predecessor's figure, year and basis, e.g. '<predecessor> population 2019 (derived)'; each weight in merger_contributions
-- column is_stand_in_weight: true when the weights stand in for the true denominator (population for households: indicators.weight_note); a verdict within stand_in_margin of the weights is undetermined (target_attainment)
-- column period_basis: aligned (every figure combined is of one period and kind) or mixed (e.g. an estimate to end-2020 with an actual to end-2019)
-- column period_end_earliest: the earliest period_end of the figures combined
-- column period_end_latest: the latest period_end of the figures combined
-- column is_estimate: true when a figure combined is an estimate
-- column caveats: what an analyst must know before using the value
-- column caveats_vi: the same caveats in Vietnamese, in the same order, from the message catalogue's sentences (caveat.*) and indicators.csv weight_note_vi: units by name, figures as Vietnamese writes them (58,9; 35.026), periods as 31/12/2019, each harmonisation rule in words, and the arithmetic of a harmonisation (the last caveat: each predecessor by its name, then its harmonisation_notes_vi, e.g. 'Thông Nông: chỉ tiêu 95 % trên tổng số 11 xã là 10,45, nên lấy tối thiểu 11'); never a code, view or file name
with successors as (
    select * from int_successor_figures
),

changes as (
    select distinct change_code, successor, successor_gso_code, successor_name_vi from stg_boundary_changes
),

indicators as (
    select * from stg_indicators
),

methods as (
    select * from stg_aggregation_methods
),

-- the catalogue's Vietnamese sentences by message id, for caveats_vi
vi as (
    select map_from_entries(list({'k': message_id, 'v': vi})) as say from stg_messages
),

final as (
    select
        successors.change_code,
        successors.successor,
        successors.level,
        changes.successor_gso_code as gso_code,
        changes.successor_name_vi as district_name,
        successors.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        successors.period_round,
        coalesce(successors.common_unit, indicators.unit) as unit,
        successors.value,
        successors.method,
        successors.coverage,
        successors.coverage_basis,
        successors.min_coverage,
        successors.coverage_status,
        successors.predecessor_count,
        successors.reported_by,
        successors.missing_predecessors,
        successors.count_base,
        successors.count_base_label,
        successors.target,
        successors.target_low,
        successors.target_high,
        successors.target_basis,
        case when successors.target_basis = 'derived'
            then methods.name_en || ' of the predecessors'' targets' end as target_derivation,
        case
            when successors.coverage_status = 'partial' or successors.undetermined_count > 0 then null
            when successors.target_low is null and successors.target_high is null then null
            else attainment_pct(successors.value, successors.target, successors.target)
        end as attainment_pct,
        case when successors.method like '%weighted_mean' then successors.weight_kind end as weight_kind,
        case when successors.method like '%weighted_mean' then successors.weight_unit end as weight_unit,
        case when successors.method like '%weighted_mean' then successors.weight_summary end as weight_summary,
        successors.is_stand_in_weight,
        successors.period_basis,
        successors.period_end_earliest,
        successors.period_end_latest,
        successors.is_estimate,
        list_filter([
            case when successors.undetermined_count > 0
                then 'target attainment undetermined in ' || successors.undetermined_reasons end,
            case when successors.coverage_status = 'partial' then 'partial: '
                || coalesce(successors.reported_by || ' reported', 'no predecessor has a figure') || ', '
                || round(successors.coverage * 100, 1) || ' % of the successor''s ' || successors.coverage_basis
                || ' (the ' || methods.name_en || ' needs ' || round(successors.min_coverage * 100, 1) || ' %); no figure from '
                || successors.missing_names end,
            case when successors.is_qualitative then 'qualitative result: ' || successors.qualitative_text end,
            case when successors.method = 'not_aggregable' and not successors.is_qualitative
                then coalesce(successors.weight_note, array_to_string(successors.comparability_reasons, '; ')) end,
            case when successors.period_basis = 'mixed' and successors.coverage_status = 'full'
                then 'mixes periods: ' || successors.periods_text end,
            case when successors.method <> 'not_aggregable' and successors.coverage_status = 'full' and successors.value is null
                then 'a predecessor''s figure or weight is missing, so the value is too' end,
            case when successors.method like '%weighted_mean' then 'weights: ' || successors.weight_descriptions end,
            case when successors.method like '%weighted_mean' and successors.weight_note is not null then successors.weight_note end,
            case when successors.is_estimate then 'includes an estimate' end,
            case when successors.method = 'sum' and successors.count_base is not null then
                'counts ' || count_text(successors.value, successors.count_base, successors.count_base_label) end,
            case when len(successors.harmonisation_rules) > 0
                then 'harmonised: ' || array_to_string(successors.harmonisation_rules, ', ') end,
            nullif(successors.harmonisation_notes, '')
        ], lambda caveat: caveat is not null) as caveats,
        -- the caveats above in Vietnamese, case for case and in the same order
        list_filter([
            case when successors.undetermined_count > 0
                then fill(say['caveat.undetermined'], 'reasons', successors.undetermined_reasons_vi) end,
            case when successors.coverage_status = 'partial' then
                fill(fill(fill(fill(fill(fill(say['caveat.partial'],
                    'reported', coalesce(successors.reported_by_vi, say['reason.nobody'])),
                    'coverage', figure_text_vi(round(successors.coverage * 100, 1))),
                    'basis', coalesce(say['reason.basis.' || successors.coverage_basis], '')),
                    'method', methods.name_vi),
                    'needed', figure_text_vi(round(successors.min_coverage * 100, 1))),
                    'missing', successors.missing_names_vi) end,
            case when successors.is_qualitative then fill(say['caveat.qualitative'], 'text', successors.qualitative_text_vi) end,
            case when successors.method = 'not_aggregable' and not successors.is_qualitative then
                fill(say['caveat.not_combined'], 'reasons', coalesce(successors.weight_note_vi,
                                                                     array_to_string(successors.comparability_reasons_vi, '; '))) end,
            case when successors.period_basis = 'mixed' and successors.coverage_status = 'full'
                then fill(say['caveat.mixed_periods'], 'periods', successors.periods_text_vi) end,
            case when successors.method <> 'not_aggregable' and successors.coverage_status = 'full' and successors.value is null
                then say['caveat.value_missing'] end,
            case when successors.method like '%weighted_mean'
                then fill(say['caveat.weights'], 'weights', successors.weight_descriptions_vi) end,
            case when successors.method like '%weighted_mean' and successors.weight_note is not null
                then fill(say['caveat.weight_note'], 'note', successors.weight_note_vi) end,
            case when successors.is_estimate then say['caveat.estimate'] end,
            case when successors.method = 'sum' and successors.count_base is not null then fill(say['caveat.counts'],
                'counts', count_text_vi(say, successors.value, successors.count_base, unit_names.name_vi)) end,
            case when len(successors.harmonisation_rules) > 0 then fill(say['caveat.harmonised'], 'rules',
                array_to_string(list_transform(successors.harmonisation_rules,
                                               lambda rule: coalesce(say['caveat.rule.' || rule], say['caveat.rule.other'])), '; ')) end,
            nullif(successors.harmonisation_notes_vi, '')
        ], lambda caveat: caveat is not null) as caveats_vi
    from successors
    inner join changes using (change_code, successor)
    inner join indicators using (indicator_code)
    inner join methods on methods.method = successors.method
    left join stg_units as unit_names on unit_names.unit = coalesce(successors.common_unit, indicators.unit)
    cross join vi
)

select * from final
order by change_code, successor, indicator_code, period_round
