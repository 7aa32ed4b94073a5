-- materialized: table
-- grain: one row per reporting unit (a former district, or a commune of its monthly reports), catalogue
-- indicator it reports against a target and period (the first row in sheet order if a workbook repeats an
-- indicator, as int_predecessor_figures takes it): whether
-- the harmonised figures met the target, or why that cannot be decided. The rules are written
-- in the header of sql/marts/target_attainment.sql. A count of administrative units reads against
-- its base ("16 of 19 pre-2020 communes"); the reported percentage agrees when it fits the converted
-- figures before they were made whole or the whole counts (the workbook computed it from either).
-- An undetermined row has no attainment_pct nor shortfall_pct; its status_reason names the
-- readings (reported x %, computed y %) where the source contradicts itself.
-- status_reason_vi says the same for a Vietnamese reader, case for case, from the catalogue's sentences
-- (schemas/messages.csv, reason.*): checks by what they mean (never their names), figures as figure_text_vi writes them;
-- where harmonisation changed a figure or the unit cell is no unit, it quotes harmonisation_notes_vi as the English quotes
-- harmonisation_notes.
-- unique: reporting_unit, indicator_code, period_end
-- not_null: district, indicator_code, status
-- references: indicator_code -> indicators.indicator_code
with rows as (
    select *
    from int_harmonised_rows
    where target_kind is not null
    qualify row_number() over (
        partition by reporting_unit, indicator_code, period_end order by source_file, source_sheet, source_row
    ) = 1
),

indicators as (
    select * from stg_indicators
),

findings as (
    select * from stg_dq_findings where source_row is not null
),

checks as (
    select * from stg_dq_checks
),

units as (
    select * from stg_units
),

-- the catalogue's Vietnamese sentences by message id
vi as (
    select map_from_entries(list({'k': message_id, 'v': vi})) as say from stg_messages
),

evidence as (
    select
        rows.* exclude (target_low, target_high, direction),  -- as reported; the comparison uses the harmonised bounds
        rows.target_low as target_low_reported,
        rows.target_high as target_high_reported,
        indicators.direction,
        -- a clerk may have computed the percentage from the share's exact count (95 % of 11 = 10.45)
        -- or from the whole count a target of communes means (85 % of 19: at least 17): either agrees
        rows.reported_pct is not null
            and (coalesce(pct_agrees(
                    case when rows.unit_refusal is null then rows.converted_actual else rows.actual_value end,
                    case when rows.unit_refusal is null then rows.converted_target_low else rows.target_low end,
                    case when rows.unit_refusal is null then rows.converted_target_high else rows.target_high end,
                    rows.reported_pct), false)
                or coalesce(pct_agrees(rows.harmonised_actual, rows.harmonised_target_low, rows.harmonised_target_high,
                                       rows.reported_pct), false)) as is_pct_confirmed,
        verdict_status(rows.actual_text) as result_verdict,
        verdict_status(rows.reported_pct_raw) as pct_verdict
    from rows
    inner join indicators using (indicator_code)
),

-- the findings of the load that brought the row (the join of int_current_rows' dq_flags), each
-- judged: does it leave the reading of the figures against the target open?
row_findings as (
    select
        evidence.reporting_unit,
        evidence.period_end,
        evidence.indicator_code,
        findings.check_name,
        findings.message,
        checks.meaning_vi,
        -- the registry says whether a check blocks the decision (dq_checks.blocks_attainment, flows/core/checks.py)
        case
            when findings.severity = 'info' then false  -- a reading resolved with the evidence it names
            when checks.blocks_attainment = 'never' then false
            when checks.blocks_attainment = 'unless_pct_agrees' then not evidence.is_pct_confirmed
            when checks.blocks_attainment = 'unless_harmonised_pct_agrees'
                then not (evidence.is_pct_confirmed and len(evidence.harmonisation_rules) > 0)
            else true  -- 'always': every error, and any check, present or future, the registry does not exempt
        end as is_unresolved
    from evidence
    inner join findings
        on findings.load_id = evidence.load_id
        and findings.source_file = evidence.source_file
        and findings.source_sheet = evidence.source_sheet
        and findings.source_row = evidence.source_row
    inner join checks using (check_name)
),

unresolved as (
    select
        reporting_unit,
        indicator_code,
        period_end,
        list_sort(list_distinct(list(check_name))) as unresolved_checks,
        string_agg(check_name || ' (' || message || ')', '; ' order by check_name, message) as unresolved_text,
        -- what each check means, once each: the clerk's finding itself is in dq_issues.message_vi
        string_agg(distinct meaning_vi, '; ' order by meaning_vi) as unresolved_text_vi
    from row_findings
    where is_unresolved
    group by all
),

compared as (
    select
        evidence.*,
        unresolved.unresolved_checks,
        unresolved.unresolved_text,
        unresolved.unresolved_text_vi,
        units.name_vi as unit_vi,
        harmonised_target_low as target_low,
        harmonised_target_high as target_high,
        harmonised_actual as value,
        target_bar(direction, harmonised_target_low, harmonised_target_high) as bar,
        -- whether the source wrote the bound the result is compared with strictly ("Trên 70%": above
        -- 70): an at-least target for a higher-is-better indicator, an at-most one for lower-is-better
        coalesce(harmonised_target_strict, false) and case direction
            when 'higher_is_better' then target_kind = 'at_least'
            when 'lower_is_better' then target_kind = 'at_most'
            when 'within_range' then target_kind in ('at_least', 'at_most')
        end as bar_strict,
        case
            when result_verdict is not null and pct_verdict is not null and result_verdict <> pct_verdict then 'hedged'
            else coalesce(result_verdict, pct_verdict)
        end as verdict
    from evidence
    left join unresolved
        on unresolved.reporting_unit = evidence.reporting_unit and unresolved.indicator_code = evidence.indicator_code
        and unresolved.period_end is not distinct from evidence.period_end
    left join units on units.unit = evidence.harmonised_unit
),

decided as (
    select
        *,
        -- a value exactly on a strict bound is not met on the letter here; the source's verdict decides it (status)
        meets_target(value, target_low, target_high, bar, direction, bar_strict) as figures_met,
        on_strict_bound(value, target_low, target_high, bar, bar_strict) as is_on_strict_bound,
        source_counts_reached(reported_pct, coalesce(result_verdict, pct_verdict)) as source_reached
    from compared
),

judged as (
    select
        source_district as district,
        reporting_unit,
        indicator_code,
        source_file,
        source_sheet,
        source_row,
        direction,
        harmonised_unit as unit,
        unit_vi,
        -- the figures as the sheet writes them, beside the harmonised ones a reader is shown
        actual_value as value_reported,
        target_low_reported,
        target_high_reported,
        unit_raw as unit_reported,
        harmonisation_rules,
        harmonisation_notes,
        harmonisation_notes_vi,
        is_changed,
        is_unit_unreadable,
        -- the base only where the figures are a count of those units (a share's base is in harmonised_results)
        case when is_unit_count then count_base end as count_base,
        case when is_unit_count then count_base_label end as count_base_label,
        value,
        target_low,
        target_high,
        case
            when reported_pct is not null and (is_pct_confirmed or value is null) then reported_pct
            else harmonised_computed_pct
        end as attainment_pct,
        case
            when unresolved_checks is not null or is_unit_mix then 'undetermined'
            when value is null and verdict in ('met', 'not_met') then verdict
            when figures_met is null then 'undetermined'
            when is_on_strict_bound then case when source_reached then 'met' else 'not_met' end
            when pct_verdict in ('met', 'not_met') and pct_verdict <> (case when figures_met then 'met' else 'not_met' end)
                then 'undetermined'
            when figures_met then 'met'
            else 'not_met'
        end as status,
        case
            -- the target and the result are in units no rule converts: never compared as if one
            when is_unit_mix then unit_refusal || coalesce('; a person must also check: ' || unresolved_text, '')
            -- both readings, so a person sees the conflict the row is undetermined for
            when unresolved_checks is not null then 'the source contradicts itself or a figure is in doubt; a person must check: '
                || unresolved_text
                || case when coalesce(reported_pct, harmonised_computed_pct) is not null then ' (readings: '
                    || array_to_string(list_filter([
                        'reported ' || figure_text(reported_pct) || ' %',
                        'computed ' || figure_text(round(harmonised_computed_pct, 1)) || ' % from the figures'
                    ], lambda t: t is not null), ', ') || ')' else '' end
            when value is null and verdict in ('met', 'not_met') then 'qualitative result: '
                || coalesce(actual_text, reported_pct_raw) || ' against a target of ' || coalesce(target_raw, 'none stated')
            when value is null and verdict = 'hedged' then 'qualitative result ''' || coalesce(actual_text, reported_pct_raw)
                || ''' neither says the target was met nor that it was not'
            when value is null and actual_text is not null then 'qualitative result ''' || actual_text
                || ''' is not a verdict on the target ' || coalesce(target_raw, '')
            when value is null then 'no result figure to compare with the target'
            when figures_met is null then 'the target ''' || coalesce(target_raw, '') || ''' has no figure to compare '
                || figure_text(value) || ' with'
            when is_on_strict_bound then strict_bound_text(
                count_text(value, case when is_unit_count then count_base end, count_base_label),
                target_text(target_low, target_high, bar, direction, bar_strict), source_reached,
                coalesce(figure_text(reported_pct) || ' %', '''' || coalesce(actual_text, reported_pct_raw) || ''''))
            when pct_verdict in ('met', 'not_met') and pct_verdict <> (case when figures_met then 'met' else 'not_met' end)
                then 'the figures and the verdict ''' || reported_pct_raw || ''' disagree'
            else count_text(value, case when is_unit_count then count_base end, count_base_label) || ' against a target of '
                || target_text(target_low, target_high, bar, direction, bar_strict)
                || case when target_low <> target_high and direction <> 'within_range'
                    then ' (the range ' || figure_text(target_low) || '-' || figure_text(target_high) || ')' else '' end
        end as status_reason,
        -- the same cases, in the catalogue's Vietnamese
        case
            when is_unit_mix then coalesce(fill(fill(say['reason.also_check'], 'text', say['reason.unit_mix']),
                                                'checks', unresolved_text_vi), say['reason.unit_mix'])
            when unresolved_checks is not null and coalesce(reported_pct, harmonised_computed_pct) is not null then fill(fill(
                say['reason.readings'], 'text', fill(say['reason.in_doubt'], 'checks', unresolved_text_vi)),
                'readings', array_to_string(list_filter([
                    fill(say['reason.reading.reported'], 'pct', figure_text_vi(reported_pct)),
                    -- NULL (left out) when nothing was computed: fill() of a NULL value would leave the sentence bare
                    case when harmonised_computed_pct is not null then
                        fill(say['reason.reading.computed'], 'pct', figure_text_vi(round(harmonised_computed_pct, 1))) end
                ], lambda t: t is not null), '; '))
            when unresolved_checks is not null then fill(say['reason.in_doubt'], 'checks', unresolved_text_vi)
            when value is null and verdict in ('met', 'not_met') then fill(fill(say['reason.qualitative'],
                'result', coalesce(actual_text, reported_pct_raw)), 'target', coalesce(target_raw, say['reason.none_stated']))
            when value is null and verdict = 'hedged'
                then fill(say['reason.hedged'], 'result', coalesce(actual_text, reported_pct_raw))
            when value is null and actual_text is not null
                then fill(fill(say['reason.not_a_verdict'], 'result', actual_text), 'target', coalesce(target_raw, ''))
            when value is null then say['reason.no_result']
            when figures_met is null then fill(fill(say['reason.target_without_figure'], 'target', coalesce(target_raw, '')),
                'value', figure_unit_vi(value, unit_vi))
            when is_on_strict_bound then fill(fill(fill(say[case
                    when source_reached then 'reason.strict.reached'
                    when not source_reached then 'reason.strict.not_reached'
                    else 'reason.strict.no_verdict' end],
                'value', count_text_vi(say, value, case when is_unit_count then count_base end, unit_vi)),
                'bound', target_text_vi(say, target_low, target_high, bar, direction, bar_strict, unit_vi)),
                'evidence', coalesce(figure_text_vi(reported_pct) || ' %', '“' || coalesce(actual_text, reported_pct_raw) || '”'))
            when pct_verdict in ('met', 'not_met') and pct_verdict <> (case when figures_met then 'met' else 'not_met' end)
                then fill(say['reason.verdict_disagrees'], 'verdict', reported_pct_raw)
            when target_low <> target_high and direction <> 'within_range' then fill(fill(fill(say['reason.range'],
                'text', fill(fill(say['reason.compared'],
                    'value', count_text_vi(say, value, case when is_unit_count then count_base end, unit_vi)),
                    'target', target_text_vi(say, target_low, target_high, bar, direction, bar_strict, unit_vi))),
                'low', figure_text_vi(target_low)), 'high', figure_unit_vi(target_high, unit_vi))
            else fill(fill(say['reason.compared'],
                    'value', count_text_vi(say, value, case when is_unit_count then count_base end, unit_vi)),
                    'target', target_text_vi(say, target_low, target_high, bar, direction, bar_strict, unit_vi))
        end as status_reason_vi,
        shortfall_pct(value, target_low, target_high, bar, direction) as shortfall_pct,
        unresolved_checks,
        period_end,
        is_estimate,
        bar_strict as target_strict
    from decided
    cross join vi
),

-- an undetermined row publishes no percentage: a figure the source contradicts, or one nothing
-- decides, must not read as a decided one (status_reason names the readings instead)
final as (
    select
        * exclude (say) replace (
            case when status <> 'undetermined' then attainment_pct end as attainment_pct,
            case when status <> 'undetermined' then shortfall_pct end as shortfall_pct,
            -- where harmonisation changed a figure, the reason quotes the sheet's own, so that the
            -- figure compared is never read as the figure reported ("95 %" of communes, "44" houses in five years)
            status_reason || case
                when is_changed and value_reported is not null then
                    '; the sheet writes ' || figure_text(value_reported) || coalesce(' ' || unit_reported, '')
                    || coalesce(' against a target of ' || target_text(target_low_reported, target_high_reported,
                        target_bar(direction, target_low_reported, target_high_reported),
                        direction, target_strict) || coalesce(' ' || unit_reported, ''), '')
                    || ' (' || array_to_string(harmonisation_notes || harmonisation_rules, '; ') || ')'
                when is_unit_unreadable then '; ' || array_to_string(harmonisation_notes, '; ')
                else '' end as status_reason,
            -- the same in Vietnamese, with the same notes (harmonisation_notes_vi) and each rule in words
            case
                when is_changed and value_reported is not null then fill(fill(say['reason.how_harmonised'],
                    'text', fill(fill(fill(say['reason.as_reported'],
                        'text', status_reason_vi), 'value', figure_text_vi(value_reported) || coalesce(' ' || unit_reported, '')),
                        'target', coalesce(target_text_vi(say, target_low_reported, target_high_reported,
                            target_bar(direction, target_low_reported, target_high_reported),
                            direction, target_strict, unit_reported), say['reason.none_stated']))),
                    'notes', array_to_string(harmonisation_notes_vi || list_transform(harmonisation_rules,
                        lambda rule: coalesce(say['caveat.rule.' || rule], say['caveat.rule.other'])), '; '))
                when is_unit_unreadable then status_reason_vi || '; ' || array_to_string(harmonisation_notes_vi, '; ')
                else status_reason_vi end as status_reason_vi
        )
    from judged
    cross join vi
)

select * from final
