-- grain: one row per current mapped indicator row whose reported or catalogue unit counts administrative
-- units (schemas/units.csv counts_level): the base of that count, i.e. how many units of that level its
-- district had in the period the figures count, and the base's name ("pre-2020 communes").
-- The period rule comes from the reference's validity dates, never from a year written here: the
-- district is the unit of the district's GSO code that existed when the figures' period began (a plan's
-- years back from period_end); its units are counted as they stood at period_end, or on the district's
-- last day if it ended before (the former districts' 2015-2020 figures count their pre-2020 communes,
-- not the communes of the district that reused code 045 from 2020-02-01).
-- unique: source_file, source_sheet, source_row
-- An indicator may count only units of one reference type (schemas/indicators.csv counted_unit_type:
-- the new-rural criteria are for rural communes, "Xã", so a township is no part of their base).
-- not_null: source_file, source_sheet, source_row, counts_level, is_canonical_count, count_base_label
with rows as (
    select * from int_current_rows where indicator_code is not null
),

indicators as (
    select * from stg_indicators
),

units as (
    select * from stg_units
),

districts as (
    select * from stg_districts
),

admin_units as (
    select * from stg_admin_units
),

counted_rows as (
    select
        rows.source_file,
        rows.source_sheet,
        rows.source_row,
        rows.period_end,
        districts.gso_code,
        -- the catalogue unit when it counts, else the row's or a figure cell's own ("02 xã" beside a target of "20%")
        coalesce(canonical.counts_level, reported.counts_level, target_cell.counts_level, actual_cell.counts_level)
            as counts_level,
        coalesce(indicators.counted_noun, canonical.base_noun, reported.base_noun, target_cell.base_noun,
                 actual_cell.base_noun) as base_noun,
        indicators.counted_unit_type,
        canonical.counts_level is not null as is_canonical_count,
        -- the plan's first day; a figure of no known plan period counts the units of its own date
        case when rows.plan_years is null then rows.period_end
            else rows.period_end - to_years(rows.plan_years) + interval 1 day end as period_start
    from rows
    inner join indicators using (indicator_code)
    inner join districts using (source_district)
    left join units as canonical on canonical.unit = indicators.unit
    left join units as reported on reported.unit = rows.unit
    left join units as target_cell on target_cell.unit = rows.target_unit
    left join units as actual_cell on actual_cell.unit = rows.actual_unit
    where coalesce(canonical.counts_level, reported.counts_level, target_cell.counts_level, actual_cell.counts_level)
        is not null
),

with_district as (
    select
        counted_rows.*,
        least(counted_rows.period_end, district.valid_to) as base_date
    from counted_rows
    left join admin_units as district
        on district.level = 'district'
        and district.code = counted_rows.gso_code
        and (district.valid_from is null or district.valid_from <= counted_rows.period_start)
        and (district.valid_to is null or district.valid_to >= counted_rows.period_start)
),

counted as (
    select
        with_district.source_file,
        with_district.source_sheet,
        with_district.source_row,
        with_district.counts_level,
        with_district.base_noun,
        with_district.base_date,
        with_district.is_canonical_count,
        count(unit.code) as units,
        -- an open start (unknown) stays open in the label
        case when bool_or(unit.valid_from is null) then null else min(unit.valid_from) end as units_from,
        case when bool_or(unit.valid_to is null) then null else max(unit.valid_to) end as units_to
    from with_district
    left join admin_units as unit
        on unit.level = with_district.counts_level
        and unit.parent_code = with_district.gso_code
        and (with_district.counted_unit_type is null or unit.unit_type = with_district.counted_unit_type)
        and (unit.valid_from is null or unit.valid_from <= with_district.base_date)
        and (unit.valid_to is null or unit.valid_to >= with_district.base_date)
    group by all
),

final as (
    select
        source_file,
        source_sheet,
        source_row,
        counts_level,
        is_canonical_count,
        base_date,
        nullif(units, 0) as count_base,
        case
            when units = 0 then base_noun || ' (base unknown: the reference lists no ' || base_noun || ' of this district)'
            else concat_ws(' ', era_label(units_from, units_to), base_noun)
        end as count_base_label
    from counted
)

select * from final
