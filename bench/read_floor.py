"""The floor: read every workbook's cells with python-calamine and do nothing else.

    python bench/read_floor.py RAW_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import python_calamine


def main(raw_dir: Path) -> int:
    cells = 0
    for path in sorted(raw_dir.rglob("*.xlsx")):
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                cells += sum(len(row) for row in workbook.get_sheet_by_name(name).to_python())
        except Exception:  # a damaged file
            continue
    print(cells)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
