-- What happened to each workbook in each load: the on-call view of changes.
-- grain: one row per file event per load (unchanged files write no event)
-- unique: load_id, source_file
-- not_null: change
-- references: load_id -> load_runs.load_id
-- column load_id: the load (view load_runs)
-- column source_district: former district folder of the file
-- column source_file: file path under raw/
-- column change: new (loaded, and no earlier version of the file was: a file whose earlier versions were all rejected never had figures, so its first loaded version is new), updated (loaded again after an earlier loaded version: a resubmission; the load summary uses this same definition), rejected (for its content), pending (could not be read this time; the next run tries again), missing (left the raw folder), restored (back as last read, after it was missing or pending) withdrawn (by haquang withdraw) or ignored (an entry of the raw folder that is not read: a hidden file or folder, Excel's lock file, a system file; named once, with a file_ignored finding) or gone (such an entry, or a file that never brought a figure (rejected, pending), left the raw folder: its findings close)
-- column rows_loaded: rows the event loaded
-- column sha256: content hash of the file as read
-- column size_bytes: file size as read
-- column modified_at: file modification time as read
with events as (
    select * from stg_load_files
),

final as (
    select
        load_id,
        source_district,
        source_file,
        case
            when action = 'loaded' and count(*) filter (where action = 'loaded') over (
                partition by source_file order by load_id rows between unbounded preceding and 1 preceding) > 0
                then 'updated'
            when action = 'loaded' then 'new'
            else action
        end as change,
        rows_loaded,
        sha256,
        size_bytes,
        modified_at
    from events
)

select * from final
order by load_id, source_file
