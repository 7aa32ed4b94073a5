-- grain: one row per former district whose workbooks are loaded (schemas/districts.csv)
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
