-- A strict bound ("Trên 70%": above 70; "dưới 2": below 2) against a result exactly on it. The
-- letter of the target says not reached; many tables still count it reached (100 %, "Đạt"). The
-- source's own verdict decides where it gives one: its reported percentage (reached at 100 % or
-- more), else a verdict word ('met' / 'not_met' of macro verdict_status); NULL when it gives none,
-- and the row is then not met on the letter.
create or replace macro source_counts_reached(reported_pct, verdict) as
    case
        when reported_pct is not null then reported_pct >= 100
        when verdict = 'met' then true
        when verdict = 'not_met' then false
    end;

-- Whether value lies exactly on the bound the direction compares it with, that bound being strict
-- (bar_strict). 9 decimals absorb binary noise of a conversion factor applied to both.
create or replace macro on_strict_bound(value, target_low, target_high, bar, bar_strict) as
    coalesce(bar_strict and round(value - coalesce(bar, target_low, target_high), 9) = 0, false);

-- Why a result on a strict bound is met or not: "70 equals the bound 'more than 70'; the source counts it as
-- reached (100 %)". evidence: the reported percentage or verdict text the source gave.
create or replace macro strict_bound_text(value_text, bound_text, reached, evidence) as
    value_text || ' equals the bound ''' || bound_text || '''; '
    || case
        when reached then 'the source counts it as reached (' || evidence || ')'
        when not reached then 'the source counts it as not reached (' || evidence || ')'
        else 'the source gives no verdict, so it is not met on the letter of the target'
    end;
