-- The boundary changes whose successor units are built from their predecessors' reports (schemas/boundary_changes.csv, and the communes' changes of 2025-07-01 from the reference file).
-- grain: one row per boundary change and predecessor
-- unique: change_code, predecessor
-- not_null: change_code, level, successor, predecessor
-- column change_code: the change
-- column level: district or commune
-- column effective_date: the successor's first day
-- column cycle: which figures one successor figure combines: plan (each predecessor's latest on the plan) or period (those of one period_end)
-- column successor: the successor unit's code in the views (target_attainment.district)
-- column successor_gso_code: its GSO code
-- column successor_name_vi: its name
-- column successor_name_en: its name in English
-- column predecessor: the predecessor's code: a raw/ folder of schemas/districts.csv, or a commune's GSO code
-- column predecessor_name_vi: its name
-- column predecessor_name_en: its name in English
-- column predecessor_count: how many predecessors the successor has
-- column legal_basis: the decision that made the change
with changes as (
    select * from stg_boundary_changes
),

final as (
    select
        change_code,
        level,
        effective_date,
        cycle,
        successor,
        successor_gso_code,
        successor_name_vi,
        successor_name_en,
        predecessor,
        predecessor_name_vi,
        predecessor_name_en,
        predecessor_count,
        legal_basis
    from changes
)

select * from final
order by change_code, successor, predecessor
