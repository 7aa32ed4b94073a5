-- Whether a reported percentage agrees, within rounding, with the figures: the rule of
-- flows/core/attainment.py attainment_agrees (result / target, target / result for
-- lower-is-better counts, 100 inside a range, result / lower bound of a range), within one point
-- plus half a percent of the reported figure. NULL when there is nothing to compare (Python: True).
-- A test holds the two equal.
create or replace macro pct_agrees(actual, low, high, reported) as
    case
        when reported is null or attainment_pct(actual, low, high) is null then null
        else abs(attainment_pct(actual, low, high) - reported) <= 1.0 + 0.005 * abs(reported)
            or (actual <> 0 and abs(coalesce(high, low) / actual * 100.0 - reported) <= 1.0 + 0.005 * abs(reported))
            or (low is not null and high is not null and low <> high and low <> 0
                and abs(actual / low * 100.0 - reported) <= 1.0 + 0.005 * abs(reported))
    end;
