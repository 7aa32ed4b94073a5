-- Pieces of the Vietnamese reasons (status_reason_vi), the twins of count_text and target_text: each takes `say`,
-- the catalogue's Vietnamese sentences by message id (a map made from stg_messages by the model), so that every
-- word comes from schemas/messages.csv and every number is written by figure_text_vi (87,06; 17.889).

-- A figure with its unit as a Vietnamese reader writes it: "87,06 %", "934 ha", "17.889 tấn".
create or replace macro figure_unit_vi(x, unit_vi) as
    figure_text_vi(x) || coalesce(' ' || unit_vi, '');

-- A count against the base of units it counted: "16 trên tổng số 19 xã"; any other figure with its unit.
create or replace macro count_text_vi(say, x, count_base, unit_vi) as
    case
        when x is null then null
        when count_base is null then figure_unit_vi(x, unit_vi)
        else fill(fill(fill(say['reason.count'], 'value', figure_text_vi(x)),
                       'base', figure_text_vi(count_base)), 'unit', coalesce(unit_vi, ''))
    end;

-- A target as the source wrote it: "tối thiểu 100 %", "trên 70 %", "tối đa 2 ‰", "từ 650 đến 700 ha"; the
-- cases of target_text, one for one.
create or replace macro target_text_vi(say, target_low, target_high, bar, direction, bar_strict, unit_vi) as
    case
        when direction = 'within_range' and target_low <> target_high
            then fill(fill(say['reason.target.between'], 'low', figure_text_vi(target_low)),
                      'high', figure_unit_vi(target_high, unit_vi))
        when direction = 'within_range' and target_low = target_high
            then fill(say['reason.target.exactly'], 'bound', figure_unit_vi(target_low, unit_vi))
        when direction = 'within_range' and target_low is not null
            then fill(say[case when bar_strict then 'reason.target.more_than' else 'reason.target.at_least' end],
                      'bound', figure_unit_vi(target_low, unit_vi))
        when direction = 'within_range'
            then fill(say[case when bar_strict then 'reason.target.less_than' else 'reason.target.at_most' end],
                      'bound', figure_unit_vi(target_high, unit_vi))
        when direction = 'higher_is_better'
            then fill(say[case when bar_strict then 'reason.target.more_than' else 'reason.target.at_least' end],
                      'bound', figure_unit_vi(bar, unit_vi))
        else fill(say[case when bar_strict then 'reason.target.less_than' else 'reason.target.at_most' end],
                  'bound', figure_unit_vi(bar, unit_vi))
    end;

-- A period of figures: "Hà Quảng (cũ) ước thực hiện đến 31/12/2020", "... thực hiện đến 31/12/2019".
create or replace macro period_text_vi(say, unit_name_vi, is_estimate, period_end) as
    fill(fill(say[case when is_estimate then 'reason.period.estimate' else 'reason.period.actual' end],
              'unit', unit_name_vi),
         'date', coalesce(strftime(period_end, '%d/%m/%Y'), say['reason.period.unknown']));
