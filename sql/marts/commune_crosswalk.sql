-- Where each commune of the two former districts went: its commune in the merged district (2020-2025), how it got there (kept, renamed, merged into another, absorbing others), on what basis, and its 2025 successor.
-- grain: one row per commune of old Hà Quảng or old Thông Nông before the 2020 merger
-- unique: old_code
-- not_null: old_code, old_name, source_district, status
-- column old_code: GSO code of the commune before 2020-02-01
-- column old_name: name of the commune before 2020-02-01
-- column old_district_code: GSO code of the former district (045 old Hà Quảng, 044 old Thông Nông)
-- column old_district_name: name of the former district
-- column source_district: the former district as named in indicator_results (its raw/ folder: schemas/districts.csv)
-- column status: kept (same code, same name), renamed (same code, new name, took in no other commune), absorbed (same code, renamed or not, and took in at least one retired commune: a merger), merged_into (code retired, the commune went into destination_code), retired_destination_unresolved (code retired, the source names a destination that is no commune of the merged district), retired_destination_not_recorded (code retired, the sources do not say where it went; not guessed)
-- column code_2020_2025: its own GSO code in the merged Hà Quảng district, 2020-02-01 to 2025-06-30; NULL when the code was retired
-- column name_2020_2025: its own name in the merged district, 2020-2025; NULL when the code was retired
-- column destination_code: GSO code of the 2020-2025 commune its territory belonged to: its own code when kept, the recorded destination when merged into another; NULL when not recorded
-- column destination_name: name of that 2020-2025 commune (for an unresolved destination, the name the source gives)
-- column destination_basis: official (the code lists, or a source that states the merger), inferred (the reference flags the destination as inferred, e.g. from names, or schemas/unit_destinations.csv infers it from evidence it names), NULL when no destination is recorded
-- column destination_evidence: for a destination the reference file does not record, the evidence and source of schemas/unit_destinations.csv (NULL when the reference records it)
-- column absorbed_from: for an absorbed commune, the retired communes that went into it, each with its old code and the basis (official or inferred)
-- column successor_2025_code: GSO code of the commune it became part of on 2025-07-01; for merged_into, that of its destination
-- column successor_2025_name: name of that 2025 commune
-- column successor_2025_relation: how it became part of it (full: the whole commune)
-- column successor_2025_basis: recorded (the reference gives this commune's successor) or via_2020_destination (the successor of the commune it merged into in 2020); NULL when there is none
-- column event_2020: what the sources say happened in 2020, including any inference they flag (the text the status and destination are read from, by stg_admin_units)
-- column source: where the row comes from
with units as (
    select * from stg_admin_units
),

districts as (
    select * from stg_districts
),

old_communes as (
    select * from units where period = 'pre2020' and level = 'commune'
),

old_districts as (
    select code, code_2020_2025 from units where period = 'pre2020' and level = 'district'
),

new_communes as (
    select
        *,
        -- "Xã Trường Hà" is named "Trường Hà" in running text: match either
        lower(nfc_normalize(name)) as name_key,
        lower(nfc_normalize(case when starts_with(name, unit_type || ' ') then substr(name, length(unit_type) + 2)
                                 else name end)) as bare_name_key
    from units
    where period = '2020_2025' and level = 'commune'
),

-- A retired commune's recorded destination, resolved to a commune of the district its own district
-- became: by the code the source gives, else by the name; a name two communes share is not resolved.
resolved as (
    select
        old_communes.code as old_code,
        new_communes.code as destination_code,
        new_communes.name as destination_name,
        new_communes.successor_2025_code,
        new_communes.successor_2025_name,
        new_communes.successor_2025_relation
    from old_communes
    inner join old_districts on old_districts.code = old_communes.parent_code
    inner join new_communes
        on new_communes.parent_code = old_districts.code_2020_2025
        and (new_communes.code = old_communes.event_destination_code
             or (old_communes.event_destination_code is null
                 and lower(nfc_normalize(old_communes.event_destination_name))
                     in (new_communes.name_key, new_communes.bare_name_key)))
    where old_communes.code_2020_2025 is null
    qualify count(*) over (partition by old_communes.code) = 1
),

absorbed as (
    select
        resolved.destination_code,
        string_agg(old_communes.name || ' (' || old_communes.code || ', ' || old_communes.event_destination_basis || ')',
                   ', ' order by old_communes.code) as absorbed_from
    from resolved
    inner join old_communes on old_communes.code = resolved.old_code
    group by resolved.destination_code
),

final as (
    select
        old_communes.code as old_code,
        old_communes.name as old_name,
        old_communes.parent_code as old_district_code,
        old_communes.parent_name as old_district_name,
        districts.source_district,
        case
            when old_communes.code_2020_2025 is not null and absorbed.destination_code is not null then 'absorbed'
            when old_communes.code_2020_2025 is not null
                and old_communes.name_2020_2025 is distinct from old_communes.name then 'renamed'
            when old_communes.code_2020_2025 is not null then 'kept'
            when resolved.destination_code is not null then 'merged_into'
            when coalesce(old_communes.event_destination_code, old_communes.event_destination_name) is not null
                then 'retired_destination_unresolved'
            else 'retired_destination_not_recorded'
        end as status,
        old_communes.code_2020_2025,
        old_communes.name_2020_2025,
        coalesce(old_communes.code_2020_2025, resolved.destination_code) as destination_code,
        coalesce(old_communes.name_2020_2025, resolved.destination_name,
                 old_communes.event_destination_name) as destination_name,
        case when old_communes.code_2020_2025 is not null then 'official'
             else old_communes.event_destination_basis end as destination_basis,
        case when old_communes.code_2020_2025 is null then old_communes.event_destination_evidence end
            as destination_evidence,
        absorbed.absorbed_from,
        coalesce(old_communes.successor_2025_code, resolved.successor_2025_code) as successor_2025_code,
        coalesce(old_communes.successor_2025_name, resolved.successor_2025_name) as successor_2025_name,
        coalesce(old_communes.successor_2025_relation, resolved.successor_2025_relation) as successor_2025_relation,
        case
            when old_communes.successor_2025_code is not null then 'recorded'
            when resolved.successor_2025_code is not null then 'via_2020_destination'
        end as successor_2025_basis,
        old_communes.event_2020,
        old_communes.source
    from old_communes
    left join districts on districts.gso_code = old_communes.parent_code
    left join resolved on resolved.old_code = old_communes.code
    left join absorbed on absorbed.destination_code = old_communes.code_2020_2025
)

select * from final
order by old_code
