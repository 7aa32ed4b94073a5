"""The competent plain-pandas way an analyst would load the corpus by hand (the benchmark's peer).

    python bench/pandas_peer.py RAW_DIR WAREHOUSE_FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd


def main(raw_dir: Path, warehouse: Path) -> int:
    frames = []
    for path in sorted(raw_dir.rglob("*.xlsx")):
        try:
            frame = pd.read_excel(path, engine="openpyxl", dtype=object, header=None)
        except Exception:  # a damaged file: skip it, as a hand-written script would
            continue
        frames.append(frame.assign(source_file=str(path.relative_to(raw_dir))))
    table = pd.concat(frames, ignore_index=True).astype(str)
    table.columns = [str(c) for c in table.columns]
    with duckdb.connect(str(warehouse)) as con:
        con.register("incoming", table)
        con.execute("create or replace table rows as select * from incoming")
    print(len(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
