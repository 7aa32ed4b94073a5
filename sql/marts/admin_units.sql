-- Official administrative units of the two former districts and the merged district, with validity dates and sources.
-- grain: one row per administrative unit per period (pre2020, 2020_2025, from2025)
-- unique: period, level, code
-- not_null: period, level, code, name
-- column period: pre2020 (before 2020-02-01), 2020_2025 (merged district), from2025 (after the 2025-07-01 reform) or all
-- column level: province, district or commune
-- column code: GSO code
-- column name: official name
-- column unit_type: Tỉnh, Huyện, Thị trấn or Xã
-- column parent_code: GSO code of the unit it belongs to
-- column parent_name: name of the unit it belongs to
-- column valid_from: first day the unit existed in this form (NULL when the sources do not say)
-- column valid_to: last day the unit existed in this form
-- column event_2020: what happened to the unit in the 2020 merger
-- column event_destination_code: for a code retired in 2020, the GSO code of the commune it went into: schemas/unit_destinations.csv's where it records one, else the one event_2020 gives (NULL when neither gives a code)
-- column event_destination_name: for a code retired in 2020, the name of that commune (schemas/unit_destinations.csv, else event_2020; NULL when neither gives one)
-- column event_destination_basis: official (stated by a source) or inferred (event_2020 or schemas/unit_destinations.csv flags an inference); NULL when no destination is recorded (commune_crosswalk resolves it)
-- column event_destination_evidence: for a destination from schemas/unit_destinations.csv, its evidence and source; NULL otherwise
-- column code_2020_2025: its code in the merged district, 2020-2025
-- column name_2020_2025: its name in the merged district, 2020-2025
-- column successor_2025_code: GSO code of the 2025 commune it became part of
-- column successor_2025_name: name of that 2025 commune
-- column successor_2025_relation: full (the whole unit joined it)
-- column nq1657_clause: clause of Resolution 1657/NQ-UBTVQH15 that made the 2025 commune
-- column successor_2025_area_km2: area of the 2025 commune, km²
-- column successor_2025_population: population of the 2025 commune
-- column source: where the row comes from (see reference_sources)
with units as (
    select * from stg_admin_units
),

final as (
    select * from units
)

select * from final
order by period, level, code
