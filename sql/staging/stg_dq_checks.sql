-- grain: one row per data-quality check of the registry (flows/core/checks.py)
-- unique: check_name
with source as (
    select * from ref_dq_checks
),

final as (
    select
        name as check_name,
        severity,
        cell as points_at,
        meaning,
        action,
        meaning_vi,
        action_vi,
        resolvable::boolean as resolvable,
        blocks_attainment
    from source
)

select * from final
