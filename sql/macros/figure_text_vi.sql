-- A figure as a Vietnamese reader writes it in a sentence: dot for thousands, comma before decimals, up to four
-- decimals, no trailing zeros ("17.889", "87,06", "-1.234,5"). The kept twin of Python's
-- flows/core/reader_format.py number(x, 'vi') (Babel), held equal by tests/models/test_figure_text_vi.py, so that a sentence
-- composed in SQL and one composed in Python write a number alike. Like Babel it starts from the shortest
-- decimal text of the number (x::varchar), not its binary value, and rounds half to even at the fourth decimal
-- (0,00005 → 0; 0,00015 → 0,0002). A zero has no sign. NULL stays NULL (the sentence leaves the place empty).
-- Below 1e17 a double's shortest text has at most 20 decimals; from there it has none.
create or replace macro vi_scaled_half_even(d) as
    -- d (a decimal) in ten-thousandths, as a hugeint: whole part and fraction apart, so that no product overflows
    trunc(d)::hugeint * 10000 + (
        case
            when abs((d - trunc(d)) * 10000 - trunc((d - trunc(d)) * 10000)) > 0.5
                then trunc((d - trunc(d)) * 10000) + sign(d)
            when abs((d - trunc(d)) * 10000 - trunc((d - trunc(d)) * 10000)) = 0.5
                then trunc((d - trunc(d)) * 10000) + (abs(trunc((d - trunc(d)) * 10000))::hugeint % 2) * sign(d)
            else trunc((d - trunc(d)) * 10000)
        end)::hugeint;

create or replace macro vi_scaled_text(n) as
    -- ten-thousandths n as Vietnamese text
    case when n < 0 then '-' else '' end
    || format('{:t.}', abs(n) // 10000)
    || case when abs(n) % 10000 = 0 then '' else ',' || rtrim(lpad((abs(n) % 10000)::varchar, 4, '0'), '0') end;

create or replace macro figure_text_vi(x) as
    case
        when x is null then null
        when isnan(x::double) then '—'
        when isinf(x::double) then case when x::double > 0 then '∞' else '-∞' end
        when abs(x::double) < 1e17 then vi_scaled_text(vi_scaled_half_even(x::varchar::decimal(38, 20)))
        else vi_scaled_text(x::varchar::decimal(38, 0)::hugeint * 10000)
    end;
