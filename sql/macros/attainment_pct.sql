-- Result as a percentage of target, the rule of flows/attainment.py computed_pct: 100 inside a
-- target range, else result / (upper bound, or the only bound). A test holds the two equal.
create or replace macro attainment_pct(actual, low, high) as
    case
        when actual is null or coalesce(high, low) is null or coalesce(high, low) = 0 then null
        when low is not null and high is not null and low <> high and actual between low and high then 100.0
        else actual / coalesce(high, low) * 100.0
    end;
