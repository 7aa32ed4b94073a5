-- grain: one row per former district and weight kind (area, population): the figure a weighted
-- mean uses. A kind takes the first figure that both former districts have, so the two weights
-- always come from the same kind of source.
-- unique: source_district, weight
-- not_null: source_district, weight, value
-- references: source_district -> stg_districts.source_district
with figures as (
    select * from stg_district_figures where entity = 'former'
),

districts as (
    select * from stg_districts
),

preferences (weight, figure, preference) as (
    values
        ('area', 'area', 1),
        ('area', 'area_2025_successors', 2),
        ('population', 'population', 1),
        ('population', 'population_2025_successors', 2)
),

available as (
    select preferences.weight, preferences.figure, preferences.preference
    from preferences
    inner join figures on figures.figure = preferences.figure
    inner join districts on districts.gso_code = figures.district_code
    group by all
    having count(distinct districts.source_district) = (select count(*) from districts)
),

chosen as (
    select weight, figure
    from available
    qualify row_number() over (partition by weight order by preference) = 1
),

final as (
    select
        districts.source_district,
        chosen.weight,
        chosen.figure,
        figures.value,
        figures.unit,
        figures.reference_year,
        figures.source
    from chosen
    inner join figures on figures.figure = chosen.figure
    inner join districts on districts.gso_code = figures.district_code
)

select * from final
