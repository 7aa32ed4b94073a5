-- Result as a percentage of target, the rule of flows/core/attainment.py computed_pct: 100 inside a
-- target range (a range whose upper bound is 0 included), else result / (upper bound, or the only bound);
-- NULL when there is no result, no bound, or that bound is 0. The kept twin of computed_pct:
-- tests/unit/core/test_attainment.py holds the two equal (docs/twins.md).
create or replace macro attainment_pct(actual, low, high) as
    case
        when actual is null or coalesce(high, low) is null then null
        when low is not null and high is not null and low <> high and actual between low and high then 100.0
        when coalesce(high, low) = 0 then null
        else actual / coalesce(high, low) * 100.0
    end;
