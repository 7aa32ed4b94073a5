-- A figure as an official reads it in a sentence: up to four decimals, no trailing zeros ("3.92", "17889").
create or replace macro figure_text(x) as
    case when x is null then null else rtrim(rtrim(printf('%.4f', x), '0'), '.') end;
