-- materialized: table
-- grain: one row per boundary change, successor, catalogue indicator and round that any of its predecessors
-- reported, and each predecessor of the successor, reporting or not: the predecessor's harmonised figures of the round, its own
-- attainment status, and the weight it takes in the successor's figure.
-- A round is what one successor figure combines (stg_boundary_changes.cycle): on a plan ('plan'), each
-- predecessor's latest figures (the first row in sheet order if a workbook repeats an indicator); in a period
-- cycle, the figures of one period_end (its ISO date). A row whose conversion was refused (unit_refusal) has no
-- figures in the canonical unit here (actual, target_low, target_high are NULL; actual_reported keeps it).
-- The weight is of the indicator's kind (area, population), or the method's coverage_weight for an indicator that
-- names none: the candidate of int_predecessor_weights whose reference_year is nearest the year of the
-- predecessor's own period_end (a predecessor without figures: the round's latest), so two predecessors of one
-- mean may take different years; a figure without a year ranks after every dated one; on a tie, a stated figure
-- before a derived one, then the earlier year (a figure known at the time), then the figure's name.
-- unique: change_code, indicator_code, period_round, predecessor
-- not_null: change_code, successor, indicator_code, period_round, predecessor, predecessor_count, is_reported
-- references: indicator_code -> stg_indicators.indicator_code
with changes as (
    select * from stg_boundary_changes
),

rows as (
    select * from int_harmonised_rows
),

attainment as (
    select * from int_district_attainment
),

indicators as (
    select * from stg_indicators
),

methods as (
    select * from stg_aggregation_methods
),

candidate_weights as (
    select * from int_predecessor_weights
),

reported as (
    select
        changes.change_code,
        changes.successor,
        changes.predecessor,
        case when changes.cycle = 'plan' then 'plan' else coalesce(strftime(rows.period_end, '%Y-%m-%d'), 'period unknown')
            end as period_round,
        rows.*
    from changes
    inner join rows on rows.reporting_unit = changes.predecessor
    qualify row_number() over (
        partition by changes.change_code, changes.predecessor, rows.indicator_code,
            case when changes.cycle = 'plan' then 'plan' else coalesce(strftime(rows.period_end, '%Y-%m-%d'), '') end
        order by rows.period_end desc nulls last, rows.source_file, rows.source_sheet, rows.source_row
    ) = 1
),

rounds as (
    select change_code, successor, indicator_code, period_round, max(period_end) as round_end
    from reported
    group by all
),

-- every predecessor of the change in every round, so that one that did not report is a row too
slots as (
    select
        rounds.*,
        changes.level,
        changes.predecessor,
        changes.predecessor_name_vi,
        changes.predecessor_name_en,
        changes.predecessor_count
    from rounds
    inner join changes using (change_code, successor)
),

figures as (
    select
        slots.*,
        reported.indicator_code is not null as is_reported,
        reported.row_label as label,
        reported.row_kind,
        reported.definition_variant,
        reported.unit_factor,
        -- the unit of the figures here: canonical, or a count the row kept (counts_kept_as_counts)
        case when reported.unit_refusal is null then reported.harmonised_unit end as unit,
        reported.unit_raw,
        reported.unit_refusal,
        case when reported.unit_refusal is null then reported.harmonised_target_low end as target_low,
        case when reported.unit_refusal is null then reported.harmonised_target_high end as target_high,
        case when reported.unit_refusal is null then reported.harmonised_actual end as actual,
        reported.actual_value as actual_reported,
        reported.target_low as target_low_reported,
        reported.target_high as target_high_reported,
        reported.actual_text,
        reported.reported_pct,
        case when reported.unit_refusal is null then reported.harmonised_computed_pct end as computed_pct,
        reported.harmonisation_rules,
        reported.harmonisation_notes,
        reported.harmonisation_notes_vi,
        reported.count_base,
        reported.count_base_label,
        reported.is_unit_count,
        reported.period_end,
        reported.is_estimate,
        reported.source_file,
        reported.source_sheet,
        reported.source_row,
        attainment.status,
        attainment.status_reason,
        attainment.status_reason_vi,
        attainment.target_strict,
        coalesce(indicators.weight, methods.coverage_weight) as weight_kind
    from slots
    inner join indicators using (indicator_code)
    inner join methods on methods.method = indicators.aggregation
    left join reported using (change_code, successor, indicator_code, period_round, predecessor)
    left join attainment
        on reported.indicator_code is not null
        and attainment.reporting_unit = slots.predecessor
        and attainment.indicator_code = slots.indicator_code
        and attainment.period_end is not distinct from reported.period_end
),

weighted as (
    select
        figures.*,
        candidate_weights.value as weight,
        candidate_weights.unit as weight_unit,
        candidate_weights.figure as weight_figure,
        candidate_weights.reference_year as weight_year,
        candidate_weights.basis as weight_basis,
        candidate_weights.source as weight_source,
        candidate_weights.description as weight_description
    from figures
    left join candidate_weights
        on candidate_weights.change_code = figures.change_code
        and candidate_weights.predecessor = figures.predecessor
        and candidate_weights.weight = figures.weight_kind
    qualify row_number() over (
        partition by figures.change_code, figures.indicator_code, figures.period_round, figures.predecessor
        order by abs(year(coalesce(figures.period_end, figures.round_end)) - candidate_weights.reference_year) nulls last,
            candidate_weights.basis = 'derived', candidate_weights.reference_year nulls last, candidate_weights.figure
    ) = 1
),

final as (
    select * exclude (round_end) from weighted
)

select * from final
