-- A target as an official reads it after "against a target of": "650 to 700", "at least 6",
-- "more than 70", "at most 2", "less than 2", "exactly 100"; bar is the bound the direction asks the
-- result to reach; bar_strict says the source wrote that bound strictly ("Trên 70%", "> 40",
-- "dưới 2": the bound's own number does not reach it), so the text quotes it as the source says it.
create or replace macro target_text(target_low, target_high, bar, direction, bar_strict := false) as
    case
        when direction = 'within_range' and target_low <> target_high
            then figure_text(target_low) || ' to ' || figure_text(target_high)
        when direction = 'within_range' and target_low = target_high then 'exactly ' || figure_text(target_low)
        when direction = 'within_range' and target_low is not null
            then case when bar_strict then 'more than ' else 'at least ' end || figure_text(target_low)
        when direction = 'within_range'
            then case when bar_strict then 'less than ' else 'at most ' end || figure_text(target_high)
        when direction = 'higher_is_better' then case when bar_strict then 'more than ' else 'at least ' end || figure_text(bar)
        else case when bar_strict then 'less than ' else 'at most ' end || figure_text(bar)
    end;
