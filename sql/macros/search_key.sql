-- Text for fuzzy matching: no accents or tone marks, đ as d, lower case, punctuation as spaces.
create or replace macro search_key(t) as
    trim(regexp_replace(lower(strip_accents(replace(replace(t, 'đ', 'd'), 'Đ', 'D'))), '[^a-z0-9]+', ' ', 'g'));
