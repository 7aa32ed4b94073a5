-- The bar and the comparison that decide met or not met, once for every model that judges a value against
-- its target (int_district_attainment for a reporting unit, target_attainment for a successor).
--
-- target_bar: the bound the direction makes the target: the least a higher-is-better result must reach
-- (the lower bound; the upper where there is only that), the most a lower-is-better one may reach (the
-- upper bound; else the lower); NULL within a range, which is judged on both its bounds.
create or replace macro target_bar(direction, target_low, target_high) as
    case direction
        when 'higher_is_better' then coalesce(target_low, target_high)
        when 'lower_is_better' then coalesce(target_high, target_low)
    end;

-- meets_target: whether value meets the target in the indicator's direction; NULL when there is nothing to
-- compare (no value, no bound). An inclusive bound is met by a value equal to it; a strict one (bar_strict:
-- "trên 70", "dưới 2") only by a value beyond it, so a value exactly on it is not met on the letter (a model
-- may let the source's own verdict decide that case: macro on_strict_bound). Within a range, the bounds are inclusive.
create or replace macro meets_target(value, target_low, target_high, bar, direction, bar_strict) as
    case
        when value is null or coalesce(target_low, target_high) is null then null
        when direction = 'within_range' then
            (target_low is null or value >= target_low) and (target_high is null or value <= target_high)
        when direction = 'higher_is_better' then case when bar_strict then value > bar else value >= bar end
        when direction = 'lower_is_better' then case when bar_strict then value < bar else value <= bar end
    end;
