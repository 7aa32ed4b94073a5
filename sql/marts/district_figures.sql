-- Area and population of the former and merged districts, each with its year and source: the weights of weighted means.
-- grain: one row per published figure of a district
-- unique: district_code, entity, figure, reference_year
-- not_null: value
-- column district_code: GSO code (044 old Thông Nông, 045 old or merged Hà Quảng)
-- column district_name: district name; (cũ) the former district, (mới) the merged one
-- column entity: former (a predecessor) or successor (the merged district: a successor unit of view boundary_changes)
-- column figure: area, population, or their sums over the 2025 successor communes
-- column value: the figure
-- column unit: km2 or persons
-- column reference_year: year the figure refers to (NULL when the source does not say)
-- column source: where the figure comes from
with figures as (
    select * from stg_district_figures
),

final as (
    select * from figures
)

select * from final
order by district_code, entity, figure
