-- The whole counts of `base` units that a printed percentage of them allows. The percentage was
-- rounded to its last printed decimal, so k fits when k / base × 100 lies within half a step of it:
-- 100 % of 11 -> [11]; 91 % of 11 -> [10] (10/11 = 90.9 %); 50 % of 11 -> [] (5 is 45.5 %, 6 is
-- 54.5 %); 1 % of 300 -> [2, 3, 4]; NULL without a percentage or a base. Never below 0 nor above the base; 9 decimals absorb binary noise.
create or replace macro printed_half_step(pct) as
    0.5 / 10 ^ coalesce(length(nullif(split_part(figure_text(pct::double), '.', 2), '')), 0);

create or replace macro whole_counts_of_share(pct, base) as
    case when pct is not null and base is not null then range(
        greatest(ceil(round(base * (pct - printed_half_step(pct)) / 100.0, 9)), 0)::bigint,
        least(floor(round(base * (pct + printed_half_step(pct)) / 100.0, 9)), base)::bigint + 1
    ) end;
