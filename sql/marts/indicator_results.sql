-- Every indicator row of both former districts' workbooks as reported, parsed and checked.
-- grain: one row per current indicator row: the latest version of each figure from files not withdrawn (history: indicator_results_history)
-- unique: source_file, source_sheet, source_row
-- not_null: source_district, row_label, row_kind, load_id, file_status
-- references: load_id, source_file -> file_events.load_id, source_file
-- column source_district: former district whose workbook holds the row: its raw/ folder (schemas/districts.csv)
-- column source_file: workbook path under raw/
-- column source_sheet: sheet name in the workbook
-- column source_row: row number in the sheet (1-based, as Excel shows it)
-- column reporting_unit: who the figures are about (the former district for its district tables)
-- column row_number: the TT/STT number printed on the row (parent rows only)
-- column row_label: indicator name as printed (NFC, trimmed)
-- column parent_label: label of the numbered row a sub-row belongs to
-- column row_kind: 'measured' (figures), 'qualitative' (words such as Đảm bảo) or 'group' (a heading without figures)
-- column indicator_code: catalogue indicator the row maps to (view indicators); NULL when its label is unknown (view unmapped_labels)
-- column unit: canonical unit code of the reported unit (schemas/units.csv), completed by a per-unit suffix of the label ('triệu đồng' under '…/ha': million_vnd_per_ha; schemas/unit_conversions.csv label_words); NULL when the unit is not a unit
-- column unit_raw: unit as written (unit column, or inside the target text)
-- column target_raw: target cell text as printed
-- column actual_raw: result cell text as printed
-- column reported_pct_raw: percentage cell text as printed
-- column target_kind: exact, at_least, at_most, range, ratio or text
-- column target_strict: for an at_least or at_most target, whether its bound excludes its own number ('Trên 70%', '> 40', 'dưới 2': above 70, below 2; true) or holds it ('≥ 95', 'tối thiểu', 'từ … trở lên', 'không quá': false), in the cell or the label; NULL for other targets
-- column target_low: lower bound of the target (an exact target has low = high)
-- column target_high: upper bound of the target (NULL for 'at least')
-- column target_note: text in brackets after the target, e.g. 738 in 'Trên 70%(738)'; and the label's words when they bound a plain target ('… mỗi năm trên' | 800 is at least 800)
-- column actual_value: the result as a number; NULL when qualitative or ambiguous without evidence
-- column actual_text: the result as words for qualitative rows
-- column reported_pct: the percentage of target the workbook reports
-- column computed_pct: result / target × 100 (100 inside a target range)
-- column pct_basis: what the reported percentage matches: 'target', 'plan_total' (result as a plan-period total against a yearly target) or 'unexplained'
-- column source_note: the Ghi chú (notes) cell
-- column period_end: date the figures refer to, read from the workbook's title or header
-- column is_estimate: true when the workbook calls the figures an estimate (Ước thực hiện)
-- column dq_flags: check names of the data-quality findings on this row (view dq_issues)
-- column file_status: 'present', or 'missing_from_raw' when the workbook has left the raw folder (figures kept until withdrawn)
-- column load_id: load that brought the row (view load_runs)
with rows as (
    select * from int_current_rows
),

final as (
    select
        source_district,
        source_file,
        source_sheet,
        source_row,
        reporting_unit,
        row_number,
        row_label,
        parent_label,
        row_kind,
        indicator_code,
        unit,
        unit_raw,
        target_raw,
        actual_raw,
        reported_pct_raw,
        target_kind,
        target_strict,
        target_low,
        target_high,
        target_note,
        actual_value,
        actual_text,
        reported_pct,
        computed_pct,
        pct_basis,
        source_note,
        period_end,
        is_estimate,
        dq_flags,
        file_status,
        load_id
    from rows
)

select * from final
order by source_district, source_file, source_sheet, source_row
