-- grain: one row per former district and candidate weight: every figure of a weight kind (area,
-- population) the reference states for the district, and every one derivable from it (the merged
-- district's figure of a year minus the other former districts' stated figures of the same kind
-- and year). Which candidate weights a figure depends on that figure's period, so the choice is
-- made where the periods are known (int_indicator_weights), not here.
-- unique: source_district, weight, figure, reference_year, basis
-- not_null: source_district, weight, figure, value, basis, source, description
-- references: source_district -> stg_districts.source_district
with figures as (
    select * from stg_district_figures
),

districts as (
    select * from stg_districts
),

-- a figure is of kind K when it is K or a variant of K (population_2025_successors is a population):
-- a new variant in district_figures.csv is a candidate without a code change
kinds (weight) as (
    values ('area'), ('population')
),

typed as (
    select kinds.weight, figures.*
    from figures
    inner join kinds on figures.figure = kinds.weight or starts_with(figures.figure, kinds.weight || '_')
),

stated as (
    select
        districts.source_district,
        typed.weight,
        typed.figure,
        typed.value,
        typed.unit,
        typed.reference_year,
        'stated' as basis,
        typed.source
    from typed
    inner join districts on districts.gso_code = typed.district_code
    where typed.entity = 'former'
),

-- The merged district is the former districts together, so a former district's figure of a year
-- is the merged one less the others' of the same year, when each of the others states it. Only
-- dated figures: two undated ones need not refer to the same moment.
derived as (
    select
        districts.source_district,
        merged.weight,
        merged.figure,
        merged.value - sum(others.value) as value,
        merged.unit,
        merged.reference_year,
        'derived' as basis,
        'merged district''s ' || merged.reference_year || ' ' || merged.figure || ' (' || merged.source || ') minus '
            || string_agg(others.source_district || '''s ' || merged.reference_year || ' ' || merged.figure
                          || ' (' || others.source || ')', ', ' order by others.source_district) as source
    from typed as merged
    cross join districts
    inner join stated as others
        on others.figure = merged.figure
        and others.reference_year = merged.reference_year
        and others.unit = merged.unit
        and others.source_district <> districts.source_district
    where merged.entity = 'merged' and merged.reference_year is not null
    group by districts.source_district, merged.weight, merged.figure, merged.value, merged.unit,
        merged.reference_year, merged.source
    having count(distinct others.source_district) = (select count(*) - 1 from districts)
),

candidates as (
    select * from stated
    union all
    -- a figure the reference states for the district wins over one derived for the same year
    select * from derived
    where not exists (
        select 1 from stated
        where stated.source_district = derived.source_district and stated.figure = derived.figure
            and stated.reference_year = derived.reference_year
    )
),

final as (
    select
        *,
        -- how the merged view's caveat names the weight
        figure || ' ' || coalesce(reference_year::varchar, 'year not stated (ranked after any dated figure)')
            || ' (' || case when basis = 'derived' then 'derived: ' else '' end || source || ')' as description
    from candidates
)

select * from final
