-- Whether a reported percentage agrees, within rounding, with the figures: the rule of
-- flows/core/attainment.py attainment_agrees (result / target, target / result for
-- lower-is-better counts, 100 inside a range, result / lower bound of a range), within rounding as
-- pct_within_rounding (generated from attainment.py's tolerance) says. NULL when there is nothing
-- to compare (Python: True). The kept twin of attainment_agrees: tests/end_to_end/test_target_attainment.py
-- holds the two equal (docs/twins.md).
create or replace macro pct_agrees(actual, low, high, reported) as
    case
        when reported is null or attainment_pct(actual, low, high) is null then null
        else pct_within_rounding(attainment_pct(actual, low, high), reported)
            or (actual <> 0 and pct_within_rounding(coalesce(high, low) / actual * 100.0, reported))
            or (low is not null and high is not null and low <> high and low <> 0
                and pct_within_rounding(actual / low * 100.0, reported))
    end;
