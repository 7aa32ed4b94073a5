-- grain: one row per boundary change, predecessor and candidate weight: every figure of a weight kind (area,
-- population) the reference states for the predecessor, and every one derivable for it (the successor's figure
-- of a year minus the other predecessors' stated figures of the same kind and year). Which candidate a figure
-- takes depends on that figure's period, so the choice is made where the periods are known
-- (int_predecessor_figures), not here.
-- unique: change_code, predecessor, weight, figure, reference_year, basis
-- not_null: change_code, predecessor, weight, figure, value, basis, source, description
with figures as (
    select * from stg_district_figures
),

changes as (
    select * from stg_boundary_changes
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

-- a predecessor's own figures: a district's by the GSO code districts.csv gives its raw/ folder
stated as (
    select
        changes.change_code,
        changes.predecessor,
        typed.weight,
        typed.figure,
        typed.value,
        typed.unit,
        typed.reference_year,
        'stated' as basis,
        typed.source
    from changes
    inner join districts on changes.level = 'district' and districts.source_district = changes.predecessor
    inner join typed on typed.district_code = districts.gso_code and typed.entity = 'former'
),

-- The successor is its predecessors together, so a predecessor's figure of a year is the successor's less
-- the others' of the same year, when each of the others states it. Only dated figures: two undated ones
-- need not refer to the same moment.
derived as (
    select
        changes.change_code,
        changes.predecessor,
        successor.weight,
        successor.figure,
        successor.value - sum(others.value) as value,
        successor.unit,
        successor.reference_year,
        'derived' as basis,
        changes.successor_name_en || '''s ' || successor.reference_year || ' ' || successor.figure
            || ' (' || successor.source || ') minus '
            || string_agg(others.predecessor || '''s ' || successor.reference_year || ' ' || successor.figure
                          || ' (' || others.source || ')', ', ' order by others.predecessor) as source
    from changes
    inner join typed as successor
        on successor.district_code = changes.successor_gso_code and successor.entity = 'successor'
    inner join stated as others
        on others.change_code = changes.change_code
        and others.predecessor <> changes.predecessor
        and others.figure = successor.figure
        and others.reference_year = successor.reference_year
        and others.unit = successor.unit
    where changes.level = 'district' and successor.reference_year is not null
    group by changes.change_code, changes.predecessor, changes.predecessor_count, changes.successor_name_en,
        successor.weight, successor.figure, successor.value, successor.unit, successor.reference_year, successor.source
    having count(distinct others.predecessor) = changes.predecessor_count - 1
),

candidates as (
    select * from stated
    union all
    -- a figure the reference states for the predecessor wins over one derived for the same year
    select * from derived
    where not exists (
        select 1 from stated
        where stated.change_code = derived.change_code and stated.predecessor = derived.predecessor
            and stated.figure = derived.figure and stated.reference_year = derived.reference_year
    )
),

final as (
    select
        *,
        -- how the caveats name the weight
        figure || ' ' || coalesce(reference_year::varchar, 'year not stated (ranked after any dated figure)')
            || ' (' || case when basis = 'derived' then 'derived: ' else '' end || source || ')' as description
    from candidates
)

select * from final
