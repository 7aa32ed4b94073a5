-- grain: one row per administrative unit and period (schemas/reference/cao_bang_admin_units.csv)
-- unique: period, level, code
-- not_null: period, level, code, name
with source as (
    select * from ref_admin_units
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
        nullif(code_2020_2025, '') as code_2020_2025,
        nullif(name_2020_2025, '') as name_2020_2025,
        nullif(successor_2025_code, '') as successor_2025_code,
        nullif(successor_2025_name, '') as successor_2025_name,
        nullif(successor_2025_relation, '') as successor_2025_relation,
        nullif(nq1657_clause, '') as nq1657_clause,
        try_cast(nullif(successor_2025_area_km2, '') as double) as successor_2025_area_km2,
        try_cast(nullif(successor_2025_population, '') as integer) as successor_2025_population,
        source
    from source
)

select * from final
