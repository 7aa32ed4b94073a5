-- grain: one row per source file: the latest load that loaded it (a later rejected
-- resubmission does not erase the figures an earlier load published)
with load_files as (
    select * from stg_load_files
),

loaded as (
    select source_file, max(load_id) as load_id
    from load_files
    where loaded
    group by source_file
),

final as (
    select load_files.*
    from load_files
    inner join loaded using (source_file, load_id)
)

select * from final
