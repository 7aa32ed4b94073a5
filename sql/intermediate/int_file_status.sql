-- grain: one row per source file ever seen: its latest event, and the latest load that read it
-- unique: source_file
-- not_null: source_file, last_action, last_event_load_id
with events as (
    select * from stg_load_files
),

final as (
    select
        source_file,
        arg_max(source_district, load_id) as source_district,
        arg_max(action, load_id) as last_action,
        max(load_id) as last_event_load_id,
        max(load_id) filter (where action in ('loaded', 'rejected')) as last_read_load_id,
        arg_max(modified_at, load_id) filter (where action in ('loaded', 'rejected')) as modified_at
    from events
    group by source_file
)

select * from final
