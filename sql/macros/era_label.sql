-- The period a set of administrative units existed in, from the reference's validity dates, as a
-- label before their name: 'pre-2020' (no start known, ended 2020-01-31), '2020-2025', 'since 2025'.
-- valid_to is the last day, so the change that ended them is the year of the day after.
create or replace macro era_label(valid_from, valid_to) as
    case
        when valid_from is null and valid_to is not null then 'pre-' || year(valid_to::date + interval 1 day)
        when valid_to is not null then year(valid_from::date) || '-' || year(valid_to::date + interval 1 day)
        when valid_from is not null then 'since ' || year(valid_from::date)
    end;
