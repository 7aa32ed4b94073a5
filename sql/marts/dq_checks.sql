-- The data-quality checks the loader runs: what each check_name of dq_issues means and what the clerk should do. Join dq_issues to it on check_name.
-- grain: one row per check of the registry (flows/core/checks.py)
-- unique: check_name
-- not_null: check_name, severity, meaning, action, meaning_vi, action_vi
-- column check_name: the check, as dq_issues names it
-- column severity: 'error' (the file, sheet or row was not loaded, or a figure was left empty) or 'warning' (loaded; check it); every finding of the check has it, except the 'info' findings of a resolvable check
-- column resolvable: true when a finding of the check that names the evidence resolving it (the reported percentage, the plausibility catalogue, the plan period) is 'info' instead: a reading the loader settled, shown in dq_issues but asking nobody to act
-- column points_at: the cell of the row a finding points at: label, unit, target, actual, reported_pct, or figure (whichever of target, actual and reported_pct the finding names); NULL for a finding about a whole row, sheet or file
-- column meaning: what a finding of this check says
-- column action: what the clerk should do about it
-- column meaning_vi: what a finding of this check says, in Vietnamese (the message catalogue, schemas/messages.csv)
-- column action_vi: what the clerk should do about it, in Vietnamese
-- column blocks_attainment: whether an unresolved finding of the check leaves the row's attainment undetermined (target_attainment): always (every error, and a warning that casts doubt on the figures), never (a finding that does not bear on comparing the row's figures with its own target), unless_pct_agrees (unless the row's reported percentage agrees with the harmonised figures: the percentage is the evidence that decided the reading), unless_harmonised_pct_agrees (unless harmonisation changed the figures and the reported percentage agrees with the result); an 'info' finding never does
with checks as (
    select * from stg_dq_checks
),

final as (
    select
        check_name,
        severity,
        points_at,
        meaning,
        action,
        meaning_vi,
        action_vi,
        resolvable,
        blocks_attainment
    from checks
)

select * from final
order by check_name
