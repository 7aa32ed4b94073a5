-- Where each commune of the two former districts went: its 2020-2025 code in the merged district and its 2025 successor.
-- grain: one row per commune of old Hà Quảng or old Thông Nông before the 2020 merger
-- unique: old_code
-- not_null: old_code, old_name, source_district, status
-- column old_code: GSO code of the commune before 2020-02-01
-- column old_name: name of the commune before 2020-02-01
-- column old_district_code: GSO code of the former district (045 old Hà Quảng, 044 old Thông Nông)
-- column old_district_name: name of the former district
-- column source_district: the former district as named in indicator_results ('ha_quang' or 'thong_nong')
-- column code_2020_2025: GSO code in the merged Hà Quảng district, 2020-02-01 to 2025-06-30; NULL when the code was retired
-- column name_2020_2025: name in the merged district, 2020-2025
-- column successor_2025_code: GSO code of the commune it became part of on 2025-07-01
-- column successor_2025_name: name of that 2025 commune
-- column successor_2025_relation: how it became part of it (full: the whole commune)
-- column status: kept, renamed, or retired_destination_not_recorded (the sources do not say where a retired code went; it is not guessed)
-- column event_2020: what the sources say happened in 2020, including any inference they flag
-- column source: where the row comes from
with units as (
    select * from stg_admin_units
),

districts as (
    select * from stg_districts
),

final as (
    select
        units.code as old_code,
        units.name as old_name,
        units.parent_code as old_district_code,
        units.parent_name as old_district_name,
        districts.source_district,
        units.code_2020_2025,
        units.name_2020_2025,
        units.successor_2025_code,
        units.successor_2025_name,
        units.successor_2025_relation,
        case
            when units.code_2020_2025 is null then 'retired_destination_not_recorded'
            when units.name_2020_2025 is distinct from units.name then 'renamed'
            else 'kept'
        end as status,
        units.event_2020,
        units.source
    from units
    left join districts on districts.gso_code = units.parent_code
    where units.period = 'pre2020' and units.level = 'commune'
)

select * from final
order by old_code
