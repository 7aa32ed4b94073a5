-- grain: one row per administrative unit and period (schemas/reference/cao_bang_admin_units.csv)
-- unique: period, level, code
-- not_null: period, level, code, name
-- The free-text event_2020 is read here, by the phrasings the reference uses, into where a
-- commune whose code was retired in 2020 went and on what basis; commune_crosswalk resolves that
-- destination to a commune of the merged district. The phrasings (one per kind of statement):
--   "merged into X per <source>"                      destination named X, stated by <source>
--   "merged into X (NNNNN) ..."                        destination code NNNNN
--   "name [X] continues [as Y] under code NNNNN"        destination code NNNNN
--   "A (NNNNN, ex-B) = B+C"                            destination A, code NNNNN
--   "[inferred ...]"                                   the destination is an inference (else official)
--   "absorbing unit not recorded"                      no destination
-- A destination the reference does not record may be in schemas/unit_destinations.csv (with its
-- basis and evidence); that row is taken before the reference's wording.
with source as (
    select * from ref_admin_units
),

recorded as (
    select * from ref_unit_destinations
),

events as (
    select
        *,
        -- only a code retired in 2020 has a destination to read (a kept code's is itself)
        coalesce(code_2020_2025, '') = '' and coalesce(event_2020, '') <> ''
            and not regexp_matches(event_2020, 'not recorded') as names_a_destination,
        nullif(trim(coalesce(
            nullif(regexp_extract(event_2020, 'under code (\d{5})', 1), ''),
            nullif(regexp_extract(event_2020, '\((\d{5}), ex-[^)]*\)\s*=', 1), ''),
            regexp_extract(event_2020, 'merged into [^;(\[]*\((\d{5})\b', 1)
        )), '') as parsed_destination_code,
        nullif(trim(coalesce(
            nullif(regexp_extract(event_2020, 'merged into (.+?)(?: per |\s*[;(\[]|$)', 1), ''),
            nullif(regexp_extract(event_2020, 'continues as (.+?) under code', 1), ''),
            regexp_extract(event_2020, '(?:^|;)\s*([^;]+?)\s*\(\d{5}, ex-[^)]*\)\s*=', 1)
        )), '') as parsed_destination_name
    from source
),

final as (
    select
        period,
        level,
        code,
        name,
        type as unit_type,
        nullif(parent_code, '') as parent_code,
        nullif(parent_name, '') as parent_name,
        try_cast(nullif(valid_from, '') as date) as valid_from,
        try_cast(nullif(valid_to, '') as date) as valid_to,
        nullif(event_2020, '') as event_2020,
        coalesce(recorded.destination_code,
                 case when names_a_destination then parsed_destination_code end) as event_destination_code,
        coalesce(recorded.destination_name,
                 case when names_a_destination then parsed_destination_name end) as event_destination_name,
        case
            when recorded.old_code is not null then recorded.basis
            when not names_a_destination or coalesce(parsed_destination_code, parsed_destination_name) is null then null
            -- the reference flags its own inferences in brackets ("[inferred from names]")
            when regexp_matches(event_2020, '\[inferred') then 'inferred'
            else 'official'
        end as event_destination_basis,
        case when recorded.old_code is not null
            then recorded.evidence || ' (schemas/unit_destinations.csv; ' || recorded.source || ')' end as event_destination_evidence,
        nullif(code_2020_2025, '') as code_2020_2025,
        nullif(name_2020_2025, '') as name_2020_2025,
        nullif(successor_2025_code, '') as successor_2025_code,
        nullif(successor_2025_name, '') as successor_2025_name,
        nullif(successor_2025_relation, '') as successor_2025_relation,
        nullif(nq1657_clause, '') as nq1657_clause,
        try_cast(nullif(successor_2025_area_km2, '') as double) as successor_2025_area_km2,
        try_cast(nullif(successor_2025_population, '') as integer) as successor_2025_population,
        events.source
    from events
    left join recorded on recorded.old_code = events.code and events.period = 'pre2020'
)

select * from final
