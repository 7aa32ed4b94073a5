-- Run by Harlequin at start (`make shell`) on the warehouse, which it opens read-only.
-- Harlequin's data catalog lists relations and column types but not DuckDB's COMMENTs, where
-- every view and column of the warehouse says what it holds. The temporary view `comments`
-- puts them in one place, in memory (the warehouse file is not touched, and DuckDB lets a
-- read-only session create temporary views but not attach a database to hold them, so the
-- catalog does not list it): `from comments where relation = 'indicator_results'` in the
-- query editor reads one view's. The analyst views are in main (the catalog's default schema), the
-- layers under them in the schemas landing, staging, intermediate, reference and bookkeeping: their
-- relations are listed here by their qualified names (`staging.stg_indicator_rows`).
-- Harlequin cuts this script at every semicolon, comments included: none may hold one.
create or replace temp view comments as
select relation, kind, column_name, comment
from (
    select if(schema_name = 'main', view_name, schema_name || '.' || view_name) as relation, 'view' as kind,
        null as column_name, comment, 0 as position
    from duckdb_views()
    where not internal and not temporary
    union all
    select if(schema_name = 'main', table_name, schema_name || '.' || table_name), 'table', null, comment, 0
    from duckdb_tables()
    where not internal and not temporary
    union all
    select if(schema_name = 'main', table_name, schema_name || '.' || table_name), 'column', column_name, comment,
        column_index
    from duckdb_columns()
    where not internal and database_name <> 'temp'
)
order by relation, position;
