-- A target as an official reads it after "against a target of": "650 to 700", "at least 6",
-- "at most 2", "exactly 100"; bar is the bound the direction asks the result to reach.
create or replace macro target_text(target_low, target_high, bar, direction) as
    case
        when direction = 'within_range' and target_low <> target_high
            then figure_text(target_low) || ' to ' || figure_text(target_high)
        when direction = 'within_range' and target_low = target_high then 'exactly ' || figure_text(target_low)
        when direction = 'within_range' and target_low is not null then 'at least ' || figure_text(target_low)
        when direction = 'within_range' then 'at most ' || figure_text(target_high)
        when direction = 'higher_is_better' then 'at least ' || figure_text(bar)
        else 'at most ' || figure_text(bar)
    end;
