-- One figure of the merged district from the two former districts': the one reported, their sum,
-- or their mean weighted by the weights given.
-- Two former districts, by design: written for exactly ha_quang and thong_nong, like the merge
-- models. A third district would be a third figure and weight argument, and a third term here.
create or replace macro combine_districts(method, ha_quang, thong_nong, ha_quang_weight, thong_nong_weight) as
    case method
        when 'single_source' then coalesce(ha_quang, thong_nong)
        when 'sum' then ha_quang + thong_nong
        else (ha_quang * ha_quang_weight + thong_nong * thong_nong_weight) / (ha_quang_weight + thong_nong_weight)
    end;
