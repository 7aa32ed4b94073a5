-- grain: one row per source file: the latest load that looked at it, loaded or rejected
with load_files as (
    select * from stg_load_files
),

latest as (
    select source_file, max(load_id) as load_id
    from load_files
    group by source_file
),

final as (
    select load_files.*
    from load_files
    inner join latest using (source_file, load_id)
)

select * from final
