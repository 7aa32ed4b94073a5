-- materialized: table
-- grain: one row per current indicator row mapped to a catalogue indicator, with its figures in
-- the indicator's canonical unit and period basis, and the rules that changed them.
-- Order of rules: a plausibility fix (‰ typed as %, where the row's own percentage settles it), then the unit conversion, then the period
-- basis (a five-year total against a yearly target becomes a yearly average).
-- Counts are never fractional. A percentage of units (rounded as printed) becomes the one whole count
-- consistent with it (100 % of 11 -> 11; 91 % of 11 -> 10, as 10/11 = 90.9 %); a target bound becomes
-- the whole count that meets it (at least 95 % of 11 = 10.45 -> at least 11; a bound the direction must reach rounds
-- up, one it may not pass rounds down), explained in harmonisation_notes (harmonisation_notes_vi: the same notes in the catalogue's
-- Vietnamese, schemas/messages.csv harmonisation.*). When no whole count (or more than one) agrees with the
-- result, or no whole count lies within the target, the conversion is refused: the row keeps its
-- reported unit and figures (harmonised_unit), unit_refusal says why, and it is never summed.
-- Each figure has its own unit: the one its cell writes ("90%" in a row whose unit column says xã),
-- else the row's. Both are brought to one unit by the rules above; two units that do not convert
-- (schools against communes) are refused as units_not_convertible and never compared. A row whose
-- own figures count units keeps counting them when the indicator is a share of those units
-- (counts_kept_as_counts: "01 xã" is 1 of 10 rural communes, not a fractional 10 %), with the share in
-- its note; a share of units is a count only where the indicator counts them.
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

count_bases as (
    select * from int_count_bases
),

units as (
    select * from stg_units
),

-- the catalogue's Vietnamese sentences by message id, for harmonisation_notes_vi
vi as (
    select map_from_entries(list({'k': message_id, 'v': vi})) as say from stg_messages
),

-- each figure's own unit: the one written in its cell ("90%", "02 xã"), else the row's
read_units as (
    select
        rows.*,
        indicators.unit as canonical_unit,
        indicators.target_basis,
        indicators.aggregation,
        indicators.direction,
        count_bases.count_base,
        count_bases.count_base_label,
        coalesce(rows.target_unit, rows.unit) as target_unit_read,
        coalesce(rows.actual_unit, rows.unit) as actual_unit_read
    from rows
    inner join indicators using (indicator_code)
    left join count_bases using (source_file, source_sheet, source_row)
),

-- the one unit the row's figures are brought to. A count stays a count: where a figure of the row
-- counts units and the indicator is a share of those units, the row is read in counts against its
-- base (a share would make "01 xã" a fractional 10 %); otherwise the indicator's canonical unit.
goals as (
    select
        read_units.*,
        case
            when canonical.counts_level is not null then read_units.canonical_unit
            when target_share.rule = 'count_to_percent_of_communes' then read_units.target_unit_read
            when actual_share.rule = 'count_to_percent_of_communes' then read_units.actual_unit_read
            else read_units.canonical_unit
        end as goal_unit
    from read_units
    left join units as canonical on canonical.unit = read_units.canonical_unit
    left join conversions as target_share
        on target_share.from_unit = read_units.target_unit_read and target_share.to_unit = read_units.canonical_unit
    left join conversions as actual_share
        on actual_share.from_unit = read_units.actual_unit_read and actual_share.to_unit = read_units.canonical_unit
),

figure_rules as (
    select
        goals.*,
        goal.counts_level is not null as is_goal_count,
        case
            when goals.target_unit_read is not distinct from goals.goal_unit then null
            when goals.target_unit_read is null and goals.unit_raw is not null then 'unit_unreadable'
            when goals.target_unit_read is null then null
            when target_conversion.rule is null then 'no_conversion_known'
            else target_conversion.rule
        end as target_rule,
        case
            when goals.actual_unit_read is not distinct from goals.goal_unit then null
            when goals.actual_unit_read is null and goals.unit_raw is not null then 'unit_unreadable'
            when goals.actual_unit_read is null then null
            when actual_conversion.rule is null then 'no_conversion_known'
            else actual_conversion.rule
        end as actual_rule,
        target_conversion.factor as target_conversion_factor,
        actual_conversion.factor as actual_conversion_factor
    from goals
    left join units as goal on goal.unit = goals.goal_unit
    left join conversions as target_conversion
        on target_conversion.from_unit = goals.target_unit_read and target_conversion.to_unit = goals.goal_unit
    left join conversions as actual_conversion
        on actual_conversion.from_unit = goals.actual_unit_read and actual_conversion.to_unit = goals.goal_unit
),

unit_steps as (
    select
        *,
        case
            when target_rule is null or target_rule = 'unit_unreadable' then 1.0
            when target_rule = 'percent_of_communes_to_count' then count_base / 100.0
            when target_rule = 'count_to_percent_of_communes' then 100.0 / count_base
            else target_conversion_factor
        end as target_factor,
        case
            when actual_rule is null or actual_rule = 'unit_unreadable' then 1.0
            when actual_rule = 'percent_of_communes_to_count' then count_base / 100.0
            when actual_rule = 'count_to_percent_of_communes' then 100.0 / count_base
            else actual_conversion_factor
        end as actual_factor,
        -- a unit cell the catalogue cannot read ("0") says something, just not which unit: the figures
        -- keep no unit rather than the catalogue's (invalid_unit asks the clerk); a blank cell says
        -- nothing, and the indicator's unit is taken, in a note
        'unit_unreadable' in (coalesce(target_rule, ''), coalesce(actual_rule, '')) as is_unit_unreadable,
        target_unit_read is null and actual_unit_read is null and unit_raw is null as is_unit_blank,
        -- one factor for the row where both figures share it (int_successor_figures: NULL when a figure has no conversion)
        case
            when target_rule = 'no_conversion_known' or actual_rule = 'no_conversion_known' then null
            when actual_rule is null or actual_rule = 'unit_unreadable' then 1.0
            when actual_rule = 'percent_of_communes_to_count' then count_base / 100.0
            when actual_rule = 'count_to_percent_of_communes' then 100.0 / count_base
            else actual_conversion_factor
        end as unit_factor,
        -- the figures' two units convert to no one unit: never compared, never mixed
        target_unit_read is distinct from actual_unit_read and target_unit_read is not null
            and actual_unit_read is not null and 'no_conversion_known' in (target_rule, actual_rule) as is_unit_mix,
        case
            when target_rule is not distinct from actual_rule or actual_rule is null then target_rule
            when target_rule is null then actual_rule
        end as unit_rule
    from figure_rules
),

period_steps as (
    select
        *,
        target_basis = 'per_year' and pct_basis = 'plan_total' as is_plan_total,
        -- the loader suspects a slip (scale_fix_*: "9,2" growth is ‰ typed as %); the figure a reader
        -- sees is changed only where the sheet settles it: its own percentage of target agrees with the
        -- scaled figure (92 % beside 9,2 against 1 %). With 920 % beside it, or none, it stays as written
        -- and implausible_value asks the clerk.
        case when coalesce(pct_agrees(actual_value * scale_fix_factor, target_low, target_high, reported_pct), false)
            then scale_fix_factor end as settled_fix_factor,
        case when coalesce(pct_agrees(actual_value * scale_fix_factor, target_low, target_high, reported_pct), false)
            then scale_fix_rule end as settled_fix_rule
    from unit_steps
),

converted as (
    select
        *,
        target_low * target_factor as converted_target_low,
        target_high * target_factor as converted_target_high,
        actual_value * coalesce(settled_fix_factor, 1.0) * actual_factor
            / case when is_plan_total then plan_years else 1 end as converted_actual
    from period_steps
),

-- a percentage of units to a count: the whole counts a printed (rounded) percentage allows (macro
-- whole_counts_of_share), and the whole bounds of the target (a bound the direction must reach
-- rounds up, one it may not pass rounds down; 9 decimals absorb binary noise such as 11 × 0.95)
whole_counts as (
    select
        *,
        coalesce(actual_rule = 'percent_of_communes_to_count', false) as is_share_to_count,
        coalesce(target_rule = 'percent_of_communes_to_count', false) as is_target_share_to_count,
        actual_value * coalesce(settled_fix_factor, 1.0) as share_pct,
        case when actual_rule = 'percent_of_communes_to_count'
            then whole_counts_of_share(actual_value * coalesce(settled_fix_factor, 1.0), count_base) end as fitting_counts,
        case when direction = 'lower_is_better' then floor(round(converted_target_low, 9))
            else ceil(round(converted_target_low, 9)) end as whole_target_low,
        case when direction = 'higher_is_better' then ceil(round(converted_target_high, 9))
            else floor(round(converted_target_high, 9)) end as whole_target_high
    from converted
),

-- the units a note names, as a Vietnamese reader writes them (a count's base by its unit: "11 xã")
named as (
    select
        whole_counts.*,
        vi.say,
        canonical_name.name_vi as canonical_unit_vi,
        goal_name.name_vi as goal_unit_vi,
        coalesce(target_name.name_vi, whole_counts.target_unit_read) as target_unit_read_vi,
        coalesce(actual_name.name_vi, whole_counts.actual_unit_read) as actual_unit_read_vi
    from whole_counts
    cross join vi
    left join units as canonical_name on canonical_name.unit = whole_counts.canonical_unit
    left join units as goal_name on goal_name.unit = whole_counts.goal_unit
    left join units as target_name on target_name.unit = whole_counts.target_unit_read
    left join units as actual_name on actual_name.unit = whole_counts.actual_unit_read
),

refusals as (
    select
        *,
        case
            when is_unit_mix then 'the target is in ' || target_unit_read || ' and the result in ' || actual_unit_read
                || ', which convert to no one unit, so they are not compared'
            when not (is_share_to_count or is_target_share_to_count) then null
            when count_base is null then 'a share of ' || coalesce(count_base_label, 'units')
                || ' cannot become a count without its base, so it is kept as a percentage'
            when actual_value is not null and len(fitting_counts) = 0 then
                figure_text(share_pct) || ' % of ' || count_base || ' ' || count_base_label
                || ' is no whole number of them (' || figure_text(floor(count_base * share_pct / 100.0)) || ' is '
                || figure_text(round(floor(count_base * share_pct / 100.0) / count_base * 100.0, 1)) || ' %, '
                || figure_text(ceil(count_base * share_pct / 100.0)) || ' is '
                || figure_text(round(ceil(count_base * share_pct / 100.0) / count_base * 100.0, 1))
                || ' %), so it is kept as a percentage'
            when actual_value is not null and len(fitting_counts) > 1 then
                figure_text(share_pct) || ' % of ' || count_base || ' ' || count_base_label
                || ' fits ' || fitting_counts[1] || ' to ' || fitting_counts[-1]
                || ' of them, so it is kept as a percentage'
            when is_target_share_to_count and whole_target_low > whole_target_high then
                'a target of ' || figure_text(target_low) || ' % of ' || count_base || ' ' || count_base_label
                || ' (' || figure_text(converted_target_low) || ') holds no whole number of them, so it is kept as a percentage'
        end as unit_refusal,
        -- the same refusal in the catalogue's Vietnamese, case for case
        case
            when is_unit_mix then fill(fill(say['harmonisation.note.units_not_convertible'],
                'target_unit', target_unit_read_vi), 'actual_unit', actual_unit_read_vi)
            when not (is_share_to_count or is_target_share_to_count) then null
            when count_base is null then fill(say['harmonisation.note.share_without_base'], 'unit', goal_unit_vi)
            when actual_value is not null and len(fitting_counts) = 0 then
                fill(fill(fill(fill(fill(fill(fill(say['harmonisation.note.share_not_whole'],
                    'pct', figure_text_vi(share_pct)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'lower', figure_text_vi(floor(count_base * share_pct / 100.0))),
                    'lower_pct', figure_text_vi(round(floor(count_base * share_pct / 100.0) / count_base * 100.0, 1))),
                    'upper', figure_text_vi(ceil(count_base * share_pct / 100.0))),
                    'upper_pct', figure_text_vi(round(ceil(count_base * share_pct / 100.0) / count_base * 100.0, 1)))
            when actual_value is not null and len(fitting_counts) > 1 then
                fill(fill(fill(fill(fill(say['harmonisation.note.share_fits_many'],
                    'pct', figure_text_vi(share_pct)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'first', figure_text_vi(fitting_counts[1])), 'last', figure_text_vi(fitting_counts[-1]))
            when is_target_share_to_count and whole_target_low > whole_target_high then
                fill(fill(fill(fill(say['harmonisation.note.target_not_whole'],
                    'pct', figure_text_vi(target_low)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'value', figure_text_vi(converted_target_low))
        end as unit_refusal_vi
    from named
),

harmonised as (
    select
        *,
        case
            when unit_refusal is not null then unit
            when is_unit_unreadable then null
            else goal_unit
        end as harmonised_unit,
        -- a strict bound stays strict through a factor; made a whole count it is rounded to the first
        -- whole count past it (above 10.45 communes: at least 11), unless it was whole already (above 5)
        target_strict and not (unit_refusal is null and is_target_share_to_count and case target_kind
            when 'at_least' then converted_target_low <> whole_target_low
            when 'at_most' then converted_target_high <> whole_target_high end) as harmonised_target_strict,
        -- the harmonised figures are a count of administrative units, to be read against count_base
        is_goal_count and unit_refusal is null and not is_unit_unreadable as is_unit_count,
        case
            when unit_refusal is not null then target_low
            when is_target_share_to_count then whole_target_low
            else converted_target_low
        end as harmonised_target_low,
        case
            when unit_refusal is not null then target_high
            when is_target_share_to_count then whole_target_high
            else converted_target_high
        end as harmonised_target_high,
        case
            when unit_refusal is not null then actual_value
            when is_share_to_count and actual_value is not null then fitting_counts[1]
            else converted_actual
        end as harmonised_actual,
        -- every case in its place, NULL where it does not apply (a NULL in the text leaves the English case out
        -- too: no unit written for an indicator of no unit), so that the Vietnamese keeps the same cases (final)
        [
            case when unit_refusal is not null then unit_refusal end,
            case when is_unit_unreadable then 'the unit cell says ''' || unit_raw || ''', which is no unit: the figures keep no unit (the indicator''s '
                || canonical_unit || ' is not assumed)' end,
            case when is_unit_blank then 'no unit written: the indicator''s unit (' || canonical_unit || ') is taken' end,
            case when scale_fix_rule is not null and settled_fix_rule is null then figure_text(actual_value)
                || ' may be mistyped (' || scale_fix_rule || ': ' || figure_text(actual_value * scale_fix_factor)
                || '); kept as written, as '
                || coalesce('the sheet''s own ' || figure_text(reported_pct) || ' % of target reads it so',
                            'no percentage of target settles it') end,
            case when is_plan_total and actual_value is not null then 'result ' || figure_text(actual_value)
                || ' over the ' || plan_years || ' years of the plan = ' || figure_text(converted_actual) || ' a year' end,
            case when unit_refusal is null and is_share_to_count and actual_value is not null then
                'result ' || figure_text(share_pct) || ' % of ' || count_base || ' ' || count_base_label
                || ' = ' || fitting_counts[1] || ' (' || figure_text(round(fitting_counts[1] / count_base * 100.0, 1))
                || ' %)' end,
            case when unit_refusal is null and is_goal_count and goal_unit is distinct from canonical_unit then
                'kept as a count of ' || coalesce(count_base::varchar || ' ', '') || count_base_label
                || ', as the row counts them' || coalesce(' (' || figure_text(converted_actual) || ' of ' || count_base
                || ' is ' || figure_text(round(converted_actual / count_base * 100.0, 1)) || ' %)', '') end,
            case when unit_refusal is null and is_target_share_to_count and converted_target_low <> whole_target_low then
                'target ' || figure_text(target_low) || ' % of ' || count_base || ' ' || count_base_label || ' = '
                || figure_text(converted_target_low) || ', so '
                || case when whole_target_low > converted_target_low then 'at least ' else 'at most ' end
                || figure_text(whole_target_low) end,
            case when unit_refusal is null and is_target_share_to_count and converted_target_high <> whole_target_high
                and target_high <> target_low then
                'upper target ' || figure_text(target_high) || ' % of ' || count_base || ' ' || count_base_label || ' = '
                || figure_text(converted_target_high) || ', so ' || figure_text(whole_target_high) end
        ] as notes_en_cases,
        -- the same notes in the catalogue's Vietnamese, case for case and in the same order: figures as
        -- figure_text_vi writes them (10,45), units by their Vietnamese names, a count's base by its unit (11 xã)
        [
            unit_refusal_vi,
            case when is_unit_unreadable then fill(fill(say['harmonisation.note.unit_unreadable'],
                'unit', unit_raw), 'canonical', canonical_unit_vi) end,
            case when is_unit_blank then fill(say['harmonisation.note.unit_blank'], 'unit', canonical_unit_vi) end,
            case when scale_fix_rule is not null and settled_fix_rule is null then
                fill(fill(fill(fill(say['harmonisation.note.may_be_mistyped'], 'value', figure_text_vi(actual_value)),
                    'fix', coalesce(say['harmonisation.fix.' || scale_fix_rule], say['harmonisation.fix.other'])),
                    'scaled', figure_text_vi(actual_value * scale_fix_factor)),
                    'why', coalesce(fill(say['harmonisation.note.pct_reads_so'], 'pct', figure_text_vi(reported_pct)),
                                    say['harmonisation.note.no_pct_settles'])) end,
            case when is_plan_total and actual_value is not null then
                fill(fill(fill(say['harmonisation.note.plan_total'], 'value', figure_text_vi(actual_value)),
                    'years', figure_text_vi(plan_years)), 'per_year', figure_text_vi(converted_actual)) end,
            case when unit_refusal is null and is_share_to_count and actual_value is not null then
                fill(fill(fill(fill(fill(say['harmonisation.note.result_share'],
                    'pct', figure_text_vi(share_pct)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'count', figure_text_vi(fitting_counts[1])),
                    'count_pct', figure_text_vi(round(fitting_counts[1] / count_base * 100.0, 1))) end,
            case when unit_refusal is null and is_goal_count and goal_unit is distinct from canonical_unit then
                case when count_base is null then fill(say['harmonisation.note.kept_as_count'], 'unit', goal_unit_vi)
                    else fill(fill(say['harmonisation.note.kept_as_count_of_base'],
                        'base', figure_text_vi(count_base)), 'unit', goal_unit_vi) end
                || coalesce(' (' || fill(fill(fill(say['harmonisation.note.count_share'],
                    'value', figure_text_vi(converted_actual)), 'base', figure_text_vi(count_base)),
                    'pct', figure_text_vi(round(converted_actual / count_base * 100.0, 1))) || ')', '') end,
            case when unit_refusal is null and is_target_share_to_count and converted_target_low <> whole_target_low then
                fill(fill(fill(fill(fill(say[case when whole_target_low > converted_target_low
                        then 'harmonisation.note.target_at_least' else 'harmonisation.note.target_at_most' end],
                    'pct', figure_text_vi(target_low)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'value', figure_text_vi(converted_target_low)), 'whole', figure_text_vi(whole_target_low)) end,
            case when unit_refusal is null and is_target_share_to_count and converted_target_high <> whole_target_high
                and target_high <> target_low then
                fill(fill(fill(fill(fill(say['harmonisation.note.upper_target'],
                    'pct', figure_text_vi(target_high)), 'base', figure_text_vi(count_base)), 'unit', goal_unit_vi),
                    'value', figure_text_vi(converted_target_high)), 'whole', figure_text_vi(whole_target_high)) end
        ] as notes_vi_cases,
        list_filter(
            [settled_fix_rule,
             case when is_unit_mix then 'units_not_convertible'
                  when unit_refusal is not null then 'percent_of_communes_not_whole'
                  else unit_rule end,
             case when unit_refusal is null and unit_rule is null and target_rule is distinct from actual_rule
                  then coalesce(target_rule, actual_rule) end,
             case when unit_refusal is null and unit_rule is null and target_rule is not null and actual_rule is not null
                  then actual_rule end,
             case when unit_refusal is null and is_goal_count and goal_unit is distinct from canonical_unit
                  and not is_unit_unreadable then 'counts_kept_as_counts' end,
             case when is_plan_total then 'plan_total_to_per_year' end],
            -- an unreadable unit changes no figure: it is a note, not a rule
            lambda rule: rule is not null and rule <> 'unit_unreadable'
        ) as harmonisation_rules
    from refusals
),

final as (
    select
        * exclude (say, notes_en_cases, notes_vi_cases),
        list_filter(notes_en_cases, lambda note: note is not null) as harmonisation_notes,
        -- a Vietnamese note where the English one is said, one for one
        list_filter(notes_vi_cases, lambda note, i: notes_en_cases[i] is not null) as harmonisation_notes_vi,
        attainment_pct(harmonised_actual, harmonised_target_low, harmonised_target_high) as harmonised_computed_pct,
        harmonised_actual is distinct from actual_value
            or harmonised_target_low is distinct from target_low
            or harmonised_target_high is distinct from target_high as is_changed
    from harmonised
)

select * from final
