-- grain: one row per catalogue indicator reported by either former district: why its two
-- figures can or cannot be compared (period, unit, definition, presence, qualitative)
-- unique: indicator_code
-- not_null: indicator_code, reasons
-- references: indicator_code -> int_indicator_pairs.indicator_code

-- Two former districts, by design: the merge is written for exactly ha_quang and thong_nong, the two
-- districts of schemas/districts.csv, as one block of ha_quang_* and one of thong_nong_* columns.
-- A third district would enter every flag (is_in_both, same_definition, same_unit, same_period,
-- is_qualitative) and every reason, each of which compares two blocks of columns.
-- Written the same way: int_indicator_pairs, int_comparability, int_indicator_weights, district_comparison,
-- merged_district_indicators and DISTRICTS in flows/publish/dashboard.py. tests/test_models.py
-- fails while schemas/districts.csv lists any other district (README: "How the two former
-- districts are combined").
with pairs as (
    select * from int_indicator_pairs
),

flags as (
    select
        *,
        ha_quang_label is not null and thong_nong_label is not null as is_in_both,
        coalesce(ha_quang_definition_variant, '') = coalesce(thong_nong_definition_variant, '') as same_definition,
        ha_quang_unit_factor is not null and thong_nong_unit_factor is not null
            and ha_quang_unit_refusal is null and thong_nong_unit_refusal is null
            -- a half kept as a count of units is not in the other's share
            and ha_quang_unit is not distinct from thong_nong_unit as same_unit,
        ha_quang_period_end is not distinct from thong_nong_period_end
            and ha_quang_is_estimate is not distinct from thong_nong_is_estimate as same_period,
        list_contains([ha_quang_row_kind, thong_nong_row_kind], 'qualitative') as is_qualitative
    from pairs
),

final as (
    select
        indicator_code,
        is_in_both,
        same_definition,
        same_unit,
        same_period,
        is_qualitative,
        case when is_in_both then list_filter([
            case when is_qualitative then 'qualitative result' end,
            case when not same_definition then
                'different definition: ha_quang ' || coalesce(ha_quang_definition_variant, 'as the catalogue')
                || '; thong_nong ' || coalesce(thong_nong_definition_variant, 'as the catalogue') end,
            case when not same_unit and coalesce(ha_quang_unit_refusal, thong_nong_unit_refusal) is not null then
                'different unit: ' || array_to_string(list_filter([
                    'ha_quang ' || ha_quang_unit_refusal, 'thong_nong ' || thong_nong_unit_refusal], lambda r: r is not null), '; ')
            when not same_unit and ha_quang_unit_factor is not null and thong_nong_unit_factor is not null then
                'different unit: ha_quang ' || ha_quang_unit || ', thong_nong ' || thong_nong_unit
            when not same_unit then
                'different unit: no conversion to the catalogue unit from '
                || coalesce(case when ha_quang_unit_factor is null then ha_quang_unit_raw end,
                            thong_nong_unit_raw, 'the reported unit') end,
            case when not same_period then
                'different period: ha_quang ' || case when ha_quang_is_estimate then 'estimated' else 'actual' end
                || ' to ' || coalesce(ha_quang_period_end::varchar, 'unknown')
                || ', thong_nong ' || case when thong_nong_is_estimate then 'estimated' else 'actual' end
                || ' to ' || coalesce(thong_nong_period_end::varchar, 'unknown') end
        ], lambda reason: reason is not null)
        else ['reported by ' || case when ha_quang_label is null then 'thong_nong' else 'ha_quang' end || ' only']
        end as reasons
    from flags
)

select * from final
