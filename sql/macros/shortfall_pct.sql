-- How far a result falls short of its target, in % of the bar it had to reach (negative: beyond
-- it); within a range, the distance to the nearer bound (0 inside). NULL without a value or bar.
create or replace macro shortfall_pct(value, target_low, target_high, bar, direction) as
    case
        when value is null then null
        when direction = 'within_range' then
            case
                when value < target_low and target_low <> 0 then (target_low - value) / abs(target_low) * 100.0
                when value > target_high and target_high <> 0 then (value - target_high) / abs(target_high) * 100.0
                when coalesce(target_low, target_high) is not null then 0.0
            end
        when bar is null or bar = 0 then null
        when direction = 'higher_is_better' then (bar - value) / abs(bar) * 100.0
        else (value - bar) / abs(bar) * 100.0
    end;
