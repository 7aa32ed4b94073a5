-- grain: one row per former district whose workbooks are loaded (schemas/districts.csv)
-- unique: source_district
-- not_null: source_district, gso_code
with source as (
    select * from ref_districts
),

final as (
    select
        code as source_district,
        gso_code,
        name_vi,
        name_en
    from source
)

select * from final
