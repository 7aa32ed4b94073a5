-- materialized: table
-- What each predecessor brings to its successor's figure (merged_district_indicators): its own figures, period, status and weight, one row per predecessor, reporting or not.
-- grain: one row per successor unit of a boundary change, catalogue indicator any of its predecessors reported, round, and predecessor
-- unique: change_code, indicator_code, period_round, predecessor
-- not_null: change_code, successor, indicator_code, period_round, predecessor, is_reported, contributes
-- references: indicator_code -> indicators.indicator_code
-- column change_code: the boundary change (view boundary_changes)
-- column successor: the successor unit's code (view boundary_changes)
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column period_round: 'plan', or the period_end of monthly reports (as merged_district_indicators)
-- column predecessor: the predecessor's code: a former district's raw/ folder (schemas/districts.csv) or a commune's GSO code
-- column predecessor_name_vi: the predecessor's name
-- column predecessor_name_en: the predecessor's name in English
-- column is_reported: the predecessor reported the indicator in this round
-- column contributes: the predecessor's figure is part of the successor's figure: of its value, or, where none can be made (not_aggregable), of the status decided on every predecessor's own (dominance); false when the successor's figure is partial or the predecessor has no figure
-- column label: the predecessor's row label as printed
-- column unit: unit of the predecessor's figures here: the canonical unit, or a count of units its row kept; NULL when its conversion was refused or its unit cell is no unit (unit_reported)
-- column value: the predecessor's harmonised result, in unit and the canonical period basis
-- column value_reported: the result as reported, before harmonisation
-- column unit_name_vi: the unit as a Vietnamese reader writes it (%, ha, xã, người/năm); NULL where the figures have no unit
-- column target_low_reported: the predecessor's lower target bound as its sheet writes it, before harmonisation
-- column target_high_reported: the upper target bound as its sheet writes it
-- column unit_reported: the predecessor's unit cell as written ('%', 'người', '0')
-- column value_text: the result in words (a qualitative result)
-- column target_low: the predecessor's target, lower bound, in unit
-- column target_high: the predecessor's target, upper bound, in unit
-- column target_strict: true when the predecessor's bound is strict (trên, dưới: 'more than 70'), as target_attainment judged it; the dashboard writes > or < for it, ≥ or ≤ otherwise
-- column reported_pct: the percentage of target the predecessor reported
-- column computed_pct: the predecessor's harmonised result / target × 100
-- column status: the predecessor's own attainment (target_attainment): met, not_met or undetermined; NULL without a target
-- column status_reason: why, as target_attainment says it
-- column status_reason_vi: the same reason in Vietnamese, as target_attainment.status_reason_vi says it
-- column harmonisation_rules: rules that changed the predecessor's figures
-- column harmonisation_notes: the arithmetic behind the rules in words, and a unit the figures keep or take
-- column harmonisation_notes_vi: the same notes in Vietnamese, one for one, as harmonised_results.harmonisation_notes_vi says them
-- column unit_refusal: why the predecessor's figures could not be put in the canonical unit, if so
-- column period_end: date the predecessor's figures refer to
-- column is_estimate: true when the predecessor's figures are an estimate
-- column weight_kind: the kind of figure its weight is: the indicator's (area, population) or, for coverage, population
-- column weight: the predecessor's weight: the figure of weight_kind whose reference year is nearest its period_end
-- column weight_unit: unit of the weight (km2 or persons)
-- column weight_figure: the reference figure it is (view district_figures): area, population or a variant such as population_2025_successors
-- column weight_year: the year that figure refers to; NULL when the source does not say
-- column weight_basis: stated (the reference states it for the predecessor) or derived (the successor's figure of that year minus the other predecessors')
-- column weight_source: where the weight comes from; for a derived one, the figures it is derived from and their sources
-- column weight_share: the predecessor's share of the successor's weight (of the predecessors' weights together)
-- column source_file: the workbook the predecessor's figures come from
-- column source_sheet: its sheet
-- column source_row: its row
with figures as (
    select * from int_predecessor_figures
),

successors as (
    select * from int_successor_figures
),

indicators as (
    select * from stg_indicators
),

final as (
    select
        figures.change_code,
        figures.successor,
        figures.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        figures.period_round,
        figures.predecessor,
        figures.predecessor_name_vi,
        figures.predecessor_name_en,
        figures.is_reported,
        successors.coverage_status = 'full' and figures.actual is not null
            and (successors.value is not null or successors.method = 'not_aggregable') as contributes,
        figures.label,
        figures.unit,
        units.name_vi as unit_name_vi,
        figures.actual as value,
        figures.actual_reported as value_reported,
        figures.actual_text as value_text,
        figures.target_low,
        figures.target_high,
        figures.target_strict,
        figures.target_low_reported,
        figures.target_high_reported,
        figures.unit_raw as unit_reported,
        figures.reported_pct,
        figures.computed_pct,
        figures.status,
        figures.status_reason,
        figures.status_reason_vi,
        figures.harmonisation_rules,
        figures.harmonisation_notes,
        figures.harmonisation_notes_vi,
        figures.unit_refusal,
        figures.period_end,
        figures.is_estimate,
        figures.weight_kind,
        figures.weight,
        figures.weight_unit,
        figures.weight_figure,
        figures.weight_year,
        figures.weight_basis,
        figures.weight_source,
        figures.weight / sum(figures.weight) over (
            partition by figures.change_code, figures.successor, figures.indicator_code, figures.period_round
        ) as weight_share,
        figures.source_file,
        figures.source_sheet,
        figures.source_row
    from figures
    inner join successors using (change_code, successor, indicator_code, period_round)
    inner join indicators using (indicator_code)
    left join stg_units as units on units.unit = figures.unit
)

select * from final
order by change_code, successor, indicator_code, period_round, predecessor
