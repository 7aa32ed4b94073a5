-- materialized: table
-- Whether the predecessors of each successor unit can be compared one to one on each catalogue indicator, and why not; their figures side by side are in merger_contributions (one row each).
-- grain: one row per successor unit of a boundary change, catalogue indicator any of its predecessors reported, and round
-- unique: change_code, successor, indicator_code, period_round
-- not_null: change_code, successor, indicator_code, name_vi, comparable
-- references: indicator_code -> indicators.indicator_code
-- The side-by-side figures of the former districts are a pivot of merger_contributions, e.g.
-- pivot (select indicator_code, predecessor, value from merger_contributions) on predecessor using any_value(value)
-- column change_code: the boundary change (view boundary_changes)
-- column successor: the successor unit's code (view boundary_changes)
-- column indicator_code: catalogue indicator (view indicators)
-- column name_vi: Vietnamese name of the indicator
-- column name_en: English name of the indicator
-- column unit: canonical unit of the indicator; each predecessor's figures are in its merger_contributions.unit
-- column period_round: 'plan', or the period_end of monthly reports (as merged_district_indicators)
-- column predecessor_count: how many predecessors the successor has
-- column reported_by: the predecessors that reported the indicator, joined by ' + '
-- column same_definition: the reporting predecessors define the indicator the same way
-- column same_unit: the reporting predecessors' figures could be put in one unit, the canonical one or the same count
-- column same_period: the reporting predecessors' figures refer to the same date and are all actual or all estimates
-- column comparable: true when every predecessor reported the indicator with the same definition, unit and period and it is not qualitative
-- column comparable_reason: why not, when comparable is false
-- column comparable_reason_vi: the same reasons in Vietnamese for an official (units by name, dates as 31/12/2019; says that definitions or units differ, the English names them); NULL when comparable
with successors as (
    select * from int_successor_figures
),

indicators as (
    select * from stg_indicators
),

final as (
    select
        successors.change_code,
        successors.successor,
        successors.indicator_code,
        indicators.name_vi,
        indicators.name_en,
        indicators.unit,
        successors.period_round,
        successors.predecessor_count,
        successors.reported_by,
        successors.same_definition,
        successors.same_unit,
        successors.same_period,
        len(successors.comparability_reasons) = 0 as comparable,
        nullif(array_to_string(successors.comparability_reasons, '; '), '') as comparable_reason,
        nullif(array_to_string(successors.comparability_reasons_vi, '; '), '') as comparable_reason_vi
    from successors
    inner join indicators using (indicator_code)
)

select * from final
order by change_code, successor, indicator_code, period_round
