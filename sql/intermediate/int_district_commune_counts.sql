-- grain: one row per former district: how many communes it had before the 2020 merger
-- unique: source_district
-- not_null: source_district, communes
-- references: source_district -> stg_districts.source_district
with units as (
    select * from stg_admin_units
),

districts as (
    select * from stg_districts
),

final as (
    select
        districts.source_district,
        count(*) as communes
    from units
    inner join districts on districts.gso_code = units.parent_code
    where units.period = 'pre2020' and units.level = 'commune'
    group by all
)

select * from final
