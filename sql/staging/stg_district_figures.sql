-- grain: one row per published figure of a district (schemas/reference/district_figures.csv)
-- unique: district_code, entity, figure, reference_year
-- not_null: district_code, entity, figure, value
with source as (
    select * from ref_district_figures
),

final as (
    select
        district_code,
        district_name,
        case when district_name like '%(mới)%' then 'successor' else 'former' end as entity,
        figure,
        try_cast(value as double) as value,
        unit,
        try_cast(nullif(reference_year, '') as integer) as reference_year,
        source
    from source
)

select * from final
