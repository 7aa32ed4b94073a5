-- grain: one row per boundary change and predecessor: the successor unit, and a unit whose reports it is built from
-- unique: change_code, predecessor
-- not_null: change_code, level, effective_date, cycle, successor, predecessor, predecessor_name_vi, predecessor_count
-- The changes of schemas/boundary_changes.csv, and the communes' changes of 2025-07-01 as the reference file
-- records them (each 2020-2025 commune and the 2025 commune it became: its successor_2025_code), so that a commune's
-- monthly reports (raw/<district>/<commune>/<YYYY-MM>/) are combined into its 2025 commune's by the same models.
with listed as (
    select * from ref_boundary_changes
),

districts as (
    select * from stg_districts
),

admin_units as (
    select * from stg_admin_units
),

communes_2025 as (
    select
        'communes_2025' as change_code,
        'commune' as level,
        date '2025-07-01' as effective_date,
        'period' as cycle,
        successor_2025_code as successor,
        successor_2025_code as successor_gso_code,
        successor_2025_name as successor_name_vi,
        successor_2025_name as successor_name_en,
        code as predecessor,
        name as predecessor_name_vi,
        name as predecessor_name_en,
        coalesce('Nghị quyết 1657/NQ-UBTVQH15, Điều 1 khoản ' || nq1657_clause, 'Nghị quyết 1657/NQ-UBTVQH15')
            as legal_basis
    from admin_units
    where period = '2020_2025' and level = 'commune' and successor_2025_code is not null
),

listed_named as (
    select
        listed.change_code,
        listed.level,
        cast(listed.effective_date as date) as effective_date,
        listed.cycle,
        listed.successor,
        nullif(listed.successor_gso_code, '') as successor_gso_code,
        listed.successor_name_vi,
        listed.successor_name_en,
        listed.predecessor,
        -- a district predecessor is named by districts.csv, a commune by the reference file
        coalesce(districts.name_vi, commune.name, listed.predecessor) as predecessor_name_vi,
        coalesce(districts.name_en, commune.name, listed.predecessor) as predecessor_name_en,
        nullif(listed.legal_basis, '') as legal_basis
    from listed
    left join districts on listed.level = 'district' and districts.source_district = listed.predecessor
    left join (select code, any_value(name) as name from admin_units where level = 'commune' group by code) as commune
        on listed.level = 'commune' and commune.code = listed.predecessor
),

unioned as (
    select * from listed_named
    union all by name
    -- a change written in the catalogue wins over the reference's for the same successor
    select * from communes_2025
    where successor not in (select successor from listed_named)
),

final as (
    select
        *,
        count(*) over (partition by change_code, successor) as predecessor_count
    from unioned
)

select * from final
