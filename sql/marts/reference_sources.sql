-- The sources the reference files cite, line by line, as written at the top of each file.
-- grain: one source line of a reference file
-- unique: file, line_number
-- not_null: text
-- column file: reference file name (schemas/reference/)
-- column line_number: line in the file
-- column text: the source line
with sources as (
    select * from ref_reference_sources
),

final as (
    select file, line_number, text from sources
)

select * from final
order by file, line_number
