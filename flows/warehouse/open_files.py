"""What the views hold of each file with an open error: the facts the on-call advice is chosen by
(flows/publish/advice.py)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class FileState:
    """What the views hold of a file with an open error."""

    current_rows: int  # rows of the file in int_current_rows
    row_errors: bool  # an open error names one of its rows or cells
    pending: bool  # its last event is pending: read again by the next run


def file_states(con: duckdb.DuckDBPyConnection, files: list[str]) -> dict[str, FileState]:
    """FileState of each file (of the open errors), read from a built version."""
    if not files:
        return {}
    rows = con.execute("""
        with files as (select unnest(?::varchar[]) as source_file)
        select files.source_file,
               (select count(*) from int_current_rows as c where c.source_file = files.source_file),
               exists (select 1 from dq_issues as d where d.source_file = files.source_file
                       and d.severity = 'error' and d.source_row is not null),
               coalesce((select s.last_action = 'pending' from int_file_status as s
                         where s.source_file = files.source_file), false)
        from files""", [files]).fetchall()
    return {name: FileState(int(current), bool(row_errors), bool(pending)) for name, current, row_errors, pending in rows}
